/* Building the immutable model: PyTorch tensors re-laid for the kernels. */
#include "accompd/model.h"
#include "model_internal.h"
#include "model_kernels.h"
#include "model_layout.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Floats of memory for a dense matrix of n weights in the model's storage,
 * rounded to 64 bytes. */
static size_t dense_floats(const AcdModel *m, size_t n)
{
    return m->storage == ACD_WEIGHTS_BF16 ? ACD_KERN_ROUND(n, 32) / 2 : ACD_KERN_ROUND(n, 16);
}

/* Point *f or *h (by the storage) at p; return the floats it takes. */
static size_t place_dense(const AcdModel *m, float *p, size_t n, float **f, uint16_t **h)
{
    *f = m->storage == ACD_WEIGHTS_BF16 ? NULL : p;
    *h = m->storage == ACD_WEIGHTS_BF16 ? (uint16_t *)(void *)p : NULL;
    return dense_floats(m, n);
}

/* Sizes of every array, in floats, each rounded up so that the next array
 * stays 64-byte aligned. */
static size_t plan_layers(AcdModel *m)
{
    const AcdModelConfig *c = &m->cfg;
    size_t total = 0;
    size_t below = 0; /* hp of the layer below, within its stack */
    for (int l = 0; l < m->n_layers; l++) {
        AcdLayer *L = &m->layer[l];
        bool enc = l < c->enc_layers;
        bool first = l == 0 || l == c->enc_layers;
        L->h = (size_t)(enc ? c->enc_hidden : c->dec_hidden);
        L->hp = ACD_KERN_ROUND(L->h, ACD_KERN_PAD);
        if (first)
            L->in_pad = enc ? 0 : m->layer[c->enc_layers - 1].hp;
        else
            L->in_pad = below;
        L->cols = L->in_pad + L->hp;
        L->s_cols = first ? (size_t)(enc ? c->n_in : c->n_out) : 0;
        total += dense_floats(m, 4 * L->hp * L->cols);
        total += ACD_KERN_ROUND(4 * L->hp * L->s_cols, 16);
        total += ACD_KERN_ROUND(4 * L->hp, 16);
        below = L->hp;
    }
    m->out_pad = ACD_KERN_ROUND((size_t)c->n_out, ACD_KERN_BLOCK);
    total += dense_floats(m, m->out_pad * m->layer[m->n_layers - 1].hp) + m->out_pad;
    return total;
}

static void place_arrays(AcdModel *m)
{
    float *p = m->mem;
    for (int l = 0; l < m->n_layers; l++) {
        AcdLayer *L = &m->layer[l];
        p += place_dense(m, p, 4 * L->hp * L->cols, &L->wd, &L->wd16);
        L->ws = p;
        p += ACD_KERN_ROUND(4 * L->hp * L->s_cols, 16);
        L->bias = p;
        p += ACD_KERN_ROUND(4 * L->hp, 16);
    }
    p += place_dense(m, p, m->out_pad * m->layer[m->n_layers - 1].hp, &m->wo, &m->wo16);
    m->bo = p;
    p += m->out_pad;
    assert((size_t)(p - m->mem) == m->mem_floats);
}

static size_t blocked(size_t r, size_t k, size_t cols)
{
    return (r / ACD_KERN_BLOCK) * cols * ACD_KERN_BLOCK + k * ACD_KERN_BLOCK + r % ACD_KERN_BLOCK;
}

/* Element (r, k) of a blocked matrix, in whichever storage it has. */
static void put(float *f, uint16_t *h, size_t r, size_t k, size_t cols, float v)
{
    if (h)
        h[blocked(acd_kern_bf16_slot(r), k, cols)] = acd_kern_to_bf16(v);
    else
        f[blocked(r, k, cols)] = v;
}

static const float *get(const AcdModelTensors *t, const char *stack, const char *kind, int layer)
{
    char name[ACD_TENSOR_NAME_MAX];
    snprintf(name, sizeof name, "%s.%s_l%d", stack, kind, layer);
    const float *p = acd_model_tensors_find_const(t, name, NULL);
    assert(p);
    return p;
}

static void fill_layer(const AcdModel *m, const AcdModelTensors *t, int l)
{
    const AcdModelConfig *c = &m->cfg;
    const AcdLayer *L = &m->layer[l];
    bool enc = l < c->enc_layers;
    int k = enc ? l : l - c->enc_layers;
    const char *stack = enc ? "encoder" : "decoder";
    const float *wih = get(t, stack, "weight_ih", k);
    const float *whh = get(t, stack, "weight_hh", k);
    const float *bih = get(t, stack, "bias_ih", k);
    const float *bhh = get(t, stack, "bias_hh", k);
    /* Width of weight_ih, and where its dense and sparse parts start. */
    size_t in_real =
        k == 0 ? (enc ? (size_t)c->n_in : (size_t)(c->enc_hidden + c->n_out)) : m->layer[l - 1].h;
    size_t dense_real = k == 0 ? (enc ? 0 : (size_t)c->enc_hidden) : in_real;
    size_t rows = 4 * L->hp;
    for (size_t r = 0; r < 4 * L->h; r++) {
        size_t rp = (r / L->h) * L->hp + r % L->h;
        for (size_t j = 0; j < dense_real; j++)
            put(L->wd, L->wd16, rp, j, L->cols, wih[r * in_real + j]);
        for (size_t j = 0; j < L->s_cols; j++)
            L->ws[j * rows + rp] = wih[r * in_real + dense_real + j];
        for (size_t j = 0; j < L->h; j++)
            put(L->wd, L->wd16, rp, L->in_pad + j, L->cols, whh[r * L->h + j]);
        L->bias[rp] = bih[r] + bhh[r];
    }
}

AcdStatus acd_model_new(const AcdModelTensors *t, AcdModel **out, AcdError *err)
{
    return acd_model_new_storage(t, ACD_WEIGHTS_F32, out, err);
}

AcdStatus acd_model_new_storage(const AcdModelTensors *t, AcdWeightStorage storage, AcdModel **out,
                                AcdError *err)
{
    *out = NULL;
    if (storage != ACD_WEIGHTS_F32 && storage != ACD_WEIGHTS_BF16)
        return acd_error_set(err, ACD_ERR_INVALID, "unknown weight storage %d", (int)storage);
    AcdModel *m = calloc(1, sizeof *m);
    if (!m)
        return acd_error_set(err, ACD_ERR_NOMEM, "no memory for the model");
    m->storage = storage;
    m->cfg = t->cfg;
    m->n_layers = m->cfg.enc_layers + m->cfg.dec_layers;
    m->mem_floats = plan_layers(m);
    size_t bytes = ACD_KERN_ROUND(m->mem_floats * sizeof(float), 64);
    m->mem = aligned_alloc(64, bytes);
    if (!m->mem) {
        free(m);
        return acd_error_set(err, ACD_ERR_NOMEM, "no memory for %zu bytes of weights", bytes);
    }
    /* Padding rows and columns must be zero so that padded units stay at
     * h = c = 0. */
    memset(m->mem, 0, bytes);
    place_arrays(m);
    for (int l = 0; l < m->n_layers; l++)
        fill_layer(m, t, l);
    const float *w = acd_model_tensors_find_const(t, "output.weight", NULL);
    const float *b = acd_model_tensors_find_const(t, "output.bias", NULL);
    assert(w && b);
    const AcdLayer *top = &m->layer[m->n_layers - 1];
    for (size_t o = 0; o < (size_t)m->cfg.n_out; o++) {
        for (size_t j = 0; j < top->h; j++)
            put(m->wo, m->wo16, o, j, top->hp, w[o * top->h + j]);
        m->bo[o] = b[o];
    }
    *out = m;
    return ACD_OK;
}

AcdStatus acd_model_load_memory(const void *buf, size_t len, const char *name, AcdModel **out,
                                AcdError *err)
{
    *out = NULL;
    AcdModelTensors *t;
    AcdStatus st = acd_model_tensors_load_memory(buf, len, name, &t, err);
    if (st != ACD_OK)
        return st;
    st = acd_model_new(t, out, err);
    acd_model_tensors_free(t);
    return st;
}

AcdStatus acd_model_load(const char *path, AcdModel **out, AcdError *err)
{
    return acd_model_load_storage(path, ACD_WEIGHTS_F32, out, err);
}

AcdStatus acd_model_load_storage(const char *path, AcdWeightStorage storage, AcdModel **out,
                                 AcdError *err)
{
    *out = NULL;
    AcdModelTensors *t;
    AcdStatus st = acd_model_tensors_load(path, &t, err);
    if (st != ACD_OK)
        return st;
    st = acd_model_new_storage(t, storage, out, err);
    acd_model_tensors_free(t);
    return st;
}

AcdWeightStorage acd_model_storage(const AcdModel *m)
{
    return m->storage;
}

void acd_model_free(AcdModel *m)
{
    if (!m)
        return;
    free(m->mem);
    free(m);
}

const AcdModelConfig *acd_model_config(const AcdModel *m)
{
    return &m->cfg;
}

size_t acd_model_weight_bytes(const AcdModel *m)
{
    return m->mem_floats * sizeof(float);
}

double acd_model_flops_per_step(const AcdModel *m, int copies)
{
    const AcdModelConfig *c = &m->cfg;
    double per_copy = 0.0;
    size_t below = (size_t)c->n_in;
    for (int l = 0; l < m->n_layers; l++) {
        size_t h = m->layer[l].h;
        if (l == c->enc_layers)
            below = (size_t)(c->enc_hidden + c->n_out);
        /* Two products, 4h x (in + h), plus about ten operations per gate
         * value for the bias, the nonlinearities and the cell update. */
        per_copy += 2.0 * 4.0 * (double)h * (double)(below + h) + 40.0 * (double)h;
        below = h;
    }
    return (double)copies * per_copy + 2.0 * (double)c->n_out * (double)c->dec_hidden;
}
