/* Tests of threshold calibration: the objective, the search, the thresholds written to the file. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/calibrate.h"
#include "accompd/dataset.h"
#include "accompd/engine.h"
#include "testutil.h"

/* Length of a safetensors header (the 8-byte prefix). */
static size_t header_len(const char *buf, size_t len)
{
    ck_assert_uint_ge(len, 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | (uint8_t)buf[i];
    ck_assert_uint_le(n, len - 8);
    return (size_t)n;
}

START_TEST(test_save_thresholds)
{
    char dir[] = "/tmp/test_calibrate_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/a.safetensors", dir);
    snprintf(b, sizeof b, "%s/b.safetensors", dir);
    AcdError err = {0};

    /* The fixture re-saved by our writer, so that both files come from it. */
    AcdModelTensors *t = NULL;
    ck_assert_msg(acd_model_tensors_load(acd_test_src("tests/ref/small.safetensors"), &t, &err) ==
                      ACD_OK,
                  "%s", acd_error_text(&err));
    ck_assert(!acd_model_tensors_config(t)->has_thresh);
    ck_assert(acd_model_tensors_save(t, a, &err) == ACD_OK);
    acd_model_tensors_free(t);

    ck_assert_msg(acd_calibrate_save_thresholds(a, b, 0.25f, 0.125f, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    AcdModel *m = NULL;
    ck_assert(acd_model_load(b, &m, &err) == ACD_OK);
    const AcdModelConfig *mc = acd_model_config(m);
    ck_assert(mc->has_thresh);
    ck_assert(mc->thresh_onset == 0.25f && mc->thresh_hold == 0.125f);
    /* The engine's defaults (and so eval, render and accompd) read them. */
    AcdEngineConfig ec;
    acd_engine_config_default(&ec, m);
    ck_assert(ec.sampler.thresh_onset == 0.25f && ec.sampler.thresh_hold == 0.125f);
    acd_model_free(m);

    /* The data area is byte-identical; the header gained the two keys. */
    size_t la, lb;
    char *fa = acd_test_slurp(a, &la), *fb = acd_test_slurp(b, &lb);
    size_t ha = header_len(fa, la), hb = header_len(fb, lb);
    ck_assert_uint_eq(la - 8 - ha, lb - 8 - hb);
    ck_assert_mem_eq(fa + 8 + ha, fb + 8 + hb, la - 8 - ha);
    char *hdr = strndup(fb + 8, hb);
    ck_assert_ptr_nonnull(strstr(hdr, "\"thresh_onset\":\"0.25\""));
    ck_assert_ptr_nonnull(strstr(hdr, "\"thresh_hold\":\"0.125\""));
    free(hdr);
    free(fa);

    /* In place, again: the same bytes for the same thresholds. */
    ck_assert(acd_calibrate_save_thresholds(b, b, 0.25f, 0.125f, &err) == ACD_OK);
    size_t lc;
    char *fc = acd_test_slurp(b, &lc);
    ck_assert_uint_eq(lb, lc);
    ck_assert_mem_eq(fb, fc, lb);
    free(fb);
    free(fc);

    /* Errors name the file; a bad threshold is refused by the writer. */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing.safetensors", dir);
    ck_assert(acd_calibrate_save_thresholds(missing, b, 0.25f, 0.125f, &err) != ACD_OK);
    ck_assert_ptr_nonnull(strstr(err.msg, "missing.safetensors"));
    ck_assert(acd_calibrate_save_thresholds(a, b, 1.5f, 0.125f, &err) == ACD_ERR_RANGE);

    unlink(a);
    unlink(b);
    rmdir(dir);
}
END_TEST

/* The playing style a calibration was made for travels with the model and
 * becomes the engine's default; its keys come as a pair, in range. */
START_TEST(test_save_play)
{
    char dir[] = "/tmp/test_calibrate_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char b[128];
    snprintf(b, sizeof b, "%s/b.safetensors", dir);
    const char *a = acd_test_src("tests/ref/small.safetensors");
    AcdError err = {0};
    ck_assert_msg(acd_calibrate_save_play(a, b, 0.3f, 0.4f, 0.9f, 5, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    AcdModel *m = NULL;
    ck_assert(acd_model_load(b, &m, &err) == ACD_OK);
    const AcdModelConfig *mc = acd_model_config(m);
    ck_assert(mc->has_thresh && mc->has_play);
    ck_assert(mc->play_temperature == 0.9f && mc->play_max_poly == 5);
    AcdEngineConfig ec;
    acd_engine_config_default(&ec, m);
    ck_assert(ec.sampler.temperature == 0.9f && ec.sampler.max_poly == 5);
    ck_assert(ec.sampler.thresh_onset == 0.3f && ec.sampler.thresh_hold == 0.4f);
    acd_model_free(m);
    size_t lb;
    char *fb = acd_test_slurp(b, &lb);
    char *hdr = strndup(fb + 8, header_len(fb, lb));
    ck_assert_ptr_nonnull(strstr(hdr, "\"temperature\":\"0.9\""));
    ck_assert_ptr_nonnull(strstr(hdr, "\"max_poly\":\"5\""));
    free(hdr);
    free(fb);

    /* Greedy with no cap is a style too: temperature 0, max_poly 0. */
    ck_assert(acd_calibrate_save_play(a, b, 0.3f, 0.4f, 0.0f, 0, &err) == ACD_OK);
    ck_assert(acd_model_load(b, &m, &err) == ACD_OK);
    acd_engine_config_default(&ec, m);
    ck_assert(ec.sampler.temperature == 0.0f && ec.sampler.max_poly == 0);
    acd_model_free(m);

    /* Out of range: refused by the writer, naming the key. */
    ck_assert(acd_calibrate_save_play(a, b, 0.3f, 0.4f, 11.0f, 5, &err) == ACD_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(acd_error_text(&err), "temperature"));
    ck_assert(acd_calibrate_save_play(a, b, 0.3f, 0.4f, 1.0f, 129, &err) == ACD_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(acd_error_text(&err), "max_poly"));
    unlink(b);
    rmdir(dir);
}
END_TEST

static AcdCalibrateTrial trial(double dist, double harmony, double silence, int rank)
{
    AcdCalibrateTrial t;
    memset(&t, 0, sizeof t);
    t.dist = dist;
    t.harmony = harmony;
    t.silence = silence;
    t.rank = rank;
    t.within = rank >= 1;
    t.quiet_ok = rank == 2;
    return t;
}

START_TEST(test_objective)
{
    AcdCalibrateTrial in_lo = trial(0.10, 0.40, 0.02, 2), in_hi = trial(0.14, 0.50, 0.03, 2);
    AcdCalibrateTrial gappy = trial(0.01, 0.90, 0.30, 1), gappier = trial(0.01, 0.95, 0.40, 1);
    AcdCalibrateTrial out_near = trial(0.20, 0.90, 0.00, 0), out_far = trial(0.50, 0.95, 0.0, 0);
    AcdCalibrateTrial silent = trial(INFINITY, NAN, 1.0, 0);
    /* Within and quiet beats within only, which beats outside, whatever else. */
    ck_assert(acd_calibrate_better(&in_lo, &gappy));
    ck_assert(acd_calibrate_better(&gappier, &out_near));
    ck_assert(!acd_calibrate_better(&out_near, &in_lo));
    /* Within and quiet: harmony decides, then distance. */
    ck_assert(acd_calibrate_better(&in_hi, &in_lo));
    AcdCalibrateTrial in_same = trial(0.05, 0.50, 0.03, 2);
    ck_assert(acd_calibrate_better(&in_same, &in_hi));
    /* Within only: less silence wins. */
    ck_assert(acd_calibrate_better(&gappy, &gappier));
    /* Outside: distance decides. */
    ck_assert(acd_calibrate_better(&out_near, &out_far));
    ck_assert(acd_calibrate_better(&out_far, &silent));
    ck_assert(!acd_calibrate_better(&silent, &silent));
}
END_TEST

/* A calibration on the fixture songs (all splits) with the small model. */
static AcdCalibration *fixture_calibration(const AcdModel *m, int threads)
{
    AcdCalibrateConfig cfg;
    acd_calibrate_config_default(&cfg);
    cfg.threads = threads;
    cfg.max_trials = 30;
    AcdCalibration *c = NULL;
    AcdDataset *ds = NULL;
    AcdError err = {0};
    ck_assert(acd_calibrate_new(m, &cfg, &c, &err) == ACD_OK);
    ck_assert_msg(acd_dataset_open(acd_test_src("tests/data/pop909"), ACD_COLLECTION_POP909,
                                   ACD_SPLIT_ANY, &ds, &err) == ACD_OK,
                  "%s", acd_error_text(&err));
    for (size_t i = 0; i < acd_dataset_count(ds); i++) {
        AcdSong *song = NULL;
        ck_assert(acd_dataset_load(ds, i, &song, &err) == ACD_OK);
        ck_assert_msg(acd_calibrate_add_song(c, song, NULL, &err) == ACD_OK, "%s",
                      acd_error_text(&err));
    }
    acd_dataset_free(ds);
    ck_assert_uint_eq(acd_calibrate_song_count(c), 3);
    return c;
}

START_TEST(test_search)
{
    AcdModel *m = NULL;
    AcdError err = {0};
    ck_assert(acd_model_load(acd_test_src("tests/ref/small.safetensors"), &m, &err) == ACD_OK);
    AcdCalibration *c1 = fixture_calibration(m, 1), *c2 = fixture_calibration(m, 2);
    double human_poly = acd_metrics_value(acd_calibrate_target(c1), ACD_METRIC_POLYPHONY);
    ck_assert(human_poly > 1.0 && human_poly < 8.0);

    AcdCalibrateTrial b1, b2;
    ck_assert(acd_calibrate_search(c1, NULL, NULL, &b1, &err) == ACD_OK);
    ck_assert(acd_calibrate_search(c2, NULL, NULL, &b2, &err) == ACD_OK);
    size_t n1, n2;
    const AcdCalibrateTrial *t1 = acd_calibrate_trials(c1, &n1);
    const AcdCalibrateTrial *t2 = acd_calibrate_trials(c2, &n2);
    ck_assert_uint_ge(n1, 25); /* the whole grid, then refinement */
    ck_assert_uint_le(n1, 30);
    /* Two threads: the same trials, the same sums, bit for bit. */
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        ck_assert(t1[i].thresh_onset == t2[i].thresh_onset);
        ck_assert(t1[i].thresh_hold == t2[i].thresh_hold);
        ck_assert_mem_eq(&t1[i].metrics, &t2[i].metrics, sizeof t1[i].metrics);
    }
    /* The best is the best of every trial, and a tried pair. */
    bool found = false;
    for (size_t i = 0; i < n1; i++) {
        ck_assert(!acd_calibrate_better(&t1[i], &b1));
        found |= t1[i].thresh_onset == b1.thresh_onset && t1[i].thresh_hold == b1.thresh_hold;
        /* Rounded to 0.001, so the file stores what was tried. */
        double r = (double)t1[i].thresh_onset * 1000.0;
        ck_assert(fabs(r - round(r)) < 1e-3);
        ck_assert(t1[i].thresh_onset > 0.0f && t1[i].thresh_onset < 1.0f);
    }
    ck_assert(found);

    /* A trial is a pure function of its arguments. */
    AcdCalibrateTrial again;
    ck_assert(acd_calibrate_try(c1, b1.thresh_onset, b1.thresh_hold, 0.0f, &again, &err) == ACD_OK);
    ck_assert_mem_eq(&again.metrics, &b1.metrics, sizeof again.metrics);
    ck_assert(acd_calibrate_try(c1, 0.0f, 0.5f, 0.0f, &again, &err) == ACD_ERR_RANGE);

    acd_calibrate_free(c1);
    acd_calibrate_free(c2);
    acd_model_free(m);
}
END_TEST

START_TEST(test_errors)
{
    AcdModel *m = NULL;
    AcdError err = {0};
    ck_assert(acd_model_load(acd_test_src("tests/ref/small.safetensors"), &m, &err) == ACD_OK);
    AcdCalibrateConfig cfg;
    acd_calibrate_config_default(&cfg);
    AcdCalibration *c = NULL;
    cfg.threads = 0;
    ck_assert(acd_calibrate_new(m, &cfg, &c, &err) == ACD_ERR_RANGE);
    ck_assert_ptr_null(c);
    cfg.threads = 1;
    ck_assert(acd_calibrate_new(m, &cfg, &c, &err) == ACD_OK);
    AcdCalibrateTrial best;
    ck_assert(acd_calibrate_search(c, NULL, NULL, &best, &err) == ACD_ERR_EMPTY);
    acd_calibrate_free(c);
    acd_calibrate_free(NULL);
    acd_model_free(m);
}
END_TEST

/* The command: the table, the CSV, the written model, the usage errors. */
START_TEST(test_cli)
{
    char dir[] = "/tmp/test_calibrate_cli_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[128], err_path[128], csv[128], model[128], args[12000];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err_path, sizeof err_path, "%s/err", dir);
    snprintf(csv, sizeof csv, "%s/trials.csv", dir);
    snprintf(model, sizeof model, "%s/cal.safetensors", dir);
    char src_model[4200]; /* acd_test_src's buffer is reused by the next call */
    snprintf(src_model, sizeof src_model, "%s", acd_test_src("tests/ref/small.safetensors"));
    snprintf(args, sizeof args,
             "calibrate -q --model '%s' --collection pop909 --split any --target human "
             "--max-trials 26 --threads 2 --csv '%s' -o '%s' '%s'",
             src_model, csv, model, acd_test_src("tests/data/pop909"));
    ck_assert_int_eq(acd_test_accomp("", args, out, err_path), 0);
    char *text = acd_test_slurp(out, NULL);
    ck_assert_ptr_nonnull(strstr(text, "human (3 songs)"));
    ck_assert_ptr_nonnull(strstr(text, "chosen: thresh_onset"));
    ck_assert_ptr_nonnull(strstr(text, " 26"));
    free(text);

    /* 26 trials and 3 references, one chosen; the model holds that pair. */
    char *rows = acd_test_slurp(csv, NULL);
    size_t lines = 0, chosen = 0;
    float on = 0.0f, hold = 0.0f;
    for (char *l = strtok(rows, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        size_t len = strlen(l);
        if (len > 2 && !strcmp(l + len - 2, ",1") && !strncmp(l, "search,", 7)) {
            chosen++;
            ck_assert_int_eq(sscanf(l, "search,%f,%f", &on, &hold), 2);
        }
    }
    free(rows);
    ck_assert_uint_eq(lines, 1 + 26 + 3);
    ck_assert_uint_eq(chosen, 1);
    AcdModel *m = NULL;
    AcdError e = {0};
    ck_assert(acd_model_load(model, &m, &e) == ACD_OK);
    ck_assert(acd_model_config(m)->has_thresh);
    ck_assert(fabsf(acd_model_config(m)->thresh_onset - on) < 1e-6f);
    ck_assert(fabsf(acd_model_config(m)->thresh_hold - hold) < 1e-6f);
    acd_model_free(m);

    /* Usage errors exit 2. */
    ck_assert_int_eq(acd_test_accomp("", "calibrate --collection pop909 x", out, err_path), 2);
    ck_assert_int_eq(acd_test_accomp("", "calibrate --model m --target nobody x", out, err_path),
                     2);
    ck_assert_int_eq(acd_test_accomp("", "calibrate --model m --tol 0 x", out, err_path), 2);
    /* A missing model exits 1, naming it. */
    ck_assert_int_eq(
        acd_test_accomp("", "calibrate --model /nonexistent.safetensors x", out, err_path), 1);
    text = acd_test_slurp(err_path, NULL);
    ck_assert_ptr_nonnull(strstr(text, "/nonexistent.safetensors"));
    free(text);

    unlink(out);
    unlink(err_path);
    unlink(csv);
    unlink(model);
    rmdir(dir);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("calibrate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_save_thresholds);
    tcase_add_test(tc, test_save_play);
    tcase_add_test(tc, test_objective);
    tcase_add_test(tc, test_search);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_cli);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
