/* The loaded model's weights as the inference kernels read them (not a public API). */
#ifndef ACCOMPD_MODEL_LAYOUT_H
#define ACCOMPD_MODEL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/model.h"

/* One LSTM layer. Its state vector per copy is u = [input ; h]: the dense
 * input part (the layer below's h, or the encoder's e for the decoder's
 * first layer; absent for the encoder's first layer) then its own h, so
 * that W_ih and W_hh fuse into one product. The first layers' roll inputs
 * (x_t, y_{t-1}) are shared by every copy and sparse: they go through the
 * column-major `ws` once per step. Gate g of unit j is row g * hp + j. */
typedef struct {
    size_t h;       /* hidden size */
    size_t hp;      /* hidden size padded to ACD_KERN_PAD */
    size_t in_pad;  /* floats of u before h */
    size_t cols;    /* in_pad + hp: length of u */
    size_t s_cols;  /* columns of the shared sparse input, 0 if none */
    float *wd;      /* [4 hp x cols] blocked, see acd_kern_gemv_blocked(); NULL if bf16 */
    uint16_t *wd16; /* the same as bf16 (ACD_WEIGHTS_BF16), else NULL */
    float *ws;      /* [s_cols][4 hp] */
    float *bias;    /* [4 hp]: bias_ih + bias_hh */
} AcdLayer;

struct AcdModel {
    AcdModelConfig cfg;
    int n_layers; /* enc_layers + dec_layers; encoder layers first */
    AcdLayer layer[2 * ACD_MODEL_MAX_LAYERS];
    size_t out_pad; /* n_out padded to ACD_KERN_BLOCK */
    AcdWeightStorage storage;
    float *wo;      /* [out_pad x hp_dec] blocked; NULL if bf16 */
    uint16_t *wo16; /* the same as bf16, else NULL */
    float *bo;      /* [out_pad] */
    float *mem;     /* one aligned block holding every array above */
    size_t mem_floats;
};

#endif
