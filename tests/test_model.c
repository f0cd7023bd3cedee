/* Tests of the model: config, loader, features, kernels and inference against PyTorch. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/features.h"
#include "accompd/infer.h"
#include "accompd/model.h"
#include "model_kernels.h"
#include "testutil.h"

/* Whole file into a malloc'd buffer; *len its size. */
static void *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* tests/ref/<model>_<what>, checked to hold `count` elements of `size`. */
static void *ref_array(const char *model, const char *what, size_t count, size_t size)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/ref/%s_%s", model, what);
    size_t len;
    void *p = slurp(acd_test_src(rel), &len);
    ck_assert_uint_eq(len, count * size);
    return p;
}

static AcdModel *load_ref_storage(const char *file, AcdWeightStorage storage)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/ref/%s", file);
    AcdModel *m = NULL;
    AcdError err = {0};
    AcdStatus st = acd_model_load_storage(acd_test_src(rel), storage, &m, &err);
    ck_assert_msg(st == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_int_eq(acd_model_storage(m), storage);
    return m;
}

static AcdModel *load_ref(const char *file)
{
    return load_ref_storage(file, ACD_WEIGHTS_F32);
}

/* The tolerance of models/README.md: |C - PyTorch(float64)| <= abs + rel |z|.
 * Read from the manifest so that Python and C state it once. */
static void tolerance(double *abs_tol, double *rel_tol)
{
    json_error_t jerr;
    json_t *man = json_load_file(acd_test_src("tests/ref/manifest.json"), 0, &jerr);
    ck_assert_msg(man != NULL, "manifest: %s", jerr.text);
    *abs_tol = json_real_value(json_object_get(man, "tolerance_abs"));
    *rel_tol = json_real_value(json_object_get(man, "tolerance_rel"));
    json_decref(man);
    ck_assert(*abs_tol > 0.0 && *abs_tol <= 1e-4);
}

/* ---- config --------------------------------------------------------------- */

START_TEST(config_default_sizes)
{
    AcdModelConfig c;
    acd_model_config_default(&c);
    /* models/README.md: 2*48 + 4 + 8 + 12 inputs, 2*64 outputs. */
    ck_assert_int_eq(c.n_in, 120);
    ck_assert_int_eq(c.n_out, 128);
    ck_assert_uint_eq(acd_model_tensor_count(&c), 10);
    AcdTensorSpec s;
    ck_assert(acd_model_tensor_spec(&c, 4, &s));
    ck_assert_str_eq(s.name, "decoder.weight_ih_l0");
    ck_assert_uint_eq(s.shape[0], 512);
    ck_assert_uint_eq(s.shape[1], 256);
    ck_assert(!acd_model_tensor_spec(&c, 10, &s));
}
END_TEST

START_TEST(config_set_and_format)
{
    AcdModelConfig c;
    AcdError err = {0};
    acd_model_config_default(&c);
    ck_assert_int_eq(acd_model_config_set(&c, "features", "pc_hist,step_in_beat", &err), ACD_OK);
    ck_assert_int_eq(acd_model_config_set(&c, "roll", "onoff", &err), ACD_OK);
    ck_assert_int_eq(acd_model_config_set(&c, "pc_decay", "0.5", &err), ACD_OK);
    ck_assert_int_eq(acd_model_config_check(&c, &err), ACD_OK);
    ck_assert_int_eq(c.n_in, 48 + 4 + 12);
    char buf[64];
    ck_assert(acd_model_config_format(&c, "features", buf, sizeof buf));
    ck_assert_str_eq(buf, "step_in_beat,pc_hist");
    ck_assert(acd_model_config_format(&c, "pc_decay", buf, sizeof buf));
    ck_assert_str_eq(buf, "0.5");
    ck_assert(!acd_model_config_format(&c, "thresh_onset", buf, sizeof buf));
    ck_assert_int_eq(acd_model_config_set(&c, "enc_hidden", "12x", &err), ACD_ERR_FORMAT);
    ck_assert_int_eq(acd_model_config_set(&c, "nonsense", "1", &err), ACD_ERR_INVALID);
    c.hop = 30;
    ck_assert_int_eq(acd_model_config_check(&c, &err), ACD_ERR_RANGE);
    ck_assert_str_eq(acd_error_text(&err), "hop = 30 must divide window = 100");
}
END_TEST

/* ---- kernels -------------------------------------------------------------- */

START_TEST(activations_accurate)
{
    enum { N = 4096 };
    static float x[N], ys[N], yt[N];
    for (int i = 0; i < N; i++)
        x[i] = -20.0f + 40.0f * (float)i / N + 1e-3f * (float)(i % 7);
    x[0] = 0.0f;
    x[1] = 1e-6f;
    x[2] = -3e-4f;
    x[3] = 0.49999f;
    x[4] = 0.5f;
    x[5] = -100.0f;
    x[6] = 100.0f;
    acd_kern_sigmoid(x, N, ys);
    acd_kern_tanh(x, N, yt);
    double worst_s = 0.0, worst_t = 0.0;
    for (int i = 0; i < N; i++) {
        double s = 1.0 / (1.0 + exp(-(double)x[i]));
        double t = tanh((double)x[i]);
        /* Relative error, against a floor of one float ulp of 1. */
        double es = fabs((double)ys[i] - s) / fmax(fabs(s), 1e-30);
        double et = fabs((double)yt[i] - t) / fmax(fabs(t), 1e-30);
        worst_s = fmax(worst_s, es);
        worst_t = fmax(worst_t, et);
    }
    ck_assert_msg(worst_s < 1e-6, "sigmoid relative error %g", worst_s);
    ck_assert_msg(worst_t < 1e-6, "tanh relative error %g", worst_t);
    ck_assert(yt[0] == 0.0f);
}
END_TEST

/* ---- against PyTorch ------------------------------------------------------ */

typedef struct {
    const char *name;
    int steps;
} RefCase;

static const RefCase ref_cases[] = {{"tiny", 150}, {"small", 260}};

/* bf16 storage rounds each dense weight by up to 2^-9 relative; over these
 * models' sums that moves logits by about 1e-3 (printed), so the test only
 * guards against a broken kernel, at 1000 times the F32 tolerance. */
#define BF16_TOL_ABS 1e-2

static void check_ref_storage(int which, AcdInferMode mode, AcdWeightStorage storage)
{
    const RefCase *rc = &ref_cases[which];
    char file[64];
    snprintf(file, sizeof file, "%s.safetensors", rc->name);
    AcdModel *m = load_ref_storage(file, storage);
    const AcdModelConfig *c = acd_model_config(m);
    size_t T = (size_t)rc->steps, ni = (size_t)c->n_in, no = (size_t)c->n_out;
    float *x = ref_array(rc->name, "x.f32", T * ni, 4);
    float *y = ref_array(rc->name, "yprev.f32", T * no, 4);
    float *want =
        ref_array(rc->name, mode == ACD_INFER_PLAIN ? "plain.f32" : "windowed.f32", T * no, 4);
    double abs_tol, rel_tol;
    tolerance(&abs_tol, &rel_tol);
    if (storage == ACD_WEIGHTS_BF16) {
        abs_tol = BF16_TOL_ABS;
        rel_tol = 0.0;
    }

    AcdInferState *s = NULL;
    AcdError err = {0};
    ck_assert_int_eq(acd_infer_state_new(m, mode, &s, &err), ACD_OK);
    ck_assert_int_eq(acd_infer_copies(s), mode == ACD_INFER_PLAIN ? 1 : c->window / c->hop);
    float *z = calloc(no, sizeof *z);
    double worst = 0.0;
    for (size_t t = 0; t < T; t++) {
        acd_infer_step(m, s, x + t * ni, y + t * no, z);
        for (size_t k = 0; k < no; k++) {
            double w = want[t * no + k], d = fabs((double)z[k] - w);
            worst = fmax(worst, d);
            ck_assert_msg(d <= abs_tol + rel_tol * fabs(w),
                          "%s %s step %zu logit %zu: C %.9g, PyTorch %.9g", rc->name,
                          mode == ACD_INFER_PLAIN ? "plain" : "windowed", t, k, (double)z[k], w);
        }
    }
    ck_assert_int_eq(acd_infer_steps(s), (long)T);
    printf("%s %s%s: max |C - PyTorch| = %.3g over %zu steps\n", rc->name,
           mode == ACD_INFER_PLAIN ? "plain" : "windowed",
           storage == ACD_WEIGHTS_BF16 ? " (bf16 weights)" : "", worst, T);
    free(z);
    free(want);
    free(y);
    free(x);
    acd_infer_state_free(s);
    acd_model_free(m);
}

static void check_ref(int which, AcdInferMode mode)
{
    check_ref_storage(which, mode, ACD_WEIGHTS_F32);
}

START_TEST(bf16_storage_close_to_pytorch)
{
    check_ref_storage(_i, ACD_INFER_PLAIN, ACD_WEIGHTS_BF16);
    check_ref_storage(_i, ACD_INFER_WINDOWED, ACD_WEIGHTS_BF16);
}
END_TEST

START_TEST(plain_matches_pytorch)
{
    check_ref(_i, ACD_INFER_PLAIN);
}
END_TEST

START_TEST(windowed_matches_pytorch)
{
    check_ref(_i, ACD_INFER_WINDOWED);
}
END_TEST

START_TEST(features_match_pytorch)
{
    const RefCase *rc = &ref_cases[_i];
    char file[64];
    snprintf(file, sizeof file, "%s.safetensors", rc->name);
    AcdModel *m = load_ref(file);
    const AcdModelConfig *c = acd_model_config(m);
    size_t T = (size_t)rc->steps, ni = (size_t)c->n_in, P = (size_t)c->p_mel;
    uint8_t *on = ref_array(rc->name, "onset.u8", T * P, 1);
    uint8_t *ho = ref_array(rc->name, "hold.u8", T * P, 1);
    int32_t *sib = ref_array(rc->name, "sib.i32", T, 4);
    int32_t *bib = ref_array(rc->name, "bib.i32", T, 4);
    float *want = ref_array(rc->name, "x.f32", T * ni, 4);
    float *x = calloc(T * ni, sizeof *x);
    acd_features_song(c, on, c->roll == ACD_ROLL_ONOFF ? NULL : ho, P, T, sib, bib, x);
    for (size_t i = 0; i < T * ni; i++)
        ck_assert_msg(fabsf(x[i] - want[i]) <= 1e-6f, "%s x[%zu][%zu]: C %.9g, Python %.9g",
                      rc->name, i / ni, i % ni, (double)x[i], (double)want[i]);
    /* The step API on the same rows gives the same floats. */
    AcdFeatureState fs;
    acd_features_init(&fs);
    float *xt = calloc(ni, sizeof *xt);
    for (size_t t = 0; t < T; t++) {
        acd_features_step(c, &fs, on + t * P, ho + t * P, sib[t], bib[t], xt);
        ck_assert(memcmp(xt, x + t * ni, ni * sizeof *xt) == 0);
    }
    free(xt);
    free(x);
    free(want);
    free(bib);
    free(sib);
    free(ho);
    free(on);
    acd_model_free(m);
}
END_TEST

START_TEST(half_precision_widens_exactly)
{
    static const char *const pairs[][2] = {
        {"tests/ref/tiny_f16.safetensors", "tests/ref/tiny_f16_as_f32.safetensors"},
        {"tests/ref/tiny_bf16.safetensors", "tests/ref/tiny_bf16_as_f32.safetensors"},
    };
    for (int p = 0; p < 2; p++) {
        AcdModelTensors *a = NULL, *b = NULL;
        AcdError err = {0};
        char pa[4096];
        snprintf(pa, sizeof pa, "%s", acd_test_src(pairs[p][0]));
        ck_assert_msg(acd_model_tensors_load(pa, &a, &err) == ACD_OK, "%s", err.msg);
        ck_assert_msg(acd_model_tensors_load(acd_test_src(pairs[p][1]), &b, &err) == ACD_OK, "%s",
                      err.msg);
        const AcdModelConfig *c = acd_model_tensors_config(a);
        for (size_t i = 0; i < acd_model_tensor_count(c); i++) {
            AcdTensorSpec s;
            ck_assert(acd_model_tensor_spec(c, i, &s));
            const float *da = acd_model_tensors_find_const(a, s.name, NULL);
            const float *db = acd_model_tensors_find_const(b, s.name, NULL);
            ck_assert_msg(memcmp(da, db, s.n_elems * sizeof *da) == 0, "%s: %s", pairs[p][0],
                          s.name);
        }
        acd_model_tensors_free(a);
        acd_model_tensors_free(b);
    }
}
END_TEST

/* ---- saving --------------------------------------------------------------- */

START_TEST(save_load_round_trip)
{
    AcdModelTensors *t = NULL, *back = NULL;
    AcdError err = {0};
    ck_assert_int_eq(acd_model_tensors_load(acd_test_src("tests/ref/tiny.safetensors"), &t, &err),
                     ACD_OK);
    char path[] = "/tmp/test_model_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_msg(acd_model_tensors_save(t, path, &err) == ACD_OK, "%s", err.msg);
    ck_assert_msg(acd_model_tensors_load(path, &back, &err) == ACD_OK, "%s", err.msg);
    /* Byte-identical to what PyTorch's writer made, header included. */
    size_t la, lb;
    void *fa = slurp(acd_test_src("tests/ref/tiny.safetensors"), &la);
    void *fb = slurp(path, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert(memcmp(fa, fb, la) == 0);
    free(fa);
    free(fb);

    /* A refused save leaves no file behind and the old one intact. */
    float *w = acd_model_tensors_find(t, "output.bias", NULL);
    w[0] = NAN;
    ck_assert_int_eq(acd_model_tensors_save(t, path, &err), ACD_ERR_RANGE);
    acd_model_tensors_free(back);
    ck_assert_int_eq(acd_model_tensors_load(path, &back, &err), ACD_OK);
    unlink(path);
    acd_model_tensors_free(back);
    acd_model_tensors_free(t);
}
END_TEST

START_TEST(new_tensors_are_zero_and_named)
{
    AcdModelConfig c;
    acd_model_config_default(&c);
    c.enc_layers = 2;
    AcdModelTensors *t = NULL;
    AcdError err = {0};
    ck_assert_int_eq(acd_model_tensors_new(&c, &t, &err), ACD_OK);
    size_t n;
    const float *p = acd_model_tensors_find_const(t, "encoder.weight_ih_l1", &n);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(n, 512 * 128);
    ck_assert(p[n - 1] == 0.0f);
    ck_assert_ptr_null(acd_model_tensors_find(t, "encoder.weight_ih_l2", NULL));
    acd_model_tensors_free(t);
    c.enc_hidden = 0;
    ck_assert_int_eq(acd_model_tensors_new(&c, &t, &err), ACD_ERR_RANGE);
    ck_assert_ptr_null(t);
}
END_TEST

/* ---- the loader against bad files ----------------------------------------- */

static AcdStatus status_named(const char *name)
{
    static const struct {
        const char *name;
        AcdStatus st;
    } names[] = {{"ACD_ERR_FORMAT", ACD_ERR_FORMAT},
                 {"ACD_ERR_UNSUPPORTED", ACD_ERR_UNSUPPORTED},
                 {"ACD_ERR_RANGE", ACD_ERR_RANGE},
                 {"ACD_ERR_LIMIT", ACD_ERR_LIMIT},
                 {"ACD_ERR_IO", ACD_ERR_IO}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].st;
    ck_abort_msg("unknown status %s", name);
    return ACD_OK;
}

START_TEST(bad_models_rejected_with_their_message)
{
    FILE *f = fopen(acd_test_src("tests/data/bad_models/expected.tsv"), "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *file = strtok(line, "\t");
        char *status = strtok(NULL, "\t");
        char *msg = strtok(NULL, "");
        ck_assert(file && status && msg);
        char rel[256], path[4096], want[8192];
        snprintf(rel, sizeof rel, "tests/data/bad_models/%s", file);
        snprintf(path, sizeof path, "%s", acd_test_src(rel));
        snprintf(want, sizeof want, "%s: %s", path, msg);
        AcdModel *m = (AcdModel *)&n; /* must come back NULL */
        AcdError err = {0};
        AcdStatus st = acd_model_load(path, &m, &err);
        ck_assert_ptr_null(m);
        ck_assert_msg(st == status_named(status), "%s: status %s, expected %s (%s)", file,
                      acd_strerror(st), status, err.msg);
        ck_assert_msg(strcmp(err.msg, want) == 0, "%s:\n got  '%s'\n want '%s'", file, err.msg,
                      want);
        /* The same bytes from memory give the same verdict. */
        size_t len;
        void *buf = slurp(path, &len);
        AcdError err2 = {0};
        ck_assert_int_eq(acd_model_load_memory(buf, len, path, &m, &err2), st);
        ck_assert_str_eq(err2.msg, err.msg);
        free(buf);
        n++;
    }
    fclose(f);
    ck_assert_int_ge(n, 25);
}
END_TEST

START_TEST(missing_file_names_it)
{
    AcdModel *m = NULL;
    AcdError err = {0};
    ck_assert_int_eq(acd_model_load("/nonexistent/m.safetensors", &m, &err), ACD_ERR_IO);
    ck_assert_str_eq(err.msg, "/nonexistent/m.safetensors: No such file or directory");
}
END_TEST

/* ---- state ---------------------------------------------------------------- */

START_TEST(reset_gives_identical_outputs)
{
    AcdModel *m = load_ref("tiny.safetensors");
    const AcdModelConfig *c = acd_model_config(m);
    size_t T = 150, ni = (size_t)c->n_in, no = (size_t)c->n_out;
    float *x = ref_array("tiny", "x.f32", T * ni, 4);
    float *y = ref_array("tiny", "yprev.f32", T * no, 4);
    float *z1 = calloc(T * no, sizeof *z1), *z2 = calloc(T * no, sizeof *z2);
    AcdInferState *s = NULL;
    ck_assert_int_eq(acd_infer_state_new(m, ACD_INFER_WINDOWED, &s, NULL), ACD_OK);
    for (size_t t = 0; t < T; t++)
        acd_infer_step(m, s, x + t * ni, y + t * no, z1 + t * no);
    acd_infer_reset(s);
    ck_assert_int_eq(acd_infer_steps(s), 0);
    for (size_t t = 0; t < T; t++)
        acd_infer_step(m, s, x + t * ni, y + t * no, z2 + t * no);
    ck_assert(memcmp(z1, z2, T * no * sizeof *z1) == 0);
    /* A second state of the same model is independent and agrees. */
    AcdInferState *s2 = NULL;
    ck_assert_int_eq(acd_infer_state_new(m, ACD_INFER_WINDOWED, &s2, NULL), ACD_OK);
    for (size_t t = 0; t < T; t++) {
        acd_infer_step(m, s2, x + t * ni, y + t * no, z2 + t * no);
        ck_assert(memcmp(z1 + t * no, z2 + t * no, no * sizeof *z1) == 0);
    }
    acd_infer_state_free(s2);
    acd_infer_state_free(s);
    free(z2);
    free(z1);
    free(y);
    free(x);
    acd_model_free(m);
}
END_TEST

START_TEST(window_scheme_equals_plain_in_first_window)
{
    /* Before the first restart of copy 0, the windowed output is the plain
     * one: the oldest copy has run from step 0. */
    AcdModel *m = load_ref("small.safetensors");
    const AcdModelConfig *c = acd_model_config(m);
    size_t T = (size_t)c->window, ni = (size_t)c->n_in, no = (size_t)c->n_out;
    float *x = ref_array("small", "x.f32", 260 * ni, 4);
    float *y = ref_array("small", "yprev.f32", 260 * no, 4);
    AcdInferState *a = NULL, *b = NULL;
    ck_assert_int_eq(acd_infer_state_new(m, ACD_INFER_PLAIN, &a, NULL), ACD_OK);
    ck_assert_int_eq(acd_infer_state_new(m, ACD_INFER_WINDOWED, &b, NULL), ACD_OK);
    float *za = calloc(no, sizeof *za), *zb = calloc(no, sizeof *zb);
    for (size_t t = 0; t < T; t++) {
        acd_infer_step(m, a, x + t * ni, y + t * no, za);
        acd_infer_step(m, b, x + t * ni, y + t * no, zb);
        /* Not bitwise: one copy and several sum in different orders. */
        for (size_t k = 0; k < no; k++)
            ck_assert(fabs((double)za[k] - (double)zb[k]) <= 1e-6);
    }
    free(za);
    free(zb);
    acd_infer_state_free(a);
    acd_infer_state_free(b);
    free(y);
    free(x);
    acd_model_free(m);
}
END_TEST

START_TEST(flops_and_bytes)
{
    AcdModelConfig c;
    acd_model_config_default(&c);
    AcdModelTensors *t = NULL;
    AcdModel *m = NULL;
    ck_assert_int_eq(acd_model_tensors_new(&c, &t, NULL), ACD_OK);
    ck_assert_int_eq(acd_model_new(t, &m, NULL), ACD_OK);
    /* Dense products: encoder 2*512*(120+128), decoder 2*512*(256+128),
     * output 2*128*128, plus 40*128 per layer for the cells. */
    double want = 2.0 * 512 * 248 + 2.0 * 512 * 384 + 2.0 * 128 * 128 + 2 * 40.0 * 128;
    ck_assert(fabs(acd_model_flops_per_step(m, 1) - want) < 1.0);
    ck_assert_uint_ge(acd_model_weight_bytes(m), 4 * (512 * 248 + 512 * 384 + 128 * 128));
    ck_assert_uint_lt(acd_model_weight_bytes(m), 2u << 20); /* one core's L2 */
    acd_model_free(m);
    acd_model_tensors_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, config_default_sizes);
    tcase_add_test(tc, config_set_and_format);
    tcase_add_test(tc, activations_accurate);
    tcase_add_loop_test(tc, plain_matches_pytorch, 0, 2);
    tcase_add_loop_test(tc, windowed_matches_pytorch, 0, 2);
    tcase_add_loop_test(tc, features_match_pytorch, 0, 2);
    tcase_add_loop_test(tc, bf16_storage_close_to_pytorch, 0, 2);
    tcase_add_test(tc, half_precision_widens_exactly);
    tcase_add_test(tc, save_load_round_trip);
    tcase_add_test(tc, new_tensors_are_zero_and_named);
    tcase_add_test(tc, bad_models_rejected_with_their_message);
    tcase_add_test(tc, missing_file_names_it);
    tcase_add_test(tc, reset_gives_identical_outputs);
    tcase_add_test(tc, window_scheme_equals_plain_in_first_window);
    tcase_add_test(tc, flops_and_bytes);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
