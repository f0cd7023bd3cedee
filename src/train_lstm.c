/* Batched LSTM layer kernels for training (PyTorch nn.LSTM semantics, gates i, f, g, o). */
#include "train_lstm.h"

#include <cblas.h>
#include <string.h>

/* The cell loops are most of the time outside sgemm. GCC vectorises them
 * only when float compares may not trap (the clamps in train_act.h) and
 * with its full cost model; the pragma comes before train_act.h so that its
 * inline functions share these options and inline. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "vect-cost-model=dynamic")
#endif
#include "train_act.h"

#include "clones.h"

#define CELL_CLONES ACD_CLONES_V4

size_t acd_train_lstm_act_floats(int T, int B, int hidden)
{
    size_t rows = (size_t)T * (size_t)B;
    return (rows * 7 + 1) * (size_t)hidden;
}

void acd_train_lstm_act_bind(AcdTrainLstmAct *act, float *mem, int T, int B, int hidden)
{
    size_t n = (size_t)T * (size_t)B * (size_t)hidden;
    act->gates = mem;
    act->c = mem + 4 * n;
    act->tc = mem + 5 * n;
    act->h = mem + 6 * n;
    act->zeros = mem + 7 * n;
}

size_t acd_train_lstm_scratch_floats(int T, int B, int hidden)
{
    size_t rows = (size_t)T * (size_t)B;
    /* dG [rows][4H], h_{t-1} [rows][H], dh and dc carried between steps [B][H] each */
    return rows * (size_t)hidden * 5 + 2 * (size_t)B * (size_t)hidden;
}

/* Nonlinearities and the cell update of one step for one row, in place on
 * the pre-activations g4 (which become the activated gates). */
CELL_CLONES static void cell_forward(float *restrict g4, const float *restrict c_prev,
                                     float *restrict c, float *restrict tc, float *restrict h,
                                     int H)
{
    float *gi = g4, *gf = g4 + H, *gg = g4 + 2 * H, *go = g4 + 3 * H;
    for (int j = 0; j < H; j++) {
        float i = acd_train_sigmoid(gi[j]);
        float f = acd_train_sigmoid(gf[j]);
        float g = acd_train_tanh(gg[j]);
        float o = acd_train_sigmoid(go[j]);
        float cn = f * c_prev[j] + i * g;
        float t = acd_train_tanh(cn);
        gi[j] = i;
        gf[j] = f;
        gg[j] = g;
        go[j] = o;
        c[j] = cn;
        tc[j] = t;
        h[j] = o * t;
    }
}

void acd_train_lstm_forward(const AcdTrainLstmW *w, int T, int B, const AcdTrainInput *parts,
                            int n_parts, AcdTrainLstmAct *act)
{
    const int H = w->hidden, G = 4 * H, rows = T * B;
    memset(act->zeros, 0, sizeof(float) * (size_t)H);

    /* Input projections of every step at once: one large sgemm per part. */
    for (int r = 0; r < rows; r++) {
        float *dst = act->gates + (size_t)r * G;
        for (int j = 0; j < G; j++)
            dst[j] = w->b_ih[j] + w->b_hh[j];
    }
    int col = 0;
    for (int p = 0; p < n_parts; p++) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, G, parts[p].n, 1.0f, parts[p].x,
                    parts[p].ld, w->w_ih + col, w->n_in, 1.0f, act->gates, G);
        col += parts[p].n;
    }

    /* The recurrence: rows of step t are T apart. */
    for (int t = 0; t < T; t++) {
        if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, G, H, 1.0f,
                        act->h + (size_t)(t - 1) * H, T * H, w->w_hh, H, 1.0f,
                        act->gates + (size_t)t * G, T * G);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)b * T + t;
            cell_forward(act->gates + r * G, t > 0 ? act->c + (r - 1) * H : act->zeros,
                         act->c + r * H, act->tc + r * H, act->h + r * H, H);
        }
    }
}

/* One row of one step backward: from dh (output gradient, including the
 * recurrent part) and the carried dc to the pre-activation gradients dg4;
 * dc becomes the gradient carried to step t-1. */
CELL_CLONES static void cell_backward(const float *restrict g4, const float *restrict c_prev,
                                      const float *restrict tc, const float *restrict dh_out,
                                      const float *restrict dh_rec, float *restrict dc,
                                      float *restrict dg4, int H)
{
    const float *gi = g4, *gf = g4 + H, *gg = g4 + 2 * H, *go = g4 + 3 * H;
    for (int j = 0; j < H; j++) {
        float dh = dh_out[j] + dh_rec[j];
        float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tc[j];
        float dct = dc[j] + dh * o * (1.0f - t * t);
        dg4[j] = dct * g * i * (1.0f - i);
        dg4[H + j] = dct * c_prev[j] * f * (1.0f - f);
        dg4[2 * H + j] = dct * i * (1.0f - g * g);
        dg4[3 * H + j] = dh * t * o * (1.0f - o);
        dc[j] = dct * f;
    }
}

void acd_train_lstm_backward(const AcdTrainLstmW *w, int T, int B, const AcdTrainInput *parts,
                             int n_parts, const AcdTrainLstmAct *act, const float *dh, float *dx,
                             int ld_dx, const AcdTrainLstmGrad *g, float *scratch)
{
    const int H = w->hidden, G = 4 * H, rows = T * B;
    float *dg = scratch;                      /* [rows][4H] */
    float *hprev = dg + (size_t)rows * G;     /* [rows][H] */
    float *dh_rec = hprev + (size_t)rows * H; /* [B][H] */
    float *dc = dh_rec + (size_t)B * H;       /* [B][H] */

    memset(dh_rec, 0, sizeof(float) * (size_t)B * H);
    memset(dc, 0, sizeof(float) * (size_t)B * H);
    for (int t = T - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)b * T + t;
            cell_backward(act->gates + r * G, t > 0 ? act->c + (r - 1) * H : act->zeros,
                          act->tc + r * H, dh + r * H, dh_rec + (size_t)b * H, dc + (size_t)b * H,
                          dg + r * G, H);
        }
        if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, G, 1.0f,
                        dg + (size_t)t * G, T * G, w->w_hh, H, 0.0f, dh_rec, H);
    }

    /* Weight gradients over all steps at once. */
    int col = 0;
    for (int p = 0; p < n_parts; p++) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, parts[p].n, rows, 1.0f, dg, G,
                    parts[p].x, parts[p].ld, 1.0f, g->w_ih + col, w->n_in);
        col += parts[p].n;
    }
    /* h_{t-1} beside each row, zero at t = 0, so that dW_hh is one sgemm. */
    for (int b = 0; b < B; b++) {
        float *dst = hprev + (size_t)b * T * H;
        memset(dst, 0, sizeof(float) * (size_t)H);
        memcpy(dst + H, act->h + (size_t)b * T * H, sizeof(float) * (size_t)(T - 1) * H);
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, rows, 1.0f, dg, G, hprev, H, 1.0f,
                g->w_hh, H);
    for (int r = 0; r < rows; r++) {
        const float *src = dg + (size_t)r * G;
        for (int j = 0; j < G; j++) {
            /* b_ih and b_hh enter the sum alike, so both get dG */
            g->b_ih[j] += src[j];
            g->b_hh[j] += src[j];
        }
    }

    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, parts[0].n, G, 1.0f, dg, G,
                    w->w_ih, w->n_in, 0.0f, dx, ld_dx);
}
