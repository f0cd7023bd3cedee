/* Unit tests of the rule-based harmonizer: key estimate, diatonic triads, a C major scale. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/harmonizer.h"
#include "accompd/metrics.h"
#include "testutil.h"

static AcdSongNote nt(double start, double end, int pitch)
{
    AcdSongNote n;
    memset(&n, 0, sizeof n);
    n.start_beat = start;
    n.end_beat = end;
    n.pitch = (uint8_t)pitch;
    return n;
}

/* Field by field: struct padding is not part of a note. */
static int same_notes(const AcdSongNote *a, const AcdSongNote *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].start_beat != b[i].start_beat || a[i].end_beat != b[i].end_beat ||
            a[i].start_sec != b[i].start_sec || a[i].end_sec != b[i].end_sec ||
            a[i].pitch != b[i].pitch || a[i].velocity != b[i].velocity ||
            a[i].channel != b[i].channel)
            return 0;
    return 1;
}

START_TEST(test_key)
{
    /* A histogram shaped like a key's scale finds that key. */
    static const int major[7] = {0, 2, 4, 5, 7, 9, 11};
    for (int t = 0; t < 12; t++) {
        double h[12] = {0};
        for (int i = 0; i < 7; i++)
            h[(t + major[i]) % 12] += i == 0 || i == 4 ? 3 : i == 2 ? 2 : 1;
        int tonic;
        bool minor;
        acd_harmonizer_key(h, &tonic, &minor);
        ck_assert_int_eq(tonic, t);
        ck_assert(!minor);
    }
    /* A minor: A C E weighted, with G#. */
    double h[12] = {0};
    h[9] = 4, h[0] = 2, h[4] = 3, h[8] = 1, h[11] = 1, h[2] = 1, h[5] = 1;
    int tonic;
    bool minor;
    acd_harmonizer_key(h, &tonic, &minor);
    ck_assert_int_eq(tonic, 9);
    ck_assert(minor);
    double zero[12] = {0};
    acd_harmonizer_key(zero, &tonic, &minor);
    ck_assert_int_eq(tonic, 0);
    ck_assert(!minor);
}
END_TEST

START_TEST(test_triads)
{
    static const char *const c_major[7] = {"C:maj", "D:min", "E:min", "F:maj",
                                           "G:maj", "A:min", "B:dim"};
    static const char *const a_minor[7] = {"A:min", "B:dim", "C:maj", "D:min",
                                           "E:maj", "F:maj", "G:maj"};
    AcdChord t[7];
    char name[32];
    acd_harmonizer_triads(0, false, t);
    for (int d = 0; d < 7; d++) {
        acd_chord_name(&t[d], name, sizeof name);
        ck_assert_str_eq(name, c_major[d]);
    }
    acd_harmonizer_triads(9, true, t);
    for (int d = 0; d < 7; d++) {
        acd_chord_name(&t[d], name, sizeof name);
        ck_assert_str_eq(name, a_minor[d]);
    }
}
END_TEST

/* Pitch classes of the chord voices (not the bass) sounding at beat b. */
static AcdPcSet voices_at(const AcdSongNote *acc, size_t n, double beat, int chord_lo)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        if (acc[i].pitch >= chord_lo && acc[i].start_beat <= beat && acc[i].end_beat > beat)
            s |= 1u << (acc[i].pitch % 12);
    return (AcdPcSet)s;
}

START_TEST(test_c_major_scale)
{
    /* Two octaves of the C major scale up and down, one note a beat, 4/4. */
    static const int scale[15] = {60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60};
    AcdSongNote mel[15];
    for (int i = 0; i < 15; i++)
        mel[i] = nt(i, i + 1, scale[i]);
    AcdBeatGrid grid;
    AcdError err;
    ck_assert_int_eq(acd_beatgrid_init_steady(&grid, 0, 0.5, 24, 4, &err), ACD_OK);
    AcdHarmonizerConfig cfg;
    acd_harmonizer_config_default(&cfg);
    AcdSongNote *acc = NULL;
    size_t n = 0;
    ck_assert_int_eq(acd_harmonizer_run(&cfg, mel, 15, &grid, &acc, &n, &err), ACD_OK);
    ck_assert_uint_gt(n, 0);

    AcdChord triads[7];
    acd_harmonizer_triads(0, false, triads);
    for (int b = 0; b < 15; b++) {
        AcdPcSet v = voices_at(acc, n, b, cfg.chord_lo);
        int diatonic = 0;
        for (int d = 0; d < 7; d++)
            diatonic |= v == triads[d].pcs;
        ck_assert_msg(diatonic, "beat %d: voices %03x are not a C major triad", b, v);
        ck_assert_msg((v >> (scale[b] % 12)) & 1, "beat %d: melody %d not in the chord %03x", b,
                      scale[b], v);
    }
    for (size_t i = 0; i < n; i++) {
        ck_assert(acc[i].end_beat > acc[i].start_beat);
        ck_assert(acc[i].pitch >= cfg.bass_lo && acc[i].pitch < cfg.chord_lo + 12);
        ck_assert_double_eq_tol(acc[i].start_sec, 0.5 * acc[i].start_beat, 1e-9);
        if (i)
            ck_assert(
                acc[i - 1].start_beat < acc[i].start_beat ||
                (acc[i - 1].start_beat == acc[i].start_beat && acc[i - 1].pitch < acc[i].pitch));
    }
    /* The bass is the root of the chord above it. */
    for (size_t i = 0; i < n; i++)
        if (acc[i].pitch < cfg.bass_lo + 12) {
            AcdPcSet v = voices_at(acc, n, acc[i].start_beat, cfg.chord_lo);
            int is_root = 0;
            for (int d = 0; d < 7; d++)
                is_root |= v == triads[d].pcs && triads[d].root == acc[i].pitch % 12;
            ck_assert_msg(is_root, "bass %d under %03x", acc[i].pitch, v);
        }

    /* Deterministic: the same melody gives the same notes. */
    AcdSongNote *again = NULL;
    size_t n2 = 0;
    ck_assert_int_eq(acd_harmonizer_run(&cfg, mel, 15, &grid, &again, &n2, &err), ACD_OK);
    ck_assert_uint_eq(n, n2);
    ck_assert(same_notes(acc, again, n));
    free(again);
    free(acc);
    acd_beatgrid_cleanup(&grid);
}
END_TEST

START_TEST(test_causal_and_stops)
{
    /* A note, then 3 silent bars, then a note: the harmonizer stops after 2
     * silent bars and starts again with the melody. Changing the melody
     * after beat 12 changes nothing before it. */
    AcdSongNote mel[2] = {nt(0, 1, 60), nt(16, 17, 67)};
    AcdBeatGrid grid;
    AcdError err;
    ck_assert_int_eq(acd_beatgrid_init_steady(&grid, 0, 0.5, 40, 4, &err), ACD_OK);
    AcdHarmonizerConfig cfg;
    acd_harmonizer_config_default(&cfg);
    AcdSongNote *acc = NULL, *acc2 = NULL;
    size_t n = 0, n2 = 0;
    ck_assert_int_eq(acd_harmonizer_run(&cfg, mel, 2, &grid, &acc, &n, &err), ACD_OK);
    int silent_at_12 = 1, plays_at_16 = 0;
    for (size_t i = 0; i < n; i++) {
        if (acc[i].start_beat <= 12.5 && acc[i].end_beat > 12.5)
            silent_at_12 = 0;
        if (acc[i].start_beat == 16)
            plays_at_16 = 1;
    }
    ck_assert(silent_at_12);
    ck_assert(plays_at_16);

    mel[1].pitch = 66;
    ck_assert_int_eq(acd_harmonizer_run(&cfg, mel, 2, &grid, &acc2, &n2, &err), ACD_OK);
    size_t before = 0, before2 = 0;
    while (before < n && acc[before].start_beat < 12)
        before++;
    while (before2 < n2 && acc2[before2].start_beat < 12)
        before2++;
    ck_assert_uint_eq(before, before2);
    ck_assert(before > 0 && same_notes(acc, acc2, before));
    free(acc);
    free(acc2);
    acd_beatgrid_cleanup(&grid);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("harmonizer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_key);
    tcase_add_test(tc, test_triads);
    tcase_add_test(tc, test_c_major_scale);
    tcase_add_test(tc, test_causal_and_stops);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
