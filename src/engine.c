/* The engine: quantizes melody events onto the step grid, runs model and sampler, emits notes. */
#include "accompd/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/features.h"
#include "accompd/infer.h"
#include "accompd/notes.h"
#include "accompd/realtime.h"

struct AcdEngine {
    const AcdModel *model;
    const AcdModelConfig *mc;
    AcdEngineConfig cfg;
    AcdInferState *infer;
    AcdSampler *sampler;
    AcdFeatureState feat;
    float *x;            /* [n_in] encoder input of the step being decided */
    float *y_prev;       /* [n_out] accompaniment played at the step before */
    float *logits;       /* [n_out] */
    AcdNotes notes;      /* what we have sounding on the synth */
    AcdNoteFrame played; /* the accompaniment frame of the last decided step */

    /* The melody, as the quantizer sees it. Source pitches are whatever the
     * keyboard sends (all channels merged); the roll's pitches are folded by
     * octaves into [mel_lo, mel_hi] like the training data. */
    uint8_t held[128];         /* source notes held now, per MIDI pitch (count over channels) */
    uint8_t struck[128];       /* roll index: a note-on since the last decision point */
    uint8_t was_sounding[128]; /* roll index: onset or sounding at the last decided step */
    uint8_t fold[128];         /* MIDI pitch -> roll index */
    uint8_t onset[128];        /* roll bits handed to the features */
    uint8_t hold[128];

    bool running;
    int64_t step;     /* next undecided step */
    double base_time; /* start time of step base_step; tempo changes rebase here */
    int64_t base_step;
    double units_per_step;
    int64_t silent_steps; /* consecutive decided steps without melody */
    int64_t pos_offset;   /* song position (in steps) of step 0: bar and beat come from it */

    /* An external clock (JACK transport): at follow_time the song was at
     * step position follow_step. */
    bool following;
    int64_t follow_time;
    double follow_step;
    int follow_strikes; /* reports in a row that disagreed with the anchor */
    AcdEngineStats stats;
};

double acd_engine_units_per_step(double bpm, int steps_per_beat, double units_per_second)
{
    return units_per_second * 60.0 / (bpm * steps_per_beat);
}

void acd_engine_config_default(AcdEngineConfig *cfg, const AcdModel *m)
{
    const AcdModelConfig *mc = acd_model_config(m);
    memset(cfg, 0, sizeof *cfg);
    cfg->units_per_step = acd_engine_units_per_step(120.0, mc->steps_per_beat, 48000.0);
    cfg->grace_units = 48000 * 15 / 1000;
    cfg->beats_per_bar = 4;
    cfg->sync_start = true;
    cfg->count_in_steps = 0;
    cfg->stop_after_bars = 2;
    cfg->channel = 0;
    cfg->velocity = 80;
    acd_sampler_config_default(&cfg->sampler, mc->p_acc, mc->acc_lo,
                               mc->roll == ACD_ROLL_ONOFF ? ACD_SAMPLER_ROLL_ONOFF
                                                          : ACD_SAMPLER_ROLL_ONSET_HOLD);
    if (mc->has_thresh) {
        cfg->sampler.thresh_onset = mc->thresh_onset;
        cfg->sampler.thresh_hold = mc->thresh_hold;
    }
    if (mc->has_play) {
        cfg->sampler.temperature = mc->play_temperature;
        cfg->sampler.max_poly = mc->play_max_poly;
    }
}

AcdStatus acd_engine_config_check(const AcdEngineConfig *cfg, const AcdModel *m, AcdError *err)
{
    const AcdModelConfig *mc = acd_model_config(m);
    if (!(cfg->units_per_step >= 1.0) || !isfinite(cfg->units_per_step))
        return acd_error_set(err, ACD_ERR_RANGE, "engine: units_per_step %g must be >= 1",
                             cfg->units_per_step);
    if (cfg->grace_units < 0 || (double)cfg->grace_units >= cfg->units_per_step)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "engine: grace %lld must be >= 0 and shorter than a step (%g)",
                             (long long)cfg->grace_units, cfg->units_per_step);
    if (cfg->beats_per_bar < 1 || cfg->beats_per_bar > ACD_MODEL_MAX_BEATS_PER_BAR)
        return acd_error_set(err, ACD_ERR_RANGE, "engine: beats_per_bar %d not in 1..%d",
                             cfg->beats_per_bar, ACD_MODEL_MAX_BEATS_PER_BAR);
    if (cfg->count_in_steps < 0 || cfg->stop_after_bars < 0)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "engine: count_in_steps and stop_after_bars must be >= 0");
    if (cfg->channel > 15 || cfg->velocity < 1 || cfg->velocity > 127)
        return acd_error_set(err, ACD_ERR_RANGE, "engine: channel %u or velocity %u out of range",
                             cfg->channel, cfg->velocity);
    AcdSamplerRoll roll =
        mc->roll == ACD_ROLL_ONOFF ? ACD_SAMPLER_ROLL_ONOFF : ACD_SAMPLER_ROLL_ONSET_HOLD;
    if (cfg->sampler.n_pitch != mc->p_acc || cfg->sampler.lowest_note != mc->acc_lo ||
        cfg->sampler.roll != roll)
        return acd_error_set(err, ACD_ERR_INVALID,
                             "engine: sampler pitch layout (%d from %d) does not match the "
                             "model (%d from %d)",
                             cfg->sampler.n_pitch, cfg->sampler.lowest_note, mc->p_acc, mc->acc_lo);
    return acd_sampler_config_check(&cfg->sampler, err);
}

/* Fold by octaves into [lo, hi]; the model's range spans at least an octave,
 * so every pitch class has a place (the same rule as the training rolls). */
static int fold_pitch(int p, int lo, int hi)
{
    while (p < lo)
        p += 12;
    while (p > hi)
        p -= 12;
    return p;
}

AcdStatus acd_engine_new(const AcdModel *m, const AcdEngineConfig *cfg, AcdEngine **out,
                         AcdError *err)
{
    *out = NULL;
    AcdStatus st = acd_engine_config_check(cfg, m, err);
    if (st != ACD_OK)
        return st;
    const AcdModelConfig *mc = acd_model_config(m);
    if (mc->p_mel > 128 || mc->mel_hi - mc->mel_lo < 11)
        return acd_error_set(err, ACD_ERR_INVALID, "engine: melody range %d..%d unusable",
                             mc->mel_lo, mc->mel_hi);

    AcdEngine *e = calloc(1, sizeof *e);
    if (!e)
        return acd_error_set(err, ACD_ERR_NOMEM, "engine: out of memory");
    e->model = m;
    e->mc = mc;
    e->cfg = *cfg;
    e->units_per_step = cfg->units_per_step;
    size_t n_floats = (size_t)mc->n_in + 2 * (size_t)mc->n_out;
    e->x = calloc(n_floats, sizeof(float));
    if (!e->x) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "engine: out of memory");
        goto fail;
    }
    e->y_prev = e->x + mc->n_in;
    e->logits = e->y_prev + mc->n_out;
    st = acd_infer_state_new(m, ACD_INFER_WINDOWED, &e->infer, err);
    if (st != ACD_OK)
        goto fail;
    st = acd_sampler_new(&cfg->sampler, &e->sampler, err);
    if (st != ACD_OK)
        goto fail;
    for (int p = 0; p < 128; p++)
        e->fold[p] = (uint8_t)(fold_pitch(p, mc->mel_lo, mc->mel_hi) - mc->mel_lo);
    acd_notes_init(&e->notes);
    acd_features_init(&e->feat);
    *out = e;
    return ACD_OK;

fail:
    acd_engine_free(e);
    return st;
}

void acd_engine_free(AcdEngine *e)
{
    if (!e)
        return;
    acd_sampler_free(e->sampler);
    acd_infer_state_free(e->infer);
    free(e->x);
    free(e);
}

ACD_REALTIME const AcdEngineConfig *acd_engine_config(const AcdEngine *e)
{
    return &e->cfg;
}

ACD_REALTIME bool acd_engine_running(const AcdEngine *e)
{
    return e->running;
}

ACD_REALTIME int64_t acd_engine_step_time(const AcdEngine *e, int64_t t)
{
    return llround(e->base_time + (double)(t - e->base_step) * e->units_per_step);
}

ACD_REALTIME int64_t acd_engine_next_decision(const AcdEngine *e)
{
    if (!e->running)
        return INT64_MAX;
    return acd_engine_step_time(e, e->step) + e->cfg.grace_units;
}

ACD_REALTIME int64_t acd_engine_next_step(const AcdEngine *e)
{
    return e->running ? e->step : 0;
}

ACD_REALTIME unsigned acd_engine_sounding(const AcdEngine *e)
{
    return acd_notes_count(&e->notes);
}

ACD_REALTIME const uint8_t *acd_engine_melody_onset(const AcdEngine *e)
{
    return e->onset;
}

ACD_REALTIME const uint8_t *acd_engine_melody_hold(const AcdEngine *e)
{
    return e->hold;
}

ACD_REALTIME void acd_engine_stats(const AcdEngine *e, AcdEngineStats *out)
{
    *out = e->stats;
}

/* A new run: everything the model, features and sampler remember goes, the
 * melody keys held right now stay held. */
static void reset_run(AcdEngine *e)
{
    acd_infer_reset(e->infer);
    acd_features_init(&e->feat);
    acd_sampler_reset(e->sampler);
    memset(e->y_prev, 0, (size_t)e->mc->n_out * sizeof(float));
    memset(&e->played, 0, sizeof e->played);
    memset(e->struck, 0, sizeof e->struck);
    memset(e->was_sounding, 0, sizeof e->was_sounding);
    e->silent_steps = 0;
}

ACD_REALTIME void acd_engine_start(AcdEngine *e, int64_t time)
{
    if (e->running)
        return;
    reset_run(e);
    e->running = true;
    e->step = 0;
    e->base_step = 0;
    e->base_time = (double)time;
    e->pos_offset = 0;
    if (e->following) {
        /* Snap to the clock's grid: the first boundary whose decision
         * point is still ahead, so the note that started us counts for it
         * (a note just after a beat belongs to that beat). */
        double ups = e->units_per_step;
        double at = e->follow_step + (double)(time - e->follow_time) / ups;
        double p0 = ceil(at - (double)e->cfg.grace_units / ups - 1e-9);
        e->pos_offset = (int64_t)p0;
        e->base_time = (double)e->follow_time + (p0 - e->follow_step) * ups;
    }
    e->stats.runs++;
}

ACD_REALTIME void acd_engine_follow(AcdEngine *e, int64_t time, double song_step,
                                    double units_per_step, int beats_per_bar)
{
    if (!(units_per_step >= 1.0) || !isfinite(units_per_step) || !isfinite(song_step))
        return;
    if (beats_per_bar >= 1 && beats_per_bar <= ACD_MODEL_MAX_BEATS_PER_BAR)
        e->cfg.beats_per_bar = beats_per_bar;
    /* Same tempo (within 0.2%) and where the current anchor predicts
     * (within 1/64 step): keep the anchor. Clocks report rounded or noisy
     * positions (JACK's BBT in whole ticks, ~17 frames at 1920 ticks a beat
     * and 90 BPM; MIDI clock fitted through jittery ticks); re-anchoring on
     * every report would make the grid jitter by that much. */
    if (e->following && fabs(units_per_step - e->units_per_step) <= 0.002 * units_per_step) {
        double predicted = e->follow_step + (double)(time - e->follow_time) / units_per_step;
        bool agrees = fabs(predicted - song_step) <= 1.0 / 64;
        /* One report that disagrees is ignored: a timebase master that
         * missed a cycle (an xrun) reports a stale position once. A real
         * relocation or drift says so again at the next report. */
        if (!agrees && ++e->follow_strikes < 2)
            return;
        if (agrees) {
            e->follow_strikes = 0;
            /* But take the refined tempo, from the next boundary on and
             * without moving it, so a slightly wrong estimate cannot drift. */
            if (e->running) {
                e->base_time += (double)(e->step - e->base_step) * e->units_per_step;
                e->base_step = e->step;
            }
            e->units_per_step = units_per_step;
            e->cfg.units_per_step = units_per_step;
            return;
        }
    }
    /* The next undecided step's boundary on the grid followed so far. */
    double old_start = e->base_time + (double)(e->step - e->base_step) * e->units_per_step;
    e->following = true;
    e->follow_strikes = 0;
    e->follow_time = time;
    e->follow_step = song_step;
    e->units_per_step = units_per_step;
    e->cfg.units_per_step = units_per_step;
    if (!e->running)
        return;
    /* Where the clock puts the next undecided step's boundary. A small
     * difference is drift or a tempo change: move the grid from that step
     * on. More than half a step is a relocation: renumber the song
     * position to the clock's nearest boundary instead. */
    double p = (double)(e->step + e->pos_offset);
    double start = (double)time + (p - song_step) * units_per_step;
    if (fabs(start - old_start) > units_per_step / 2) {
        double p_near = floor(song_step + (old_start - (double)time) / units_per_step + 0.5);
        e->pos_offset = (int64_t)p_near - e->step;
        start = (double)time + (p_near - song_step) * units_per_step;
    }
    e->base_step = e->step;
    e->base_time = start;
}

ACD_REALTIME void acd_engine_unfollow(AcdEngine *e, double units_per_step)
{
    e->following = false;
    acd_engine_set_units_per_step(e, units_per_step);
}

ACD_REALTIME AcdStatus acd_engine_feed(AcdEngine *e, const AcdEvent *ev)
{
    const uint8_t *m = ev->data;
    bool on = acd_event_is_note_on(m, ev->len);
    bool off = acd_event_is_note_off(m, ev->len);
    if (!on && !off) {
        e->stats.ignored++;
        return ACD_OK;
    }
    if (e->running && ev->time >= acd_engine_next_decision(e)) {
        e->stats.late_feeds++;
        return ACD_ERR_RANGE;
    }
    e->stats.melody_events++;
    unsigned p = m[1] & 0x7F;
    if (on) {
        if (!e->running && e->cfg.sync_start)
            acd_engine_start(e, ev->time);
        /* Counted per pitch over all channels, saturating: a keyboard that
         * sends two note-ons for one key still needs only one note-off to
         * be let go of (a stuck melody key would hold the roll forever). */
        if (e->held[p] < 255)
            e->held[p]++;
        e->struck[e->fold[p]] = 1;
    } else if (e->held[p] > 0) {
        e->held[p] = 0;
    }
    return ACD_OK;
}

/* Convert the sampler's note changes into MIDI on our channel and follow
 * them in the tracker. */
static size_t emit_frame(AcdEngine *e, const AcdNoteFrame *next, int64_t time, AcdEvent *out)
{
    AcdNoteEvent nev[ACD_SAMPLER_MAX_EVENTS];
    size_t n = acd_sampler_diff(&e->played, next, e->cfg.sampler.n_pitch,
                                e->cfg.sampler.lowest_note, nev, ACD_SAMPLER_MAX_EVENTS);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t status =
            (uint8_t)((nev[i].on ? ACD_MIDI_NOTE_ON : ACD_MIDI_NOTE_OFF) | e->cfg.channel);
        /* The tracker is the authority on what sounds: never a second
         * note-on without its note-off, never an off for a silent note. */
        bool sounding = acd_notes_is_on(&e->notes, e->cfg.channel, nev[i].note);
        if (nev[i].on == sounding)
            continue;
        out[k] = acd_event_make(time, status, nev[i].note, nev[i].on ? e->cfg.velocity : 0x40);
        if (!nev[i].on)
            out[k].flags = ACD_EVENT_RELEASE;
        acd_notes_track(&e->notes, out[k].data, out[k].len);
        if (nev[i].on)
            e->stats.notes_on++;
        else
            e->stats.notes_off++;
        k++;
    }
    e->played = *next;
    return k;
}

/* Decide step e->step: melody bits, features, model, sampler, events. */
static size_t decide_step(AcdEngine *e, AcdEvent *out)
{
    const AcdModelConfig *mc = e->mc;
    int64_t t = e->step;
    int64_t start = acd_engine_step_time(e, t);

    uint8_t sounding[128] = {0};
    for (int p = 0; p < 128; p++)
        if (e->held[p])
            sounding[e->fold[p]] = 1;
    bool any = false;
    for (int i = 0; i < mc->p_mel; i++) {
        uint8_t on = e->struck[i];
        if (mc->roll == ACD_ROLL_ONOFF) {
            e->onset[i] = on || sounding[i];
            e->hold[i] = 0;
        } else {
            e->onset[i] = on;
            e->hold[i] = !on && sounding[i] && e->was_sounding[i];
        }
        e->was_sounding[i] = on || sounding[i];
        any = any || e->was_sounding[i];
    }
    memset(e->struck, 0, sizeof e->struck);
    e->silent_steps = any ? 0 : e->silent_steps + 1;
    e->step = t + 1;
    e->stats.steps++;

    int64_t steps_per_bar = (int64_t)mc->steps_per_beat * e->cfg.beats_per_bar;
    if (e->cfg.stop_after_bars > 0 && e->silent_steps >= e->cfg.stop_after_bars * steps_per_bar)
        return acd_engine_stop(e, start, out, ACD_ENGINE_MAX_STEP_EVENTS);

    int64_t pos = t + e->pos_offset; /* >= 0: positions before the song's start are clamped */
    if (pos < 0)
        pos = 0;
    int step_in_beat = (int)(pos % mc->steps_per_beat);
    int beat_in_bar = (int)((pos / mc->steps_per_beat) % e->cfg.beats_per_bar);
    acd_features_step(mc, &e->feat, e->onset, mc->roll == ACD_ROLL_ONOFF ? NULL : e->hold,
                      step_in_beat, beat_in_bar, e->x);
    acd_infer_step(e->model, e->infer, e->x, e->y_prev, e->logits);

    if (t < e->cfg.count_in_steps) {
        /* Listening silently: the decoder hears the silence it played. */
        memset(e->y_prev, 0, (size_t)mc->n_out * sizeof(float));
        return 0;
    }
    AcdNoteFrame next;
    acd_sampler_step(e->sampler, e->logits, &next, e->y_prev);
    return emit_frame(e, &next, start, out);
}

ACD_REALTIME size_t acd_engine_advance(AcdEngine *e, int64_t now, AcdEvent *out, size_t cap,
                                       bool *more)
{
    size_t n = 0;
    while (e->running && acd_engine_next_decision(e) <= now &&
           cap - n >= ACD_ENGINE_MAX_STEP_EVENTS)
        n += decide_step(e, out + n);
    if (more)
        *more = e->running && acd_engine_next_decision(e) <= now;
    return n;
}

ACD_REALTIME size_t acd_engine_stop(AcdEngine *e, int64_t time, AcdEvent *out, size_t cap)
{
    unsigned before = acd_notes_count(&e->notes);
    size_t n = acd_notes_release_all(&e->notes, (uint16_t)(1u << e->cfg.channel), time, out, cap);
    e->stats.notes_off += before - acd_notes_count(&e->notes);
    if (e->running) {
        /* Continue the grid's phase if the player comes back (sync start
         * re-anchors anyway) and forget the run. */
        e->running = false;
        reset_run(e);
    }
    return n;
}

ACD_REALTIME void acd_engine_set_units_per_step(AcdEngine *e, double units_per_step)
{
    if (!(units_per_step >= 1.0) || !isfinite(units_per_step))
        return;
    if (e->running) {
        e->base_time += (double)(e->step - e->base_step) * e->units_per_step;
        e->base_step = e->step;
    }
    e->units_per_step = units_per_step;
    e->cfg.units_per_step = units_per_step;
}

ACD_REALTIME AcdStatus acd_engine_set_sampler(AcdEngine *e, const AcdSamplerConfig *cfg)
{
    AcdStatus st = acd_sampler_configure(e->sampler, cfg, NULL);
    if (st == ACD_OK)
        e->cfg.sampler = *cfg;
    return st;
}
