/* Offline render: drives the live engine over a song's melody with a simulated microsecond clock.
 */
#include "accompd/render.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A melody message on the simulated clock. */
typedef struct {
    int64_t time_us;
    uint8_t on; /* sorts note-offs first at equal times */
    uint8_t pitch;
    uint8_t channel;
    uint8_t velocity;
} MelodyEvent;

/* An accompaniment note waiting for its note-off. */
typedef struct {
    bool open;
    int64_t start_us;
    double start_beat;
    uint8_t velocity;
} OpenNote;

typedef struct {
    AcdEngine *engine;
    const AcdBeatGrid *grid;
    int steps_per_beat;
    long long run_beat0; /* song beat of step 0 of the current run */
    int64_t floor_us;    /* the last stop: a restarted run's events never go before it */
    double floor_beat;
    OpenNote open[128];
    AcdSongNote *notes;
    size_t n_notes, cap_notes;
    uint8_t channel;
    int64_t n_steps;
    AcdEvent buf[ACD_ENGINE_MAX_STEP_EVENTS];
} Driver;

void acd_render_config_default(AcdRenderConfig *cfg, const AcdModel *m)
{
    memset(cfg, 0, sizeof *cfg);
    acd_engine_config_default(&cfg->engine, m);
    /* The engine's default grace is given in 48 kHz frames; keep its value. */
    cfg->grace_sec = (double)cfg->engine.grace_units / 48000.0;
    cfg->tail_bars = 0;
}

void acd_render_cleanup(AcdRender *r)
{
    if (!r)
        return;
    free(r->notes);
    memset(r, 0, sizeof *r);
}

static int64_t sec_to_us(double sec)
{
    return llround(sec * 1e6);
}

/* Length of song beat b in microseconds (the grid extrapolates outside). */
static double beat_len_us(const AcdBeatGrid *g, long long b)
{
    return (acd_beatgrid_beat_to_sec(g, (double)b + 1.0) - acd_beatgrid_beat_to_sec(g, (double)b)) *
           1e6;
}

/* The bar line at or before time_us. A bar line up to a millisecond later
 * counts too: a note that early is heard as on the downbeat (the engine
 * takes it for step 0), and seconds rounded to microseconds must not push
 * a note played on the bar line a whole bar back. */
static long long bar_at_or_before(const AcdBeatGrid *g, int64_t time_us)
{
    double beat = floor(acd_beatgrid_sec_to_beat(g, (double)time_us / 1e6) + 1e-9);
    long long b = (long long)beat;
    /* Bounded: every bar line is at most a bar (<= 32 beats) away, and the
     * time test moves back at most one more beat against rounding. */
    for (int guard = 0; guard < 4 * ACD_MODEL_MAX_BEATS_PER_BAR; guard++) {
        if (acd_beatgrid_beat_in_bar(g, b) == 0 &&
            sec_to_us(acd_beatgrid_beat_to_sec(g, (double)b)) <= time_us + 1000)
            return b;
        b--;
    }
    return b;
}

/* The first bar line at or after beat position `beat`. */
static long long bar_at_or_after(const AcdBeatGrid *g, double beat)
{
    double first = ceil(beat - 1e-6);
    long long b = (long long)first;
    for (int guard = 0; guard < 2 * ACD_MODEL_MAX_BEATS_PER_BAR; guard++, b++)
        if (acd_beatgrid_beat_in_bar(g, b) == 0)
            return b;
    return b;
}

static int cmp_melody_event(const void *a, const void *b)
{
    const MelodyEvent *x = a, *y = b;
    if (x->time_us != y->time_us)
        return x->time_us < y->time_us ? -1 : 1;
    if (x->on != y->on)
        return x->on < y->on ? -1 : 1;
    if (x->pitch != y->pitch)
        return x->pitch < y->pitch ? -1 : 1;
    return (int)x->channel - (int)y->channel;
}

static int cmp_song_note(const void *a, const void *b)
{
    const AcdSongNote *x = a, *y = b;
    if (x->start_sec != y->start_sec)
        return x->start_sec < y->start_sec ? -1 : 1;
    if (x->pitch != y->pitch)
        return (int)x->pitch - (int)y->pitch;
    if (x->end_sec != y->end_sec)
        return x->end_sec < y->end_sec ? -1 : 1;
    return 0;
}

static AcdStatus close_note(Driver *d, unsigned pitch, int64_t end_us, double end_beat,
                            AcdError *err)
{
    OpenNote *o = &d->open[pitch];
    if (!o->open)
        return ACD_OK;
    o->open = false;
    if (end_us <= o->start_us) /* squeezed to nothing by a restart's floor */
        return ACD_OK;
    if (d->n_notes == d->cap_notes) {
        size_t cap = d->cap_notes ? 2 * d->cap_notes : 256;
        AcdSongNote *grown = realloc(d->notes, cap * sizeof *grown);
        if (!grown)
            return acd_error_set(err, ACD_ERR_NOMEM, "render: out of memory");
        d->notes = grown;
        d->cap_notes = cap;
    }
    AcdSongNote *n = &d->notes[d->n_notes++];
    memset(n, 0, sizeof *n);
    n->start_sec = (double)o->start_us / 1e6;
    n->end_sec = (double)end_us / 1e6;
    n->start_beat = o->start_beat;
    n->end_beat = end_beat;
    n->pitch = (uint8_t)pitch;
    n->velocity = o->velocity;
    n->channel = d->channel;
    return ACD_OK;
}

/* Turn the engine's events of step t (of the current run) into notes. */
static AcdStatus collect(Driver *d, size_t n, int64_t t, AcdError *err)
{
    double beat = (double)d->run_beat0 + (double)t / d->steps_per_beat;
    for (size_t i = 0; i < n; i++) {
        const AcdEvent *ev = &d->buf[i];
        int64_t time = ev->time;
        double b = beat;
        if (time < d->floor_us) {
            time = d->floor_us;
            b = d->floor_beat;
        }
        AcdStatus st = ACD_OK;
        if (acd_event_is_note_on(ev->data, ev->len)) {
            unsigned p = ev->data[1] & 0x7F;
            st = close_note(d, p, time, b, err); /* the engine never re-strikes unreleased */
            d->open[p] = (OpenNote){true, time, b, ev->data[2]};
        } else if (acd_event_is_note_off(ev->data, ev->len)) {
            st = close_note(d, ev->data[1] & 0x7F, time, b, err);
        } else if (ev->len == 3 && (ev->data[0] & 0xF0) == ACD_MIDI_CC &&
                   ev->data[1] == ACD_MIDI_CC_ALL_NOTES) {
            for (unsigned p = 0; p < 128 && st == ACD_OK; p++)
                st = close_note(d, p, time, b, err);
        }
        if (st != ACD_OK)
            return st;
    }
    return ACD_OK;
}

/* Decide the next step alone: a new beat first sets its step length. When
 * the step ends the run (silent bars), the stop becomes the floor. */
static AcdStatus decide_one(Driver *d, AcdError *err)
{
    AcdEngine *e = d->engine;
    int64_t t = acd_engine_next_step(e);
    if (t % d->steps_per_beat == 0)
        acd_engine_set_units_per_step(
            e, beat_len_us(d->grid, d->run_beat0 + t / d->steps_per_beat) / d->steps_per_beat);
    int64_t start = acd_engine_step_time(e, t);
    size_t n = acd_engine_advance(e, acd_engine_next_decision(e), d->buf,
                                  ACD_ENGINE_MAX_STEP_EVENTS, NULL);
    d->n_steps++;
    AcdStatus st = collect(d, n, t, err);
    if (!acd_engine_running(e)) {
        d->floor_us = start;
        d->floor_beat = (double)d->run_beat0 + (double)t / d->steps_per_beat;
    }
    return st;
}

/* Start a run at the bar line at or before time_us. */
static void start_run(Driver *d, int64_t time_us)
{
    long long b = bar_at_or_before(d->grid, time_us);
    d->run_beat0 = b;
    acd_engine_set_units_per_step(d->engine, beat_len_us(d->grid, b) / d->steps_per_beat);
    acd_engine_start(d->engine, sec_to_us(acd_beatgrid_beat_to_sec(d->grid, (double)b)));
}

static AcdStatus melody_events(const AcdSong *song, MelodyEvent **out, size_t *n_out, AcdError *err)
{
    MelodyEvent *ev = malloc(2 * song->n_melody * sizeof *ev);
    *out = NULL;
    *n_out = 0;
    if (!ev || song->n_melody == 0)
        return acd_error_set(err, ACD_ERR_NOMEM, "render: out of memory");
    for (size_t i = 0; i < song->n_melody; i++) {
        const AcdSongNote *nt = &song->melody[i];
        int64_t on = sec_to_us(nt->start_sec), off = sec_to_us(nt->end_sec);
        /* A zero-length note still strikes: its off must follow its on. */
        if (off <= on)
            off = on + 1;
        ev[2 * i] = (MelodyEvent){on, 1, nt->pitch, nt->channel, nt->velocity ? nt->velocity : 64};
        ev[2 * i + 1] = (MelodyEvent){off, 0, nt->pitch, nt->channel, 0};
    }
    qsort(ev, 2 * song->n_melody, sizeof *ev, cmp_melody_event);
    *out = ev;
    *n_out = 2 * song->n_melody;
    return ACD_OK;
}

/* Feed every melody event through the driver loop of engine.h. */
static AcdStatus drive(Driver *d, const MelodyEvent *ev, size_t n_ev, AcdError *err)
{
    AcdEngine *e = d->engine;
    size_t i = 0, restarted = SIZE_MAX;
    while (i < n_ev) {
        if (!acd_engine_running(e) && ev[i].on) {
            /* A run that stops again before reaching the note that started
             * it would loop for ever (stop_after_bars shorter than the way
             * back to the bar line). */
            if (restarted == i)
                return acd_error_set(
                    err, ACD_ERR_RANGE,
                    "render: stop_after_bars %d too short to restart at a bar line",
                    acd_engine_config(e)->stop_after_bars);
            restarted = i;
            start_run(d, ev[i].time_us);
        }
        while (acd_engine_running(e) && acd_engine_next_decision(e) <= ev[i].time_us) {
            AcdStatus st = decide_one(d, err);
            if (st != ACD_OK)
                return st;
        }
        if (!acd_engine_running(e) && ev[i].on)
            continue; /* the run just stopped on silence: restart for this note */
        uint8_t status =
            (uint8_t)((ev[i].on ? ACD_MIDI_NOTE_ON : ACD_MIDI_NOTE_OFF) | (ev[i].channel & 0x0F));
        AcdEvent msg = acd_event_make(ev[i].time_us, status, ev[i].pitch, ev[i].velocity);
        if (acd_engine_feed(e, &msg) != ACD_OK)
            return acd_error_set(err, ACD_ERR_RANGE, "render: engine refused a melody event");
        i++;
    }
    return ACD_OK;
}

AcdStatus acd_render_song(const AcdModel *m, const AcdRenderConfig *cfg, const AcdSong *song,
                          AcdRender *out, AcdError *err)
{
    memset(out, 0, sizeof *out);
    if (song->n_melody == 0)
        return acd_error_set(err, ACD_ERR_NO_MELODY, "%s: no melody to accompany",
                             song->name ? song->name : "song");
    if (!(cfg->grace_sec >= 0.0) || cfg->grace_sec > 1.0 || cfg->tail_bars < 0 ||
        cfg->tail_bars > 1000)
        return acd_error_set(err, ACD_ERR_RANGE, "render: grace %g s or tail %d bars out of range",
                             cfg->grace_sec, cfg->tail_bars);
    const AcdBeatGrid *g = &song->grid;
    Driver *d = calloc(1, sizeof *d);
    MelodyEvent *ev = NULL;
    size_t n_ev = 0;
    AcdStatus st;
    if (!d)
        return acd_error_set(err, ACD_ERR_NOMEM, "render: out of memory");
    d->grid = g;
    d->steps_per_beat = acd_model_config(m)->steps_per_beat;
    d->channel = cfg->engine.channel;
    d->floor_us = INT64_MIN;
    if ((st = melody_events(song, &ev, &n_ev, err)) != ACD_OK)
        goto done;

    AcdEngineConfig ec = cfg->engine;
    long long b0 = ev ? bar_at_or_before(g, ev[0].time_us) : 0;
    ec.units_per_step = beat_len_us(g, b0) / d->steps_per_beat;
    ec.grace_units = sec_to_us(cfg->grace_sec);
    ec.beats_per_bar = g->beats_per_bar;
    ec.sync_start = false;
    if ((st = acd_engine_new(m, &ec, &d->engine, err)) != ACD_OK)
        goto done;

    if ((st = drive(d, ev, n_ev, err)) != ACD_OK)
        goto done;

    /* Play on to the bar line after the melody ends (plus the tail), then
     * release everything, as a stop does live. */
    double last_end = song->melody[0].end_sec;
    for (size_t i = 1; i < song->n_melody; i++)
        last_end = fmax(last_end, song->melody[i].end_sec);
    long long end_bar = bar_at_or_after(g, acd_beatgrid_sec_to_beat(g, last_end));
    for (int k = 0; k < cfg->tail_bars; k++)
        end_bar = bar_at_or_after(g, (double)end_bar + 1.0);
    int64_t t_end = (int64_t)(end_bar - d->run_beat0) * d->steps_per_beat;
    while (acd_engine_running(d->engine) && acd_engine_next_step(d->engine) < t_end)
        if ((st = decide_one(d, err)) != ACD_OK)
            goto done;
    if (acd_engine_running(d->engine)) {
        if (t_end % d->steps_per_beat == 0) /* the release lands on the bar line exactly */
            acd_engine_set_units_per_step(d->engine,
                                          beat_len_us(g, d->run_beat0 + t_end / d->steps_per_beat) /
                                              d->steps_per_beat);
        int64_t stop = acd_engine_step_time(d->engine, t_end);
        size_t n = acd_engine_stop(d->engine, stop, d->buf, ACD_ENGINE_MAX_STEP_EVENTS);
        if ((st = collect(d, n, t_end, err)) != ACD_OK)
            goto done;
        d->floor_us = stop;
        d->floor_beat = (double)end_bar;
    }
    /* Nothing stays open (the engine's tracker releases all); belt and braces. */
    for (unsigned p = 0; p < 128; p++)
        if ((st = close_note(d, p, d->floor_us, d->floor_beat, err)) != ACD_OK)
            goto done;

    if (d->n_notes > 1) /* qsort(NULL, 0, ...) is undefined: a silent render */
        qsort(d->notes, d->n_notes, sizeof *d->notes, cmp_song_note);
    out->notes = d->notes;
    out->n_notes = d->n_notes;
    d->notes = NULL;
    out->start_beat = (double)b0;
    out->start_sec = acd_beatgrid_beat_to_sec(g, (double)b0);
    out->end_beat = d->floor_beat;
    out->end_sec = (double)d->floor_us / 1e6;
    out->channel = d->channel;
    out->n_steps = d->n_steps;
    acd_engine_stats(d->engine, &out->stats);

done:
    if (d) {
        acd_engine_free(d->engine);
        free(d->notes);
    }
    free(d);
    free(ev);
    return st;
}
