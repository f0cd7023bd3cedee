/* Binary cross-entropy with logits for the trainer, vectorised like the cell loops (see
 * train_lstm.c). */
#include "train_loss.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "vect-cost-model=dynamic")
#endif
#include "train_act.h"

#include "clones.h"

#define LOSS_CLONES ACD_CLONES_V4

LOSS_CLONES static float bce_weighted(float *restrict z, const float *restrict y,
                                      const float *restrict pw, int n, float scale)
{
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        float zj = z[j], e = acd_train_exp(zj > 0.0f ? -zj : zj);
        float sp = (zj > 0.0f ? zj : 0.0f) + acd_train_log1p_unit(e);
        float w = pw[j] * y[j];
        sum += w * (sp - zj) + (1.0f - y[j]) * sp;
        /* sigmoid from the same e, stable on both sides */
        float sig = (zj >= 0.0f ? 1.0f : e) / (1.0f + e);
        z[j] = scale * (w * (sig - 1.0f) + (1.0f - y[j]) * sig);
    }
    return sum;
}

LOSS_CLONES static float bce_plain(float *restrict z, const float *restrict y, int n, float scale)
{
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        float zj = z[j], e = acd_train_exp(zj > 0.0f ? -zj : zj);
        float sp = (zj > 0.0f ? zj : 0.0f) + acd_train_log1p_unit(e);
        sum += sp - y[j] * zj;
        float sig = (zj >= 0.0f ? 1.0f : e) / (1.0f + e);
        z[j] = scale * (sig - y[j]);
    }
    return sum;
}

float acd_train_bce_row(float *z, const float *y, const float *pw, int n, float scale)
{
    return pw ? bce_weighted(z, y, pw, n, scale) : bce_plain(z, y, n, scale);
}
