/* Unit tests of the eval measures and chord labels: hand-made songs with exact answers. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/chords.h"
#include "accompd/metrics.h"
#include "testutil.h"

#define EPS 1e-12

static AcdSongNote nt(double start, double end, int pitch)
{
    AcdSongNote n;
    memset(&n, 0, sizeof n);
    n.start_beat = start;
    n.end_beat = end;
    n.pitch = (uint8_t)pitch;
    n.velocity = 80;
    return n;
}

/* A 4/4 song at 120 BPM and its prepared metrics input. */
static AcdSong *make_song(const AcdSongNote *mel, size_t nm, const AcdSongNote *hum, size_t nh)
{
    AcdSong *song = NULL;
    AcdError err;
    ck_assert_int_eq(acd_song_from_beats("t", mel, nm, hum, nh, 0.5, 4, &song, &err), ACD_OK);
    return song;
}

/* Score acc against a song; returns the per-song sums. */
static AcdMetrics score(const AcdSongNote *mel, size_t nm, const AcdSongNote *hum, size_t nh,
                        const AcdSongNote *acc, size_t na, const AcdChordLabels *labels)
{
    AcdSong *song = make_song(mel, nm, hum, nh);
    AcdMetricsSong ms;
    AcdError err;
    ck_assert_int_eq(acd_metrics_song_init(&ms, song, labels, &err), ACD_OK);
    AcdMetrics m;
    memset(&m, 0, sizeof m);
    ck_assert_int_eq(acd_metrics_score(&ms, acc, na, &m), ACD_OK);
    ck_assert_uint_eq(m.n_songs, 1);
    acd_metrics_song_cleanup(&ms);
    acd_song_free(song);
    return m;
}

#define VAL(m, id) acd_metrics_value(&(m), ACD_METRIC_##id)

START_TEST(test_accomp_equals_melody)
{
    AcdSongNote mel[4] = {nt(0, 1, 60), nt(1, 2, 64), nt(2, 3, 67), nt(3, 4, 72)};
    AcdMetrics m = score(mel, 4, mel, 4, mel, 4, NULL);
    ck_assert_double_eq_tol(VAL(m, HARMONY_PC), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, HARMONY_CHORD), 1, EPS);
    ck_assert(isnan(VAL(m, HARMONY_LABEL)));
    ck_assert_double_eq_tol(VAL(m, ONSET_F1), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_F1_TOL), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_PC_F1), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, PC_JS), 0, EPS);
    ck_assert_double_eq_tol(VAL(m, POLYPHONY), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_FRAMES_BAR), 4, EPS);
    ck_assert_double_eq_tol(VAL(m, NOTES_BAR), 4, EPS);
    ck_assert_double_eq_tol(VAL(m, SILENCE), 0, EPS);
    ck_assert_double_eq_tol(VAL(m, LONG_CHORDS), 0, EPS);
    ck_assert_double_eq_tol(VAL(m, CHORD_RUNS), 0, EPS);
    ck_assert(isnan(VAL(m, BAR_REPEAT))); /* one bar: nothing before it */
}
END_TEST

START_TEST(test_empty_accomp)
{
    AcdSongNote mel[2] = {nt(0, 2, 60), nt(2, 4, 62)};
    AcdSongNote hum[1] = {nt(0, 4, 48)};
    AcdMetrics m = score(mel, 2, hum, 1, NULL, 0, NULL);
    ck_assert_double_eq_tol(VAL(m, SILENCE), 1, EPS);
    ck_assert(isnan(VAL(m, HARMONY_PC)));
    ck_assert(isnan(VAL(m, HARMONY_CHORD)));
    ck_assert(isnan(VAL(m, POLYPHONY)));
    ck_assert_double_eq_tol(VAL(m, ONSET_F1), 0, EPS);
    ck_assert_double_eq_tol(VAL(m, PC_JS), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_FRAMES_BAR), 0, EPS);
}
END_TEST

START_TEST(test_triad_under_melody)
{
    AcdSongNote tri[3] = {nt(0, 4, 48), nt(0, 4, 64), nt(0, 4, 67)};
    AcdSongNote mel_c[1] = {nt(0, 4, 72)};
    AcdMetrics m = score(mel_c, 1, tri, 3, tri, 3, NULL);
    ck_assert_double_eq_tol(VAL(m, HARMONY_PC), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, HARMONY_CHORD), 1, EPS);
    ck_assert_double_eq_tol(VAL(m, POLYPHONY), 3, EPS);
    ck_assert_double_eq_tol(VAL(m, NOTES_BAR), 3, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_FRAMES_BAR), 1, EPS);

    /* Half the melody frames on C (in the chord), half on D (not). */
    AcdSongNote mel_cd[2] = {nt(0, 2, 72), nt(2, 4, 74)};
    m = score(mel_cd, 2, tri, 3, tri, 3, NULL);
    ck_assert_double_eq_tol(VAL(m, HARMONY_PC), 0.5, EPS);
    ck_assert_double_eq_tol(VAL(m, HARMONY_CHORD), 0.5, EPS);

    /* A sixth (A) in the accompaniment: in its pitch classes, not in the
     * inferred C major chord. */
    AcdSongNote mel_a[1] = {nt(0, 4, 69)};
    AcdSongNote tri6[4] = {nt(0, 4, 48), nt(0, 4, 64), nt(0, 4, 67), nt(0, 1, 57)};
    m = score(mel_a, 1, tri, 3, tri6, 4, NULL);
    ck_assert_double_eq_tol(VAL(m, HARMONY_PC), 0.25, EPS);
    ck_assert_double_eq_tol(VAL(m, HARMONY_CHORD), 0.25, EPS); /* beat 0: A minor 7 wins */
    ck_assert_double_eq_tol(VAL(m, POLYPHONY), (3.0 * 16 + 4) / 16, EPS);
}
END_TEST

START_TEST(test_onset_f1)
{
    AcdSongNote mel[1] = {nt(0, 4, 72)};
    /* Human onsets at frames 0, 4, 8; ours at 1, 4, 10. */
    AcdSongNote hum[3] = {nt(0, 1, 48), nt(1, 2, 48), nt(2, 3, 48)};
    AcdSongNote acc[3] = {nt(0.25, 1, 48), nt(1, 2, 50), nt(2.5, 3, 48)};
    AcdMetrics m = score(mel, 1, hum, 3, acc, 3, NULL);
    ck_assert_double_eq_tol(VAL(m, ONSET_F1), 2.0 / 6, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_F1_TOL), 4.0 / 6, EPS);
    /* Pitch classes: only frame 4 has onsets on both sides, D against C. */
    ck_assert_double_eq_tol(VAL(m, ONSET_PC_F1), 0, EPS);

    /* One-to-one: two of ours near one human onset match once. */
    AcdSongNote hum1[1] = {nt(0, 1, 48)};
    AcdSongNote acc2[2] = {nt(0, 0.25, 48), nt(0.25, 1, 48)};
    m = score(mel, 1, hum1, 1, acc2, 2, NULL);
    ck_assert_double_eq_tol(VAL(m, ONSET_F1_TOL), 2.0 / 3, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_F1), 2.0 / 3, EPS);

    /* Pitch-class F1: C E G against C E at one frame. */
    AcdSongNote ceg[3] = {nt(0, 4, 48), nt(0, 4, 52), nt(0, 4, 55)};
    AcdSongNote ce[2] = {nt(0, 4, 60), nt(0, 4, 64)};
    m = score(mel, 1, ceg, 3, ce, 2, NULL);
    ck_assert_double_eq_tol(VAL(m, ONSET_PC_F1), 0.8, EPS);
    ck_assert_double_eq_tol(VAL(m, ONSET_F1), 1, EPS);
}
END_TEST

START_TEST(test_js)
{
    double p[12] = {1}, q[12] = {1, 1}, r[12] = {0, 0, 5}, z[12] = {0};
    ck_assert_double_eq_tol(acd_metrics_js(p, q), 0.3112781244591328, 1e-12);
    ck_assert_double_eq_tol(acd_metrics_js(p, q), acd_metrics_js(q, p), 1e-15);
    ck_assert_double_eq_tol(acd_metrics_js(p, r), 1, EPS);
    ck_assert_double_eq_tol(acd_metrics_js(q, q), 0, EPS);
    ck_assert_double_eq(acd_metrics_js(z, z), 0);
    ck_assert_double_eq(acd_metrics_js(z, q), 1);
    double a[12] = {3, 0, 1, 0, 2, 1, 0, 4, 0, 1, 0, 1},
           b[12] = {1, 1, 2, 0, 1, 3, 0, 1, 2, 0, 0, 5};
    double ab = acd_metrics_js(a, b);
    ck_assert_double_eq_tol(ab, acd_metrics_js(b, a), 1e-15);
    ck_assert(ab > 0 && ab < 1);
    /* Scale does not matter: histograms are normalised. */
    double a2[12];
    for (int i = 0; i < 12; i++)
        a2[i] = 7 * a[i];
    ck_assert_double_eq_tol(acd_metrics_js(a2, b), ab, 1e-15);
}
END_TEST

/* The chord template matching picks for a set of pitch classes, bass first. */
static AcdChord infer(const int *pcs, int n)
{
    double w[12] = {0};
    for (int i = 0; i < n; i++)
        w[pcs[i]] += 1;
    return acd_chord_infer(w, pcs[0]);
}

static void check_chord(const int *pcs, int n, int root, AcdChordQuality q)
{
    AcdChord c = infer(pcs, n);
    char name[32];
    acd_chord_name(&c, name, sizeof name);
    ck_assert_msg(c.root == root && c.quality == q, "got %s, want root %d %s", name, root,
                  acd_chord_quality_name(q));
}

START_TEST(test_chord_inference)
{
    check_chord((int[]){0, 4, 7}, 3, 0, ACD_CHORD_MAJ);
    check_chord((int[]){9, 0, 4}, 3, 9, ACD_CHORD_MIN);
    check_chord((int[]){7, 11, 2, 5}, 4, 7, ACD_CHORD_DOM7);
    check_chord((int[]){0, 4, 7, 11}, 4, 0, ACD_CHORD_MAJ7);
    check_chord((int[]){2, 5, 9, 0}, 4, 2, ACD_CHORD_MIN7);
    check_chord((int[]){0, 5, 7}, 3, 0, ACD_CHORD_SUS4); /* = F sus2: the bass decides */
    check_chord((int[]){5, 7, 0}, 3, 5, ACD_CHORD_SUS2);
    check_chord((int[]){0, 2, 7}, 3, 0, ACD_CHORD_SUS2);
    check_chord((int[]){7, 0, 2}, 3, 7, ACD_CHORD_SUS4);
    check_chord((int[]){11, 2, 5}, 3, 11, ACD_CHORD_DIM);
    check_chord((int[]){4, 0, 7}, 3, 0, ACD_CHORD_MAJ); /* first inversion: root still C */
    /* Doubling weights the choice: C E G with a loud B stays C major 7. */
    double w[12] = {0};
    w[0] = 2, w[4] = 1, w[7] = 1, w[11] = 1;
    AcdChord c = acd_chord_infer(w, 0);
    ck_assert_int_eq(c.quality, ACD_CHORD_MAJ7);
    double zero[12] = {0};
    c = acd_chord_infer(zero, -1);
    ck_assert_int_eq(c.root, -1);
    ck_assert_uint_eq(c.pcs, 0);
    /* From frames: one beat of a D minor triad over an F bass is F major 6?
     * No sixth template: D F A with F lowest is D minor. */
    AcdSongNote dm[3] = {nt(0, 1, 41), nt(0, 1, 62), nt(0, 1, 69)};
    AcdFrameRoll roll;
    ck_assert_int_eq(acd_frames_init(&roll, dm, 3, 8), ACD_OK);
    c = acd_metrics_beat_chord(&roll, 0);
    ck_assert_int_eq(c.root, 2);
    ck_assert_int_eq(c.quality, ACD_CHORD_MIN);
    ck_assert_int_eq(acd_metrics_beat_chord(&roll, 1).root, -1);
    acd_frames_cleanup(&roll);
}
END_TEST

START_TEST(test_failure_guards)
{
    /* Three bars of melody; one chord held 9 beats: a long chord. */
    AcdSongNote mel[1] = {nt(0, 12, 72)};
    AcdSongNote held[1] = {nt(0, 9, 48)};
    AcdMetrics m = score(mel, 1, held, 1, held, 1, NULL);
    ck_assert_double_eq_tol(VAL(m, LONG_CHORDS), 100.0 / 3, EPS);
    ck_assert_double_eq_tol(VAL(m, SILENCE), 3.0 / 12, EPS);
    /* Exactly 8 beats is not over 8. */
    AcdSongNote held8[1] = {nt(0, 8, 48)};
    m = score(mel, 1, held8, 1, held8, 1, NULL);
    ck_assert_double_eq_tol(VAL(m, LONG_CHORDS), 0, EPS);
    /* A chord run of 8 beats (one held note is one chord every beat). */
    ck_assert_double_eq_tol(VAL(m, CHORD_RUNS), 100.0 / 3, EPS);

    /* Struck every beat: not a long chord, still one run. */
    AcdSongNote beats[12];
    for (int b = 0; b < 12; b++)
        beats[b] = nt(b, b + 1, b < 5 ? 48 : 53 + (b & 1) * 2);
    m = score(mel, 1, beats, 12, beats, 12, NULL);
    ck_assert_double_eq_tol(VAL(m, LONG_CHORDS), 0, EPS);
    ck_assert_double_eq_tol(VAL(m, CHORD_RUNS), 100.0 / 3, EPS); /* C x5, then F/G alternate */

    /* Bar repetition: bars 2 and 3 repeat bar 1, then bar 3 differs. */
    AcdSongNote rep[6] = {nt(0, 2, 48), nt(2, 4, 55),  nt(4, 6, 48),
                          nt(6, 8, 55), nt(8, 10, 48), nt(10, 12, 55)};
    m = score(mel, 1, rep, 6, rep, 6, NULL);
    ck_assert_double_eq_tol(VAL(m, BAR_REPEAT), 1, EPS);
    rep[5].pitch = 57;
    m = score(mel, 1, rep, 6, rep, 6, NULL);
    ck_assert_double_eq_tol(VAL(m, BAR_REPEAT), 0.5, EPS);
    /* A silent bar is not counted as a repetition of anything. */
    AcdSongNote two[1] = {nt(0, 4, 48)};
    m = score(mel, 1, two, 1, two, 1, NULL);
    ck_assert(isnan(VAL(m, BAR_REPEAT)));
    /* Nor is a bar that only holds on; releases do not matter. */
    AcdSongNote hold[1] = {nt(0, 12, 48)};
    m = score(mel, 1, hold, 1, hold, 1, NULL);
    ck_assert(isnan(VAL(m, BAR_REPEAT)));
    AcdSongNote lens[3] = {nt(0, 3, 48), nt(4, 5, 48), nt(8, 12, 48)};
    m = score(mel, 1, lens, 3, lens, 3, NULL);
    ck_assert_double_eq_tol(VAL(m, BAR_REPEAT), 1, EPS);
}
END_TEST

START_TEST(test_span_and_merge)
{
    /* Melody from beat 5 (bar 2) to beat 6: the span is bar 2 only, so a
     * human intro in bar 1 is not scored. */
    AcdSongNote mel[1] = {nt(5, 6, 72)};
    AcdSongNote hum[2] = {nt(0, 4, 48), nt(4, 8, 48)};
    AcdSong *song = make_song(mel, 1, hum, 2);
    AcdMetricsSong ms;
    AcdError err;
    ck_assert_int_eq(acd_metrics_song_init(&ms, song, NULL, &err), ACD_OK);
    ck_assert_uint_eq(ms.first_frame, 16);
    ck_assert_uint_eq(ms.end_frame, 32);
    ck_assert_uint_eq(ms.n_bars, 1);
    AcdMetrics a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ck_assert_int_eq(acd_metrics_score(&ms, hum, 2, &a), ACD_OK);
    ck_assert_double_eq_tol(acd_metrics_value(&a, ACD_METRIC_ONSET_FRAMES_BAR), 1, EPS);
    ck_assert_int_eq(acd_metrics_score(&ms, NULL, 0, &b), ACD_OK);
    /* Pooled: frames add up, the JS divergence is a mean over songs. */
    acd_metrics_merge(&a, &b);
    ck_assert_uint_eq(a.n_songs, 2);
    ck_assert_double_eq_tol(acd_metrics_value(&a, ACD_METRIC_SILENCE), 0.5, EPS);
    ck_assert_double_eq_tol(acd_metrics_value(&a, ACD_METRIC_PC_JS), 0.5, EPS);
    acd_metrics_song_cleanup(&ms);
    acd_song_free(song);

    /* No melody after beat 0: nothing to score. */
    AcdSongNote early[1] = {nt(-3, -2, 72)};
    ck_assert_int_eq(acd_song_from_beats("t", early, 1, hum, 2, 0.5, 4, &song, &err), ACD_OK);
    ck_assert_int_eq(acd_metrics_song_init(&ms, song, NULL, &err), ACD_ERR_NO_MELODY);
    acd_song_free(song);
}
END_TEST

static AcdPcSet pcs_of(const int *pcs, int n)
{
    unsigned s = 0;
    for (int i = 0; i < n; i++)
        s |= 1u << pcs[i];
    return (AcdPcSet)s;
}

static void check_label(const char *label, AcdPcSet want)
{
    AcdChord c;
    AcdError err;
    AcdStatus st = acd_chord_parse(label, &c, &err);
    ck_assert_msg(st == ACD_OK, "%s: %s", label, acd_error_text(&err));
    ck_assert_msg(c.pcs == want, "%s: got %03x want %03x", label, c.pcs, want);
}

static void check_bad_label(const char *label, const char *want)
{
    AcdChord c;
    AcdError err;
    ck_assert_int_eq(acd_chord_parse(label, &c, &err), ACD_ERR_FORMAT);
    ck_assert_msg(strstr(err.msg, want) != NULL, "%s: message '%s'", label, err.msg);
}

START_TEST(test_label_parsing)
{
    check_label("C:maj", pcs_of((int[]){0, 4, 7}, 3));
    check_label("C", pcs_of((int[]){0, 4, 7}, 3));
    check_label("A:min7", pcs_of((int[]){9, 0, 4, 7}, 4));
    check_label("C:maj/3", pcs_of((int[]){0, 4, 7}, 3));
    check_label("C:maj/b7", pcs_of((int[]){0, 4, 7, 10}, 4));
    check_label("Bb:sus4(b7)", pcs_of((int[]){10, 3, 5, 8}, 4));
    check_label("F#:maj7/5", pcs_of((int[]){6, 10, 1, 5}, 4));
    check_label("Eb:hdim7", pcs_of((int[]){3, 6, 9, 1}, 4));
    check_label("C:(3,5)", pcs_of((int[]){0, 4, 7}, 3));
    check_label("C:maj(*5,9)", pcs_of((int[]){0, 4, 2}, 3));
    check_label("Cb:maj", pcs_of((int[]){11, 3, 6}, 3));
    check_label("N", 0);
    check_label("X", 0);
    check_bad_label("H:maj", "character 1: expected a root");
    check_bad_label("C:foo", "character 3: expected a quality");
    check_bad_label("C:maj7x", "expected a quality");
    check_bad_label("C:maj/", "character 7: expected a degree");
    check_bad_label("C:(3", "expected ',' or ')'");
    check_bad_label("C:(14)", "expected a degree 1..13");
    check_bad_label("C:maj/3x", "character 8: expected the end of the label");
    check_bad_label("", "expected a root");
}
END_TEST

static const char *write_tmp(const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "/tmp/acd_chords_%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void check_bad_file(const char *text, const char *want)
{
    const char *path = write_tmp(text);
    AcdChordLabels labels;
    AcdError err;
    ck_assert_int_eq(acd_chord_labels_load(path, &labels, &err), ACD_ERR_FORMAT);
    ck_assert_msg(strstr(err.msg, path) != NULL, "message '%s' lacks the path", err.msg);
    ck_assert_msg(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    ck_assert_ptr_null(labels.spans);
    unlink(path);
}

START_TEST(test_label_file)
{
    const char *path = write_tmp("0.0\t2.0\tC:maj\n\n2.0 4.0 N\n4.0\t6.0\tA:min\n");
    AcdChordLabels labels;
    AcdError err;
    ck_assert_int_eq(acd_chord_labels_load(path, &labels, &err), ACD_OK);
    unlink(path);
    ck_assert_uint_eq(labels.n, 3);
    ck_assert_uint_eq(acd_chord_labels_at(&labels, 1.0), pcs_of((int[]){0, 4, 7}, 3));
    ck_assert_uint_eq(acd_chord_labels_at(&labels, 3.0), 0);
    ck_assert_uint_eq(acd_chord_labels_at(&labels, 5.9), pcs_of((int[]){9, 0, 4}, 3));
    ck_assert_uint_eq(acd_chord_labels_at(&labels, 6.5), 0);
    ck_assert_uint_eq(acd_chord_labels_at(&labels, -1), 0);

    /* Harmony (c) on it: 120 BPM, so beats 0-4 are C major, 4-8 N. */
    AcdSongNote mel[1] = {nt(0, 8, 72)};
    AcdSongNote acc[4] = {nt(0, 8, 48), nt(0, 4, 52), nt(0, 4, 55), nt(0, 4, 62)};
    AcdMetrics m = score(mel, 1, acc, 4, acc, 4, &labels);
    /* Labelled frames 0-15: 4 pitches each, C E G in the chord (D not). */
    ck_assert_double_eq_tol(VAL(m, HARMONY_LABEL), 0.75, EPS);
    acd_chord_labels_cleanup(&labels);

    check_bad_file("0.0 1.0 C:maj\n1.0 2.0\n", ":2: expected 'start end label'");
    check_bad_file("abc 1.0 C:maj\n", ":1:");
    check_bad_file("0 1 C:maj\n1 2 G:maj\n2 3 C:mjr\n", ":3: chord label 'C:mjr'");
    check_bad_file("2.0 1.0 C:maj\n", "end 1 before start 2");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_accomp_equals_melody);
    tcase_add_test(tc, test_empty_accomp);
    tcase_add_test(tc, test_triad_under_melody);
    tcase_add_test(tc, test_onset_f1);
    tcase_add_test(tc, test_js);
    tcase_add_test(tc, test_chord_inference);
    tcase_add_test(tc, test_failure_guards);
    tcase_add_test(tc, test_span_and_merge);
    tcase_add_test(tc, test_label_parsing);
    tcase_add_test(tc, test_label_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
