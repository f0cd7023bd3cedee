/* REALTIME: accomp-jack-play's process callbacks: melody out at exact frames, accompd's in. */
/*
 * Runs on JACK's realtime threads: no allocation, stdio or locks. The
 * player writes the schedule (jack_sched.c) and, when stopped early, the
 * note-offs it owes; the recorder stamps what arrives. Loops are bounded by
 * one cycle's events and the fixed release buffer.
 */
#include <jack/midiport.h>

#include "jack_play.h"

ACD_REALTIME int acd_jack_play_player_process(jack_nframes_t nframes, void *arg)
{
    AcdJackPlay *p = arg;
    void *buf = jack_port_get_buffer(p->melody, nframes);
    jack_midi_clear_buffer(buf);
    int64_t frame = acd_jack_frames_update(&p->player_frames, p->player);
    atomic_fetch_add_explicit(&p->player_cycles, 1, memory_order_relaxed);

    if (atomic_load_explicit(&p->start_req, memory_order_acquire) == 1) {
        int64_t lead = atomic_load_explicit(&p->lead_frames, memory_order_relaxed);
        atomic_store_explicit(&p->base, frame + lead, memory_order_relaxed);
        atomic_store_explicit(&p->start_req, 2, memory_order_release);
    }
    if (atomic_load_explicit(&p->stop_req, memory_order_acquire) == 1) {
        /* Stopped early: end the melody notes we started, at once. */
        size_t n = acd_notes_release_all(&p->sounding, 0xFFFF, frame, p->release,
                                         ACD_JACK_PLAY_RELEASE_MAX);
        for (size_t i = 0; i < n; i++)
            jack_midi_event_write(buf, 0, p->release[i].data, p->release[i].len);
        atomic_store_explicit(&p->stop_req, 2, memory_order_release);
        return 0;
    }
    if (atomic_load_explicit(&p->stop_req, memory_order_relaxed) == 2 ||
        atomic_load_explicit(&p->start_req, memory_order_relaxed) != 2)
        return 0;

    int64_t base = atomic_load_explicit(&p->base, memory_order_relaxed);
    size_t from = atomic_load_explicit(&p->next, memory_order_relaxed);
    AcdJackSchedCounts c = {0, 0, 0};
    size_t to = acd_jack_sched_play(buf, nframes, frame, base, p->sched, p->n_sched, from, &c);
    for (size_t i = from; i < to; i++)
        acd_notes_track(&p->sounding, p->sched[i].data, p->sched[i].len);
    atomic_store_explicit(&p->next, to, memory_order_release);
    atomic_fetch_add_explicit(&p->sent, c.sent, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->late, c.late, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->refused, c.refused, memory_order_relaxed);
    return 0;
}

ACD_REALTIME int acd_jack_play_recorder_process(jack_nframes_t nframes, void *arg)
{
    AcdJackPlay *p = arg;
    void *buf = jack_port_get_buffer(p->accomp, nframes);
    int64_t frame = acd_jack_frames_update(&p->recorder_frames, p->recorder);
    atomic_fetch_add_explicit(&p->recorder_cycles, 1, memory_order_relaxed);
    size_t n = atomic_load_explicit(&p->n_rec, memory_order_relaxed);
    uint64_t dropped = 0;
    n = acd_jack_sched_record(buf, frame, p->rec, n, p->cap, &dropped);
    if (dropped)
        atomic_fetch_add_explicit(&p->rec_dropped, dropped, memory_order_relaxed);
    atomic_store_explicit(&p->n_rec, n, memory_order_release);
    atomic_store_explicit(&p->rec_frame, frame, memory_order_release);
    return 0;
}
