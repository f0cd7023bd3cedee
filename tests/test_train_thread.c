/* The trainer's two-thread batch split, for ThreadSanitizer: blocks, per-thread gradients, their
 * fixed-order sum. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/rng.h"
#include "accompd/train.h"
#include "testutil.h"
#include "train_net.h"

enum { T = 20, B = 9, N_IN = 11, N_OUT = 7 };

static const AcdTrainShape shape = {.n_in = N_IN,
                                    .n_out = N_OUT,
                                    .enc_hidden = 8,
                                    .enc_layers = 1,
                                    .dec_hidden = 12,
                                    .dec_layers = 2};

/* Several thread counts, one batch: each count repeats its bits exactly,
 * and all agree to float rounding. */
START_TEST(thread_counts_agree_and_repeat)
{
    AcdRng rng;
    acd_rng_seed(&rng, 8);
    AcdTrainNet *net = NULL;
    ck_assert_int_eq(acd_train_net_new(&shape, &net, NULL), ACD_OK);
    acd_train_net_randomize(net, &rng);
    size_t nx = (size_t)B * T * N_IN, ny = (size_t)B * T * N_OUT;
    float *x = malloc(nx * sizeof(float)), *y = malloc(ny * sizeof(float)),
          *yp = malloc(ny * sizeof(float));
    ck_assert(x && y && yp);
    for (size_t i = 0; i < nx; i++)
        x[i] = acd_rng_next_unit(&rng) < 0.2 ? 1.0f : 0.0f;
    for (size_t i = 0; i < ny; i++)
        y[i] = yp[i] = acd_rng_next_unit(&rng) < 0.2 ? 1.0f : 0.0f;
    AcdTrainBatch batch = {T, B, x, y, yp, NULL};
    size_t n = net->n_params;
    float *ref = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float)),
          *g2 = malloc(n * sizeof(float));
    ck_assert(ref && g && g2);
    for (int threads = 1; threads <= 4; threads++) {
        AcdTrainWork *w = NULL;
        ck_assert_int_eq(acd_train_work_new(&shape, T, B, threads, &w, NULL), ACD_OK);
        AcdTrainLoss l1, l2;
        ck_assert_int_eq(acd_train_net_loss(net, w, &batch, NULL, g, &l1), ACD_OK);
        ck_assert_int_eq(acd_train_net_loss(net, w, &batch, NULL, g2, &l2), ACD_OK);
        ck_assert(memcmp(g, g2, n * sizeof(float)) == 0 && l1.loss == l2.loss);
        if (threads == 1)
            memcpy(ref, g, n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            ck_assert(fabsf(g[i] - ref[i]) <= 1e-5f + 1e-4f * fabsf(ref[i]));
        acd_train_work_free(w);
    }
    free(ref);
    free(g);
    free(g2);
    free(x);
    free(y);
    free(yp);
    acd_train_net_free(net);
}
END_TEST

/* A whole (tiny) run on two threads, with an interrupt flag that is set. */
START_TEST(run_on_two_threads)
{
    char dir[] = "/tmp/acd_train_thread_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[256];
    snprintf(out, sizeof out, "%s/m.safetensors", dir);
    AcdTrainOptions o;
    acd_train_options_default(&o);
    o.data = acd_test_src("tests/data/pop909");
    o.model.enc_hidden = o.model.dec_hidden = 8;
    o.model.window = 32;
    o.model.hop = 16;
    o.train_hop = 16;
    o.batch = 4;
    o.epochs = 2;
    o.threads = 2;
    o.checkpoint_minutes = 0.0;
    o.progress = ACD_TRAIN_PROGRESS_QUIET;
    o.out = out;
    AcdTrainResult res;
    AcdError err = {0};
    volatile sig_atomic_t stop = 1;
    ck_assert_msg(acd_train_run(&o, &stop, &res, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert(res.interrupted);
    ck_assert_int_eq(res.steps, 1);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_thread");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, thread_counts_agree_and_repeat);
    tcase_add_test(tc, run_on_two_threads);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
