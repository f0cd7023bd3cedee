/* Opening, activating and closing accompd's JACK client (not realtime; see jack_rt.c). */
#include "jack_setup.h"

#include <errno.h>
#include <jack/midiport.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accompd/notes.h"
#include "deadline.h"

AcdStatus acd_jack_init(AcdJack *j, const AcdJackConfig *cfg, AcdEngine *engine, AcdError *err)
{
    memset(j, 0, sizeof *j);
    j->cfg = *cfg;
    j->engine = engine;
    j->infer.steps_per_beat = cfg->steps_per_beat;
    j->infer.free_units_per_step = cfg->units_per_step;
    j->infer.use_midi_clock = cfg->follow_midi_clock;
    AcdStatus st = acd_ring_new(cfg->in_ring_size, sizeof(AcdEvent), &j->rt.in_ring);
    if (st != ACD_OK)
        return acd_error_set(err, st, "input ring of %zu events: %s", cfg->in_ring_size,
                             acd_strerror(st));
    st = acd_ring_new(cfg->out_ring_size, sizeof(AcdEvent), &j->rt.out_ring);
    if (st != ACD_OK) {
        acd_error_set(err, st, "output ring of %zu events: %s", cfg->out_ring_size,
                      acd_strerror(st));
        goto fail_out_ring;
    }
    if (cfg->in_reserve >= cfg->in_ring_size) {
        st = acd_error_set(err, ACD_ERR_RANGE, "note-off reserve %zu must be below the ring size",
                           cfg->in_reserve);
        goto fail_sem;
    }
    j->rt.in_reserve = cfg->in_reserve;
    if (cfg->follow_transport &&
        (st = acd_ring_new(64, sizeof(AcdJackClock), &j->rt.clock_ring)) != ACD_OK) {
        acd_error_set(err, st, "transport ring: %s", acd_strerror(st));
        goto fail_sem;
    }
    if (sem_init(&j->wake, 0, 0) != 0) {
        st = acd_error_set(err, ACD_ERR_IO, "sem_init: %s", strerror(errno));
        goto fail_sem;
    }
    if (sem_init(&j->main_wake, 0, 0) != 0) {
        st = acd_error_set(err, ACD_ERR_IO, "sem_init: %s", strerror(errno));
        goto fail_main_sem;
    }
    j->rt.wake = &j->wake;
    j->rt.main_wake = &j->main_wake;
    st = acd_jack_infer_init(&j->infer, &j->rt, engine, &cfg->control);
    if (st != ACD_OK) {
        acd_error_set(err, st, "inference thread: %s", acd_strerror(st));
        goto fail_infer;
    }
    return ACD_OK;

fail_infer:
    acd_jack_infer_cleanup(&j->infer);
    sem_destroy(&j->main_wake);
fail_main_sem:
    sem_destroy(&j->wake);
fail_sem:
    acd_ring_free(j->rt.clock_ring);
    acd_ring_free(j->rt.out_ring);
fail_out_ring:
    acd_ring_free(j->rt.in_ring);
    j->rt.in_ring = j->rt.out_ring = NULL;
    return st;
}

void acd_jack_cleanup(AcdJack *j)
{
    acd_jack_infer_cleanup(&j->infer);
    sem_destroy(&j->main_wake);
    sem_destroy(&j->wake);
    acd_ring_free(j->rt.clock_ring);
    acd_ring_free(j->rt.out_ring);
    acd_ring_free(j->rt.in_ring);
    j->rt.in_ring = j->rt.out_ring = j->rt.clock_ring = NULL;
}

int64_t acd_jack_out_delay(const AcdJack *j)
{
    return atomic_load_explicit(&j->infer.out_delay, memory_order_relaxed);
}

/* ---- Callbacks on JACK's notification thread (not realtime) ------------ */

/* Only a flag and a wake-up: the main thread does the rest (STYLE.md). */
static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
    AcdJack *j = arg;
    atomic_store(&j->lost, 1);
    sem_post(&j->main_wake);
}

static void on_port_registration(jack_port_id_t port, int registered, void *arg)
{
    AcdJack *j = arg;
    if (registered) {
        atomic_store(&j->graph_changed, 1);
        sem_post(&j->main_wake);
    }
}

/* A synth newly connected to accomp_out may hold notes from whatever fed
 * it before (or from a predecessor killed with SIGKILL): start it clean. */
static void on_port_connect(jack_port_id_t a, jack_port_id_t b, int connect, void *arg)
{
    AcdJack *j = arg;
    if (!connect || !j->rt.client)
        return;
    jack_port_t *pa = jack_port_by_id(j->rt.client, a);
    jack_port_t *pb = jack_port_by_id(j->rt.client, b);
    if (pa == j->rt.out_port || pb == j->rt.out_port) {
        atomic_store(&j->out_connected, 1);
        sem_post(&j->main_wake);
    }
}

static int on_buffer_size(jack_nframes_t nframes, void *arg)
{
    AcdJack *j = arg;
    atomic_store(&j->infer.out_delay, j->cfg.grace_frames + (int64_t)nframes);
    return 0;
}

/* The accompaniment answers the melody out_delay frames later: report it as
 * this client's processing latency between melody_in and accomp_out, so
 * hosts that compensate latency line the parts up. melody_thru adds none. */
static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
    AcdJack *j = arg;
    jack_nframes_t delay = (jack_nframes_t)acd_jack_out_delay(j);
    jack_latency_range_t r;
    if (mode == JackCaptureLatency) {
        jack_port_get_latency_range(j->rt.in_port, mode, &r);
        if (j->rt.thru_port)
            jack_port_set_latency_range(j->rt.thru_port, mode, &r);
        r.min += delay;
        r.max += delay;
        jack_port_set_latency_range(j->rt.out_port, mode, &r);
    } else {
        jack_port_get_latency_range(j->rt.out_port, mode, &r);
        r.min += delay;
        r.max += delay;
        jack_port_set_latency_range(j->rt.in_port, mode, &r);
    }
}

/* ---- Open and close ----------------------------------------------------- */

static jack_port_t *register_midi(jack_client_t *c, const char *name, unsigned long flags)
{
    return jack_port_register(c, name, JACK_DEFAULT_MIDI_TYPE, flags, 0);
}

AcdStatus acd_jack_open(AcdJack *j, AcdError *err)
{
    const AcdJackConfig *cfg = &j->cfg;
    jack_status_t js = 0;
    jack_options_t opts = JackNoStartServer | JackUseExactName;
    jack_client_t *c;
    if (cfg->server_name)
        c = jack_client_open(cfg->client_name, opts | JackServerName, &js, cfg->server_name);
    else
        c = jack_client_open(cfg->client_name, opts, &js);
    if (!c)
        return acd_error_set(err, ACD_ERR_BACKEND, "cannot open JACK client \"%s\"%s (status 0x%x)",
                             cfg->client_name, (js & JackNameNotUnique) ? ": name taken" : "",
                             (unsigned)js);
    AcdStatus st = ACD_ERR_BACKEND;
    j->rt.client = c;
    j->rt.in_port = register_midi(c, ACD_JACK_PORT_IN, JackPortIsInput);
    j->rt.out_port = register_midi(c, ACD_JACK_PORT_OUT, JackPortIsOutput);
    j->rt.thru_port = cfg->thru ? register_midi(c, ACD_JACK_PORT_THRU, JackPortIsOutput) : NULL;
    if (!j->rt.in_port || !j->rt.out_port || (cfg->thru && !j->rt.thru_port)) {
        acd_error_set(err, st, "cannot register MIDI ports");
        goto fail_close;
    }

    /* A fresh start on this server: frame times restart, nothing sounds. */
    acd_ring_reset(j->rt.in_ring);
    acd_ring_reset(j->rt.out_ring);
    if (j->rt.clock_ring)
        acd_ring_reset(j->rt.clock_ring);
    j->rt.clock_rolling = false;
    j->rt.clock_bpm = 0;
    j->rt.clock_bpb = 0;
    j->rt.clock_cycles = 0;
    atomic_store(&j->rt.known_until, 0);
    atomic_store(&j->rt.next_decision, INT64_MAX);
    atomic_store(&j->rt.drain, 0);
    atomic_store(&j->lost, 0);
    j->rt.have_frame = false;
    j->rt.last_late_time = INT64_MIN;
    while (sem_trywait(&j->wake) == 0)
        ;
    atomic_store(&j->infer.out_delay, cfg->grace_frames + (int64_t)jack_get_buffer_size(c));
    j->infer.last_stamp = INT64_MIN / 4;

    /* Start-up all-notes-off: a predecessor killed with SIGKILL (or a lost
     * server) could not release its notes, and the synth may still hold
     * them. The engine's own tracker is empty here, so this is CC123 on our
     * channels, written in the first cycle. */
    AcdEvent rel[16];
    AcdNotes none;
    acd_notes_init(&none);
    size_t n = acd_notes_release_all(&none, cfg->out_channels, INT64_MIN / 4, rel, 16);
    for (size_t i = 0; i < n; i++)
        rel[i].flags |= ACD_EVENT_ASAP;
    acd_jack_infer_push(&j->infer, rel, n);
    acd_jack_infer_program(&j->infer, cfg->program, INT64_MIN / 4);

    if (jack_set_process_callback(c, acd_jack_rt_process, &j->rt) ||
        jack_set_xrun_callback(c, acd_jack_rt_xrun, &j->rt) ||
        jack_set_buffer_size_callback(c, on_buffer_size, j) ||
        jack_set_latency_callback(c, on_latency, j) ||
        jack_set_port_registration_callback(c, on_port_registration, j) ||
        jack_set_port_connect_callback(c, on_port_connect, j)) {
        acd_error_set(err, st, "cannot set JACK callbacks");
        goto fail_close;
    }
    jack_on_info_shutdown(c, on_shutdown, j);

    st = acd_jack_infer_start(&j->infer, c);
    if (st != ACD_OK) {
        acd_error_set(err, st, "cannot start the inference thread");
        goto fail_close;
    }
    if (jack_activate(c) != 0) {
        st = acd_error_set(err, ACD_ERR_BACKEND, "cannot activate the JACK client");
        goto fail_thread;
    }
    j->open = true;
    acd_jack_connect(j);
    return ACD_OK;

fail_thread:
    acd_jack_infer_stop(&j->infer);
fail_close:
    jack_client_close(c);
    j->rt.client = NULL;
    return st;
}

/* Wait on the main semaphore until `flag` reaches `value` or `ms` pass.
 * Other wake-ups (signals) are put back for the main loop. */
static void wait_flag(AcdJack *j, atomic_int *flag, int value, int ms)
{
    struct timespec until = acd_deadline_ms(ms);
    int others = 0;
    while (atomic_load(flag) != value && !atomic_load(&j->lost)) {
        if (sem_timedwait(&j->main_wake, &until) != 0) {
            if (errno == EINTR)
                continue;
            break; /* timed out */
        }
        if (atomic_load(flag) != value)
            others++;
    }
    while (others-- > 0)
        sem_post(&j->main_wake);
}

/* jack_client_close in a helper thread, waited for at most `ms`. libjack
 * can deadlock closing a client whose server died (jack2 issue #395: seen
 * here about once in 20-40 server kills); the caller then gives up on this
 * process's libjack state. The helper's state is on the heap because a hung
 * helper keeps using it. */
typedef struct {
    jack_client_t *client;
    sem_t done;
} Closer;

static void *closer_main(void *arg)
{
    Closer *cl = arg;
    jack_client_close(cl->client);
    sem_post(&cl->done);
    return NULL;
}

static bool close_bounded(jack_client_t *client, int ms)
{
    Closer *cl = malloc(sizeof *cl);
    pthread_t th;
    if (!cl || sem_init(&cl->done, 0, 0) != 0) {
        free(cl);
        jack_client_close(client);
        return true;
    }
    cl->client = client;
    if (pthread_create(&th, NULL, closer_main, cl) != 0) {
        sem_destroy(&cl->done);
        free(cl);
        jack_client_close(client);
        return true;
    }
    struct timespec until = acd_deadline_ms(ms);
    int rc;
    while ((rc = sem_timedwait(&cl->done, &until)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        pthread_detach(th);
        return false; /* cl stays with the hung thread */
    }
    pthread_join(th, NULL);
    sem_destroy(&cl->done);
    free(cl);
    return true;
}

bool acd_jack_close(AcdJack *j, bool graceful)
{
    if (!j->open)
        return true;
    if (graceful && !atomic_load(&j->lost)) {
        acd_jack_infer_request_release(&j->infer, true);
        /* Bounded: a few periods normally; 1 s if the server stalls. */
        wait_flag(j, &j->rt.drain, 2, 1000);
    }
    if (!atomic_load(&j->lost))
        jack_deactivate(j->rt.client);
    acd_jack_infer_stop(&j->infer);
    bool closed = true;
    if (atomic_load(&j->lost))
        closed = close_bounded(j->rt.client, 2000);
    else
        jack_client_close(j->rt.client);
    /* Pairs with the callback's release of the cycle count: its last cycle
     * happened before what follows (libjack does not always join its
     * thread when the server is gone). */
    (void)atomic_load_explicit(&j->rt.count.cycles, memory_order_acquire);
    j->rt.client = NULL;
    j->rt.in_port = j->rt.out_port = j->rt.thru_port = NULL;
    j->open = false;
    /* Whatever was sounding went with the server or was released above:
     * forget it without emitting anything. */
    AcdEvent scratch[ACD_ENGINE_MAX_STEP_EVENTS];
    acd_engine_stop(j->engine, 0, scratch, ACD_ENGINE_MAX_STEP_EVENTS);
    return closed;
}
