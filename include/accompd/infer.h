/* Streaming inference: one melody step in, one step of accompaniment logits out. */
#ifndef ACCOMPD_INFER_H
#define ACCOMPD_INFER_H

#include <stddef.h>

#include "accompd/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    /* One state from zero, never reset by itself: PyTorch's forward over
     * one sequence. */
    ACD_INFER_PLAIN = 0,
    /* The run-time window scheme of models/README.md: window/hop staggered
     * copies fed the same inputs; copy j restarts from zero before every
     * step t > 0 with t % window == j * hop, and the logits come from the
     * oldest copy, ((t / hop) + 1) % copies. */
    ACD_INFER_WINDOWED = 1,
} AcdInferMode;

/* Per-run state: h and c of every layer of every copy, and scratch. One
 * allocation, made here; acd_infer_step() never allocates. Opaque. */
typedef struct AcdInferState AcdInferState;

/* Allocate a zeroed state for model m (which must outlive it). Not RT-safe. */
AcdStatus acd_infer_state_new(const AcdModel *m, AcdInferMode mode, AcdInferState **out,
                              AcdError *err);

/* Free; accepts NULL. Not RT-safe. */
void acd_infer_state_free(AcdInferState *s);

/* Back to step 0: every copy's h and c to zero. RT-safe. */
void acd_infer_reset(AcdInferState *s);

/* Run step t: x_t (n_in floats, from acd_features_step()) and y_prev (n_out
 * floats: the accompaniment played at t-1, zeros at t = 0) in, logits z_t
 * (n_out floats) out. Inputs may be sparse; zeros cost nothing.
 * m must be the state's model. RT-safe. */
void acd_infer_step(const AcdModel *m, AcdInferState *s, const float *x_t, const float *y_prev,
                    float *logits_out);

/* How many staggered copies run per step (1 in plain mode). RT-safe. */
int acd_infer_copies(const AcdInferState *s);

/* Steps run since the last reset. RT-safe. */
long acd_infer_steps(const AcdInferState *s);

#ifdef __cplusplus
}
#endif

#endif
