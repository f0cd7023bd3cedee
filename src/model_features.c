/* The encoder input x_t and the decoder target y_t, per models/README.md. */
#include "accompd/features.h"

#include <assert.h>
#include <string.h>

void acd_features_init(AcdFeatureState *fs)
{
    memset(fs, 0, sizeof *fs);
}

void acd_features_step(const AcdModelConfig *cfg, AcdFeatureState *fs, const uint8_t *onset,
                       const uint8_t *hold, int step_in_beat, int beat_in_bar, float *x_out)
{
    assert(step_in_beat >= 0 && step_in_beat < cfg->steps_per_beat);
    assert(beat_in_bar >= 0);
    bool two = cfg->roll == ACD_ROLL_ONSET_HOLD;
    size_t p = (size_t)cfg->p_mel;
    float *x = x_out;
    for (size_t i = 0; i < p; i++)
        x[i] = onset[i] ? 1.0f : 0.0f;
    x += p;
    if (two) {
        for (size_t i = 0; i < p; i++)
            x[i] = hold[i] ? 1.0f : 0.0f;
        x += p;
    }
    if (cfg->features & ACD_FEAT_STEP_IN_BEAT) {
        memset(x, 0, (size_t)cfg->steps_per_beat * sizeof *x);
        x[step_in_beat] = 1.0f;
        x += cfg->steps_per_beat;
    }
    if (cfg->features & ACD_FEAT_BEAT_IN_BAR) {
        int b = beat_in_bar < cfg->beats_per_bar_max ? beat_in_bar : cfg->beats_per_bar_max - 1;
        memset(x, 0, (size_t)cfg->beats_per_bar_max * sizeof *x);
        x[b] = 1.0f;
        x += cfg->beats_per_bar_max;
    }
    /* The histogram runs whether or not it is an input, so that switching
     * the feature on mid-song is not a different computation. */
    float count[12] = {0};
    for (size_t i = 0; i < p; i++)
        if (onset[i] || (two && hold[i]))
            count[(cfg->mel_lo + (int)i) % 12] += 1.0f;
    float mx = 1.0f;
    for (int k = 0; k < 12; k++) {
        fs->pc_hist[k] = cfg->pc_decay * fs->pc_hist[k] + count[k];
        mx = fs->pc_hist[k] > mx ? fs->pc_hist[k] : mx;
    }
    if (cfg->features & ACD_FEAT_PC_HIST) {
        for (int k = 0; k < 12; k++)
            x[k] = fs->pc_hist[k] / mx;
        x += 12;
    }
    assert(x - x_out == cfg->n_in);
    fs->steps++;
}

void acd_features_song(const AcdModelConfig *cfg, const uint8_t *onset_roll,
                       const uint8_t *hold_roll, size_t stride, size_t n_steps,
                       const int *step_in_beat, const int *beat_in_bar, float *x_out)
{
    AcdFeatureState fs;
    acd_features_init(&fs);
    for (size_t t = 0; t < n_steps; t++)
        acd_features_step(cfg, &fs, onset_roll + t * stride,
                          hold_roll ? hold_roll + t * stride : NULL, step_in_beat[t],
                          beat_in_bar[t], x_out + t * (size_t)cfg->n_in);
}

void acd_features_target(const AcdModelConfig *cfg, const uint8_t *onset, const uint8_t *hold,
                         float *y_out)
{
    size_t p = (size_t)cfg->p_acc;
    for (size_t i = 0; i < p; i++)
        y_out[i] = onset[i] ? 1.0f : 0.0f;
    if (cfg->roll == ACD_ROLL_ONSET_HOLD)
        for (size_t i = 0; i < p; i++)
            y_out[p + i] = hold[i] ? 1.0f : 0.0f;
}
