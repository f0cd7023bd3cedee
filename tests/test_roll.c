/* Tests of the piano-roll encoding: quantization, onset/hold rules, folding, round trips. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/roll.h"
#include "accompd/song.h"
#include "testutil.h"

static AcdSongNote note(double start, double end, int pitch)
{
    AcdSongNote n = {
        .start_beat = start, .end_beat = end, .pitch = (uint8_t)pitch, .velocity = 100};
    return n;
}

static int onset(const AcdRoll *r, size_t t, int p)
{
    return r->bits[acd_roll_onset_index(r, t, p)];
}

static int hold(const AcdRoll *r, size_t t, int p)
{
    return r->bits[acd_roll_hold_index(r, t, p)];
}

/* The rules of models/README.md on every step and pitch. */
static void check_invariants(const AcdRoll *r)
{
    if (r->kind != ACD_ROLL_ONSET_HOLD)
        return;
    for (size_t t = 0; t < r->n_steps; t++)
        for (int p = r->lo; p <= r->hi; p++) {
            ck_assert(!(onset(r, t, p) && hold(r, t, p)));
            if (hold(r, t, p))
                ck_assert(t > 0 && (onset(r, t - 1, p) || hold(r, t - 1, p)));
        }
}

START_TEST(test_basic_onset_hold)
{
    AcdRoll r;
    ck_assert_int_eq(acd_roll_init(&r, ACD_ROLL_ONSET_HOLD, 4, 48, 95, 16, NULL), ACD_OK);
    ck_assert_int_eq(r.width, 2 * 48);
    AcdSongNote ns[] = {note(0, 1, 60), note(0.13, 0.3, 62), note(2, 3, 60), note(2.5, 4, 60)};
    AcdRollStats st;
    ck_assert_int_eq(acd_roll_encode(&r, ns, 4, &st), ACD_OK);
    /* 60: onset at 0, holds 1..3. */
    ck_assert(onset(&r, 0, 60) && hold(&r, 1, 60) && hold(&r, 3, 60) && !hold(&r, 4, 60));
    /* 0.13 beats -> step 0.52 -> 1; 0.3 -> 1.2 -> 1: at least one step. */
    ck_assert(onset(&r, 1, 62) && !hold(&r, 2, 62) && !onset(&r, 0, 62));
    /* The note at 2 is cut at 2.5 by the re-strike. */
    ck_assert(onset(&r, 8, 60) && hold(&r, 9, 60) && onset(&r, 10, 60) && hold(&r, 15, 60));
    ck_assert_uint_eq(st.n_cut, 1);
    check_invariants(&r);
    acd_roll_cleanup(&r);
}
END_TEST

START_TEST(test_fold_and_drop)
{
    ck_assert_int_eq(acd_roll_fold_pitch(30, 48, 95), 54);
    ck_assert_int_eq(acd_roll_fold_pitch(100, 48, 95), 88);
    ck_assert_int_eq(acd_roll_fold_pitch(60, 48, 95), 60);
    AcdRoll r;
    ck_assert_int_eq(acd_roll_init(&r, ACD_ROLL_ONOFF, 4, 48, 95, 8, NULL), ACD_OK);
    AcdSongNote ns[] = {note(0, 1, 30), note(5, 6, 60), note(-3, -2, 60), note(1, 9, 61)};
    AcdRollStats st;
    ck_assert_int_eq(acd_roll_encode(&r, ns, 4, &st), ACD_OK);
    ck_assert_uint_eq(st.n_folded, 1);
    ck_assert_uint_eq(st.n_dropped, 2);
    ck_assert(onset(&r, 0, 54) && onset(&r, 3, 54) && !onset(&r, 4, 54));
    ck_assert(onset(&r, 7, 61)); /* clipped to the roll's end */
    acd_roll_cleanup(&r);
    ck_assert_int_eq(acd_roll_init(&r, ACD_ROLL_ONOFF, 4, 60, 65, 8, NULL), ACD_ERR_INVALID);
    ck_assert_int_eq(acd_roll_init(&r, ACD_ROLL_ONOFF, 0, 48, 95, 8, NULL), ACD_ERR_INVALID);
}
END_TEST

static int same_notes(const AcdSongNote *a, size_t na, const AcdSongNote *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].pitch != b[i].pitch || a[i].start_beat != b[i].start_beat ||
            a[i].end_beat != b[i].end_beat)
            return 0;
    return 1;
}

/* encode -> decode -> encode gives the same bits; for onset/hold, decode
 * gives back exactly the quantized notes. */
static void round_trip(AcdRollKind kind, const AcdSongNote *ns, size_t n, size_t steps, int lo,
                       int hi)
{
    AcdRoll a, b;
    ck_assert_int_eq(acd_roll_init(&a, kind, 4, lo, hi, steps, NULL), ACD_OK);
    ck_assert_int_eq(acd_roll_init(&b, kind, 4, lo, hi, steps, NULL), ACD_OK);
    ck_assert_int_eq(acd_roll_encode(&a, ns, n, NULL), ACD_OK);
    check_invariants(&a);
    AcdSongNote *dec, *q;
    size_t ndec, nq;
    ck_assert_int_eq(acd_roll_decode(&a, NULL, &dec, &ndec), ACD_OK);
    ck_assert_int_eq(acd_roll_encode(&b, dec, ndec, NULL), ACD_OK);
    ck_assert(!memcmp(a.bits, b.bits, steps * (size_t)a.width));
    ck_assert_int_eq(acd_roll_quantize(&a, ns, n, &q, &nq, NULL), ACD_OK);
    if (kind == ACD_ROLL_ONSET_HOLD)
        ck_assert(same_notes(dec, ndec, q, nq));
    free(dec);
    free(q);
    acd_roll_cleanup(&a);
    acd_roll_cleanup(&b);
}

START_TEST(test_round_trip_random)
{
    srand(12345);
    AcdSongNote ns[400];
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < 400; i++) {
            double s = (rand() % 4000) / 37.0;
            ns[i] = note(s, s + (rand() % 300) / 41.0, 20 + rand() % 100);
        }
        round_trip(k ? ACD_ROLL_ONOFF : ACD_ROLL_ONSET_HOLD, ns, 400, 440, 36, 84);
    }
}
END_TEST

START_TEST(test_positions)
{
    AcdBeatGrid g;
    ck_assert_int_eq(acd_beatgrid_init_steady(&g, 0.1, 0.5, 12, 3, NULL), ACD_OK);
    AcdRoll r;
    ck_assert_int_eq(acd_roll_init(&r, ACD_ROLL_ONSET_HOLD, 4, 48, 95, 64, NULL), ACD_OK);
    acd_roll_set_positions(&r, &g);
    ck_assert_int_eq(r.step_in_beat[5], 1);
    ck_assert_int_eq(r.beat_in_bar[5], 1);
    ck_assert_int_eq(r.beat_in_bar[8], 2);
    ck_assert_int_eq(r.beat_in_bar[12], 0);
    ck_assert_int_eq(r.beat_in_bar[63], 0); /* beat 15, past the grid: continues the bars */
    ck_assert_double_eq_tol(acd_beatgrid_sec_to_beat(&g, 0.35), 0.5, 1e-12);
    ck_assert_double_eq_tol(acd_beatgrid_sec_to_beat(&g, 0.0), -0.2, 1e-12);
    ck_assert_double_eq_tol(acd_beatgrid_beat_to_sec(&g, 20.0), 10.1, 1e-12);
    acd_roll_cleanup(&r);
    acd_beatgrid_cleanup(&g);
}
END_TEST

/* A drifting grid: positions interpolate between the listed beats. */
START_TEST(test_drifting_grid)
{
    double sec[] = {0.3, 0.8, 1.4, 2.1, 2.9};
    uint8_t bar[] = {0, 1, 0, 1, 0};
    AcdBeatGrid g;
    ck_assert_int_eq(acd_beatgrid_init_times(&g, sec, bar, 5, 2, NULL), ACD_OK);
    ck_assert_int_eq(g.beats_per_bar, 2);
    ck_assert_int_eq(g.beat_in_bar[0], 1); /* a pickup */
    ck_assert_double_eq_tol(acd_beatgrid_sec_to_beat(&g, 1.75), 2.5, 1e-12);
    ck_assert_double_eq_tol(acd_beatgrid_beat_to_sec(&g, 2.5), 1.75, 1e-12);
    double bad[] = {0.3, 0.3};
    AcdBeatGrid g2;
    ck_assert_int_eq(acd_beatgrid_init_times(&g2, bad, NULL, 2, 4, NULL), ACD_ERR_FORMAT);
    acd_beatgrid_cleanup(&g);
}
END_TEST

/* A real POP909 excerpt: quantized on its shifted beat grid, both parts
 * round-trip, and the melody's roll is monophonic-ish and in range. */
START_TEST(test_pop909_fixture)
{
    static const char *const songs[] = {"001", "034", "003"};
    for (size_t k = 0; k < 3; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "tests/data/pop909/POP909/%s", songs[k]);
        AcdSong *s;
        AcdError err = {0};
        ck_assert_msg(acd_song_load_pop909(acd_test_src(rel), 0, &s, &err) == ACD_OK, "%s",
                      acd_error_text(&err));
        size_t steps = acd_roll_song_steps(s, 4);
        ck_assert_uint_gt(steps, 16 * 4);
        round_trip(ACD_ROLL_ONSET_HOLD, s->melody, s->n_melody, steps, 48, 95);
        round_trip(ACD_ROLL_ONSET_HOLD, s->accomp, s->n_accomp, steps, 28, 91);
        round_trip(ACD_ROLL_ONOFF, s->accomp, s->n_accomp, steps, 28, 91);
        AcdRoll r;
        ck_assert_int_eq(acd_roll_init(&r, ACD_ROLL_ONSET_HOLD, 4, 48, 95, steps, NULL), ACD_OK);
        AcdRollStats st;
        ck_assert_int_eq(acd_roll_encode(&r, s->melody, s->n_melody, &st), ACD_OK);
        acd_roll_set_positions(&r, &s->grid);
        size_t n_on = 0;
        for (size_t i = 0; i < steps * (size_t)r.width; i++)
            n_on += r.bits[i] && (i % (size_t)r.width) < (size_t)r.n_pitches;
        ck_assert_uint_eq(n_on + st.n_cut + st.n_dropped, s->n_melody);
        /* Bar lines of the beat file are beat_in_bar 0. */
        for (size_t b = 0; b < s->grid.n_beats && b * 4 < steps; b++)
            ck_assert_int_eq(r.beat_in_bar[b * 4], s->grid.beat_in_bar[b]);
        acd_roll_cleanup(&r);
        acd_song_free(s);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("roll");
    TCase *tc = tcase_create("roll");
    tcase_add_test(tc, test_basic_onset_hold);
    tcase_add_test(tc, test_fold_and_drop);
    tcase_add_test(tc, test_round_trip_random);
    tcase_add_test(tc, test_positions);
    tcase_add_test(tc, test_drifting_grid);
    tcase_add_test(tc, test_pop909_fixture);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
