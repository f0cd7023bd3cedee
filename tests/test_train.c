/* Tests of the trainer: gradients against finite differences, determinism, learning a tiny problem.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/infer.h"
#include "accompd/model.h"
#include "testutil.h"
#include "train_adam.h"
#include "train_data.h"
#include "train_net.h"
#include "train_save.h"
#include "accompd/rng.h"

/* A tiny problem: two layers on each side, sizes that differ so that a
 * swapped index shows, T = 5, B = 3, one padded step. */
enum { T = 5, B = 3, N_IN = 5, N_OUT = 4 };

typedef struct {
    float x[B * T * N_IN];
    float y[B * T * N_OUT];
    float y_prev[B * T * N_OUT];
    float mask[B * T];
    float pos_weight[N_OUT];
    AcdTrainBatch batch;
} Tiny;

static void tiny_make(Tiny *p, uint64_t seed)
{
    AcdRng rng;
    acd_rng_seed(&rng, seed);
    for (int i = 0; i < B * T * N_IN; i++)
        p->x[i] =
            (float)acd_rng_next_unit(&rng) < 0.4f ? 1.0f : (float)acd_rng_next_unit(&rng) * 0.5f;
    for (int i = 0; i < B * T * N_OUT; i++)
        p->y[i] = (float)acd_rng_next_unit(&rng) < 0.35f ? 1.0f : 0.0f;
    /* teacher forcing: y_{t-1}; at t = 0 the step before the window */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < N_OUT; j++)
                p->y_prev[(b * T + t) * N_OUT + j] =
                    t ? p->y[(b * T + t - 1) * N_OUT + j]
                      : ((float)acd_rng_next_unit(&rng) < 0.5f ? 1.0f : 0.0f);
    for (int i = 0; i < B * T; i++)
        p->mask[i] = 1.0f;
    p->mask[2 * T + T - 1] = 0.0f;
    for (int j = 0; j < N_OUT; j++)
        p->pos_weight[j] = 1.0f + 0.5f * (float)j;
    p->batch = (AcdTrainBatch){T, B, p->x, p->y, p->y_prev, p->mask};
}

static const AcdTrainShape tiny_shape = {.n_in = N_IN,
                                         .n_out = N_OUT,
                                         .enc_hidden = 3,
                                         .enc_layers = 2,
                                         .dec_hidden = 4,
                                         .dec_layers = 2};

static AcdTrainNet *tiny_net(uint64_t seed)
{
    AcdTrainNet *net = NULL;
    ck_assert_int_eq(acd_train_net_new(&tiny_shape, &net, NULL), ACD_OK);
    AcdRng rng;
    acd_rng_seed(&rng, seed);
    acd_train_net_randomize(net, &rng);
    /* larger weights than PyTorch's init, so that gates leave their linear
     * range and every nonlinearity's derivative is exercised */
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] *= 2.0f;
    return net;
}

static double loss_of(const AcdTrainNet *net, AcdTrainWork *w, const Tiny *p)
{
    AcdTrainLoss l;
    ck_assert_int_eq(acd_train_net_loss(net, w, &p->batch, p->pos_weight, NULL, &l), ACD_OK);
    return l.loss;
}

/* Every parameter of every tensor against a central difference. The
 * kernels are float (sgemm), so the step is large (1e-2) to keep float
 * rounding of the loss (~1e-8 absolute, summed in double) below 1e-5 of a
 * typical difference; the truncation error of a central difference is
 * O(eps^2) ~ 1e-4 relative. Gradients below 1e-3 are compared absolutely
 * against that floor, since their relative error is rounding noise. So
 * 1e-2 relative is a wide margin for a correct gradient, while a wrong
 * index, sign or missing term gives errors of order 1. */
static void grad_check(int n_threads)
{
    Tiny p;
    tiny_make(&p, 7);
    AcdTrainNet *net = tiny_net(11);
    AcdTrainWork *w = NULL;
    ck_assert_int_eq(acd_train_work_new(&tiny_shape, T, B, n_threads, &w, NULL), ACD_OK);
    float *grad = malloc(net->n_params * sizeof(float));
    ck_assert_ptr_nonnull(grad);
    AcdTrainLoss l;
    ck_assert_int_eq(acd_train_net_loss(net, w, &p.batch, p.pos_weight, grad, &l), ACD_OK);
    ck_assert(l.loss > 0.1 && l.loss < 10.0);
    ck_assert(fabs(l.terms - (B * T - 1) * N_OUT) < 1e-9);

    for (int ti = 0; ti < net->n_tensors; ti++) {
        const AcdTrainTensor *t = &net->tensors[ti];
        size_t n = (size_t)t->rows * (size_t)(t->cols ? t->cols : 1);
        double worst = 0.0, norm = 0.0;
        for (size_t k = 0; k < n; k++) {
            float *q = &net->params[t->offset + k];
            const float q0 = *q, eps = 2e-2f;
            float qp = q0 + eps, qm = q0 - eps;
            *q = qp;
            double lp = loss_of(net, w, &p);
            *q = qm;
            double lm = loss_of(net, w, &p);
            *q = q0;
            double num = (lp - lm) / ((double)qp - (double)qm);
            double ana = grad[t->offset + k];
            double scale = fmax(fmax(fabs(num), fabs(ana)), 1e-3);
            double err = fabs(num - ana) / scale;
            if (err > worst)
                worst = err;
            norm += ana * ana;
        }
        ck_assert_msg(worst < 1e-2, "%s: max relative error %.3g", t->name, worst);
        /* a tensor whose gradient is all zero would pass vacuously */
        ck_assert_msg(sqrt(norm) > 1e-4, "%s: gradient norm %.3g", t->name, sqrt(norm));
    }
    free(grad);
    acd_train_work_free(w);
    acd_train_net_free(net);
}

START_TEST(gradients_match_finite_differences)
{
    grad_check(1);
}
END_TEST

START_TEST(gradients_match_finite_differences_two_threads)
{
    grad_check(2);
}
END_TEST

/* Same seed, same thread count: the same bits; 1 and 2 threads agree to
 * float rounding (their sgemm shapes differ). */
START_TEST(gradients_are_deterministic)
{
    Tiny p;
    tiny_make(&p, 3);
    AcdTrainNet *net = tiny_net(5);
    AcdTrainWork *w1 = NULL, *w2 = NULL;
    ck_assert_int_eq(acd_train_work_new(&tiny_shape, T, B, 1, &w1, NULL), ACD_OK);
    ck_assert_int_eq(acd_train_work_new(&tiny_shape, T, B, 2, &w2, NULL), ACD_OK);
    size_t n = net->n_params;
    float *g1 = malloc(n * sizeof(float)), *g2 = malloc(n * sizeof(float)),
          *g3 = malloc(n * sizeof(float));
    ck_assert(g1 && g2 && g3);
    AcdTrainLoss l1, l2, l3;
    ck_assert_int_eq(acd_train_net_loss(net, w1, &p.batch, NULL, g1, &l1), ACD_OK);
    ck_assert_int_eq(acd_train_net_loss(net, w2, &p.batch, NULL, g2, &l2), ACD_OK);
    ck_assert_int_eq(acd_train_net_loss(net, w2, &p.batch, NULL, g3, &l3), ACD_OK);
    ck_assert(memcmp(g2, g3, n * sizeof(float)) == 0);
    ck_assert(l2.loss == l3.loss);
    ck_assert(fabs(l1.loss - l2.loss) < 1e-6);
    for (size_t i = 0; i < n; i++)
        ck_assert(fabsf(g1[i] - g2[i]) <= 1e-5f + 1e-4f * fabsf(g1[i]));
    free(g1);
    free(g2);
    free(g3);
    acd_train_work_free(w1);
    acd_train_work_free(w2);
    acd_train_net_free(net);
}
END_TEST

/* Adam on one fixed batch must drive the loss well down. */
START_TEST(loss_decreases_on_a_tiny_problem)
{
    Tiny p;
    tiny_make(&p, 21);
    AcdTrainNet *net = NULL;
    ck_assert_int_eq(acd_train_net_new(&tiny_shape, &net, NULL), ACD_OK);
    AcdRng rng;
    acd_rng_seed(&rng, 1);
    acd_train_net_randomize(net, &rng);
    AcdTrainWork *w = NULL;
    ck_assert_int_eq(acd_train_work_new(&tiny_shape, T, B, 2, &w, NULL), ACD_OK);
    AcdTrainAdam adam;
    ck_assert_int_eq(acd_train_adam_init(&adam, net->n_params, NULL), ACD_OK);
    AcdTrainAdamConfig cfg = {.lr = 0.02f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    float *grad = malloc(net->n_params * sizeof(float));
    ck_assert_ptr_nonnull(grad);
    double first = 0.0, last = 0.0;
    for (int it = 0; it < 300; it++) {
        AcdTrainLoss l;
        ck_assert_int_eq(acd_train_net_loss(net, w, &p.batch, NULL, grad, &l), ACD_OK);
        if (it == 0)
            first = l.loss;
        last = l.loss;
        acd_train_clip(grad, net->n_params, 1.0);
        acd_train_adam_step(&adam, &cfg, net->params, grad);
    }
    ck_assert_msg(last < 0.3 * first, "loss %.4f -> %.4f", first, last);
    ck_assert_int_eq((int)adam.step, 300);
    free(grad);
    acd_train_adam_cleanup(&adam);
    acd_train_work_free(w);
    acd_train_net_free(net);
}
END_TEST

START_TEST(clip_scales_to_the_norm)
{
    float g[4] = {3.0f, 4.0f, 0.0f, 0.0f};
    double n = acd_train_clip(g, 4, 1.0);
    ck_assert(fabs(n - 5.0) < 1e-9);
    ck_assert(fabsf(g[0] - 0.6f) < 1e-5f && fabsf(g[1] - 0.8f) < 1e-5f);
    n = acd_train_clip(g, 4, 10.0);
    ck_assert(fabsf(g[0] - 0.6f) < 1e-5f);
}
END_TEST

/* The trainer's batched forward and the engine's streaming inference
 * (model.h, infer.h) compute the same function on the same weights. */
START_TEST(trainer_forward_equals_inference)
{
    AcdModelConfig cfg;
    acd_model_config_default(&cfg);
    cfg.enc_hidden = 24;
    cfg.dec_hidden = 20;
    cfg.enc_layers = 2;
    cfg.dec_layers = 2;
    cfg.window = 12;
    cfg.hop = 6;
    ck_assert_int_eq(acd_model_config_check(&cfg, NULL), ACD_OK);
    const int Tw = cfg.window, Bw = 3, n_in = cfg.n_in, n_out = cfg.n_out;
    AcdTrainShape shape = {n_in,           n_out,          cfg.enc_hidden,
                           cfg.enc_layers, cfg.dec_hidden, cfg.dec_layers};
    AcdTrainNet *net = NULL;
    ck_assert_int_eq(acd_train_net_new(&shape, &net, NULL), ACD_OK);
    AcdRng rng;
    acd_rng_seed(&rng, 99);
    acd_train_net_randomize(net, &rng);
    size_t nx = (size_t)Bw * Tw * n_in, ny = (size_t)Bw * Tw * n_out;
    float *x = calloc(nx, sizeof(float)), *yp = calloc(ny, sizeof(float)),
          *z = calloc(ny, sizeof(float)), *zi = calloc(ny, sizeof(float));
    ck_assert(x && yp && z && zi);
    for (size_t i = 0; i < nx; i++)
        x[i] = acd_rng_next_unit(&rng) < 0.1 ? 1.0f : 0.0f;
    for (size_t i = 0; i < ny; i++)
        yp[i] = acd_rng_next_unit(&rng) < 0.05 ? 1.0f : 0.0f;
    AcdTrainWork *w = NULL;
    ck_assert_int_eq(acd_train_work_new(&shape, Tw, Bw, 2, &w, NULL), ACD_OK);
    AcdTrainBatch batch = {Tw, Bw, x, NULL, yp, NULL};
    ck_assert_int_eq(acd_train_net_logits(net, w, &batch, z), ACD_OK);

    AcdModelTensors *t = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_train_net_to_tensors(net, &cfg, &t, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    AcdModel *m = NULL;
    ck_assert_msg(acd_model_new(t, &m, &err) == ACD_OK, "%s", acd_error_text(&err));
    AcdInferState *st = NULL;
    ck_assert_int_eq(acd_infer_state_new(m, ACD_INFER_PLAIN, &st, NULL), ACD_OK);
    double worst = 0.0;
    for (int b = 0; b < Bw; b++) {
        acd_infer_reset(st);
        for (int k = 0; k < Tw; k++) {
            size_t r = (size_t)b * Tw + k;
            acd_infer_step(m, st, x + r * n_in, yp + r * n_out, zi + r * n_out);
        }
    }
    for (size_t i = 0; i < ny; i++)
        worst = fmax(worst, fabs((double)z[i] - (double)zi[i]));
    /* float sums in different orders (sgemm vs the engine's kernels) and
     * the trainer's polynomial exp: a few 1e-7 relative per step */
    ck_assert_msg(worst < 1e-5, "max |z_train - z_infer| = %g", worst);
    acd_infer_state_free(st);
    acd_model_free(m);
    acd_model_tensors_free(t);
    acd_train_work_free(w);
    acd_train_net_free(net);
    free(x);
    free(yp);
    free(z);
    free(zi);
}
END_TEST

/* Windows and batch rows from the POP909 fixture: teacher forcing across
 * window starts, masks, and transposition (a rotated pitch-class
 * histogram, shifted roll bits). */
START_TEST(windows_and_transposition)
{
    AcdModelConfig cfg;
    acd_model_config_default(&cfg);
    cfg.window = 32;
    cfg.hop = 16;
    ck_assert_int_eq(acd_model_config_check(&cfg, NULL), ACD_OK);
    AcdTrainSet set;
    AcdError err = {0};
    ck_assert_msg(acd_train_set_load(&set, acd_test_src("tests/data/pop909"), ACD_COLLECTION_AUTO,
                                     ACD_SPLIT_TRAIN, &cfg, 16, 0, NULL, NULL, &err) == ACD_OK,
                  "%s", acd_error_text(&err));
    ck_assert_int_eq((int)set.n_songs, 2);
    ck_assert_int_gt((int)set.n_windows, 4);
    const int W = cfg.window, n_in = cfg.n_in, n_out = cfg.n_out;
    float *x0 = malloc(sizeof(float) * W * n_in), *x5 = malloc(sizeof(float) * W * n_in);
    float *y0 = malloc(sizeof(float) * W * n_out), *y5 = malloc(sizeof(float) * W * n_out);
    float *p0 = malloc(sizeof(float) * W * n_out), *p5 = malloc(sizeof(float) * W * n_out);
    float *ya = malloc(sizeof(float) * W * n_out), *pa = malloc(sizeof(float) * W * n_out);
    float m0[64], m5[64];
    ck_assert(x0 && x5 && y0 && y5 && p0 && p5 && ya && pa);
    int checked = 0;
    for (size_t w = 1; w < set.n_windows; w++) {
        const AcdTrainWindow *a = &set.windows[w - 1], *b = &set.windows[w];
        if (a->song != b->song || b->start != a->start + 16)
            continue;
        acd_train_set_fill(&set, w - 1, 0, x0, ya, pa, m0);
        acd_train_set_fill(&set, w, 0, x0, y0, p0, m0);
        /* y_prev at the first step is the real step before the window */
        ck_assert(memcmp(p0, ya + (size_t)15 * n_out, sizeof(float) * n_out) == 0);
        for (int t = 1; t < W; t++)
            ck_assert(memcmp(p0 + (size_t)t * n_out, y0 + (size_t)(t - 1) * n_out,
                             sizeof(float) * n_out) == 0);
        for (int t = 0; t < W; t++)
            ck_assert(m0[t] == 1.0f);
        acd_train_set_fill(&set, w, 5, x5, y5, p5, m5);
        double on0 = 0, on5 = 0, acc0 = 0, acc5 = 0;
        for (int t = 0; t < W; t++) {
            const float *h0 = x0 + (size_t)t * n_in + n_in - 12,
                        *h5 = x5 + (size_t)t * n_in + n_in - 12;
            for (int c = 0; c < 12; c++)
                ck_assert_msg(fabsf(h5[(c + 5) % 12] - h0[c]) < 1e-6f, "pc %d step %d", c, t);
            for (int i = 0; i < 2 * cfg.p_mel; i++) {
                on0 += (double)x0[(size_t)t * n_in + i];
                on5 += (double)x5[(size_t)t * n_in + i];
            }
            for (int i = 0; i < n_out; i++) {
                acc0 += (double)y0[(size_t)t * n_out + i];
                acc5 += (double)y5[(size_t)t * n_out + i];
            }
            /* positions do not move */
            ck_assert(memcmp(x0 + (size_t)t * n_in + 2 * cfg.p_mel,
                             x5 + (size_t)t * n_in + 2 * cfg.p_mel,
                             sizeof(float) * (size_t)(n_in - 2 * cfg.p_mel - 12)) == 0);
        }
        /* folding can merge two pitches into one, never add notes */
        ck_assert(on5 <= on0 && on5 >= 0.9 * on0 && acc5 <= acc0 && acc5 >= 0.9 * acc0);
        checked++;
    }
    ck_assert_int_gt(checked, 2);
    free(x0);
    free(x5);
    free(y0);
    free(y5);
    free(p0);
    free(p5);
    free(ya);
    free(pa);
    acd_train_set_cleanup(&set);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, gradients_match_finite_differences);
    tcase_add_test(tc, gradients_match_finite_differences_two_threads);
    tcase_add_test(tc, gradients_are_deterministic);
    tcase_add_test(tc, loss_decreases_on_a_tiny_problem);
    tcase_add_test(tc, clip_scales_to_the_norm);
    tcase_add_test(tc, trainer_forward_equals_inference);
    tcase_add_test(tc, windows_and_transposition);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
