/* The engine: timestamped melody events in, timestamped accompaniment events out. */
#ifndef ACCOMPD_ENGINE_H
#define ACCOMPD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/event.h"
#include "accompd/model.h"
#include "accompd/sampler.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The engine is plain C: no I/O, no threads, no clock of its own. Times are
 * int64 in a unit the driver picks (frames for JACK, nanoseconds for ALSA,
 * anything for the offline renderer), and the driver says how many units a
 * step lasts. The grid is anchored at the player's first note (sync start)
 * or by acd_engine_start().
 *
 * Step t covers [start(t), start(t+1)). It is decided at its decision point
 * start(t) + grace from every melody event before that point and after the
 * previous step's decision point: a note played a little after the beat
 * (within the grace) counts for that beat, a note a little before it too,
 * and a note shorter than a step still counts as an onset. Nothing later can
 * change step t (causality). The events the engine returns for step t are
 * stamped start(t); the driver adds its own constant output delay (JACK:
 * grace plus one period) so that every one of them can be written on time.
 *
 * A driver's loop, for melody events in time order and a clock `now` up to
 * which every melody event is known:
 *
 *     for each melody event ev:
 *         while (acd_engine_next_decision(e) <= ev.time) decide (advance)
 *         acd_engine_feed(e, &ev)
 *     acd_engine_advance(e, now, ...)
 */
typedef struct AcdEngine AcdEngine;

/* Most events one step can produce: note-offs and note-ons for every
 * accompaniment pitch, plus a full release with CC123. Give
 * acd_engine_advance() at least this much room. */
#define ACD_ENGINE_MAX_STEP_EVENTS (3 * ACD_SAMPLER_MAX_PITCH + 16)

typedef struct {
    double units_per_step;    /* time units per grid step (> 0): from tempo, rate, steps_per_beat */
    int64_t grace_units;      /* decision point after each step boundary (>= 0, < a step) */
    int beats_per_bar;        /* 1..ACD_MODEL_MAX_BEATS_PER_BAR; gives beat_in_bar */
    bool sync_start;          /* the first melody note-on starts the grid (else acd_engine_start) */
    int count_in_steps;       /* steps after the start during which accompd listens silently */
    int stop_after_bars;      /* silent bars (no melody sounding) before stopping; 0: never */
    uint8_t channel;          /* output MIDI channel 0..15 */
    uint8_t velocity;         /* note-on velocity 1..127 */
    AcdSamplerConfig sampler; /* n_pitch, lowest_note and roll must match the model */
} AcdEngineConfig;

/* Time units per step for a tempo: units_per_second * 60 / (bpm *
 * steps_per_beat). RT-safe. */
double acd_engine_units_per_step(double bpm, int steps_per_beat, double units_per_second);

/* Defaults for model m: 120 BPM at 48 kHz frames, grace 15 ms, 4/4, sync
 * start, no count-in, stop after 2 silent bars, channel 1 (0), velocity 80,
 * the sampler's defaults with the model's calibrated thresholds,
 * temperature and polyphony cap where it has them. RT-safe. */
void acd_engine_config_default(AcdEngineConfig *cfg, const AcdModel *m);

/* Check cfg against model m; ACD_ERR_RANGE/INVALID naming the field.
 * Not RT-safe. */
AcdStatus acd_engine_config_check(const AcdEngineConfig *cfg, const AcdModel *m, AcdError *err);

/* Create an idle engine for model m (borrowed: it must outlive the engine).
 * Every allocation the engine makes happens here. Not RT-safe. */
AcdStatus acd_engine_new(const AcdModel *m, const AcdEngineConfig *cfg, AcdEngine **out,
                         AcdError *err);

/* Free; accepts NULL. Not RT-safe. */
void acd_engine_free(AcdEngine *e);

/* The configuration in force. RT-safe. */
const AcdEngineConfig *acd_engine_config(const AcdEngine *e);

/* True between the start and the stop. RT-safe. */
bool acd_engine_running(const AcdEngine *e);

/* Decision point of the next undecided step; INT64_MAX while idle (waiting
 * for the first note). RT-safe. */
int64_t acd_engine_next_decision(const AcdEngine *e);

/* Index of the next undecided step since the start (0 while idle). RT-safe. */
int64_t acd_engine_next_step(const AcdEngine *e);

/* Start time of step t of the current run (t may be past the next step;
 * later tempo changes are not foreseen). RT-safe. */
int64_t acd_engine_step_time(const AcdEngine *e, int64_t t);

/* Start the grid now: step 0 begins at `time`. Ignored while running.
 * RT-safe. */
void acd_engine_start(AcdEngine *e, int64_t time);

/* Feed one melody message (note-on/off on any channel; other messages are
 * counted and ignored). Messages must come in time order and before the
 * next decision point: ACD_ERR_RANGE (nothing done) when ev->time >=
 * acd_engine_next_decision() -- decide first. While idle with sync start, a
 * note-on starts the grid at its time. RT-safe. */
AcdStatus acd_engine_feed(AcdEngine *e, const AcdEvent *ev);

/* Decide every step whose decision point is <= now, writing their events to
 * out in time order, while out has room for a whole step
 * (ACD_ENGINE_MAX_STEP_EVENTS). Returns the number written; *more (may be
 * NULL) says whether decided steps remain for lack of room. The run stops
 * by itself after stop_after_bars silent bars, releasing every note.
 * Bounded time per step, no allocation. RT-safe. */
size_t acd_engine_advance(AcdEngine *e, int64_t now, AcdEvent *out, size_t cap, bool *more);

/* Stop now: note-offs for everything sounding and CC123 on the output
 * channel, all stamped `time`, and back to idle (model, features and
 * sampler reset; the next note starts a new run). Also the panic. Needs cap
 * >= ACD_ENGINE_MAX_STEP_EVENTS. Returns the number written. RT-safe. */
size_t acd_engine_stop(AcdEngine *e, int64_t time, AcdEvent *out, size_t cap);

/* Change the step length from the next undecided step on (tempo change).
 * RT-safe. */
void acd_engine_set_units_per_step(AcdEngine *e, double units_per_step);

/* Follow an external clock (JACK transport, MIDI clock): at `time` the song
 * is at step position `song_step` (steps since its start, fractional), a
 * step lasts units_per_step and a bar beats_per_bar beats. While running,
 * the grid moves from the next undecided step on (small differences are
 * tempo changes or drift; more than half a step is a relocation, which
 * renumbers the bar position); while idle, the next sync start snaps to
 * the clock's grid: the first step boundary whose decision point is after
 * the note. Call it whenever the clock says something new. RT-safe. */
void acd_engine_follow(AcdEngine *e, int64_t time, double song_step, double units_per_step,
                       int beats_per_bar);

/* Back to the free-running grid at units_per_step (the clock stopped).
 * RT-safe. */
void acd_engine_unfollow(AcdEngine *e, double units_per_step);

/* Change temperature, seed, thresholds and caps (not the pitch layout).
 * Not applied to the sampler's generator until the next run. RT-safe. */
AcdStatus acd_engine_set_sampler(AcdEngine *e, const AcdSamplerConfig *cfg);

/* Counters since creation. */
typedef struct {
    uint64_t runs;          /* starts */
    uint64_t steps;         /* steps decided */
    uint64_t melody_events; /* note-ons/offs fed */
    uint64_t ignored;       /* other messages fed */
    uint64_t late_feeds;    /* feeds refused: at or after the next decision point */
    uint64_t notes_on;      /* note-ons emitted */
    uint64_t notes_off;     /* note-offs emitted, releases included */
} AcdEngineStats;

/* Copy the counters. RT-safe. */
void acd_engine_stats(const AcdEngine *e, AcdEngineStats *out);

/* Notes the engine has sounding now. RT-safe. */
unsigned acd_engine_sounding(const AcdEngine *e);

/* The melody bits the last decided step fed the model (p_mel bytes each,
 * index 0 = the model's mel_lo; hold is all zero for an "onoff" model,
 * whose "sounds" bits are in onset). For tests and diagnostics. RT-safe. */
const uint8_t *acd_engine_melody_onset(const AcdEngine *e);
const uint8_t *acd_engine_melody_hold(const AcdEngine *e);

#ifdef __cplusplus
}
#endif

#endif
