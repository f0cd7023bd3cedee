/* accomp bench-train: training throughput (time steps × batch per second) of the C trainer on
 * random data. */
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accompd/rng.h"
#include "commands.h"
#include "train_adam.h"
#include "train_net.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: accomp bench-train [OPTIONS]\n"
            "Time full training updates (forward, BCE, backward through time, clipping, Adam)\n"
            "of the encoder-decoder on random 0/1 rolls, one layer each side.\n"
            "\n"
            "  --hidden N     H of both LSTMs (default 128)\n"
            "  --n-in N       encoder input width (default 88)\n"
            "  --n-out N      output width (default 88)\n"
            "  --window N     steps per sequence (default 100)\n"
            "  --batch N      sequences per update (default 64)\n"
            "  --threads N    threads splitting the batch (default 1)\n"
            "  --blas-threads N  OpenBLAS threads inside each sgemm (default 1; the trainer\n"
            "                 uses 1, see README.md)\n"
            "  --seconds S    time to measure (default 10)\n"
            "\n"
            "Set OPENBLAS_CORETYPE (e.g. SkylakeX) before starting: OpenBLAS reads it at load.\n"
            "The last line, RESULT key=value ..., is for tools/bench-train-side-by-side.\n");
}

static int get_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "accomp bench-train: '%s': expected a whole number in %d..%d\n", s, lo, hi);
        return 2;
    }
    *out = (int)v;
    return 0;
}

int acd_cmd_bench_train(int argc, char **argv)
{
    static const struct option opts[] = {
        {"hidden", required_argument, NULL, 'H'},  {"n-in", required_argument, NULL, 'i'},
        {"n-out", required_argument, NULL, 'o'},   {"window", required_argument, NULL, 'T'},
        {"batch", required_argument, NULL, 'B'},   {"threads", required_argument, NULL, 'j'},
        {"seconds", required_argument, NULL, 's'}, {"blas-threads", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int H = 128, n_in = 88, n_out = 88, T = 100, B = 64, threads = 1, seconds = 10, c, rc = 0;
    int blas = 1;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'H':
            rc = get_int(optarg, 1, 4096, &H);
            break;
        case 'i':
            rc = get_int(optarg, 1, 4096, &n_in);
            break;
        case 'o':
            rc = get_int(optarg, 1, 4096, &n_out);
            break;
        case 'T':
            rc = get_int(optarg, 1, 100000, &T);
            break;
        case 'B':
            rc = get_int(optarg, 1, 4096, &B);
            break;
        case 'j':
            rc = get_int(optarg, 1, ACD_TRAIN_MAX_THREADS, &threads);
            break;
        case 's':
            rc = get_int(optarg, 1, 3600, &seconds);
            break;
        case 'b':
            rc = get_int(optarg, 1, 64, &blas);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (rc)
        return rc;
    openblas_set_num_threads(blas);
    AcdTrainShape shape = {n_in, n_out, H, 1, H, 1};
    AcdTrainNet *net = NULL;
    AcdTrainWork *work = NULL;
    AcdTrainAdam adam = {0};
    AcdError err = {0};
    float *x = NULL, *y = NULL, *yp = NULL, *grad = NULL;
    rc = 1;
    if (acd_train_net_new(&shape, &net, &err) ||
        acd_train_work_new(&shape, T, B, threads, &work, &err) ||
        acd_train_adam_init(&adam, net->n_params, &err)) {
        fprintf(stderr, "accomp bench-train: %s\n", acd_error_text(&err));
        goto done;
    }
    size_t nx = (size_t)B * T * n_in, ny = (size_t)B * T * n_out;
    x = malloc(nx * sizeof *x);
    y = malloc(ny * sizeof *y);
    yp = malloc(ny * sizeof *yp);
    grad = malloc(net->n_params * sizeof *grad);
    if (!x || !y || !yp || !grad) {
        fprintf(stderr, "accomp bench-train: out of memory\n");
        goto done;
    }
    AcdRng rng;
    acd_rng_seed(&rng, 1);
    acd_train_net_randomize(net, &rng);
    /* rolls are sparse: about 5% of the bits are set, as in real music */
    for (size_t i = 0; i < nx; i++)
        x[i] = acd_rng_next_unit(&rng) < 0.05 ? 1.0f : 0.0f;
    for (size_t i = 0; i < ny; i++)
        y[i] = acd_rng_next_unit(&rng) < 0.05 ? 1.0f : 0.0f;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < n_out; j++)
                yp[((size_t)b * T + t) * n_out + j] =
                    t ? y[((size_t)b * T + t - 1) * n_out + j] : 0.0f;
    AcdTrainBatch batch = {T, B, x, y, yp, NULL};
    const AcdTrainAdamConfig cfg = {1e-3f, 0.9f, 0.999f, 1e-8f};
    AcdTrainLoss loss = {0};
    long iters = 0;
    double t0 = 0.0, t1 = 0.0;
    /* two untimed updates warm the caches and OpenBLAS's buffers */
    for (int phase = 0; phase < 2; phase++) {
        t0 = now_s();
        for (iters = 0; phase ? t1 - t0 < seconds : iters < 2; iters++) {
            acd_train_net_loss(net, work, &batch, NULL, grad, &loss);
            acd_train_clip(grad, net->n_params, 1.0);
            acd_train_adam_step(&adam, &cfg, net->params, grad);
            t1 = now_s();
        }
    }
    double rate = (double)iters * T * B / (t1 - t0);
    const char *core = getenv("OPENBLAS_CORETYPE");
    printf("accomp bench-train: H %d, n_in %d, n_out %d, T %d, batch %d, %d thread%s, "
           "%d BLAS thread%s, OPENBLAS_CORETYPE=%s\n",
           H, n_in, n_out, T, B, threads, threads > 1 ? "s" : "", blas, blas > 1 ? "s" : "",
           core ? core : "(unset)");
    printf("  %ld updates in %.2f s: %.1f ms per update, %.0f time steps x batch per second "
           "(loss %.4f)\n",
           iters, t1 - t0, 1e3 * (t1 - t0) / (double)iters, rate, loss.loss);
    printf("RESULT steps_batch_per_s=%.1f ms_per_update=%.3f threads=%d\n", rate,
           1e3 * (t1 - t0) / (double)iters, threads);
    rc = 0;
done:
    free(x);
    free(y);
    free(yp);
    free(grad);
    acd_train_adam_cleanup(&adam);
    acd_train_work_free(work);
    acd_train_net_free(net);
    return rc;
}
