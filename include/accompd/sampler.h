/* The sampler: turns one step's logits into the accompaniment notes played. */
#ifndef ACCOMPD_SAMPLER_H
#define ACCOMPD_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pitches a sampler can handle: the whole MIDI range. */
#define ACD_SAMPLER_MAX_PITCH 128

/* The layout of the model's output z_t and of y_t (models/README.md, Rolls). */
typedef enum {
    ACD_SAMPLER_ROLL_ONSET_HOLD = 0, /* n_out = 2·P_a: onset logits, then hold logits */
    ACD_SAMPLER_ROLL_ONOFF = 1,      /* n_out = P_a: one "sounds" logit per pitch */
    /* (The same values as AcdRollKind, so a model's roll casts across.) */
} AcdSamplerRoll;

/* The knobs. README.md, "Sampling", says what each does to the music. */
typedef struct {
    int n_pitch;         /* P_a, 1..ACD_SAMPLER_MAX_PITCH */
    int lowest_note;     /* MIDI note of pitch index 0 (acc_lo); lowest_note + n_pitch <= 128 */
    AcdSamplerRoll roll; /* layout of the logits and of y */
    float thresh_onset;  /* in (0, 1): onset (or "sounds") fires when p >= this, greedy */
    float thresh_hold;   /* in (0, 1): hold fires when p >= this, greedy */
    float temperature;   /* 0: greedy; > 0: sample p = sigmoid((z - logit(thresh)) / T) */
    uint64_t seed;       /* the generator's seed; acd_sampler_reset returns to it */
    int max_poly;        /* most notes sounding at once; 0: no cap */
    int min_len_steps;   /* a note sounds at least this many steps; 0 or 1: no minimum */
    int max_len_steps;   /* a note is released after this many steps; 0: no maximum */
} AcdSamplerConfig;

/* The notes of one step, whatever the roll: onset[p] = 1 when a note of pitch
 * index p starts at this step (a re-strike if it was sounding), hold[p] = 1
 * when it sounds on from the step before. Never both. A plain value: copy it
 * to keep a step. */
typedef struct {
    uint8_t onset[ACD_SAMPLER_MAX_PITCH];
    uint8_t hold[ACD_SAMPLER_MAX_PITCH];
} AcdNoteFrame;

/* A note event implied by going from one frame to the next. */
typedef struct {
    uint8_t note; /* MIDI note number */
    uint8_t on;   /* 1: note-on, 0: note-off */
} AcdNoteEvent;

/* Most events acd_sampler_diff can produce: a note-off and a note-on for every
 * pitch (all re-struck). */
#define ACD_SAMPLER_MAX_EVENTS (2 * ACD_SAMPLER_MAX_PITCH)

typedef struct AcdSampler AcdSampler;

/* Fill cfg with the defaults for a model with n_pitch accompaniment pitches
 * from lowest_note: thresholds 0.5, greedy (temperature 0), seed 1,
 * max_poly 8, min_len_steps 1, max_len_steps 64 (four 4/4 bars of 16ths).
 * Not RT-safe (but harmless). */
void acd_sampler_config_default(AcdSamplerConfig *cfg, int n_pitch, int lowest_note,
                                AcdSamplerRoll roll);

/* Check every knob; ACD_ERR_RANGE or ACD_ERR_INVALID with the knob's name in
 * err. Not RT-safe. */
AcdStatus acd_sampler_config_check(const AcdSamplerConfig *cfg, AcdError *err);

/* Create a sampler in the silent state, generator at cfg->seed. The only
 * allocation the sampler ever makes. The caller owns *out and frees it with
 * acd_sampler_free. Not RT-safe. */
AcdStatus acd_sampler_new(const AcdSamplerConfig *cfg, AcdSampler **out, AcdError *err);

/* Free s (NULL is fine). Not RT-safe. */
void acd_sampler_free(AcdSampler *s);

/* Change the knobs of a running sampler (thresholds, temperature, caps, seed)
 * without allocating; n_pitch, lowest_note and roll must stay as they were
 * (ACD_ERR_INVALID). The notes sounding and the generator's position are
 * kept: a new seed takes effect at the next acd_sampler_reset. Call it from
 * the thread that steps. RT-safe. */
AcdStatus acd_sampler_configure(AcdSampler *s, const AcdSamplerConfig *cfg, AcdError *err);

/* The sampler's configuration. RT-safe. */
const AcdSamplerConfig *acd_sampler_config(const AcdSampler *s);

/* Back to silence (no note sounding, as at the start of a song) and the
 * generator back to the configured seed, so that a reset sampler repeats
 * itself exactly. It emits nothing: a caller that must silence what was
 * sounding diffs the last frame against NULL first. RT-safe. */
void acd_sampler_reset(AcdSampler *s);

/* Decide step t from its logits z_t (acd_sampler_config(s)->roll's layout,
 * n_out floats; NaN counts as "no"). Writes the notes to *frame (may be NULL)
 * and y_t, the decoder's input for the next step, to y (n_out floats, 0 or 1;
 * may be NULL). Same seed, same configuration and same logits since the
 * last reset give the same result on every run and machine. Bounded time
 * (O(n_pitch · max_poly) at worst), no allocation, no system call. RT-safe. */
void acd_sampler_step(AcdSampler *s, const float *logits, AcdNoteFrame *frame, float *y);

/* The frame decided by the last acd_sampler_step (silence after a reset).
 * Valid until the next step or reset. RT-safe. */
const AcdNoteFrame *acd_sampler_frame(const AcdSampler *s);

/* Number of notes sounding in frame (onset or hold) among its first n_pitch
 * pitches. RT-safe. */
int acd_note_frame_count(const AcdNoteFrame *frame, int n_pitch);

/* The MIDI events that take a listener from prev to cur (either NULL:
 * silence): all note-offs first (pitches that stop, and re-struck pitches),
 * then all note-ons (every onset), each group in rising pitch. Pitch index p
 * is MIDI note lowest_note + p. Writes at most cap events to ev and returns
 * how many it would write in all (at most 2·n_pitch; pass cap >=
 * ACD_SAMPLER_MAX_EVENTS and it never truncates). Note-offs are written before
 * note-ons, so a truncated list never starts a note it cannot stop. RT-safe. */
size_t acd_sampler_diff(const AcdNoteFrame *prev, const AcdNoteFrame *cur, int n_pitch,
                        int lowest_note, AcdNoteEvent *ev, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
