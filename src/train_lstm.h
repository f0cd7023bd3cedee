/* Batched LSTM layer kernels for training: forward keeping what backward needs, backward through
 * time. */
#ifndef ACCOMPD_TRAIN_LSTM_H
#define ACCOMPD_TRAIN_LSTM_H

#include <stddef.h>

/* One layer's weights in PyTorch's nn.LSTM layout, gate order i, f, g, o.
 * The two bias vectors are kept apart (they are separate tensors in the
 * file) and summed where used. */
typedef struct {
    int n_in;          /* input width: the sum of the parts' widths */
    int hidden;        /* H */
    const float *w_ih; /* [4H][n_in] */
    const float *w_hh; /* [4H][H] */
    const float *b_ih; /* [4H] */
    const float *b_hh; /* [4H] */
} AcdTrainLstmW;

/* Gradients of the same tensors; the kernels add into them (+=). */
typedef struct {
    float *w_ih;
    float *w_hh;
    float *b_ih;
    float *b_hh;
} AcdTrainLstmGrad;

/* An input part: B sequences of T rows, row (b, t) at x + (b*T + t)*ld,
 * n columns. A layer's input is the concatenation of its parts (the
 * decoder reads [e_t ; y_{t-1}] without copying them side by side). */
typedef struct {
    const float *x;
    int n;
    int ld;
} AcdTrainInput;

/* What the forward pass keeps for backward, rows (b, t) at b*T + t. */
typedef struct {
    float *gates; /* [B*T][4H]: i, f, g, o after their nonlinearities */
    float *c;     /* [B*T][H] cell state */
    float *tc;    /* [B*T][H] tanh(c) */
    float *h;     /* [B*T][H] the layer's output */
    float *zeros; /* [H]: c_{-1}, so that the cell loops have no branch */
} AcdTrainLstmAct;

/* Floats needed by acd_train_lstm_act_bind for B sequences of T steps. */
size_t acd_train_lstm_act_floats(int T, int B, int hidden);

/* Point act into mem (acd_train_lstm_act_floats of them). */
void acd_train_lstm_act_bind(AcdTrainLstmAct *act, float *mem, int T, int B, int hidden);

/* Floats of scratch that acd_train_lstm_backward needs. */
size_t acd_train_lstm_scratch_floats(int T, int B, int hidden);

/* Forward from zero state over B sequences of T steps. Not RT-safe (it is
 * the trainer's); allocates nothing. */
void acd_train_lstm_forward(const AcdTrainLstmW *w, int T, int B, const AcdTrainInput *parts,
                            int n_parts, AcdTrainLstmAct *act);

/* Backward through time. dh: [B*T][H], the loss's gradient with respect to
 * the layer's outputs. Adds the weight gradients into g. When dx is not
 * NULL, writes (overwrites) the gradient with respect to part 0 there,
 * [B*T] rows of parts[0].n columns, row stride ld_dx; the other parts get
 * none (they are data). scratch: acd_train_lstm_scratch_floats floats. */
void acd_train_lstm_backward(const AcdTrainLstmW *w, int T, int B, const AcdTrainInput *parts,
                             int n_parts, const AcdTrainLstmAct *act, const float *dh, float *dx,
                             int ld_dx, const AcdTrainLstmGrad *g, float *scratch);

#endif
