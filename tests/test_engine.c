/* Tests of the engine with the small reference models: quantization, causality, determinism, stops.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/engine.h"
#include "accompd/notes.h"
#include "accompd/rng.h"
#include "testutil.h"

#define MAX_OUT 20000
#define MAX_MEL 4000

typedef struct {
    AcdEvent ev[MAX_OUT];
    size_t n;
} Out;

static AcdModel *load(const char *name)
{
    AcdModel *m = NULL;
    AcdError err = {0};
    char rel[128];
    snprintf(rel, sizeof rel, "tests/ref/%s.safetensors", name);
    AcdStatus st = acd_model_load(acd_test_src(rel), &m, &err);
    ck_assert_msg(st == ACD_OK, "%s", acd_error_text(&err));
    return m;
}

static AcdEngine *make(const AcdModel *m, AcdEngineConfig *cfg)
{
    AcdEngine *e = NULL;
    AcdError err = {0};
    AcdStatus st = acd_engine_new(m, cfg, &e, &err);
    ck_assert_msg(st == ACD_OK, "%s", acd_error_text(&err));
    return e;
}

static void advance(AcdEngine *e, int64_t now, Out *out)
{
    bool more = true;
    while (more) {
        ck_assert_uint_ge(MAX_OUT - out->n, ACD_ENGINE_MAX_STEP_EVENTS);
        out->n += acd_engine_advance(e, now, out->ev + out->n, MAX_OUT - out->n, &more);
    }
}

/* The driver loop of engine.h. */
static void drive(AcdEngine *e, const AcdEvent *mel, size_t n, int64_t end, Out *out)
{
    for (size_t i = 0; i < n; i++) {
        advance(e, mel[i].time, out);
        ck_assert_int_eq(acd_engine_feed(e, &mel[i]), ACD_OK);
    }
    advance(e, end, out);
}

/* A random melody: about one note per beat, lengths 1..8 steps, from t0. */
static size_t random_melody(uint64_t seed, int64_t t0, int64_t ups, int steps, AcdEvent *mel)
{
    AcdRng r;
    acd_rng_seed(&r, seed);
    size_t n = 0;
    int64_t t = t0;
    mel[n++] = acd_event_make(t, 0x90, 60, 100);
    mel[n++] = acd_event_make(t + ups * 2 - 30, 0x80, 60, 0);
    t += ups * 2;
    while (t < t0 + ups * steps && n + 2 < MAX_MEL) {
        int pitch = 48 + (int)(acd_rng_next_u64(&r) % 36);
        int64_t len = ups * (1 + (int64_t)(acd_rng_next_u64(&r) % 8)) - 50;
        int64_t jitter = (int64_t)(acd_rng_next_u64(&r) % 400) - 200;
        mel[n++] = acd_event_make(t + jitter, 0x90, (uint8_t)pitch, 90);
        mel[n++] = acd_event_make(t + jitter + len, 0x80, (uint8_t)pitch, 0);
        t += ups * (1 + (int64_t)(acd_rng_next_u64(&r) % 4));
    }
    /* Keep time order: a note-off may pass the next note-on. */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && mel[k - 1].time > mel[k].time; k--) {
            AcdEvent tmp = mel[k];
            mel[k] = mel[k - 1];
            mel[k - 1] = tmp;
        }
    return n;
}

static Out out_a, out_b;
static AcdEvent mel_a[MAX_MEL], mel_b[MAX_MEL];

START_TEST(test_deterministic_and_on_the_grid)
{
    const char *models[] = {"tiny", "small"};
    AcdModel *m = load(models[_i]);
    AcdEngineConfig cfg;
    acd_engine_config_default(&cfg, m);
    cfg.units_per_step = 6000;
    cfg.stop_after_bars = 0;
    cfg.sampler.temperature = 0.8f;
    cfg.sampler.seed = 42;
    size_t n = random_melody(7, 100000, 6000, 300, mel_a);
    AcdEngine *e1 = make(m, &cfg), *e2 = make(m, &cfg);
    out_a.n = out_b.n = 0;
    drive(e1, mel_a, n, 100000 + 6000 * 310, &out_a);
    drive(e2, mel_a, n, 100000 + 6000 * 310, &out_b);
    ck_assert_uint_gt(out_a.n, 20); /* it plays */
    ck_assert_uint_eq(out_a.n, out_b.n);
    ck_assert_int_eq(memcmp(out_a.ev, out_b.ev, out_a.n * sizeof(AcdEvent)), 0);
    for (size_t i = 0; i < out_a.n; i++) {
        ck_assert_int_eq((out_a.ev[i].time - 100000) % 6000, 0);
        if (i)
            ck_assert_int_ge(out_a.ev[i].time, out_a.ev[i - 1].time);
    }
    /* Another seed samples another accompaniment. */
    cfg.sampler.seed = 43;
    AcdEngine *e3 = make(m, &cfg);
    out_b.n = 0;
    drive(e3, mel_a, n, 100000 + 6000 * 310, &out_b);
    ck_assert(out_b.n != out_a.n || memcmp(out_a.ev, out_b.ev, out_a.n * sizeof(AcdEvent)) != 0);
    acd_engine_free(e1);
    acd_engine_free(e2);
    acd_engine_free(e3);
    acd_model_free(m);
}
END_TEST

START_TEST(test_causality)
{
    AcdModel *m = load("tiny");
    AcdEngineConfig cfg;
    acd_engine_config_default(&cfg, m);
    cfg.units_per_step = 6000;
    cfg.grace_units = 720;
    cfg.stop_after_bars = 0;
    const int64_t t0 = 5000, cut_step = 60;
    const int64_t decision = t0 + cut_step * 6000 + 720;
    size_t na = random_melody(11, t0, 6000, 120, mel_a);
    size_t nb = random_melody(12, t0, 6000, 120, mel_b);
    /* B: A's past up to the decision point of cut_step, another future. */
    size_t n = 0;
    AcdEvent *mix = calloc(MAX_MEL * 2, sizeof *mix);
    for (size_t i = 0; i < na; i++)
        if (mel_a[i].time < decision)
            mix[n++] = mel_a[i];
    for (size_t i = 0; i < nb; i++)
        if (mel_b[i].time >= decision)
            mix[n++] = mel_b[i];
    AcdEngine *ea = make(m, &cfg), *eb = make(m, &cfg);
    out_a.n = out_b.n = 0;
    drive(ea, mel_a, na, t0 + 6000 * 130, &out_a);
    drive(eb, mix, n, t0 + 6000 * 130, &out_b);
    size_t ka = 0, kb = 0;
    while (ka < out_a.n && out_a.ev[ka].time <= t0 + cut_step * 6000)
        ka++;
    while (kb < out_b.n && out_b.ev[kb].time <= t0 + cut_step * 6000)
        kb++;
    ck_assert_uint_gt(ka, 0);
    ck_assert_uint_eq(ka, kb);
    ck_assert_int_eq(memcmp(out_a.ev, out_b.ev, ka * sizeof(AcdEvent)), 0);
    free(mix);
    acd_engine_free(ea);
    acd_engine_free(eb);
    acd_model_free(m);
}
END_TEST

static void feed_ok(AcdEngine *e, int64_t time, uint8_t status, uint8_t pitch, Out *out)
{
    advance(e, time, out);
    AcdEvent ev = acd_event_make(time, status, pitch, status >= 0x90 ? 100 : 0);
    ck_assert_int_eq(acd_engine_feed(e, &ev), ACD_OK);
}

START_TEST(test_quantize_grace_and_short_notes)
{
    AcdModel *m = load("tiny"); /* onset_hold, melody 60..71 */
    AcdEngineConfig cfg;
    acd_engine_config_default(&cfg, m);
    cfg.units_per_step = 1000;
    cfg.grace_units = 100;
    cfg.stop_after_bars = 0;
    AcdEngine *e = make(m, &cfg);
    out_a.n = 0;
    ck_assert_int_eq(acd_engine_next_decision(e), INT64_MAX);
    ck_assert(!acd_engine_running(e));

    feed_ok(e, 50000, 0x90, 60, &out_a); /* sync start: step 0 at 50000 */
    ck_assert(acd_engine_running(e));
    ck_assert_int_eq(acd_engine_next_decision(e), 50100);
    /* Late by 99 units: still step 1. */
    feed_ok(e, 51099, 0x90, 62, &out_a);
    advance(e, 51100, &out_a); /* decides steps 0 and 1 */
    ck_assert_int_eq(acd_engine_next_step(e), 2);
    ck_assert(acd_engine_melody_onset(e)[2]);
    ck_assert(!acd_engine_melody_onset(e)[0]);
    ck_assert(acd_engine_melody_hold(e)[0]); /* 60 held since step 0 */
    /* Exactly at the decision point: the next step. */
    feed_ok(e, 52100, 0x90, 64, &out_a);
    ck_assert_int_eq(acd_engine_next_step(e), 3);
    ck_assert(!acd_engine_melody_onset(e)[4]);
    advance(e, 53100, &out_a);
    ck_assert(acd_engine_melody_onset(e)[4]);
    /* Early by 300: counts for the coming step (4). A note shorter than a
     * step, folded from 48 onto 60's row... 48 folds to 60. */
    feed_ok(e, 53700, 0x90, 65, &out_a);
    feed_ok(e, 53750, 0x80, 60, &out_a);
    feed_ok(e, 53800, 0x90, 48, &out_a);
    feed_ok(e, 53900, 0x80, 48, &out_a);
    advance(e, 54100, &out_a);
    ck_assert_int_eq(acd_engine_next_step(e), 5);
    ck_assert(acd_engine_melody_onset(e)[5]);
    ck_assert(acd_engine_melody_onset(e)[0]); /* short re-strike of 60's row */
    ck_assert(!acd_engine_melody_hold(e)[0]);
    advance(e, 55100, &out_a);
    ck_assert(!acd_engine_melody_onset(e)[0]); /* short: no hold afterwards */
    ck_assert(!acd_engine_melody_hold(e)[0]);
    ck_assert(acd_engine_melody_hold(e)[5]);
    ck_assert(acd_engine_melody_hold(e)[2]);

    /* A message at or after the next decision point is refused. */
    AcdEvent late = acd_event_make(acd_engine_next_decision(e), 0x90, 67, 1);
    ck_assert_int_eq(acd_engine_feed(e, &late), ACD_ERR_RANGE);
    AcdEngineStats st;
    acd_engine_stats(e, &st);
    ck_assert_uint_eq(st.late_feeds, 1);
    ck_assert_uint_eq(st.steps, 6);
    acd_engine_free(e);
    acd_model_free(m);
}
END_TEST

START_TEST(test_stop_releases_everything)
{
    AcdModel *m = load("tiny");
    AcdEngineConfig cfg;
    acd_engine_config_default(&cfg, m);
    cfg.units_per_step = 6000;
    cfg.stop_after_bars = 1;
    cfg.sampler.max_len_steps = 0; /* let notes ring, so the stop has work to do */
    AcdEngine *e = make(m, &cfg);
    /* Two passes: stopped by silence, then by acd_engine_stop. */
    for (int pass = 0; pass < 2; pass++) {
        out_a.n = 0;
        int64_t t0 = 1000000 * (pass + 1);
        size_t n = random_melody(3 + (uint64_t)pass, t0, 6000, 40, mel_a);
        for (size_t i = 0; i < n; i++) {
            advance(e, mel_a[i].time, &out_a);
            ck_assert_int_eq(acd_engine_feed(e, &mel_a[i]), ACD_OK);
        }
        int64_t end = mel_a[n - 1].time;
        if (pass == 0) {
            advance(e, end + 6000 * 40, &out_a);
            ck_assert(!acd_engine_running(e));
        } else {
            advance(e, end, &out_a);
            ck_assert(acd_engine_running(e));
            out_a.n += acd_engine_stop(e, end, out_a.ev + out_a.n, MAX_OUT - out_a.n);
            ck_assert(!acd_engine_running(e));
        }
        ck_assert_uint_eq(acd_engine_sounding(e), 0);
        AcdNotes heard;
        acd_notes_init(&heard);
        int ons = 0;
        for (size_t i = 0; i < out_a.n; i++) {
            acd_notes_track(&heard, out_a.ev[i].data, out_a.ev[i].len);
            ons += acd_event_is_note_on(out_a.ev[i].data, out_a.ev[i].len);
        }
        ck_assert_int_gt(ons, 0);
        ck_assert_uint_eq(acd_notes_count(&heard), 0);
        AcdEvent last = out_a.ev[out_a.n - 1];
        ck_assert_uint_eq(last.data[0], 0xB0);
        ck_assert_uint_eq(last.data[1], 123);
    }
    acd_engine_free(e);
    acd_model_free(m);
}
END_TEST

START_TEST(test_count_in_and_tempo_change)
{
    AcdModel *m = load("tiny");
    AcdEngineConfig cfg;
    acd_engine_config_default(&cfg, m);
    cfg.units_per_step = 6000;
    cfg.count_in_steps = 16;
    cfg.stop_after_bars = 0;
    cfg.channel = 3;
    AcdEngine *e = make(m, &cfg);
    out_a.n = 0;
    size_t n = random_melody(5, 0, 6000, 64, mel_a);
    drive(e, mel_a, n, 6000 * 20, &out_a);
    ck_assert_uint_gt(out_a.n, 0);
    for (size_t i = 0; i < out_a.n; i++) {
        ck_assert_int_ge(out_a.ev[i].time, 6000 * 16);
        ck_assert_uint_eq(out_a.ev[i].data[0] & 0x0F, 3);
    }
    /* Faster from the next undecided step on; earlier steps keep their times. */
    int64_t t = acd_engine_next_step(e);
    int64_t start_t = acd_engine_step_time(e, t);
    acd_engine_set_units_per_step(e, 3000);
    ck_assert_int_eq(acd_engine_step_time(e, t), start_t);
    ck_assert_int_eq(acd_engine_step_time(e, t + 4), start_t + 4 * 3000);
    ck_assert_int_eq(acd_engine_step_time(e, t - 1), start_t - 3000);
    acd_engine_free(e);
    acd_model_free(m);
}
END_TEST

START_TEST(test_follows_an_external_clock)
{
    AcdModel *m = load("tiny");
    AcdEngineConfig cfg;
    acd_engine_config_default(&cfg, m);
    cfg.units_per_step = 6000;
    cfg.grace_units = 720;
    cfg.stop_after_bars = 1;
    AcdEngine *e = make(m, &cfg);
    /* A clock at 90 BPM (8000 frames a 16th) whose song started at 1000. */
    acd_engine_follow(e, 1000 + 8000 * 4, 4.0, 8000, 3);
    out_a.n = 0;
    /* 300 frames after boundary 10: within the grace, so step 0 is there. */
    feed_ok(e, 1000 + 8000 * 10 + 300, 0x90, 60, &out_a);
    ck_assert_int_eq(acd_engine_step_time(e, 0), 1000 + 8000 * 10);
    ck_assert_int_eq(acd_engine_step_time(e, 5), 1000 + 8000 * 15);
    feed_ok(e, 1000 + 8000 * 12, 0x80, 60, &out_a);
    /* The clock speeds up (6000 a step) from the next undecided step on. */
    int64_t t = acd_engine_next_step(e);
    int64_t at = acd_engine_step_time(e, t);
    acd_engine_follow(e, at - 100, (double)(t + 10) - 100.0 / 6000.0, 6000, 3);
    ck_assert_int_eq(acd_engine_step_time(e, t), at);
    ck_assert_int_eq(acd_engine_step_time(e, t + 2), at + 12000);
    /* A relocation (the clock jumps 50 steps): the grid stays, positions
     * renumber; a single odd report is ignored, the second one counts. */
    acd_engine_follow(e, at - 3000, (double)(t + 60) - 0.5, 6000, 3);
    acd_engine_follow(e, at, (double)(t + 60), 6000, 3);
    ck_assert_int_eq(acd_engine_step_time(e, t), at);
    advance(e, at + 6000 * 40, &out_a);
    for (size_t i = 0; i < out_a.n; i++)
        if (out_a.ev[i].time >= at)
            ck_assert_int_eq((out_a.ev[i].time - at) % 6000, 0);
        else
            ck_assert_int_eq((out_a.ev[i].time - 1000) % 8000, 0);
    /* Late past the grace: the next boundary. */
    ck_assert(!acd_engine_running(e));
    int64_t now = at + 6000 * 40;
    feed_ok(e, now + 1000, 0x90, 62, &out_a);
    ck_assert_int_eq((acd_engine_step_time(e, 0) - at) % 6000, 0);
    ck_assert_int_gt(acd_engine_step_time(e, 0), now + 1000 - 720);
    ck_assert_int_le(acd_engine_step_time(e, 0) - (now + 1000), 6000);
    acd_engine_unfollow(e, 6000);
    acd_engine_free(e);
    acd_model_free(m);
}
END_TEST

START_TEST(test_config_checked)
{
    AcdModel *m = load("tiny");
    AcdEngineConfig cfg;
    AcdEngine *e = (AcdEngine *)1;
    AcdError err = {0};
    acd_engine_config_default(&cfg, m);
    cfg.grace_units = (int64_t)cfg.units_per_step;
    ck_assert_int_eq(acd_engine_new(m, &cfg, &e, &err), ACD_ERR_RANGE);
    ck_assert_ptr_null(e);
    ck_assert(strstr(err.msg, "grace"));
    acd_engine_config_default(&cfg, m);
    cfg.sampler.n_pitch++;
    ck_assert_int_eq(acd_engine_new(m, &cfg, &e, &err), ACD_ERR_INVALID);
    acd_engine_config_default(&cfg, m);
    cfg.channel = 16;
    ck_assert_int_eq(acd_engine_new(m, &cfg, &e, &err), ACD_ERR_RANGE);
    ck_assert(acd_engine_units_per_step(120, 4, 48000) == 6000.0);
    acd_engine_free(NULL);
    acd_model_free(m);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_deterministic_and_on_the_grid, 0, 2);
    tcase_add_test(tc, test_causality);
    tcase_add_test(tc, test_quantize_grace_and_short_notes);
    tcase_add_test(tc, test_stop_releases_everything);
    tcase_add_test(tc, test_count_in_and_tempo_change);
    tcase_add_test(tc, test_follows_an_external_clock);
    tcase_add_test(tc, test_config_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
