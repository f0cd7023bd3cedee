/* REALTIME (acd_infer_step, acd_infer_reset): streaming inference with the window scheme. */
#include "accompd/infer.h"
#include "model_kernels.h"
#include "model_layout.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct AcdInferState {
    const AcdModel *m;
    AcdInferMode mode;
    int copies;
    long t;                             /* steps since reset */
    float *u[2 * ACD_MODEL_MAX_LAYERS]; /* [copies][cols]: [input ; h] */
    float *c[2 * ACD_MODEL_MAX_LAYERS]; /* [copies][hp] */
    float *pre;                         /* [copies][4 hp_max] */
    float *nz_val;                      /* [s_max]: the sparse input's non-zeros */
    uint16_t *nz_idx;                   /* [s_max]: and their columns */
    float *out;                         /* [out_pad] */
    float *mem;
    size_t mem_floats;
};

AcdStatus acd_infer_state_new(const AcdModel *m, AcdInferMode mode, AcdInferState **out,
                              AcdError *err)
{
    *out = NULL;
    if (mode != ACD_INFER_PLAIN && mode != ACD_INFER_WINDOWED)
        return acd_error_set(err, ACD_ERR_INVALID, "unknown inference mode %d", (int)mode);
    AcdInferState *s = calloc(1, sizeof *s);
    if (!s)
        return acd_error_set(err, ACD_ERR_NOMEM, "no memory for the inference state");
    s->m = m;
    s->mode = mode;
    s->copies = mode == ACD_INFER_WINDOWED ? m->cfg.window / m->cfg.hop : 1;
    size_t n = (size_t)s->copies;
    size_t hp_max = 0, s_max = 0, total = 0;
    for (int l = 0; l < m->n_layers; l++) {
        const AcdLayer *L = &m->layer[l];
        hp_max = L->hp > hp_max ? L->hp : hp_max;
        s_max = L->s_cols > s_max ? L->s_cols : s_max;
        total += n * L->cols + n * L->hp;
    }
    /* The indices (16 bits) share the float block: half a float each. */
    size_t s_vals = ACD_KERN_ROUND(s_max, ACD_KERN_PAD);
    size_t s_idx = ACD_KERN_ROUND(s_max, 2 * ACD_KERN_PAD) / 2;
    total += n * 4 * hp_max + s_vals + s_idx + m->out_pad;
    s->mem_floats = total;
    /* Every length is a multiple of 8 floats, so every array is 32-byte
     * aligned. */
    size_t bytes = ACD_KERN_ROUND(total * sizeof(float), 64);
    s->mem = aligned_alloc(64, bytes);
    if (!s->mem) {
        free(s);
        return acd_error_set(err, ACD_ERR_NOMEM, "no memory for the inference state");
    }
    float *p = s->mem;
    for (int l = 0; l < m->n_layers; l++) {
        s->u[l] = p;
        p += n * m->layer[l].cols;
        s->c[l] = p;
        p += n * m->layer[l].hp;
    }
    s->pre = p;
    p += n * 4 * hp_max;
    s->nz_val = p;
    p += s_vals;
    s->nz_idx = (uint16_t *)(void *)p;
    p += s_idx;
    s->out = p;
    p += m->out_pad;
    assert((size_t)(p - s->mem) == total);
    acd_infer_reset(s);
    *out = s;
    return ACD_OK;
}

void acd_infer_state_free(AcdInferState *s)
{
    if (!s)
        return;
    free(s->mem);
    free(s);
}

void acd_infer_reset(AcdInferState *s)
{
    memset(s->mem, 0, s->mem_floats * sizeof(float));
    s->t = 0;
}

int acd_infer_copies(const AcdInferState *s)
{
    return s->copies;
}

long acd_infer_steps(const AcdInferState *s)
{
    return s->t;
}

/* Copy j restarts from a zero state. The input parts of u are rewritten
 * before they are read, so zeroing whole rows is simply the shortest way. */
static void zero_copy(AcdInferState *s, int j)
{
    const AcdModel *m = s->m;
    for (int l = 0; l < m->n_layers; l++) {
        const AcdLayer *L = &m->layer[l];
        memset(s->u[l] + (size_t)j * L->cols, 0, L->cols * sizeof(float));
        memset(s->c[l] + (size_t)j * L->hp, 0, L->hp * sizeof(float));
    }
}

void acd_infer_step(const AcdModel *m, AcdInferState *s, const float *x_t, const float *y_prev,
                    float *logits_out)
{
    assert(m == s->m);
    const AcdModelConfig *cfg = &m->cfg;
    size_t n = (size_t)s->copies;
    int active = 0;
    if (s->mode == ACD_INFER_WINDOWED) {
        long phase = s->t % cfg->window;
        if (s->t > 0 && phase % cfg->hop == 0)
            zero_copy(s, (int)(phase / cfg->hop));
        active = (int)((s->t / cfg->hop + 1) % s->copies);
    }

    for (int l = 0; l < m->n_layers; l++) {
        const AcdLayer *L = &m->layer[l];
        size_t rows = 4 * L->hp;
        /* The roll inputs are shared by all copies and mostly zeros: only
         * the columns of their non-zeros are read. */
        AcdKernSparse sp = {.S = L->ws, .idx = s->nz_idx, .val = s->nz_val};
        if (L->s_cols)
            sp.n = acd_kern_sparse_gather(l == 0 ? x_t : y_prev, L->s_cols, s->nz_idx, s->nz_val);
        if (L->wd16)
            acd_kern_gemv_blocked_bf16(L->wd16, rows, L->cols, L->bias, L->s_cols ? &sp : NULL,
                                       s->u[l], L->cols, n, s->pre, rows);
        else if (L->s_cols)
            acd_kern_gemv_sparse(L->wd, rows, L->cols, L->bias, &sp, s->u[l], L->cols, n, s->pre,
                                 rows);
        else
            acd_kern_gemv_blocked(L->wd, rows, L->cols, L->bias, s->u[l], L->cols, n, s->pre, rows);
        const AcdLayer *next = l + 1 < m->n_layers ? &m->layer[l + 1] : NULL;
        for (size_t j = 0; j < n; j++) {
            float *h = s->u[l] + j * L->cols + L->in_pad;
            acd_kern_lstm_cell(s->pre + j * rows, L->hp, s->c[l] + j * L->hp, h);
            /* The next layer (the decoder's first, after the encoder's
             * top) reads this h as the start of its u. */
            if (next)
                memcpy(s->u[l + 1] + j * next->cols, h, L->hp * sizeof(float));
        }
    }

    const AcdLayer *top = &m->layer[m->n_layers - 1];
    const float *d = s->u[m->n_layers - 1] + (size_t)active * top->cols + top->in_pad;
    if (m->wo16)
        acd_kern_gemv_blocked_bf16(m->wo16, m->out_pad, top->hp, m->bo, NULL, d, top->hp, 1, s->out,
                                   m->out_pad);
    else
        acd_kern_gemv_blocked(m->wo, m->out_pad, top->hp, m->bo, d, top->hp, 1, s->out, m->out_pad);
    memcpy(logits_out, s->out, (size_t)cfg->n_out * sizeof(float));
    s->t++;
}
