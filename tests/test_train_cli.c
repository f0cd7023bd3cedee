/* End-to-end tests of accomp train on the committed fixtures: learning, the model file, resume,
 * errors, PyTorch. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accompd/infer.h"
#include "accompd/midifile.h"
#include "accompd/model.h"
#include "accompd/rng.h"
#include "accompd/train.h"
#include "testutil.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/acd_train_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A path in the test's folder; a ring of buffers, so keep what must last
 * (an options' out path) in a buffer of your own. */
static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* A tiny model on the POP909 fixture: 2 train songs, 1 valid song. */
static void tiny_options(AcdTrainOptions *o, const char *out)
{
    acd_train_options_default(o);
    o->data = acd_test_src("tests/data/pop909");
    o->model.enc_hidden = o->model.dec_hidden = 16;
    o->model.window = 32;
    o->model.hop = 16;
    o->train_hop = 16;
    o->batch = 4;
    o->lr = 0.01f;
    o->epochs = 3;
    o->threads = 2;
    o->checkpoint_minutes = 0.0;
    o->progress = ACD_TRAIN_PROGRESS_QUIET;
    o->out = out;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert(b && fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

START_TEST(learns_and_writes_a_loadable_model)
{
    make_tmpdir();
    AcdTrainOptions o;
    char out[512];
    snprintf(out, sizeof out, "%s", tmp("m.safetensors"));
    tiny_options(&o, out);
    AcdTrainResult res;
    AcdError err = {0};
    ck_assert_msg(acd_train_run(&o, NULL, &res, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_int_eq(res.epochs_done, 3);
    ck_assert(!res.interrupted);
    ck_assert_msg(res.valid_loss < 0.8 * res.first_valid_loss, "valid loss %.4f -> %.4f",
                  res.first_valid_loss, res.valid_loss);
    AcdModel *m = NULL;
    ck_assert_msg(acd_model_load(o.out, &m, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_int_eq(acd_model_config(m)->enc_hidden, 16);
    ck_assert_int_eq(acd_model_config(m)->window, 32);
    acd_model_free(m);
    ck_assert(exists(tmp("m.loss.csv")));
    ck_assert(exists(tmp("m.loss.svg")));
    ck_assert(exists(tmp("m.safetensors.ckpt")));
    remove_tmpdir();
}
END_TEST

/* Two epochs straight equal one and a bit, an interrupt, and a resume:
 * the same model file, byte for byte. */
START_TEST(resume_is_bit_exact)
{
    make_tmpdir();
    AcdTrainOptions a, b;
    AcdTrainResult ra, rb;
    AcdError err = {0};
    char out_a[512], out_b[512];
    snprintf(out_a, sizeof out_a, "%s", tmp("a.safetensors"));
    snprintf(out_b, sizeof out_b, "%s", tmp("b.safetensors"));
    tiny_options(&a, out_a);
    a.epochs = 2;
    a.batch = 2;
    ck_assert_msg(acd_train_run(&a, NULL, &ra, &err) == ACD_OK, "%s", acd_error_text(&err));

    tiny_options(&b, out_b);
    b.epochs = 2;
    b.batch = 2;
    b.stop_after_steps = ra.steps / 2 + 1; /* inside the first or second epoch, not at its end */
    ck_assert_msg(acd_train_run(&b, NULL, &rb, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert(rb.interrupted);
    ck_assert_int_eq(rb.steps, b.stop_after_steps);
    b.stop_after_steps = 0;
    b.resume = true;
    ck_assert_msg(acd_train_run(&b, NULL, &rb, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_int_eq(rb.steps, ra.steps);
    ck_assert(rb.valid_loss == ra.valid_loss);

    size_t la, lb;
    unsigned char *fa = slurp(a.out, &la), *fb = slurp(b.out, &lb);
    ck_assert(la == lb && memcmp(fa, fb, la) == 0);
    free(fa);
    free(fb);

    /* a checkpoint made with other options is refused, naming the option */
    b.lr = 0.02f;
    ck_assert_int_eq(acd_train_run(&b, NULL, &rb, &err), ACD_ERR_INVALID);
    ck_assert_msg(strstr(acd_error_text(&err), "lr=") != NULL, "%s", acd_error_text(&err));
    remove_tmpdir();
}
END_TEST

/* A MIDI file with drums only (channel 10): no melody to learn from. */
static void write_drums_only(const char *path)
{
    AcdMidiFile *mf = acd_midifile_new(480);
    ck_assert_ptr_nonnull(mf);
    size_t tr;
    ck_assert_int_eq(acd_midifile_add_track(mf, "Drums", &tr), ACD_OK);
    for (int i = 0; i < 16; i++) {
        AcdMidiEvent on = {(uint64_t)i * 480, 0x99, 36, 100};
        AcdMidiEvent off = {(uint64_t)i * 480 + 240, 0x89, 36, 0};
        ck_assert_int_eq(acd_midifile_add_event(mf, tr, on), ACD_OK);
        ck_assert_int_eq(acd_midifile_add_event(mf, tr, off), ACD_OK);
    }
    ck_assert_int_eq(acd_midifile_write(mf, path, NULL), ACD_OK);
    acd_midifile_free(mf);
}

START_TEST(clear_errors)
{
    make_tmpdir();
    AcdTrainOptions o;
    AcdError err = {0};
    ck_assert_int_eq(mkdir(tmp("empty"), 0755), 0);
    tiny_options(&o, tmp("m.safetensors"));
    o.data = tmp("empty");
    ck_assert_int_eq(acd_train_run(&o, NULL, NULL, &err), ACD_ERR_EMPTY);
    ck_assert_msg(strstr(acd_error_text(&err), "no songs") != NULL, "%s", acd_error_text(&err));

    ck_assert_int_eq(mkdir(tmp("drums"), 0755), 0);
    for (int i = 0; i < 12; i++) {
        char name[64];
        snprintf(name, sizeof name, "drums/beat%02d.mid", i);
        write_drums_only(tmp(name));
    }
    o.data = tmp("drums");
    AcdStatus st = acd_train_run(&o, NULL, NULL, &err);
    ck_assert_msg(st == ACD_ERR_NO_MELODY, "%s", acd_error_text(&err));
    ck_assert_msg(strstr(acd_error_text(&err), "melody") != NULL, "%s", acd_error_text(&err));

    tiny_options(&o, tmp("m.safetensors"));
    o.batch = 0;
    ck_assert_int_eq(acd_train_run(&o, NULL, NULL, &err), ACD_ERR_RANGE);

    /* the command: usage errors exit 2 with a message, data errors 1 */
    const char *accomp = getenv("ACD_ACCOMP");
    ck_assert_msg(accomp != NULL, "ACD_ACCOMP is not set");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' train --batch x '%s' 2>'%s'", accomp, tmp("empty"),
             tmp("err.txt"));
    int rc = system(cmd);
    ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    size_t n;
    char *msg = (char *)slurp(tmp("err.txt"), &n);
    msg[n] = '\0';
    ck_assert_msg(strstr(msg, "--batch 'x'") != NULL, "%s", msg);
    free(msg);
    snprintf(cmd, sizeof cmd, "'%s' train -o '%s' '%s' 2>'%s'", accomp, tmp("m.safetensors"),
             tmp("empty"), tmp("err.txt"));
    rc = system(cmd);
    ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    remove_tmpdir();
}
END_TEST

static int have_torch(void)
{
    return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

/* The trained file in PyTorch (tools/accomp_ref.py) gives the C engine's
 * logits. Skipped, saying so, where PyTorch is not installed. */
START_TEST(pytorch_reference_matches)
{
    if (!have_torch()) {
        fprintf(stderr, "pytorch_reference_matches: skipped (no torch for /usr/bin/python3)\n");
        return;
    }
    make_tmpdir();
    AcdTrainOptions o;
    char out[512];
    snprintf(out, sizeof out, "%s", tmp("m.safetensors"));
    tiny_options(&o, out);
    o.epochs = 1;
    AcdError err = {0};
    ck_assert_msg(acd_train_run(&o, NULL, NULL, &err) == ACD_OK, "%s", acd_error_text(&err));
    AcdModel *m = NULL;
    ck_assert_int_eq(acd_model_load(o.out, &m, &err), ACD_OK);
    const AcdModelConfig *c = acd_model_config(m);
    const int T = 40;
    float *x = calloc((size_t)T * c->n_in, sizeof(float));
    float *y = calloc((size_t)T * c->n_out, sizeof(float));
    float *z = calloc((size_t)T * c->n_out, sizeof(float));
    ck_assert(x && y && z);
    AcdRng rng;
    acd_rng_seed(&rng, 4);
    for (int i = 0; i < T * c->n_in; i++)
        x[i] = acd_rng_next_unit(&rng) < 0.1 ? 1.0f : 0.0f;
    for (int i = 0; i < T * c->n_out; i++)
        y[i] = acd_rng_next_unit(&rng) < 0.05 ? 1.0f : 0.0f;
    AcdInferState *st = NULL;
    ck_assert_int_eq(acd_infer_state_new(m, ACD_INFER_PLAIN, &st, NULL), ACD_OK);
    for (int t = 0; t < T; t++)
        acd_infer_step(m, st, x + (size_t)t * c->n_in, y + (size_t)t * c->n_out,
                       z + (size_t)t * c->n_out);
    FILE *f = fopen(tmp("x.f32"), "wb");
    ck_assert(f && fwrite(x, sizeof(float), (size_t)T * c->n_in, f) == (size_t)T * c->n_in);
    fclose(f);
    f = fopen(tmp("y.f32"), "wb");
    ck_assert(f && fwrite(y, sizeof(float), (size_t)T * c->n_out, f) == (size_t)T * c->n_out);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' run '%s' '%s' '%s' '%s'",
             acd_test_src("tools/accomp_ref.py"), o.out, tmp("x.f32"), tmp("y.f32"), tmp("z.f32"));
    ck_assert_int_eq(system(cmd), 0);
    size_t n;
    float *zr = (float *)slurp(tmp("z.f32"), &n);
    ck_assert_int_eq((int)n, T * c->n_out * (int)sizeof(float));
    double worst = 0.0;
    for (int i = 0; i < T * c->n_out; i++)
        worst = fmax(worst, fabs((double)z[i] - (double)zr[i]));
    ck_assert_msg(worst < 1e-4, "max |z_C - z_torch| = %g", worst);
    free(zr);
    free(x);
    free(y);
    free(z);
    acd_infer_state_free(st);
    acd_model_free(m);
    remove_tmpdir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_cli");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, learns_and_writes_a_loadable_model);
    tcase_add_test(tc, resume_is_bit_exact);
    tcase_add_test(tc, clear_errors);
    tcase_add_test(tc, pytorch_reference_matches);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
