/* A JACK test client: plays a melody at exact frames and records what comes back. */
#include "jack_probe.h"

#include <errno.h>
#include <jack/midiport.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jack_sched.h"

void acd_probe_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Player: the schedule into the melody port at exact offsets; bursts. */
static int player_process(jack_nframes_t nframes, void *arg)
{
    AcdProbe *p = arg;
    void *buf = jack_port_get_buffer(p->melody, nframes);
    jack_midi_clear_buffer(buf);
    int64_t frame = jack_last_frame_time(p->player);
    int64_t base = atomic_load_explicit(&p->base, memory_order_acquire);
    if (base != INT64_MAX) {
        size_t i = atomic_load_explicit(&p->next, memory_order_relaxed);
        AcdJackSchedCounts c = {0, 0, 0};
        i = acd_jack_sched_play(buf, nframes, frame, base, p->sched, p->n_sched, i, &c);
        atomic_store_explicit(&p->next, i, memory_order_release);
        atomic_fetch_add(&p->sent, c.sent);
        atomic_fetch_add(&p->late, c.late);
        atomic_fetch_add(&p->not_written, c.refused);
    }
    if (atomic_load(&p->burst_req) == 1) {
        /* Fill what is left of the period's buffer: note-on/off pairs of
         * one pitch, spread over the period so the offsets stay ordered. */
        uint64_t k = 0;
        for (;;) {
            uint8_t msg[3] = {(uint8_t)((k & 1) ? 0x80 : 0x90), 100, (uint8_t)((k & 1) ? 0 : 64)};
            jack_nframes_t off = (jack_nframes_t)(k * nframes / 8192);
            if (jack_midi_max_event_size(buf) < 3 || jack_midi_event_write(buf, off, msg, 3) != 0)
                break;
            k++;
        }
        atomic_store(&p->burst_sent, k);
        atomic_fetch_add(&p->sent, k);
        atomic_store(&p->burst_req, 2);
    }
    return 0;
}

static void record(AcdProbe *p, jack_port_t *port, AcdEvent *rec, atomic_size_t *count,
                   int64_t frame, jack_nframes_t nframes)
{
    void *buf = jack_port_get_buffer(port, nframes);
    size_t k = atomic_load_explicit(count, memory_order_relaxed);
    uint64_t dropped = 0;
    k = acd_jack_sched_record(buf, frame, rec, k, p->cap, &dropped);
    if (dropped)
        atomic_fetch_add(&p->rec_overflow, dropped);
    atomic_store_explicit(count, k, memory_order_release);
}

static int recorder_process(jack_nframes_t nframes, void *arg)
{
    AcdProbe *p = arg;
    int64_t frame = jack_last_frame_time(p->recorder);
    jack_position_t pos;
    if (jack_transport_query(p->recorder, &pos) == JackTransportRolling) {
        int64_t off = frame - (int64_t)pos.frame;
        if (atomic_exchange(&p->transport_offset, off) != off)
            atomic_fetch_add(&p->offset_changes, 1);
    }
    record(p, p->accomp, p->acc, &p->n_acc, frame, nframes);
    record(p, p->thru, p->thru_rec, &p->n_thru, frame, nframes);
    atomic_fetch_add(&p->recorder_cycles, 1);
    return 0;
}

static void timebase(jack_transport_state_t state, jack_nframes_t nframes, jack_position_t *pos,
                     int new_pos, void *arg)
{
    AcdProbe *p = arg;
    double bpm = atomic_load(&p->tb_bpm);
    int beats_per_bar = atomic_load(&p->tb_beats_per_bar);
    double frames_per_beat = pos->frame_rate * 60.0 / bpm;
    double beats = pos->frame / frames_per_beat;
    long whole = (long)beats;
    pos->valid = JackPositionBBT;
    pos->beats_per_bar = (float)beats_per_bar;
    pos->beat_type = 4;
    pos->ticks_per_beat = 1920;
    pos->beats_per_minute = bpm;
    pos->bar = (int32_t)(whole / beats_per_bar) + 1;
    pos->beat = (int32_t)(whole % beats_per_bar) + 1;
    pos->tick = (int32_t)((beats - (double)whole) * 1920.0);
    pos->bar_start_tick = (double)(pos->bar - 1) * beats_per_bar * 1920.0;
}

bool acd_probe_transport_start(AcdProbe *p, double bpm, int beats_per_bar)
{
    atomic_store(&p->tb_bpm, bpm);
    atomic_store(&p->tb_beats_per_bar, beats_per_bar);
    if (jack_set_timebase_callback(p->player, 0, timebase, p) != 0)
        return false;
    jack_transport_locate(p->player, 0);
    jack_transport_start(p->player);
    return true;
}

void acd_probe_transport_stop(AcdProbe *p)
{
    jack_transport_stop(p->player);
}

static int on_xrun(void *arg)
{
    AcdProbe *p = arg;
    atomic_fetch_add(&p->xruns, 1);
    return 0;
}

static void on_shutdown(void *arg)
{
    AcdProbe *p = arg;
    atomic_store(&p->lost, 1);
}

bool acd_probe_open(AcdProbe *p, size_t cap)
{
    if (!p->acc) {
        p->cap = cap;
        p->acc = calloc(cap, sizeof(AcdEvent));
        p->thru_rec = calloc(cap, sizeof(AcdEvent));
        atomic_init(&p->n_acc, 0);
        atomic_init(&p->n_thru, 0);
    }
    atomic_store(&p->base, INT64_MAX);
    atomic_store(&p->lost, 0);
    atomic_store(&p->burst_req, 0);
    jack_status_t st;
    p->player = jack_client_open("probe_player", JackNoStartServer | JackUseExactName, &st);
    p->recorder = jack_client_open("probe_recorder", JackNoStartServer | JackUseExactName, &st);
    if (!p->player || !p->recorder) {
        acd_probe_close(p);
        return false;
    }
    p->melody =
        jack_port_register(p->player, "melody", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    p->accomp =
        jack_port_register(p->recorder, "accomp", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    p->thru = jack_port_register(p->recorder, "thru", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(p->player, player_process, p);
    jack_set_process_callback(p->recorder, recorder_process, p);
    jack_set_xrun_callback(p->recorder, on_xrun, p);
    jack_on_shutdown(p->player, on_shutdown, p);
    if (!p->melody || !p->accomp || !p->thru || jack_activate(p->player) ||
        jack_activate(p->recorder)) {
        acd_probe_close(p);
        return false;
    }
    return true;
}

bool acd_probe_reopen(AcdProbe *p, size_t cap)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        if (!acd_probe_open(p, cap))
            continue;
        uint64_t c0 = atomic_load(&p->recorder_cycles);
        acd_probe_sleep_ms(200); /* about 37 periods */
        if (atomic_load(&p->recorder_cycles) - c0 > 10)
            return true;
        acd_probe_close(p);
    }
    return false;
}

void acd_probe_close(AcdProbe *p)
{
    if (p->player)
        jack_client_close(p->player);
    if (p->recorder)
        jack_client_close(p->recorder);
    p->player = p->recorder = NULL;
}

void acd_probe_free(AcdProbe *p)
{
    acd_probe_close(p);
    free(p->acc);
    free(p->thru_rec);
    free(p->sched);
    memset(p, 0, sizeof *p);
}

bool acd_probe_connect(AcdProbe *p, const char *name, bool thru)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "%s:melody_in", name);
    int rc = jack_connect(p->player, jack_port_name(p->melody), a);
    snprintf(b, sizeof b, "%s:accomp_out", name);
    int rc2 = jack_connect(p->recorder, b, jack_port_name(p->accomp));
    int rc3 = 0;
    if (thru) {
        snprintf(b, sizeof b, "%s:melody_thru", name);
        rc3 = jack_connect(p->recorder, b, jack_port_name(p->thru));
    }
    return (rc == 0 || rc == EEXIST) && (rc2 == 0 || rc2 == EEXIST) && (rc3 == 0 || rc3 == EEXIST);
}

int64_t acd_probe_play(AcdProbe *p, const AcdEvent *ev, size_t n, int64_t lead_frames)
{
    atomic_store(&p->base, INT64_MAX);
    if (p->sched)
        acd_probe_sleep_ms(30); /* let a running cycle finish with the old schedule */
    free(p->sched);
    p->sched = malloc((n ? n : 1) * sizeof *ev);
    memcpy(p->sched, ev, n * sizeof *ev);
    p->n_sched = n;
    atomic_store(&p->next, 0);
    int64_t base = (int64_t)jack_frame_time(p->player) + lead_frames;
    atomic_store_explicit(&p->base, base, memory_order_release);
    return base;
}

bool acd_probe_done(AcdProbe *p)
{
    return atomic_load(&p->next) >= p->n_sched;
}

uint64_t acd_probe_burst(AcdProbe *p)
{
    atomic_store(&p->burst_req, 1);
    for (int i = 0; i < 2000 && atomic_load(&p->burst_req) != 2; i++)
        acd_probe_sleep_ms(1);
    return atomic_load(&p->burst_sent);
}
