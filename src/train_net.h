/* The encoder-decoder network as the trainer sees it: flat parameters, batched forward, loss and
 * backward. */
#ifndef ACCOMPD_TRAIN_NET_H
#define ACCOMPD_TRAIN_NET_H

#include <stddef.h>

#include "accompd/status.h"
#include "accompd/rng.h"

#define ACD_TRAIN_MAX_LAYERS  4
#define ACD_TRAIN_MAX_TENSORS (8 * ACD_TRAIN_MAX_LAYERS + 2)
#define ACD_TRAIN_MAX_THREADS 8

/* Sizes of the network of models/README.md. */
typedef struct {
    int n_in;  /* encoder input width (melody features) */
    int n_out; /* accompaniment roll width (and the y_{t-1} input) */
    int enc_hidden, enc_layers;
    int dec_hidden, dec_layers;
} AcdTrainShape;

/* One tensor of the flat parameter vector, named and shaped as in PyTorch's
 * state_dict ("encoder.weight_ih_l0", ..., "output.bias"). */
typedef struct {
    char name[32];
    int rows;
    int cols;      /* 0 for a vector of rows values */
    size_t offset; /* in floats from the start of the parameter vector */
} AcdTrainTensor;

/* All parameters in one vector, so that gradients, Adam's moments, the
 * clipping norm and checkpoints are plain loops over n_params floats.
 * Order: encoder layers (weight_ih, weight_hh, bias_ih, bias_hh each),
 * decoder layers, output.weight, output.bias. */
typedef struct {
    AcdTrainShape shape;
    size_t n_params;
    float *params;
    int n_tensors;
    AcdTrainTensor tensors[ACD_TRAIN_MAX_TENSORS];
} AcdTrainNet;

/* A network with zeroed parameters; sizes are checked (layers 1..4, widths
 * 1..4096). The caller frees it with acd_train_net_free. Not RT-safe. */
AcdStatus acd_train_net_new(const AcdTrainShape *shape, AcdTrainNet **out, AcdError *err);

/* Accepts NULL. */
void acd_train_net_free(AcdTrainNet *net);

/* PyTorch's default initialisation drawn from rng: every LSTM tensor and
 * output.bias uniform in ±1/sqrt(fan), fan = H for the LSTMs and H_dec for
 * the Linear (whose kaiming_uniform(a=sqrt(5)) weight bound is the same). */
void acd_train_net_randomize(AcdTrainNet *net, AcdRng *rng);

/* The tensor called name, or NULL. */
const AcdTrainTensor *acd_train_net_find(const AcdTrainNet *net, const char *name);

/* A batch of B windows of T steps, batch-first like PyTorch's
 * batch_first=True: row (b, t) of x at x + (b*T + t)*n_in, and so on. */
typedef struct {
    int T;
    int B;
    const float *x;      /* [B][T][n_in] melody features */
    const float *y;      /* [B][T][n_out] targets */
    const float *y_prev; /* [B][T][n_out] teacher forcing: the true y of the step before */
    const float *mask;   /* [B][T] 1 for real steps, 0 for padding; NULL: all real */
} AcdTrainBatch;

/* Per-thread activations and gradients for batches of up to B_max windows
 * of exactly T steps. */
typedef struct AcdTrainWork AcdTrainWork;

/* n_threads (1..8) split every batch into contiguous blocks of windows,
 * each with its own gradient buffer; the buffers are summed in thread order,
 * so a run is deterministic for a given thread count. Not RT-safe. */
AcdStatus acd_train_work_new(const AcdTrainShape *shape, int T, int B_max, int n_threads,
                             AcdTrainWork **out, AcdError *err);
void acd_train_work_free(AcdTrainWork *work);

/* Loss of one batch. */
typedef struct {
    double loss;  /* mean binary cross-entropy over real steps × outputs */
    double terms; /* how many terms that mean has (Σ mask × n_out) */
} AcdTrainLoss;

/* Forward with teacher forcing, the loss, and (when grad is not NULL)
 * backward: grad (n_params floats) is overwritten with the gradient of the
 * mean loss. pos_weight: [n_out] weights of the positive terms (PyTorch's
 * BCEWithLogitsLoss pos_weight), NULL for 1. Fails with ACD_ERR_INVALID on
 * a batch that does not fit the work area or has no real step. */
AcdStatus acd_train_net_loss(const AcdTrainNet *net, AcdTrainWork *work, const AcdTrainBatch *batch,
                             const float *pos_weight, float *grad, AcdTrainLoss *loss);

/* Forward only: the logits z [B][T][n_out] (batch->y and mask unused). */
AcdStatus acd_train_net_logits(const AcdTrainNet *net, AcdTrainWork *work,
                               const AcdTrainBatch *batch, float *z);

#endif
