/* Adam with bias correction, and gradient clipping by global norm, over flat parameter vectors. */
#ifndef ACCOMPD_TRAIN_ADAM_H
#define ACCOMPD_TRAIN_ADAM_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/status.h"

typedef struct {
    float lr;
    float beta1; /* 0.9 */
    float beta2; /* 0.999 */
    float eps;   /* 1e-8 */
} AcdTrainAdamConfig;

/* The optimiser's state: what a checkpoint must keep to resume exactly. */
typedef struct {
    size_t n;
    float *m;     /* first moments */
    float *v;     /* second moments */
    int64_t step; /* updates done */
} AcdTrainAdam;

/* Zeroed moments for n parameters. Not RT-safe. */
AcdStatus acd_train_adam_init(AcdTrainAdam *adam, size_t n, AcdError *err);
void acd_train_adam_cleanup(AcdTrainAdam *adam);

/* One update as torch.optim.Adam does it (no weight decay, no amsgrad):
 * p -= lr/(1-b1^t) · m / (sqrt(v)/sqrt(1-b2^t) + eps). */
void acd_train_adam_step(AcdTrainAdam *adam, const AcdTrainAdamConfig *cfg, float *params,
                         const float *grad);

/* The gradient's global L2 norm (in double); when max_norm > 0 and the
 * norm exceeds it, scale grad by max_norm/(norm + 1e-6) like PyTorch's
 * clip_grad_norm_. Returns the norm before clipping. */
double acd_train_clip(float *grad, size_t n, double max_norm);

#endif
