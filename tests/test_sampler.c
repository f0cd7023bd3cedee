/* Tests of the seeded generator and the sampler. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "accompd/rng.h"
#include "accompd/sampler.h"
#include "testutil.h"

#define NP 64 /* pitches in the test samplers */

/* Check's ck_assert marks every passing point through a pipe, which costs
 * seconds in loops of a million checks; this only reports failures. */
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

/* Logits for the tests, from a generator of their own, so that the stream
 * the sampler sees does not depend on the sampler's. */
static void random_logits(AcdRng *r, float *z, int n, float lo, float hi)
{
    for (int i = 0; i < n; i++)
        z[i] = lo + (hi - lo) * (float)acd_rng_next_unit(r);
}

static AcdSampler *make(const AcdSamplerConfig *cfg)
{
    AcdSampler *s = NULL;
    AcdError err = {0};
    AcdStatus st = acd_sampler_new(cfg, &s, &err);
    ck_assert_msg(st == ACD_OK, "%s", acd_error_text(&err));
    return s;
}

/* No caps and no lengths: the plain decisions. */
static void bare_config(AcdSamplerConfig *cfg, AcdSamplerRoll roll)
{
    acd_sampler_config_default(cfg, NP, 24, roll);
    cfg->max_poly = 0;
    cfg->min_len_steps = 0;
    cfg->max_len_steps = 0;
}

static int sounding(const AcdNoteFrame *f, int p)
{
    return f->onset[p] | f->hold[p];
}

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

START_TEST(rng_reference_and_range)
{
    AcdRng r;
    acd_rng_seed(&r, 0);
    ck_assert_uint_eq(r.s[0], UINT64_C(0xe220a8397b1dcdaf)); /* splitmix64(0), first word */
    acd_rng_seed(&r, 12345);
    ck_assert_uint_eq(acd_rng_next_u64(&r), UINT64_C(0xbe6a36374160d49b));
    ck_assert_uint_eq(acd_rng_next_u64(&r), UINT64_C(0x214aaa0637a688c6));
    ck_assert_uint_eq(acd_rng_next_u64(&r), UINT64_C(0xf69d16de9954d388));
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = acd_rng_next_unit(&r);
        EXPECT(u > 0.0 && u < 1.0, "u = %g", u);
        sum += u;
    }
    ck_assert_double_eq_tol(sum / 100000, 0.5, 0.005);
}
END_TEST

/* The batched draws the sampler uses are the single draws, bit for bit. */
START_TEST(rng_fill_matches_single_draws)
{
    AcdRng a, b;
    acd_rng_seed(&a, 99);
    acd_rng_seed(&b, 99);
    double u[37];
    for (int round = 0; round < 3; round++) {
        acd_rng_fill_unit(&a, u, 37);
        for (int i = 0; i < 37; i++)
            ck_assert(u[i] == acd_rng_next_unit(&b));
    }
    ck_assert_uint_eq(acd_rng_next_u64(&a), acd_rng_next_u64(&b));
}
END_TEST

START_TEST(config_checked)
{
    AcdSamplerConfig c;
    AcdError err = {0};
    AcdSampler *s = (AcdSampler *)&c; /* must be set to NULL on failure */
    acd_sampler_config_default(&c, NP, 24, ACD_SAMPLER_ROLL_ONSET_HOLD);
    ck_assert_int_eq(acd_sampler_config_check(&c, &err), ACD_OK);

    AcdSamplerConfig bad = c;
    bad.n_pitch = 0;
    ck_assert_int_eq(acd_sampler_new(&bad, &s, &err), ACD_ERR_RANGE);
    ck_assert_ptr_null(s);
    bad = c;
    bad.lowest_note = 100; /* 100 + 64 > 128 */
    ck_assert_int_eq(acd_sampler_config_check(&bad, &err), ACD_ERR_RANGE);
    bad = c;
    bad.thresh_hold = 1.0f;
    ck_assert_int_eq(acd_sampler_config_check(&bad, &err), ACD_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(acd_error_text(&err), "thresh_hold"));
    bad = c;
    bad.thresh_onset = NAN;
    ck_assert_int_eq(acd_sampler_config_check(&bad, &err), ACD_ERR_RANGE);
    bad = c;
    bad.temperature = -1.0f;
    ck_assert_int_eq(acd_sampler_config_check(&bad, &err), ACD_ERR_RANGE);
    bad = c;
    bad.min_len_steps = 10;
    bad.max_len_steps = 4;
    ck_assert_int_eq(acd_sampler_config_check(&bad, &err), ACD_ERR_RANGE);
    bad = c;
    bad.roll = (AcdSamplerRoll)7;
    ck_assert_int_eq(acd_sampler_config_check(&bad, &err), ACD_ERR_INVALID);

    s = make(&c);
    bad = c;
    bad.n_pitch = NP - 1;
    ck_assert_int_eq(acd_sampler_configure(s, &bad, &err), ACD_ERR_INVALID);
    bad = c;
    bad.temperature = 0.8f;
    ck_assert_int_eq(acd_sampler_configure(s, &bad, &err), ACD_OK);
    ck_assert(acd_sampler_config(s)->temperature == 0.8f);
    acd_sampler_free(s);
    acd_sampler_free(NULL);
}
END_TEST

/* Run a sampler over `steps` steps of random logits; frames go to out. */
static void run(const AcdSamplerConfig *cfg, uint64_t logit_seed, int steps, AcdNoteFrame *out)
{
    AcdSampler *s = make(cfg);
    AcdRng lr;
    acd_rng_seed(&lr, logit_seed);
    float z[2 * NP];
    for (int t = 0; t < steps; t++) {
        random_logits(&lr, z, 2 * NP, -4.0f, 3.0f);
        acd_sampler_step(s, z, &out[t], NULL);
    }
    acd_sampler_free(s);
}

#define RUN_STEPS 3000
static AcdNoteFrame run_a[RUN_STEPS], run_b[RUN_STEPS];

START_TEST(same_seed_same_notes_other_seed_differs)
{
    AcdSamplerConfig c;
    acd_sampler_config_default(&c, NP, 24, ACD_SAMPLER_ROLL_ONSET_HOLD);
    c.temperature = 1.0f;
    c.seed = 42;
    run(&c, 7, RUN_STEPS, run_a);
    run(&c, 7, RUN_STEPS, run_b);
    ck_assert(memcmp(run_a, run_b, sizeof run_a) == 0);

    /* A reset sampler repeats itself. */
    AcdSampler *s = make(&c);
    AcdRng lr;
    float z[2 * NP];
    for (int pass = 0; pass < 2; pass++) {
        acd_sampler_reset(s);
        acd_rng_seed(&lr, 7);
        for (int t = 0; t < 200; t++) {
            AcdNoteFrame f;
            random_logits(&lr, z, 2 * NP, -4.0f, 3.0f);
            acd_sampler_step(s, z, &f, NULL);
            EXPECT(memcmp(&f, &run_a[t], sizeof f) == 0, "step %d differs", t);
        }
    }
    acd_sampler_free(s);

    c.seed = 43;
    run(&c, 7, RUN_STEPS, run_b);
    int differ = 0;
    for (int t = 0; t < RUN_STEPS; t++)
        differ += memcmp(&run_a[t], &run_b[t], sizeof run_a[t]) != 0;
    ck_assert_int_gt(differ, RUN_STEPS / 2);
}
END_TEST

START_TEST(greedy_thresholds_exact)
{
    AcdSamplerConfig c;
    bare_config(&c, ACD_SAMPLER_ROLL_ONSET_HOLD);
    c.thresh_onset = 0.7f;
    c.thresh_hold = 0.3f;
    AcdSampler *s = make(&c);
    const double l_on = log(0.7 / 0.3), l_hold = log(0.3 / 0.7);
    float z[2 * NP];
    AcdNoteFrame f;
    AcdRng lr;
    acd_rng_seed(&lr, 3);
    for (int t = 0; t < 2000; t++) {
        /* Onsets on even steps decide alone (holds forbidden: nothing
         * sounds after an all-silent step); odd steps test holds after a
         * step where every pitch was struck. */
        acd_sampler_reset(s);
        for (int p = 0; p < NP; p++) {
            z[p] = 10.0f;
            z[NP + p] = -10.0f;
        }
        acd_sampler_step(s, z, &f, NULL);
        random_logits(&lr, z, 2 * NP, -3.0f, 3.0f);
        if (t % 2 == 0) {
            acd_sampler_reset(s);
            acd_sampler_step(s, z, &f, NULL);
            for (int p = 0; p < NP; p++) {
                EXPECT(f.hold[p] == 0, "hold after silence");
                if (fabs((double)z[p] - l_on) > 1e-6)
                    EXPECT(f.onset[p] == (sigmoid((double)z[p]) >= 0.7), "onset, z = %g",
                           (double)z[p]);
            }
        } else {
            for (int p = 0; p < NP; p++)
                z[p] = -10.0f;
            acd_sampler_step(s, z, &f, NULL);
            for (int p = 0; p < NP; p++) {
                EXPECT(f.onset[p] == 0, "onset at z = -10");
                if (fabs((double)z[NP + p] - l_hold) > 1e-6)
                    EXPECT(f.hold[p] == (sigmoid((double)z[NP + p]) >= 0.3), "hold, z = %g",
                           (double)z[NP + p]);
            }
        }
    }
    acd_sampler_free(s);

    /* At 0.5 the boundary is exactly z = 0: p >= 0.5 fires. */
    bare_config(&c, ACD_SAMPLER_ROLL_ONSET_HOLD);
    s = make(&c);
    for (int p = 0; p < 2 * NP; p++)
        z[p] = -10.0f;
    z[0] = 0.0f;
    z[1] = -FLT_TRUE_MIN;
    z[2] = FLT_TRUE_MIN;
    z[3] = NAN;
    acd_sampler_step(s, z, &f, NULL);
    ck_assert_int_eq(f.onset[0], 1);
    ck_assert_int_eq(f.onset[1], 0);
    ck_assert_int_eq(f.onset[2], 1);
    ck_assert_int_eq(f.onset[3], 0);
    acd_sampler_free(s);
}
END_TEST

START_TEST(temperature_to_zero_is_greedy)
{
    const float temps[] = {1e-20f, 1e-30f};
    for (size_t k = 0; k < sizeof temps / sizeof temps[0]; k++) {
        AcdSamplerConfig c;
        acd_sampler_config_default(&c, NP, 24, ACD_SAMPLER_ROLL_ONSET_HOLD);
        c.thresh_onset = 0.6f;
        c.thresh_hold = 0.35f;
        c.max_poly = 6;
        c.min_len_steps = 2;
        c.max_len_steps = 16;
        run(&c, 11, RUN_STEPS, run_a);
        c.temperature = temps[k];
        run(&c, 11, RUN_STEPS, run_b);
        ck_assert(memcmp(run_a, run_b, sizeof run_a) == 0);
    }
}
END_TEST

/* Onset frequencies match p = sigmoid((z - logit(thresh)) / T). Onsets are
 * decided by their draw alone when holds never fire and nothing is capped. */
static void check_statistics(float temperature, float thresh)
{
    AcdSamplerConfig c;
    bare_config(&c, ACD_SAMPLER_ROLL_ONSET_HOLD);
    c.temperature = temperature;
    c.thresh_onset = thresh;
    c.seed = 2024;
    AcdSampler *s = make(&c);
    float z[2 * NP];
    for (int p = 0; p < NP; p++) {
        z[p] = -4.0f + 8.0f * (float)p / (NP - 1);
        z[NP + p] = -1000.0f;
    }
    enum { N = 20000 };
    static int count[NP];
    memset(count, 0, sizeof count);
    AcdNoteFrame f;
    for (int t = 0; t < N; t++) {
        acd_sampler_step(s, z, &f, NULL);
        for (int p = 0; p < NP; p++)
            count[p] += f.onset[p];
    }
    const double l = log((double)thresh / (1.0 - (double)thresh));
    for (int p = 0; p < NP; p++) {
        double want = sigmoid(((double)z[p] - l) / (double)temperature);
        double got = (double)count[p] / N;
        /* 5 standard deviations (plus a little for p near 0 or 1): with a
         * fixed seed this either always passes or always fails. */
        double tol = 5.0 * sqrt(want * (1.0 - want) / N) + 1e-3;
        EXPECT(fabs(got - want) <= tol, "T=%g th=%g pitch %d: %g vs %g", (double)temperature,
               (double)thresh, p, got, want);
    }
    acd_sampler_free(s);
}

START_TEST(sampling_statistics_match_p)
{
    check_statistics(1.0f, 0.5f);
    check_statistics(2.0f, 0.5f);
    check_statistics(0.5f, 0.5f);
    check_statistics(1.0f, 0.7f);
}
END_TEST

/* Invariants over a long random run with every knob on. */
static void check_invariants(AcdSamplerRoll roll, float temperature)
{
    AcdSamplerConfig c;
    acd_sampler_config_default(&c, NP, 24, roll);
    c.temperature = temperature;
    c.thresh_onset = 0.3f;
    c.thresh_hold = 0.4f;
    c.max_poly = 5;
    c.min_len_steps = 3;
    c.max_len_steps = 12;
    AcdSampler *s = make(&c);
    AcdRng lr;
    acd_rng_seed(&lr, 99);
    float z[2 * NP], y[2 * NP];
    AcdNoteFrame prev = {0}, f;
    int len[NP] = {0}; /* steps the current note of each pitch has sounded */
    int max_seen = 0;
    for (int t = 0; t < 20000; t++) {
        random_logits(&lr, z, 2 * NP, -3.0f, 2.0f);
        acd_sampler_step(s, z, &f, y);
        EXPECT(memcmp(&f, acd_sampler_frame(s), sizeof f) == 0, "frame differs, step %d", t);
        int n = acd_note_frame_count(&f, NP);
        EXPECT(n <= c.max_poly, "%d notes at step %d", n, t);
        if (n > max_seen)
            max_seen = n;
        for (int p = 0; p < NP; p++) {
            EXPECT(!(f.onset[p] && f.hold[p]), "onset and hold, step %d", t);
            if (f.hold[p])
                EXPECT(sounding(&prev, p), "hold without predecessor, step %d", t);
            /* A note that stops (or is struck again) lasted min..max steps. */
            if (sounding(&prev, p) && !f.hold[p]) {
                EXPECT(len[p] >= c.min_len_steps, "note of %d steps at step %d", len[p], t);
                EXPECT(len[p] <= c.max_len_steps, "note of %d steps at step %d", len[p], t);
            }
            len[p] = f.onset[p] ? 1 : f.hold[p] ? len[p] + 1 : 0;
            EXPECT(len[p] <= c.max_len_steps, "note of %d steps at step %d", len[p], t);
            if (roll == ACD_SAMPLER_ROLL_ONSET_HOLD) {
                EXPECT(y[p] == f.onset[p] && y[NP + p] == f.hold[p], "y differs, step %d", t);
            } else {
                EXPECT(y[p] == sounding(&f, p), "y differs, step %d", t);
                /* One bit per pitch cannot say "again": no re-strikes. */
                EXPECT(!(f.onset[p] && sounding(&prev, p)), "re-strike in onoff, step %d", t);
            }
        }
        prev = f;
    }
    ck_assert_int_eq(max_seen, c.max_poly); /* the cap was actually exercised */
    acd_sampler_free(s);
}

START_TEST(invariants_hold_under_random_logits)
{
    check_invariants(ACD_SAMPLER_ROLL_ONSET_HOLD, 1.0f);
    check_invariants(ACD_SAMPLER_ROLL_ONSET_HOLD, 0.0f);
    check_invariants(ACD_SAMPLER_ROLL_ONOFF, 1.0f);
    check_invariants(ACD_SAMPLER_ROLL_ONOFF, 0.0f);
}
END_TEST

/* One pitch driven by hand: logits for pitch 0, all others silent. */
static void step1(AcdSampler *s, float z_on, float z_hold, AcdNoteFrame *f)
{
    float z[2 * NP];
    for (int p = 0; p < 2 * NP; p++)
        z[p] = -20.0f;
    z[0] = z_on;
    z[NP] = z_hold;
    acd_sampler_step(s, z, f, NULL);
}

START_TEST(min_and_max_length)
{
    AcdSamplerConfig c;
    bare_config(&c, ACD_SAMPLER_ROLL_ONSET_HOLD);
    c.min_len_steps = 3;
    c.max_len_steps = 5;
    AcdSampler *s = make(&c);
    AcdNoteFrame f;

    /* Struck, then the model lets go at once: held to three steps anyway,
     * and a re-strike inside them is ignored. */
    step1(s, 5, -5, &f);
    ck_assert(f.onset[0]);
    step1(s, 5, -5, &f);
    ck_assert(f.hold[0] && !f.onset[0]);
    step1(s, -5, -5, &f);
    ck_assert(f.hold[0]);
    step1(s, -5, -5, &f);
    ck_assert(!sounding(&f, 0));

    /* Held for ever by the model: released after five steps, and then
     * silent, since a hold needs a sounding predecessor. */
    step1(s, 5, -5, &f);
    ck_assert(f.onset[0]);
    for (int i = 0; i < 4; i++) {
        step1(s, -5, 5, &f);
        ck_assert(f.hold[0]);
    }
    step1(s, -5, 5, &f);
    ck_assert(!sounding(&f, 0));
    step1(s, -5, 5, &f);
    ck_assert(!sounding(&f, 0));

    /* An old note the model strikes again is re-struck, not released. */
    step1(s, 5, -5, &f);
    for (int i = 0; i < 4; i++)
        step1(s, -5, 5, &f);
    step1(s, 5, 5, &f);
    ck_assert(f.onset[0]);
    acd_sampler_free(s);
}
END_TEST

START_TEST(cap_keeps_the_most_probable)
{
    AcdSamplerConfig c;
    bare_config(&c, ACD_SAMPLER_ROLL_ONSET_HOLD);
    c.max_poly = 2;
    AcdSampler *s = make(&c);
    float z[2 * NP];
    AcdNoteFrame f;
    for (int p = 0; p < 2 * NP; p++)
        z[p] = -20.0f;
    z[0] = 1.0f;
    z[1] = 3.0f;
    z[2] = 2.0f;
    z[3] = 0.5f;
    z[4] = 2.0f; /* ties with pitch 2: the lower pitch wins */
    acd_sampler_step(s, z, &f, NULL);
    ck_assert_int_eq(acd_note_frame_count(&f, NP), 2);
    ck_assert(f.onset[1] && f.onset[2]);

    /* A held note (margin 5) beats a new onset (3), and loses to one (6). */
    c.max_poly = 1;
    ck_assert_int_eq(acd_sampler_configure(s, &c, NULL), ACD_OK);
    for (int p = 0; p < 2 * NP; p++)
        z[p] = -20.0f;
    z[NP + 1] = 5.0f;
    z[7] = 3.0f;
    acd_sampler_step(s, z, &f, NULL);
    ck_assert(f.hold[1] && !f.onset[7]);
    z[7] = 6.0f;
    acd_sampler_step(s, z, &f, NULL);
    ck_assert(f.onset[7] && !f.hold[1]);

    /* A note inside its minimum length beats any onset. */
    c.min_len_steps = 2;
    ck_assert_int_eq(acd_sampler_configure(s, &c, NULL), ACD_OK);
    acd_sampler_reset(s);
    for (int p = 0; p < 2 * NP; p++)
        z[p] = -20.0f;
    z[5] = 1.0f;
    acd_sampler_step(s, z, &f, NULL);
    ck_assert(f.onset[5]);
    z[5] = -20.0f;
    z[6] = 10.0f;
    acd_sampler_step(s, z, &f, NULL);
    ck_assert(f.hold[5] && !f.onset[6]);
    acd_sampler_free(s);
}
END_TEST

START_TEST(onoff_roll_and_hysteresis)
{
    AcdSamplerConfig c;
    bare_config(&c, ACD_SAMPLER_ROLL_ONOFF);
    c.thresh_onset = 0.7f; /* start above 0.7 ... */
    c.thresh_hold = 0.3f;  /* ... carry on above 0.3 */
    AcdSampler *s = make(&c);
    float z[NP], y[NP];
    AcdNoteFrame f;
    for (int p = 0; p < NP; p++)
        z[p] = -20.0f;
    z[0] = 0.0f; /* p = 0.5: not enough to start */
    acd_sampler_step(s, z, &f, y);
    ck_assert(!sounding(&f, 0) && y[0] == 0.0f);
    z[0] = 1.0f; /* 0.73 */
    acd_sampler_step(s, z, &f, y);
    ck_assert(f.onset[0] && y[0] == 1.0f);
    z[0] = 0.0f; /* 0.5: enough to carry on */
    acd_sampler_step(s, z, &f, y);
    ck_assert(f.hold[0] && !f.onset[0] && y[0] == 1.0f);
    z[0] = -1.0f; /* 0.27 */
    acd_sampler_step(s, z, &f, y);
    ck_assert(!sounding(&f, 0) && y[0] == 0.0f);
    acd_sampler_free(s);
}
END_TEST

START_TEST(diff_offs_then_ons)
{
    AcdNoteFrame a = {0}, b = {0};
    /* a: 0 struck, 1 held, 2 held. b: 0 held, 1 struck again, 2 stops, 3 struck. */
    a.onset[0] = 1;
    a.hold[1] = 1;
    a.hold[2] = 1;
    b.hold[0] = 1;
    b.onset[1] = 1;
    b.onset[3] = 1;
    AcdNoteEvent ev[ACD_SAMPLER_MAX_EVENTS];
    size_t n = acd_sampler_diff(&a, &b, NP, 60, ev, ACD_SAMPLER_MAX_EVENTS);
    ck_assert_uint_eq(n, 4);
    const AcdNoteEvent want[] = {{61, 0}, {62, 0}, {61, 1}, {63, 1}};
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(ev[i].note, want[i].note);
        ck_assert_uint_eq(ev[i].on, want[i].on);
    }
    /* Truncated: the count is still the full one, offs come first. */
    ck_assert_uint_eq(acd_sampler_diff(&a, &b, NP, 60, ev, 1), 4);
    ck_assert(ev[0].note == 61 && ev[0].on == 0);
    /* To and from silence. */
    ck_assert_uint_eq(acd_sampler_diff(&b, NULL, NP, 60, ev, ACD_SAMPLER_MAX_EVENTS), 3);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(ev[i].on, 0);
    ck_assert_uint_eq(acd_sampler_diff(NULL, &b, NP, 60, ev, ACD_SAMPLER_MAX_EVENTS), 3);
    ck_assert(ev[0].note == 60 && ev[0].on == 1);
    ck_assert_uint_eq(acd_sampler_diff(NULL, NULL, NP, 60, ev, 0), 0);
}
END_TEST

/* The decisions, bit for bit, as committed: a change in the arithmetic
 * (libm, FMA contraction, a reordered draw) shows here on any machine. The
 * logits come from integers and one correctly rounded division, so the
 * test's own arithmetic cannot differ between machines either. */
START_TEST(golden_stream)
{
    AcdSamplerConfig c;
    acd_sampler_config_default(&c, NP, 24, ACD_SAMPLER_ROLL_ONSET_HOLD);
    c.temperature = 0.7f;
    c.thresh_onset = 0.3f;
    c.seed = 2718;
    AcdSampler *s = make(&c);
    AcdRng lr;
    acd_rng_seed(&lr, 5);
    float z[2 * NP];
    AcdNoteFrame f;
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (int t = 0; t < 50000; t++) {
        for (int i = 0; i < 2 * NP; i++)
            z[i] = (float)((int)(acd_rng_next_u64(&lr) % 8001) - 5000) / 1000.0f;
        acd_sampler_step(s, z, &f, NULL);
        for (int p = 0; p < NP; p++)
            h = (h ^ (uint64_t)(f.onset[p] | f.hold[p] << 1)) * UINT64_C(1099511628211);
    }
    acd_sampler_free(s);
    ck_assert_uint_eq(h, UINT64_C(0x1718a396933831e8));
}
END_TEST

/* Replaying the sampler's own frames through diff gives a well-formed MIDI
 * stream: no note-on for a sounding note, no note-off for a silent one. */
START_TEST(diff_stream_is_balanced)
{
    AcdSamplerConfig c;
    acd_sampler_config_default(&c, NP, 24, ACD_SAMPLER_ROLL_ONSET_HOLD);
    c.temperature = 1.0f;
    run(&c, 5, RUN_STEPS, run_a);
    int on[128] = {0};
    AcdNoteEvent ev[ACD_SAMPLER_MAX_EVENTS];
    for (int t = 0; t <= RUN_STEPS; t++) {
        const AcdNoteFrame *prev = t ? &run_a[t - 1] : NULL;
        const AcdNoteFrame *cur = t < RUN_STEPS ? &run_a[t] : NULL;
        size_t n = acd_sampler_diff(prev, cur, NP, 24, ev, ACD_SAMPLER_MAX_EVENTS);
        int seen_on = 0;
        for (size_t i = 0; i < n; i++) {
            if (ev[i].on)
                seen_on = 1;
            else
                EXPECT(!seen_on, "note-off after a note-on");
            EXPECT(on[ev[i].note] == !ev[i].on, "unbalanced event for note %d", ev[i].note);
            on[ev[i].note] = ev[i].on;
        }
    }
    for (int k = 0; k < 128; k++)
        ck_assert_int_eq(on[k], 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sampler");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rng_reference_and_range);
    tcase_add_test(tc, rng_fill_matches_single_draws);
    tcase_add_test(tc, config_checked);
    tcase_add_test(tc, same_seed_same_notes_other_seed_differs);
    tcase_add_test(tc, greedy_thresholds_exact);
    tcase_add_test(tc, temperature_to_zero_is_greedy);
    tcase_add_test(tc, sampling_statistics_match_p);
    tcase_add_test(tc, invariants_hold_under_random_logits);
    tcase_add_test(tc, min_and_max_length);
    tcase_add_test(tc, cap_keeps_the_most_probable);
    tcase_add_test(tc, onoff_roll_and_hysteresis);
    tcase_add_test(tc, golden_stream);
    tcase_add_test(tc, diff_offs_then_ons);
    tcase_add_test(tc, diff_stream_is_balanced);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
