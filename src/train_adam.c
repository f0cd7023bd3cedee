/* Adam and gradient clipping for the trainer. */
#include "train_adam.h"

#include <math.h>
#include <stdlib.h>

AcdStatus acd_train_adam_init(AcdTrainAdam *adam, size_t n, AcdError *err)
{
    adam->n = n;
    adam->step = 0;
    adam->m = calloc(n, sizeof(float));
    adam->v = calloc(n, sizeof(float));
    if (!adam->m || !adam->v) {
        acd_train_adam_cleanup(adam);
        return acd_error_set(err, ACD_ERR_NOMEM, "Adam: out of memory for %zu parameters", n);
    }
    return ACD_OK;
}

void acd_train_adam_cleanup(AcdTrainAdam *adam)
{
    free(adam->m);
    free(adam->v);
    adam->m = adam->v = NULL;
}

void acd_train_adam_step(AcdTrainAdam *adam, const AcdTrainAdamConfig *cfg, float *params,
                         const float *grad)
{
    adam->step++;
    double bc1 = 1.0 - pow(cfg->beta1, (double)adam->step);
    double bc2 = 1.0 - pow(cfg->beta2, (double)adam->step);
    const float step_size = (float)((double)cfg->lr / bc1);
    const float inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    const float b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->eps;
    float *m = adam->m, *v = adam->v;
    for (size_t i = 0; i < adam->n; i++) {
        float g = grad[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        params[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
    }
}

double acd_train_clip(float *grad, size_t n, double max_norm)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)grad[i] * (double)grad[i];
    double norm = sqrt(ss);
    if (max_norm > 0.0 && norm > max_norm) {
        float s = (float)(max_norm / (norm + 1e-6));
        for (size_t i = 0; i < n; i++)
            grad[i] *= s;
    }
    return norm;
}
