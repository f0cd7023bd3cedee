/* accomp bench: per-step latency of features, model and sampler, beside this CPU's roofline. */
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/features.h"
#include "accompd/infer.h"
#include "accompd/model.h"
#include "accompd/rng.h"
#include "accompd/sampler.h"
#include "bench_probe.h"
#include "commands.h"
#include "model_kernels.h"

#define DEFAULT_MODEL "models/default.safetensors"

typedef struct {
    const char *model_path; /* NULL: the default file, else a random model */
    const char *save_path;
    long steps, warmup;
    uint64_t seed;
    float temperature;
    int probe, layers, bf16;
} Opts;

/* Latency of one pass: totals per step, and the medians of its phases. */
typedef struct {
    double median_us, p99_us, max_us;
    double feat_us, infer_us, sample_us; /* medians; 0 unless measured */
} Stats;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: accomp bench [--model PATH] [--steps N] [--warmup N] [--seed N]\n"
            "                    [--temperature T] [--save-model PATH] [--no-probe] [--no-layers]\n"
            "                    [--bf16]\n"
            "\n"
            "Streams a synthetic melody through features, model and sampler one step at a\n"
            "time, as the engine does, and prints median and p99 latency per step (plain\n"
            "and with the staggered window states), FLOPs and weight bytes per step, and\n"
            "the roofline bound from this CPU's measured FMA rate and read bandwidth.\n"
            "\n"
            "  --model PATH       weights file (default " DEFAULT_MODEL " if present,\n"
            "                     else a random model of the default size)\n"
            "  --steps N          timed steps per pass (default 20000)\n"
            "  --warmup N         untimed steps first (default 2000)\n"
            "  --seed N           seed of the random model, melody and sampler (default 1)\n"
            "  --temperature T    sampler temperature (default 1: the sampling path)\n"
            "  --save-model PATH  write the weights benchmarked (e.g. the random ones), so\n"
            "                     that tools/bench_torch.py can run the same model\n"
            "  --no-probe         skip the bandwidth and FMA probes\n"
            "  --no-layers        skip the per-layer OpenBLAS comparison\n"
            "  --bf16             keep the dense matrices as bf16 (opt-in, not exact) and\n"
            "                     print how far its logits stray from the F32 model's\n"
            "\n"
            "The last line, RESULT key=value ..., is for tools/bench-side-by-side.\n");
}

/* PyTorch's default initialisation, U(-1/sqrt(fan), 1/sqrt(fan)), with fan
 * the hidden size for LSTM tensors and the input size for the output layer,
 * so that the random model's activations look like an untrained one's. */
static AcdStatus random_model(uint64_t seed, AcdModelTensors **out, AcdError *err)
{
    AcdModelConfig cfg;
    acd_model_config_default(&cfg);
    AcdStatus st = acd_model_tensors_new(&cfg, out, err);
    if (st != ACD_OK)
        return st;
    const AcdModelConfig *c = acd_model_tensors_config(*out);
    AcdRng r;
    acd_rng_seed(&r, seed);
    AcdTensorSpec spec;
    for (size_t i = 0; acd_model_tensor_spec(c, i, &spec); i++) {
        size_t n = 0;
        float *w = acd_model_tensors_find(*out, spec.name, &n);
        int fan = !strncmp(spec.name, "encoder.", 8) ? c->enc_hidden : c->dec_hidden;
        double k = 1.0 / sqrt((double)fan);
        for (size_t j = 0; j < n; j++)
            w[j] = (float)(k * (2.0 * acd_rng_next_unit(&r) - 1.0));
    }
    return ACD_OK;
}

/* A melody a player might play: single notes of 1..8 steps on a random walk
 * through the model's range, with rests. Rows of p_mel onset then p_mel hold
 * bits. */
static uint8_t *make_melody(const AcdModelConfig *c, long n, uint64_t seed)
{
    size_t w = 2 * (size_t)c->p_mel;
    uint8_t *bits = calloc((size_t)n, w);
    if (!bits)
        return NULL;
    AcdRng r;
    acd_rng_seed(&r, seed ^ UINT64_C(0x6d656c6f6479));
    int pitch = c->p_mel / 2;
    for (long t = 0; t < n;) {
        int len = 1 + (int)(acd_rng_next_u64(&r) % 8);
        int rest = acd_rng_next_u64(&r) % 100 < 15;
        pitch += (int)(acd_rng_next_u64(&r) % 9) - 4;
        pitch = pitch < 0 ? 0 : pitch >= c->p_mel ? c->p_mel - 1 : pitch;
        for (int k = 0; k < len && t < n; k++, t++)
            if (!rest)
                bits[(size_t)t * w + (k ? (size_t)c->p_mel : 0) + (size_t)pitch] = 1;
    }
    return bits;
}

/* Everything one stream needs, allocated before timing starts. */
typedef struct {
    const AcdModel *m;
    const AcdModelConfig *c;
    AcdInferState *st;
    AcdSampler *smp;
    AcdFeatureState fs;
    const uint8_t *melody;
    float *x, *y, *z;
    double *t_total, *t_feat, *t_infer, *t_sample;
    double nnz_x, nnz_y; /* mean non-zeros of x_t and y_{t-1} over the timed steps */
} Stream;

/* Run warmup + steps steps from a fresh state; time each step whole, or
 * each phase apart when `phases` (three more timer reads per step). */
static Stats run_stream(Stream *s, const Opts *o, int phases)
{
    acd_infer_reset(s->st);
    acd_sampler_reset(s->smp);
    acd_features_init(&s->fs);
    memset(s->y, 0, (size_t)s->c->n_out * sizeof *s->y);
    const size_t w = 2 * (size_t)s->c->p_mel;
    const int spb = s->c->steps_per_beat;
    const int onoff = s->c->roll == ACD_ROLL_ONOFF;
    long total = o->warmup + o->steps;
    double nnz_x = 0.0, nnz_y = 0.0;
    for (long t = 0; t < total; t++) {
        const uint8_t *on = s->melody + (size_t)t * w, *hold = on + s->c->p_mel;
        if (onoff) {
            /* "sounds" bits: onset or hold, built outside the timed part. */
            static uint8_t sounds[128];
            for (int i = 0; i < s->c->p_mel && i < 128; i++)
                sounds[i] = on[i] | hold[i];
            on = sounds;
            hold = NULL;
        }
        if (t >= o->warmup)
            for (int i = 0; i < s->c->n_out; i++)
                nnz_y += s->y[i] != 0.0f;
        double t0 = acd_probe_now_ns();
        acd_features_step(s->c, &s->fs, on, hold, (int)(t % spb), (int)((t / spb) % 4), s->x);
        double t1 = phases ? acd_probe_now_ns() : 0.0;
        acd_infer_step(s->m, s->st, s->x, s->y, s->z);
        double t2 = phases ? acd_probe_now_ns() : 0.0;
        acd_sampler_step(s->smp, s->z, NULL, s->y);
        double t3 = acd_probe_now_ns();
        if (t >= o->warmup) {
            size_t k = (size_t)(t - o->warmup);
            s->t_total[k] = (t3 - t0) * 1e-3;
            for (int i = 0; i < s->c->n_in; i++)
                nnz_x += s->x[i] != 0.0f;
            if (phases) {
                s->t_feat[k] = (t1 - t0) * 1e-3;
                s->t_infer[k] = (t2 - t1) * 1e-3;
                s->t_sample[k] = (t3 - t2) * 1e-3;
            }
        }
    }
    size_t n = (size_t)o->steps;
    s->nnz_x = nnz_x / (double)n;
    s->nnz_y = nnz_y / (double)n;
    Stats r = {0};
    r.median_us = acd_probe_quantile(s->t_total, n, 0.5);
    r.p99_us = acd_probe_quantile(s->t_total, n, 0.99);
    r.max_us = s->t_total[n - 1];
    if (phases) {
        r.feat_us = acd_probe_quantile(s->t_feat, n, 0.5);
        r.infer_us = acd_probe_quantile(s->t_infer, n, 0.5);
        r.sample_us = acd_probe_quantile(s->t_sample, n, 0.5);
    }
    return r;
}

/* Median time of one call of a kernel, in µs: batches of 16 calls, median
 * over batches, so the timer's own cost stays out. */
#define TIME_BATCHES(out, code)                                                                    \
    do {                                                                                           \
        enum { B_ = 400, K_ = 16 };                                                                \
        double d_[B_];                                                                             \
        for (int w_ = 0; w_ < 50; w_++) {                                                          \
            code;                                                                                  \
        }                                                                                          \
        for (int b_ = 0; b_ < B_; b_++) {                                                          \
            double t0_ = acd_probe_now_ns();                                                       \
            for (int k_ = 0; k_ < K_; k_++) {                                                      \
                code;                                                                              \
            }                                                                                      \
            d_[b_] = (acd_probe_now_ns() - t0_) * 1e-3 / K_;                                       \
        }                                                                                          \
        (out) = acd_probe_quantile(d_, B_, 0.5);                                                   \
    } while (0)

/* n floats, 64-byte aligned (aligned_alloc wants a multiple of 64 bytes). */
static float *falloc(size_t n)
{
    return aligned_alloc(64, ACD_KERN_ROUND(n * sizeof(float), 64));
}

/* One dense LSTM layer (or the output layer when w_hh is NULL), as the
 * matrix-vector product [W_ih W_hh] u: OpenBLAS sgemv on PyTorch's row-major
 * layout against our blocked kernel. The model itself does better still on
 * the first layers, whose roll inputs are sparse; this isolates the kernel. */
static void bench_layer(const char *name, const float *w_ih, const float *w_hh, size_t rows,
                        size_t in, size_t h)
{
    size_t cols = in + h;
    size_t rows_pad = ACD_KERN_ROUND(rows, ACD_KERN_BLOCK);
    size_t cols_pad = ACD_KERN_ROUND(cols, ACD_KERN_PAD);
    float *wcat = falloc(rows * cols);
    float *wb = falloc(rows_pad * cols_pad);
    float *u = falloc(cols_pad);
    float *init = falloc(rows_pad);
    float *out = falloc(rows_pad);
    float *c = falloc(rows_pad);
    if (!wcat || !wb || !u || !init || !out || !c) {
        printf("  %-12s (no memory)\n", name);
        goto done;
    }
    memset(wb, 0, rows_pad * cols_pad * sizeof(float));
    memset(init, 0, rows_pad * sizeof(float));
    memset(c, 0, rows_pad * sizeof(float));
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < cols; k++) {
            float v = k < in ? w_ih[r * in + k] : w_hh[r * h + (k - in)];
            wcat[r * cols + k] = v;
            wb[(r / ACD_KERN_BLOCK) * cols * ACD_KERN_BLOCK + k * ACD_KERN_BLOCK +
               r % ACD_KERN_BLOCK] = v;
        }
    }
    for (size_t k = 0; k < cols_pad; k++)
        u[k] = k < cols ? (float)((k * 7) % 11) / 11.0f - 0.5f : 0.0f;

    double blas_us, own_us, cell_us = 0.0;
    TIME_BATCHES(blas_us, cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, wcat,
                                      (int)cols, u, 1, 0.0f, out, 1));
    TIME_BATCHES(own_us, acd_kern_gemv_blocked(wb, rows_pad, cols, init, u, cols, 1, out, rows));
    int lstm = w_hh && h % ACD_KERN_PAD == 0;
    if (lstm)
        TIME_BATCHES(cell_us, acd_kern_lstm_cell(out, h, c, u + in));
    /* Agreement, so that a fast wrong kernel cannot hide here. */
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, wcat, (int)cols, u, 1,
                0.0f, init, 1);
    memset(out, 0, rows_pad * sizeof(float));
    float *zero = c;
    memset(zero, 0, rows_pad * sizeof(float));
    acd_kern_gemv_blocked(wb, rows_pad, cols, zero, u, cols, 1, out, rows);
    double maxdiff = 0.0;
    for (size_t r = 0; r < rows; r++)
        maxdiff = fmax(maxdiff, fabs((double)out[r] - (double)init[r]));
    char shape[32];
    snprintf(shape, sizeof shape, "%zux%zu", rows, cols);
    printf("  %-12s %-9s  sgemv %6.2f us  own %6.2f us  (%4.1fx)", name, shape, blas_us, own_us,
           blas_us / own_us);
    if (lstm)
        printf("  + cell %5.2f us", cell_us);
    printf("  |diff| %.1e\n", maxdiff);
done:
    free(wcat);
    free(wb);
    free(u);
    free(init);
    free(out);
    free(c);
}

static void bench_layers(const AcdModelTensors *t)
{
    const AcdModelConfig *c = acd_model_tensors_config(t);
    printf(
        "\nper layer, one matrix-vector product [W_ih W_hh]·[in; h] (dense), median per call:\n");
    for (int dec = 0; dec < 2; dec++) {
        int layers = dec ? c->dec_layers : c->enc_layers;
        size_t h = (size_t)(dec ? c->dec_hidden : c->enc_hidden);
        for (int l = 0; l < layers; l++) {
            char a[ACD_TENSOR_NAME_MAX], b[ACD_TENSOR_NAME_MAX], label[32];
            const char *side = dec ? "decoder" : "encoder";
            snprintf(a, sizeof a, "%s.weight_ih_l%d", side, l);
            snprintf(b, sizeof b, "%s.weight_hh_l%d", side, l);
            snprintf(label, sizeof label, "%s.l%d", side, l);
            size_t n_ih = 0;
            const float *w_ih = acd_model_tensors_find_const(t, a, &n_ih);
            const float *w_hh = acd_model_tensors_find_const(t, b, NULL);
            if (!w_ih || !w_hh)
                continue;
            bench_layer(label, w_ih, w_hh, 4 * h, n_ih / (4 * h), h);
        }
    }
    const float *wo = acd_model_tensors_find_const(t, "output.weight", NULL);
    if (wo)
        bench_layer("output", wo, NULL, (size_t)c->n_out, (size_t)c->dec_hidden, 0);
}

/* Largest |logit| difference between model m and the same tensors in F32,
 * over n steps of the stream's melody, y_{t-1} from the F32 model's greedy
 * decisions; *flips counts decisions (z >= 0) that differ. */
static double bf16_error(Stream *s, const AcdModelTensors *t, long n, long *flips)
{
    AcdError err = {0};
    AcdModel *ref = NULL;
    AcdInferState *rs = NULL;
    double worst = -1.0;
    *flips = 0;
    float *z = malloc((size_t)s->c->n_out * sizeof *z);
    if (!z || acd_model_new(t, &ref, &err) != ACD_OK ||
        acd_infer_state_new(ref, ACD_INFER_PLAIN, &rs, &err) != ACD_OK)
        goto done;
    acd_infer_reset(s->st);
    acd_features_init(&s->fs);
    memset(s->y, 0, (size_t)s->c->n_out * sizeof *s->y);
    const size_t w = 2 * (size_t)s->c->p_mel;
    worst = 0.0;
    for (long k = 0; k < n; k++) {
        const uint8_t *on = s->melody + (size_t)k * w;
        acd_features_step(s->c, &s->fs, on, on + s->c->p_mel, (int)(k % s->c->steps_per_beat),
                          (int)((k / s->c->steps_per_beat) % 4), s->x);
        acd_infer_step(s->m, s->st, s->x, s->y, s->z);
        acd_infer_step(ref, rs, s->x, s->y, z);
        for (int i = 0; i < s->c->n_out; i++) {
            worst = fmax(worst, fabs((double)s->z[i] - (double)z[i]));
            *flips += (s->z[i] >= 0.0f) != (z[i] >= 0.0f);
            s->y[i] = z[i] >= 0.0f ? 1.0f : 0.0f;
        }
    }
done:
    acd_infer_state_free(rs);
    acd_model_free(ref);
    free(z);
    return worst;
}

/* Weight bytes and FLOPs one plain step really costs, from the network's
 * shape (models/README.md) rather than its memory layout: every dense
 * product reads its whole matrix, but the roll inputs x_t and y_{t-1} are
 * mostly zeros and the kernels read only the columns of their non-zeros. */
static void actual_work(const AcdModelConfig *c, double nnz_x, double nnz_y, double *bytes,
                        double *flops)
{
    double w = 0.0; /* weights read */
    double below = 0.0;
    for (int l = 0; l < c->enc_layers; l++) {
        double h = c->enc_hidden;
        w += 4.0 * h * ((l ? below : nnz_x) + h);
        below = h;
    }
    for (int l = 0; l < c->dec_layers; l++) {
        double h = c->dec_hidden;
        w += 4.0 * h * ((l ? below : (double)c->enc_hidden + nnz_y) + h);
        below = h;
    }
    w += (double)c->n_out * c->dec_hidden;
    *bytes = 4.0 * w;
    /* A multiply and an add per weight read, about ten more per gate value
     * (as acd_model_flops_per_step counts them). */
    *flops =
        2.0 * w + 40.0 * (double)(c->enc_hidden * c->enc_layers + c->dec_hidden * c->dec_layers);
}

static int parse_opts(int argc, char **argv, Opts *o)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"steps", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'w'},
        {"seed", required_argument, NULL, 's'},
        {"temperature", required_argument, NULL, 'T'},
        {"save-model", required_argument, NULL, 'o'},
        {"no-probe", no_argument, NULL, 'P'},
        {"no-layers", no_argument, NULL, 'L'},
        {"bf16", no_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (Opts){
        .steps = 20000, .warmup = 2000, .seed = 1, .temperature = 1.0f, .probe = 1, .layers = 1};
    optind = 1;
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm':
            o->model_path = optarg;
            break;
        case 'o':
            o->save_path = optarg;
            break;
        case 'n':
        case 'w': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < (ch == 'n' ? 100 : 0) || v > 100000000) {
                fprintf(stderr, "accomp bench: bad --%s '%s'\n", ch == 'n' ? "steps" : "warmup",
                        optarg);
                return 2;
            }
            *(ch == 'n' ? &o->steps : &o->warmup) = v;
            break;
        }
        case 's':
            o->seed = strtoull(optarg, &end, 0);
            if (*end) {
                fprintf(stderr, "accomp bench: bad --seed '%s'\n", optarg);
                return 2;
            }
            break;
        case 'T':
            o->temperature = strtof(optarg, &end);
            if (*end || !(o->temperature >= 0.0f && o->temperature <= 100.0f)) {
                fprintf(stderr, "accomp bench: bad --temperature '%s'\n", optarg);
                return 2;
            }
            break;
        case 'P':
            o->probe = 0;
            break;
        case 'L':
            o->layers = 0;
            break;
        case 'B':
            o->bf16 = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

static void print_machine(void)
{
    char cs[64], load[64] = "?";
    acd_probe_clocksource(cs, sizeof cs);
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fgets(load, sizeof load, f))
            load[strcspn(load, "\n")] = '\0';
        fclose(f);
    }
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("clock: CLOCK_MONOTONIC, clocksource %s, %.0f ns per read; load average %s\n", cs,
           acd_probe_timer_overhead_ns(), load);
    printf("OpenBLAS: core %s (OPENBLAS_CORETYPE=%s), 1 thread\n", openblas_get_corename(),
           ct ? ct : "unset");
}

int acd_cmd_bench(int argc, char **argv)
{
    Opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0)
        return rc;
    openblas_set_num_threads(1);

    AcdError err = {0};
    AcdModelTensors *t = NULL;
    AcdModel *m = NULL;
    AcdInferState *plain = NULL, *windowed = NULL;
    AcdSampler *smp = NULL;
    uint8_t *melody = NULL;
    double *times = NULL;
    float *vec = NULL;
    rc = 1;

    const char *path = o.model_path;
    if (!path && access(DEFAULT_MODEL, R_OK) == 0)
        path = DEFAULT_MODEL;
    AcdStatus st = path ? acd_model_tensors_load(path, &t, &err) : random_model(o.seed, &t, &err);
    if (st == ACD_OK && o.save_path)
        st = acd_model_tensors_save(t, o.save_path, &err);
    if (st == ACD_OK)
        st = acd_model_new_storage(t, o.bf16 ? ACD_WEIGHTS_BF16 : ACD_WEIGHTS_F32, &m, &err);
    if (st == ACD_OK)
        st = acd_infer_state_new(m, ACD_INFER_PLAIN, &plain, &err);
    if (st == ACD_OK)
        st = acd_infer_state_new(m, ACD_INFER_WINDOWED, &windowed, &err);
    if (st != ACD_OK) {
        fprintf(stderr, "accomp bench: %s\n", acd_error_text(&err));
        goto done;
    }
    const AcdModelConfig *c = acd_model_config(m);
    AcdSamplerConfig sc;
    acd_sampler_config_default(&sc, c->p_acc, c->acc_lo, (AcdSamplerRoll)c->roll);
    sc.temperature = o.temperature;
    sc.seed = o.seed;
    if (c->has_thresh) {
        sc.thresh_onset = c->thresh_onset;
        sc.thresh_hold = c->thresh_hold;
    }
    st = acd_sampler_new(&sc, &smp, &err);
    long n_all = o.warmup + o.steps;
    melody = make_melody(c, n_all, o.seed);
    times = malloc(4 * (size_t)o.steps * sizeof *times);
    vec = malloc(((size_t)c->n_in + 2 * (size_t)c->n_out) * sizeof *vec);
    if (st != ACD_OK || !melody || !times || !vec) {
        fprintf(stderr, "accomp bench: %s\n", st != ACD_OK ? acd_error_text(&err) : "no memory");
        goto done;
    }

    printf("model: %s; roll %s, H_enc %d x %d, H_dec %d x %d, n_in %d, n_out %d, window %d, hop "
           "%d\n",
           path ? path : "random (default size)",
           c->roll == ACD_ROLL_ONOFF ? "onoff" : "onset_hold", c->enc_hidden, c->enc_layers,
           c->dec_hidden, c->dec_layers, c->n_in, c->n_out, c->window, c->hop);
    print_machine();
    printf("weights: %s\n", o.bf16 ? "dense matrices bf16 (--bf16: approximate)" : "F32 (exact)");
    printf("sampler: temperature %g, max_poly %d, min/max length %d/%d steps\n",
           (double)sc.temperature, sc.max_poly, sc.min_len_steps, sc.max_len_steps);

    size_t n = (size_t)o.steps;
    Stream s = {
        .m = m,
        .c = c,
        .smp = smp,
        .melody = melody,
        .x = vec,
        .z = vec + c->n_in,
        .y = vec + c->n_in + c->n_out,
        .t_total = times,
        .t_feat = times + n,
        .t_infer = times + 2 * n,
        .t_sample = times + 3 * n,
    };
    s.st = plain;
    if (o.bf16) {
        long flips = 0, n_cmp = o.steps < 5000 ? o.steps : 5000;
        double e = bf16_error(&s, t, n_cmp, &flips);
        printf("bf16 vs F32 over %ld steps: max |logit difference| %.2e, greedy decisions "
               "flipped %ld of %ld\n",
               n_cmp, e, flips, n_cmp * c->n_out);
    }
    Stats sp = run_stream(&s, &o, 0);
    Stats phases = run_stream(&s, &o, 1);
    s.st = windowed;
    Stats sw = run_stream(&s, &o, 0);
    int copies = acd_infer_copies(windowed);

    printf("\nper step (features + encoder + decoder + output + sampling), %ld steps after %ld "
           "warm-up:\n",
           o.steps, o.warmup);
    printf("  plain:            median %7.2f us  p99 %7.2f us  max %7.2f us\n", sp.median_us,
           sp.p99_us, sp.max_us);
    printf("  windowed (%d st.): median %7.2f us  p99 %7.2f us  max %7.2f us\n", copies,
           sw.median_us, sw.p99_us, sw.max_us);
    printf("  window scheme cost: %+.2f us per step (median), %+.0f%%\n",
           sw.median_us - sp.median_us, 100.0 * (sw.median_us / sp.median_us - 1.0));
    printf("  phases, plain (medians): features %.2f us, model %.2f us, sampler %.2f us\n",
           phases.feat_us, phases.infer_us, phases.sample_us);

    double flops1 = acd_model_flops_per_step(m, 1), flopsw = acd_model_flops_per_step(m, copies);
    size_t wbytes = acd_model_weight_bytes(m);
    printf("\nwork per step:\n");
    printf("  dense count (acd_model_flops_per_step): %.0f FLOPs plain, %.0f windowed\n", flops1,
           flopsw);
    printf("  weights in memory (acd_model_weight_bytes): %zu bytes (%.2f MiB); each weight "
           "read serves up to 4 states\n",
           wbytes, (double)wbytes / 1048576.0);
    double abytes, aflops;
    actual_work(c, s.nnz_x, s.nnz_y, &abytes, &aflops);
    printf("  actually done (sparse inputs by their mean non-zeros, x_t %.1f of %d, y_t-1 %.1f of "
           "%d):\n    %.0f FLOPs, %.0f weight bytes (%.2f MiB)\n",
           s.nnz_x, c->n_in, s.nnz_y, c->n_out, aflops, abytes, abytes / 1048576.0);
    printf("  the model runs at %.1f GFLOP/s (work actually done, plain)\n",
           aflops / (phases.infer_us * 1e3));

    double bw = 0.0, f256 = 0.0, f512 = 0.0;
    if (o.probe) {
        long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
        bw = acd_probe_read_gbs((size_t)abytes);
        f256 = acd_probe_fma_gflops(256);
        f512 = acd_probe_fma_gflops(512);
        printf("\nroofline (measured on this core):\n");
        printf("  read bandwidth over %.2f MiB: %.1f GB/s (L2 is %ld KiB: all weights %s, the "
               "part read per step %s)\n",
               abytes / 1048576.0, bw, l2 / 1024,
               l2 > 0 && (size_t)l2 >= wbytes ? "fit" : "do not fit",
               l2 > 0 && (double)l2 >= abytes ? "fits" : "does not fit");
        printf("  FMA peak: %.1f GFLOP/s with 256-bit vectors (the kernels'), %.1f with 512-bit\n",
               f256, f512);
        if (bw > 0.0 && f256 > 0.0) {
            double t_mem = abytes / bw * 1e-3, t_fl = aflops / f256 * 1e-3;
            double bound = fmax(t_mem, t_fl);
            printf("  bound for the model, plain: max(%.2f us memory, %.2f us compute) = %.2f us;"
                   " measured %.2f us (%.0f%% of the bound's speed)\n",
                   t_mem, t_fl, bound, phases.infer_us, 100.0 * bound / phases.infer_us);
            /* Copies share each weight read but multiply their FLOPs. */
            double t_flw = (aflops * copies) / f256 * 1e-3;
            printf("  bound, windowed (%d states): max(%.2f us, %.2f us) = %.2f us\n", copies,
                   t_mem, t_flw, fmax(t_mem, t_flw));
        }
    }

    if (o.layers)
        bench_layers(t);

    printf("\nRESULT c_plain_median_us=%.3f c_plain_p99_us=%.3f c_windowed_median_us=%.3f "
           "c_windowed_p99_us=%.3f c_model_median_us=%.3f flops=%.0f weight_bytes=%.0f "
           "read_gbs=%.1f fma256_gflops=%.1f\n",
           sp.median_us, sp.p99_us, sw.median_us, sw.p99_us, phases.infer_us, aflops, abytes, bw,
           f256);
    rc = 0;
done:
    free(vec);
    free(times);
    free(melody);
    acd_sampler_free(smp);
    acd_infer_state_free(windowed);
    acd_infer_state_free(plain);
    acd_model_free(m);
    acd_model_tensors_free(t);
    return rc;
}
