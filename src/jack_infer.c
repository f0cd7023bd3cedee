/* The inference thread: woken by the process callback, decides steps with the engine. */
#include "jack_infer.h"

#include <errno.h>
#include <jack/thread.h>
#include <stdlib.h>

#define COUNT(field, n) atomic_fetch_add_explicit(&inf->rt->count.field, (n), memory_order_relaxed)

AcdStatus acd_jack_infer_init(AcdJackInfer *inf, AcdJackRt *rt, AcdEngine *engine, int panic_cc)
{
    inf->rt = rt;
    inf->engine = engine;
    inf->panic_cc = panic_cc;
    inf->cap = ACD_ENGINE_MAX_STEP_EVENTS;
    inf->buf = calloc(inf->cap, sizeof *inf->buf);
    inf->started = false;
    atomic_init(&inf->quit, 0);
    atomic_init(&inf->release_req, 0);
    atomic_init(&inf->out_delay, 0);
    inf->last_stamp = 0;
    return inf->buf ? ACD_OK : ACD_ERR_NOMEM;
}

void acd_jack_infer_cleanup(AcdJackInfer *inf)
{
    free(inf->buf);
    inf->buf = NULL;
}

void acd_jack_infer_push(AcdJackInfer *inf, const AcdEvent *src, size_t n)
{
    int64_t delay = atomic_load_explicit(&inf->out_delay, memory_order_relaxed);
    for (size_t i = 0; i < n; i++) {
        AcdEvent ev = src[i];
        if (ev.time > inf->last_stamp)
            inf->last_stamp = ev.time;
        ev.time += delay;
        if (ev.flags & ACD_EVENT_RELEASE) {
            /* Room for releases is reserved below, so this fails only if
             * the reservation is broken: count it loudly. */
            if (acd_ring_write(inf->rt->out_ring, &ev) != ACD_OK)
                COUNT(release_dropped, 1);
            continue;
        }
        /* A note-on goes in only if, after it, the ring still has a slot for
         * the note-off of every note the engine has sounding (this one
         * included) plus a CC123: so a release can never find it full. */
        size_t reserve = (size_t)acd_engine_sounding(inf->engine) + 2;
        if (acd_ring_write_space(inf->rt->out_ring) < reserve + 1 ||
            acd_ring_write(inf->rt->out_ring, &ev) != ACD_OK)
            COUNT(out_dropped, 1);
    }
}

/* Decide every step up to `now` and queue its events. */
static void advance(AcdJackInfer *inf, int64_t now)
{
    bool more = true;
    while (more) {
        size_t n = acd_engine_advance(inf->engine, now, inf->buf, inf->cap, &more);
        acd_jack_infer_push(inf, inf->buf, n);
    }
}

/* Release everything "now": after anything already queued, and no earlier
 * than the next cycle. */
static void release_all(AcdJackInfer *inf, int64_t known)
{
    int64_t delay = atomic_load_explicit(&inf->out_delay, memory_order_relaxed);
    int64_t t = known - delay > inf->last_stamp ? known - delay : inf->last_stamp;
    size_t n = acd_engine_stop(inf->engine, t, inf->buf, inf->cap);
    acd_jack_infer_push(inf, inf->buf, n);
}

/* Follow JACK transport: tempo, meter and bar position while it rolls; a
 * stop releases everything and returns to the configured tempo. */
static void follow_clock(AcdJackInfer *inf, int64_t known)
{
    AcdJackClock c;
    size_t n = acd_ring_read_space(inf->rt->clock_ring);
    for (size_t i = 0; i < n && acd_ring_read(inf->rt->clock_ring, &c) == ACD_OK; i++) {
        if (c.rolling) {
            double spb = inf->steps_per_beat;
            acd_engine_follow(inf->engine, c.frame, c.song_beats * spb,
                              inf->rate * 60.0 / (c.bpm * spb), c.beats_per_bar);
            inf->rolling = true;
        } else if (inf->rolling) {
            release_all(inf, known);
            acd_engine_unfollow(inf->engine, inf->free_units_per_step);
            inf->rolling = false;
        }
    }
}

/* Follow MIDI clock: 24 ticks a beat, smoothed; Stop releases everything. */
static void follow_midi_clock(AcdJackInfer *inf, const AcdEvent *ev)
{
    AcdMidiClockPos pos;
    uint8_t status = ev->data[0];
    if (acd_midiclock_feed(&inf->midi_clock, status, ev->time, &pos)) {
        double spb = inf->steps_per_beat;
        acd_engine_follow(inf->engine, pos.time, pos.beats * spb, pos.units_per_beat / spb,
                          acd_engine_config(inf->engine)->beats_per_bar);
        inf->clocked = true;
    } else if (status == ACD_MIDI_STOP && inf->clocked) {
        release_all(inf, ev->time);
        acd_engine_unfollow(inf->engine, inf->free_units_per_step);
        inf->clocked = false;
    }
}

static bool is_panic(const AcdJackInfer *inf, const AcdEvent *ev)
{
    return inf->panic_cc >= 0 && ev->len == 3 && (ev->data[0] & 0xF0) == ACD_MIDI_CC &&
           ev->data[1] == inf->panic_cc && ev->data[2] >= 64;
}

static void *infer_main(void *arg)
{
    AcdJackInfer *inf = arg;
    AcdJackRt *rt = inf->rt;
    AcdEngineStats stats;
    for (;;) {
        while (sem_wait(rt->wake) != 0 && errno == EINTR)
            ;
        if (atomic_load_explicit(&inf->quit, memory_order_acquire))
            break;
        COUNT(wakes, 1);
        /* The work of a wake-up must not allocate or block either (the
         * RealtimeSanitizer build checks it like the process callback). */
        acd_rt_enter();
        int64_t known = atomic_load_explicit(&rt->known_until, memory_order_acquire);
        if (rt->clock_ring)
            follow_clock(inf, known);
        /* Bounded by the ring's capacity: events arriving meanwhile wait
         * for the next wake-up, which their cycle has already posted. */
        size_t n_in = acd_ring_read_space(rt->in_ring);
        for (size_t i = 0; i < n_in; i++) {
            AcdEvent ev;
            if (acd_ring_read(rt->in_ring, &ev) != ACD_OK)
                break;
            if (is_panic(inf, &ev)) {
                release_all(inf, ev.time);
                continue;
            }
            if (ev.len == 1 && ev.data[0] >= ACD_MIDI_CLOCK) {
                advance(inf, ev.time);
                if (inf->use_midi_clock)
                    follow_midi_clock(inf, &ev);
                continue;
            }
            /* Events come in time order, so every step decided before
             * feeding this one saw all the melody up to its decision point. */
            advance(inf, ev.time);
            acd_engine_feed(inf->engine, &ev);
        }
        advance(inf, known);
        int req = atomic_exchange_explicit(&inf->release_req, 0, memory_order_acq_rel);
        if (req) {
            release_all(inf, known);
            if (req & 2)
                atomic_store_explicit(&rt->drain, 1, memory_order_release);
        }
        acd_engine_stats(inf->engine, &stats);
        atomic_store_explicit(&rt->count.steps, stats.steps, memory_order_relaxed);
        atomic_store_explicit(&rt->next_decision, acd_engine_next_decision(inf->engine),
                              memory_order_release);
        acd_rt_exit();
    }
    return NULL;
}

AcdStatus acd_jack_infer_start(AcdJackInfer *inf, jack_client_t *client)
{
    atomic_store(&inf->quit, 0);
    atomic_store(&inf->release_req, 0);
    inf->rolling = false;
    inf->clocked = false;
    acd_midiclock_init(&inf->midi_clock);
    inf->rate = jack_get_sample_rate(client);
    int prio = jack_client_real_time_priority(client) - 1;
    int realtime = jack_is_realtime(client) && prio > 0;
    int rc = jack_client_create_thread(client, &inf->thread, realtime ? prio : 0, realtime,
                                       infer_main, inf);
    if (rc != 0 && realtime)
        rc = jack_client_create_thread(client, &inf->thread, 0, 0, infer_main, inf);
    if (rc != 0)
        return ACD_ERR_BACKEND;
    inf->started = true;
    return ACD_OK;
}

void acd_jack_infer_request_release(AcdJackInfer *inf, bool drain)
{
    atomic_fetch_or_explicit(&inf->release_req, drain ? 3 : 1, memory_order_acq_rel);
    sem_post(inf->rt->wake);
}

void acd_jack_infer_stop(AcdJackInfer *inf)
{
    if (!inf->started)
        return;
    atomic_store_explicit(&inf->quit, 1, memory_order_release);
    sem_post(inf->rt->wake);
    pthread_join(inf->thread, NULL);
    inf->started = false;
}
