/* The inference thread: woken by the process callback, decides steps with the engine. */
#include "jack_infer.h"
#include "deadline.h"

#include <errno.h>
#include <jack/thread.h>
#include <stdlib.h>
#include <time.h>

#define COUNT(field, n) atomic_fetch_add_explicit(&inf->rt->count.field, (n), memory_order_relaxed)

/* The thresholds density scales, from the engine's configuration. */
static void take_thresholds(AcdJackInfer *inf)
{
    const AcdSamplerConfig *sc = &acd_engine_config(inf->engine)->sampler;
    inf->thresh_onset = sc->thresh_onset;
    inf->thresh_hold = sc->thresh_hold;
}

AcdStatus acd_jack_infer_init(AcdJackInfer *inf, AcdJackRt *rt, AcdEngine *engine,
                              const AcdControlConfig *control)
{
    inf->rt = rt;
    inf->engine = engine;
    acd_control_init(&inf->control, control);
    take_thresholds(inf);
    inf->cap = ACD_ENGINE_MAX_STEP_EVENTS;
    inf->buf = calloc(inf->cap, sizeof *inf->buf);
    inf->mapped = calloc(inf->cap + 16, sizeof *inf->mapped);
    inf->started = false;
    atomic_init(&inf->quit, 0);
    atomic_init(&inf->release_req, 0);
    atomic_init(&inf->out_delay, 0);
    atomic_init(&inf->swap, NULL);
    atomic_init(&inf->swap_done, 0);
    atomic_init(&inf->clock_source, ACD_CLOCK_FREE);
    atomic_init(&inf->enabled, 1);
    atomic_init(&inf->sounding, 0);
    atomic_init(&inf->bpm_milli, 0);
    atomic_init(&inf->learned, 0);
    inf->last_stamp = 0;
    inf->steps_before = 0;
    return inf->buf && inf->mapped ? ACD_OK : ACD_ERR_NOMEM;
}

void acd_jack_infer_cleanup(AcdJackInfer *inf)
{
    free(inf->buf);
    free(inf->mapped);
    inf->buf = inf->mapped = NULL;
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
        size_t reserve = (size_t)acd_engine_sounding(inf->engine) + 3; /* 2 CC123 when split */
        if (acd_ring_write_space(inf->rt->out_ring) < reserve + 1 ||
            acd_ring_write(inf->rt->out_ring, &ev) != ACD_OK)
            COUNT(out_dropped, 1);
    }
}

/* The engine's events through the controls (channels, velocity) into out_ring. */
static void emit(AcdJackInfer *inf, size_t n)
{
    size_t m = acd_control_map(&inf->control, inf->buf, n, inf->mapped, inf->cap + 16);
    acd_jack_infer_push(inf, inf->mapped, m);
}

/* Decide every step up to `now` and queue its events. */
static void advance(AcdJackInfer *inf, int64_t now)
{
    bool more = true;
    while (more)
        emit(inf, acd_engine_advance(inf->engine, now, inf->buf, inf->cap, &more));
}

void acd_jack_infer_program(AcdJackInfer *inf, int program, int64_t time)
{
    if (program < 0)
        return;
    const AcdControlConfig *cc = &inf->control.cfg;
    AcdEvent pc = acd_event_make(time, (uint8_t)(0xC0 | cc->channel), (uint8_t)program, 0);
    pc.len = 2;
    pc.flags = ACD_EVENT_RELEASE | ACD_EVENT_ASAP; /* "now", and never refused */
    acd_jack_infer_push(inf, &pc, 1);
    if (cc->bass_channel >= 0 && cc->bass_channel != cc->channel) {
        pc.data[0] = (uint8_t)(0xC0 | cc->bass_channel);
        acd_jack_infer_push(inf, &pc, 1);
    }
}

/* Release everything "now": after anything already queued, and no earlier
 * than the next cycle. */
static void release_all(AcdJackInfer *inf, int64_t known)
{
    int64_t delay = atomic_load_explicit(&inf->out_delay, memory_order_relaxed);
    int64_t t = known - delay > inf->last_stamp ? known - delay : inf->last_stamp;
    size_t n = acd_engine_stop(inf->engine, t, inf->buf, inf->cap);
    for (size_t i = 0; i < n; i++)
        inf->buf[i].flags |= ACD_EVENT_ASAP;
    emit(inf, n);
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
            atomic_store_explicit(&inf->bpm_milli, (int64_t)(c.bpm * 1000.0), memory_order_relaxed);
        } else if (inf->rolling) {
            release_all(inf, known);
            acd_engine_unfollow(inf->engine, inf->free_units_per_step);
            inf->rolling = false;
            atomic_store_explicit(&inf->bpm_milli, 0, memory_order_relaxed);
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
        atomic_store_explicit(&inf->bpm_milli, (int64_t)(inf->rate * 60000.0 / pos.units_per_beat),
                              memory_order_relaxed);
    } else if (status == ACD_MIDI_STOP && inf->clocked) {
        release_all(inf, ev->time);
        acd_engine_unfollow(inf->engine, inf->free_units_per_step);
        inf->clocked = false;
        atomic_store_explicit(&inf->bpm_milli, 0, memory_order_relaxed);
    }
}

/* Act on a controller the controls took (they already track on/off and
 * the velocity themselves). */
static void apply_control(AcdJackInfer *inf, const AcdControlAction *a, int64_t time)
{
    if (a->learned) {
        atomic_store_explicit(&inf->learned, 0x10000 | (int)a->function << 8 | a->value,
                              memory_order_relaxed);
        sem_post(inf->rt->main_wake);
        return;
    }
    AcdSamplerConfig sc = acd_engine_config(inf->engine)->sampler;
    switch (a->function) {
    case ACD_CONTROL_ONOFF:
        if (!inf->control.enabled)
            release_all(inf, time);
        break;
    case ACD_CONTROL_PANIC:
        if (a->value >= 64)
            release_all(inf, time);
        break;
    case ACD_CONTROL_VARIETY:
        sc.temperature = acd_control_temperature(a->value);
        acd_engine_set_sampler(inf->engine, &sc);
        break;
    case ACD_CONTROL_DENSITY: {
        float k = acd_control_density_scale(a->value);
        float on = inf->thresh_onset * k, hold = inf->thresh_hold * k;
        sc.thresh_onset = on < 0.01f ? 0.01f : on > 0.99f ? 0.99f : on;
        sc.thresh_hold = hold < 0.01f ? 0.01f : hold > 0.99f ? 0.99f : hold;
        acd_engine_set_sampler(inf->engine, &sc);
        break;
    }
    case ACD_CONTROL_TEMPO:
        /* A transport or clock rules the tempo while it runs. */
        if (!inf->rolling && !inf->clocked) {
            inf->free_units_per_step = acd_engine_units_per_step(acd_control_tempo_bpm(a->value),
                                                                 inf->steps_per_beat, inf->rate);
            acd_engine_set_units_per_step(inf->engine, inf->free_units_per_step);
        }
        break;
    default:
        break;
    }
}

/* A reload's new engine: release the old run's notes, then exchange. */
static void take_swap(AcdJackInfer *inf, int64_t known)
{
    AcdJackSwap *s = atomic_exchange_explicit(&inf->swap, NULL, memory_order_acq_rel);
    if (!s)
        return;
    release_all(inf, known);
    AcdEngine *old = inf->engine;
    AcdEngineStats st;
    acd_engine_stats(old, &st);
    inf->steps_before += st.steps;
    AcdJackSwap prev = {old, inf->control.cfg, inf->steps_per_beat, inf->free_units_per_step, -1};
    inf->engine = s->engine;
    acd_control_configure(&inf->control, &s->control);
    take_thresholds(inf);
    inf->steps_per_beat = s->steps_per_beat;
    inf->free_units_per_step = s->free_units_per_step;
    if (!inf->rolling && !inf->clocked)
        acd_engine_set_units_per_step(inf->engine, inf->free_units_per_step);
    acd_jack_infer_program(inf, s->program, inf->last_stamp);
    *s = prev;
    atomic_store_explicit(&inf->swap_done, 1, memory_order_release);
    sem_post(inf->rt->main_wake);
}

/* What the main thread's status report reads. */
static void publish(AcdJackInfer *inf)
{
    int source = inf->rolling   ? ACD_CLOCK_TRANSPORT
                 : inf->clocked ? ACD_CLOCK_MIDI
                                : ACD_CLOCK_FREE;
    atomic_store_explicit(&inf->clock_source, source, memory_order_relaxed);
    atomic_store_explicit(&inf->enabled, inf->control.enabled, memory_order_relaxed);
    atomic_store_explicit(&inf->sounding, acd_control_sounding(&inf->control),
                          memory_order_relaxed);
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
        take_swap(inf, known);
        if (rt->clock_ring)
            follow_clock(inf, known);
        /* Bounded by the ring's capacity: events arriving meanwhile wait
         * for the next wake-up, which their cycle has already posted. */
        size_t n_in = acd_ring_read_space(rt->in_ring);
        for (size_t i = 0; i < n_in; i++) {
            AcdEvent ev;
            if (acd_ring_read(rt->in_ring, &ev) != ACD_OK)
                break;
            AcdControlAction action;
            if (acd_control_cc(&inf->control, &ev, &action)) {
                advance(inf, ev.time);
                apply_control(inf, &action, ev.time);
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
            acd_control_melody(&inf->control, &ev);
            /* Switched off, the accompaniment stays idle: no note-on starts
             * a run, while note-offs keep the held keys right. */
            if (inf->control.enabled || !acd_event_is_note_on(ev.data, ev.len))
                acd_engine_feed(inf->engine, &ev);
        }
        advance(inf, known);
        int req = atomic_exchange_explicit(&inf->release_req, 0, memory_order_acq_rel);
        if (req) {
            release_all(inf, known);
            if (req & 2)
                atomic_store_explicit(&rt->drain, 1, memory_order_release);
        }
        publish(inf);
        acd_engine_stats(inf->engine, &stats);
        atomic_store_explicit(&rt->count.steps, inf->steps_before + stats.steps,
                              memory_order_relaxed);
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

bool acd_jack_infer_swap(AcdJackInfer *inf, AcdJackSwap *s, sem_t *main_wake, int timeout_ms)
{
    if (!inf->started) {
        AcdJackSwap prev = {inf->engine, inf->control.cfg, inf->steps_per_beat,
                            inf->free_units_per_step, -1};
        inf->engine = s->engine;
        acd_control_configure(&inf->control, &s->control);
        take_thresholds(inf);
        inf->steps_per_beat = s->steps_per_beat;
        inf->free_units_per_step = s->free_units_per_step;
        *s = prev;
        return true;
    }
    atomic_store_explicit(&inf->swap_done, 0, memory_order_relaxed);
    atomic_store_explicit(&inf->swap, s, memory_order_release);
    sem_post(inf->rt->wake);
    struct timespec until = acd_deadline_ms(timeout_ms);
    int others = 0;
    while (!atomic_load_explicit(&inf->swap_done, memory_order_acquire)) {
        if (sem_timedwait(main_wake, &until) != 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        others++;
    }
    /* Wake-ups meant for the main loop (signals, graph changes) go back. */
    while (others-- > 1)
        sem_post(main_wake);
    if (atomic_load_explicit(&inf->swap_done, memory_order_acquire))
        return true;
    /* Not taken in time: take it back if the thread still has not; if it
     * has, its swap is a bounded piece of work: wait for the end. */
    AcdJackSwap *expected = s;
    if (atomic_compare_exchange_strong(&inf->swap, &expected, NULL))
        return false;
    while (!atomic_load_explicit(&inf->swap_done, memory_order_acquire))
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    return true;
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
