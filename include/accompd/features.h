/* The encoder input x_t and the decoder target y_t, computed from roll bits. */
#ifndef ACCOMPD_FEATURES_H
#define ACCOMPD_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What x_t needs from the past: the running pitch-class histogram. It runs
 * over the whole song and is not reset per window (models/README.md).
 * Caller-owned; zero it with acd_features_init(). */
typedef struct {
    float pc_hist[12];
    long steps;
} AcdFeatureState;

/* Start of a song. RT-safe. */
void acd_features_init(AcdFeatureState *fs);

/* Compute x_t (cfg->n_in floats) for one step and advance fs.
 * onset and hold hold cfg->p_mel bits, index 0 = pitch cfg->mel_lo (offset a
 * wider roll's row pointer by mel_lo - its low pitch). With roll "onoff",
 * onset holds the "sounds" bits and hold is ignored (may be NULL). Any
 * non-zero byte counts as 1. step_in_beat must be in [0, steps_per_beat);
 * beat_in_bar >= 0 (clamped to beats_per_bar_max - 1). RT-safe. */
void acd_features_step(const AcdModelConfig *cfg, AcdFeatureState *fs, const uint8_t *onset,
                       const uint8_t *hold, int step_in_beat, int beat_in_bar, float *x_out);

/* x for a whole song from [step][pitch] rolls with row stride `stride`
 * bytes (onset_roll[t * stride + i] is pitch lo + i of step t; pass the
 * pointer already offset to mel_lo). step_in_beat[t] and beat_in_bar[t] per
 * step. x_out holds n_steps * n_in floats. Starts from a fresh histogram.
 * RT-safe. */
void acd_features_song(const AcdModelConfig *cfg, const uint8_t *onset_roll,
                       const uint8_t *hold_roll, size_t stride, size_t n_steps,
                       const int *step_in_beat, const int *beat_in_bar, float *x_out);

/* y_t (cfg->n_out floats) from accompaniment roll bits: onset bits then hold
 * bits (p_acc each, index 0 = acc_lo), or the "sounds" bits for "onoff".
 * RT-safe. */
void acd_features_target(const AcdModelConfig *cfg, const uint8_t *onset, const uint8_t *hold,
                         float *y_out);

#ifdef __cplusplus
}
#endif

#endif
