/* Microbenchmark for choosing the inference kernels: our blocked loops vs OpenBLAS sgemv, fast vs
 * libm cell. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accompd/features.h"
#include "accompd/infer.h"
#include "accompd/model.h"
#include "model_kernels.h"

#define N_STEPS 20000

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *us, int n, double flops)
{
    qsort(us, (size_t)n, sizeof *us, cmp_double);
    double med = us[n / 2], p99 = us[n * 99 / 100];
    printf("%-44s median %7.2f us  p99 %7.2f us", what, med, p99);
    if (flops > 0.0)
        printf("  %6.2f GFLOP/s (dense-equivalent)", flops / med * 1e-3);
    printf("\n");
}

static unsigned rng_state = 12345;
static float frand(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)(rng_state >> 8) / 16777216.0f * 2.0f - 1.0f;
}

/* PyTorch-layout LSTM step with OpenBLAS: the baseline of issue 3. */
static void blas_lstm(const float *wih, const float *whh, const float *b, const float *in,
                      size_t n_in, float *h, float *c, size_t hs, float *pre)
{
    memcpy(pre, b, 4 * hs * sizeof *pre);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)(4 * hs), (int)n_in, 1.0f, wih, (int)n_in, in, 1,
                1.0f, pre, 1);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)(4 * hs), (int)hs, 1.0f, whh, (int)hs, h, 1, 1.0f,
                pre, 1);
    acd_kern_lstm_cell(pre, hs, c, h);
}

int main(void)
{
    AcdModelConfig cfg;
    acd_model_config_default(&cfg);
    AcdModelTensors *t = NULL;
    AcdModel *m = NULL;
    AcdError err = {0};
    if (acd_model_tensors_new(&cfg, &t, &err) != ACD_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < acd_model_tensor_count(&cfg); i++) {
        AcdTensorSpec s;
        acd_model_tensor_spec(&cfg, i, &s);
        float *p = acd_model_tensors_find(t, s.name, NULL);
        for (size_t k = 0; k < s.n_elems; k++)
            p[k] = 0.09f * frand();
    }
    if (acd_model_new(t, &m, &err) != ACD_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    size_t ni = (size_t)cfg.n_in, no = (size_t)cfg.n_out;
    float *x = calloc(N_STEPS * ni, sizeof *x), *y = calloc(N_STEPS * no, sizeof *y);
    float *z = calloc(no, sizeof *z);
    double *us = calloc(N_STEPS, sizeof *us);
    uint8_t on[128] = {0}, ho[128] = {0};
    AcdFeatureState fs;
    acd_features_init(&fs);
    /* A melody of two-step notes and a four-note accompaniment. */
    for (size_t s = 0; s < N_STEPS; s++) {
        int p = (int)(s / 2 * 7 % (size_t)cfg.p_mel);
        memset(on, 0, sizeof on);
        memset(ho, 0, sizeof ho);
        (s % 2 ? ho : on)[p] = 1;
        acd_features_step(&cfg, &fs, on, ho, (int)(s % 4), (int)(s / 4 % 4), x + s * ni);
        for (int k = 0; k < 4; k++)
            y[s * no + (size_t)((s / 8 * 5 + (size_t)k * 4) % no)] = 1.0f;
    }

    printf("default model: n_in %zu, n_out %zu, H %d/%d, weights %zu bytes, OPENBLAS_CORETYPE=%s\n",
           ni, no, cfg.enc_hidden, cfg.dec_hidden, acd_model_weight_bytes(m),
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");
    for (int mode = 0; mode < 2; mode++) {
        AcdInferState *st = NULL;
        acd_infer_state_new(m, (AcdInferMode)mode, &st, &err);
        for (int s = 0; s < 1000; s++)
            acd_infer_step(m, st, x + (size_t)s * ni, y + (size_t)s * no, z);
        acd_infer_reset(st);
        for (int s = 0; s < N_STEPS; s++) {
            double t0 = now_us();
            acd_infer_step(m, st, x + (size_t)s * ni, y + (size_t)s * no, z);
            us[s] = now_us() - t0;
        }
        char what[80];
        snprintf(what, sizeof what, "acd_infer_step %s (%d copies)", mode ? "windowed" : "plain",
                 acd_infer_copies(st));
        report(what, us, N_STEPS, acd_model_flops_per_step(m, acd_infer_copies(st)));
        acd_infer_state_free(st);
    }

    /* The same network step with OpenBLAS sgemv on PyTorch's layout. */
    size_t H = 128;
    const float *ewih = acd_model_tensors_find_const(t, "encoder.weight_ih_l0", NULL);
    const float *ewhh = acd_model_tensors_find_const(t, "encoder.weight_hh_l0", NULL);
    const float *dwih = acd_model_tensors_find_const(t, "decoder.weight_ih_l0", NULL);
    const float *dwhh = acd_model_tensors_find_const(t, "decoder.weight_hh_l0", NULL);
    const float *ow = acd_model_tensors_find_const(t, "output.weight", NULL);
    const float *ob = acd_model_tensors_find_const(t, "output.bias", NULL);
    float *eb = calloc(4 * H, sizeof *eb), *db = calloc(4 * H, sizeof *db);
    float *eh = calloc(H, 4), *ec = calloc(H, 4), *dh = calloc(H, 4), *dc = calloc(H, 4);
    float *pre = calloc(4 * H, 4), *din = calloc(H + no, 4);
    for (int s = 0; s < N_STEPS; s++) {
        double t0 = now_us();
        blas_lstm(ewih, ewhh, eb, x + (size_t)s * ni, ni, eh, ec, H, pre);
        memcpy(din, eh, H * 4);
        memcpy(din + H, y + (size_t)s * no, no * 4);
        blas_lstm(dwih, dwhh, db, din, H + no, dh, dc, H, pre);
        memcpy(z, ob, no * 4);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)no, (int)H, 1.0f, ow, (int)H, dh, 1, 1.0f, z,
                    1);
        us[s] = now_us() - t0;
    }
    report("OpenBLAS sgemv step (1 copy, dense)", us, N_STEPS, acd_model_flops_per_step(m, 1));

    /* The cell alone: vectorised approximations vs libm. */
    float *c = calloc(H, 4), *h = calloc(H, 4);
    for (size_t i = 0; i < 4 * H; i++)
        pre[i] = 3.0f * frand();
    for (int pass = 0; pass < 2; pass++) {
        for (int s = 0; s < N_STEPS; s++) {
            double t0 = now_us();
            for (int r = 0; r < 10; r++)
                (pass ? acd_kern_lstm_cell_exact : acd_kern_lstm_cell)(pre, H, c, h);
            us[s] = (now_us() - t0) / 10.0;
        }
        report(pass ? "LSTM cell H=128, libm expf/tanhf" : "LSTM cell H=128, vectorised", us,
               N_STEPS, 0.0);
    }

    free(c);
    free(h);
    free(pre);
    free(din);
    free(eb);
    free(db);
    free(eh);
    free(ec);
    free(dh);
    free(dc);
    free(us);
    free(z);
    free(x);
    free(y);
    acd_model_free(m);
    acd_model_tensors_free(t);
    return 0;
}
