/* Tests of track roles, the song loaders and the dataset iterator, on fixtures and real data. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/dataset.h"
#include "accompd/song.h"
#include "testutil.h"

static AcdSong *load_midi(const char *rel)
{
    AcdSong *s = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_song_load_midi(acd_test_src(rel), &s, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    return s;
}

START_TEST(test_roles_by_stats)
{
    AcdSong *s = load_midi("tests/data/roles/unnamed.mid");
    ck_assert_uint_eq(s->n_parts, 5);
    ck_assert_int_eq(s->parts[0].role.role, ACD_ROLE_IGNORE);
    ck_assert_int_eq(s->parts[1].role.role, ACD_ROLE_ACCOMP);
    ck_assert_int_eq(s->parts[2].role.role, ACD_ROLE_MELODY);
    ck_assert_ptr_nonnull(strstr(s->parts[2].role.reason, "highest mean pitch 77.5"));
    ck_assert_int_eq(s->parts[3].role.role, ACD_ROLE_ACCOMP);
    ck_assert_int_eq(s->parts[4].role.role, ACD_ROLE_DRUMS);
    ck_assert_str_eq(s->parts[4].role.reason, "channel 10");
    ck_assert_uint_eq(s->n_melody, 32);
    ck_assert_uint_eq(s->n_accomp, 24 + 16);
    ck_assert_uint_eq(s->n_drums, 32);
    ck_assert_int_eq(s->grid.beats_per_bar, 3);
    /* 100 BPM: the second melody note at half a beat, 0.3 s. */
    ck_assert_double_eq_tol(s->melody[1].start_sec, 0.3, 1e-9);
    ck_assert_double_eq_tol(s->melody[1].start_beat, 0.5, 1e-9);
    acd_song_free(s);
}
END_TEST

START_TEST(test_roles_by_name)
{
    AcdSong *s = load_midi("tests/data/roles/named.mid");
    /* Names win: the vocal is the lowest track, the pad the highest. */
    ck_assert_int_eq(s->parts[0].role.role, ACD_ROLE_MELODY);
    ck_assert_str_eq(s->parts[0].role.reason, "name 'Lead Vocal'");
    ck_assert_int_eq(s->parts[1].role.role, ACD_ROLE_ACCOMP);
    ck_assert_int_eq(s->parts[2].role.role, ACD_ROLE_DRUMS);
    ck_assert_uint_eq(s->n_melody, 32);
    acd_song_free(s);
}
END_TEST

static AcdSong *load_pop(const char *id)
{
    char rel[64];
    snprintf(rel, sizeof rel, "tests/data/pop909/POP909/%s", id);
    AcdSong *s = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_song_load_pop909(acd_test_src(rel), 0, &s, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    return s;
}

START_TEST(test_pop909)
{
    AcdSong *s = load_pop("001");
    ck_assert_int_eq(s->parts[1].role.role, ACD_ROLE_MELODY);
    ck_assert_int_eq(s->parts[2].role.role, ACD_ROLE_ACCOMP); /* BRIDGE */
    ck_assert_int_eq(s->parts[3].role.role, ACD_ROLE_ACCOMP); /* PIANO */
    ck_assert_int_eq(s->grid.beats_per_bar, 4);               /* duple: bars at b == 1 */
    ck_assert_int_eq(s->grid.beat_in_bar[0], 0);
    ck_assert_int_eq(s->grid.beat_in_bar[4], 0);
    ck_assert_double_eq_tol(s->grid.sec[0], 0.055333195, 1e-6);
    ck_assert(s->has_key && s->key_tonic == 6 && !s->key_minor); /* Gb:maj */
    ck_assert_uint_gt(s->n_melody, 10);
    for (size_t i = 1; i < s->n_melody; i++) /* overlaps cut at the next onset */
        ck_assert(s->melody[i - 1].end_sec <= s->melody[i].start_sec + 1e-9 ||
                  s->melody[i - 1].start_sec == s->melody[i].start_sec);
    /* Notes sit on the grid shifted by the first beat: onsets fall near
     * sixteenths in beats, not in seconds from 0. */
    size_t near = 0;
    for (size_t i = 0; i < s->n_accomp; i++) {
        double x = s->accomp[i].start_beat * 4;
        near += fabs(x - round(x)) < 0.2;
    }
    ck_assert_uint_gt(near * 10, s->n_accomp * 8);
    acd_song_free(s);
    s = load_pop("034");
    ck_assert_int_eq(s->grid.beats_per_bar, 3);  /* triple: bars at a == 1 */
    ck_assert_int_eq(s->grid.beat_in_bar[0], 2); /* one pickup beat */
    ck_assert_int_eq(s->grid.beat_in_bar[1], 0);
    acd_song_free(s);
}
END_TEST

START_TEST(test_nottingham_pair)
{
    char mel[4096], chd[4096];
    snprintf(mel, sizeof mel, "%s", acd_test_src("tests/data/nottingham/MIDI/melody/tunea.mid"));
    snprintf(chd, sizeof chd, "%s", acd_test_src("tests/data/nottingham/MIDI/chords/tunea.mid"));
    AcdSong *s = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_song_load_pair(mel, chd, &s, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_str_eq(s->name, "tunea");
    ck_assert_uint_eq(s->n_melody, 21);
    ck_assert_uint_eq(s->n_accomp, 15);
    ck_assert_double_eq_tol(s->melody[0].start_beat, 3.0, 1e-9); /* pickup in the padded bar */
    ck_assert_double_eq_tol(s->melody[0].start_sec, 1.5, 1e-9);  /* 120 BPM default */
    ck_assert_double_eq_tol(s->accomp[0].start_beat, 4.0, 1e-9); /* chords from bar 2 */
    ck_assert_int_eq(s->grid.beat_in_bar[4], 0);
    ck_assert(s->has_key && s->key_tonic == 7);
    acd_song_free(s);
}
END_TEST

static AcdDataset *open_ds(const char *path, AcdCollection kind, AcdSplit split)
{
    AcdDataset *ds = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_dataset_open(path, kind, split, &ds, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    return ds;
}

START_TEST(test_dataset_fixtures)
{
    char root[4096];
    snprintf(root, sizeof root, "%s", acd_test_src("tests/data/pop909"));
    AcdDataset *ds = open_ds(root, ACD_COLLECTION_AUTO, ACD_SPLIT_TRAIN);
    ck_assert_int_eq(acd_dataset_kind(ds), ACD_COLLECTION_POP909);
    ck_assert_uint_eq(acd_dataset_count(ds), 2);
    ck_assert_str_eq(acd_dataset_name(ds, 1), "003");
    AcdSong *s;
    AcdError err = {0};
    size_t n = 0;
    while (acd_dataset_next(ds, &s, &err) == ACD_OK) {
        ck_assert_int_eq(s->split, ACD_SPLIT_TRAIN);
        acd_song_free(s);
        n++;
    }
    ck_assert_uint_eq(n, 2);
    acd_dataset_free(ds);

    snprintf(root, sizeof root, "%s", acd_test_src("tests/data/nottingham"));
    ds = open_ds(root, ACD_COLLECTION_AUTO, ACD_SPLIT_TRAIN);
    ck_assert_int_eq(acd_dataset_kind(ds), ACD_COLLECTION_NOTTINGHAM);
    ck_assert_uint_eq(acd_dataset_count(ds), 1); /* tunec is flagged */
    acd_dataset_free(ds);
    ds = open_ds(root, ACD_COLLECTION_NOTTINGHAM, ACD_SPLIT_VALID);
    ck_assert_uint_eq(acd_dataset_count(ds), 1);
    ck_assert_int_eq(acd_dataset_load(ds, 0, &s, &err), ACD_OK);
    ck_assert_str_eq(s->name, "tuneb");
    ck_assert_int_eq(s->grid.beats_per_bar, 3);
    acd_song_free(s);
    acd_dataset_free(ds);

    snprintf(root, sizeof root, "%s", acd_test_src("tests/data/jsb"));
    ds = open_ds(root, ACD_COLLECTION_AUTO, ACD_SPLIT_TRAIN);
    ck_assert_int_eq(acd_dataset_kind(ds), ACD_COLLECTION_JSB);
    ck_assert_uint_eq(acd_dataset_count(ds), 1);
    ck_assert_int_eq(acd_dataset_load(ds, 0, &s, &err), ACD_OK);
    /* Soprano 72 x8, 74 x4 + 74 x4 (merged: held and repeated look alike),
     * a rest, 71 x4. */
    ck_assert_uint_eq(s->n_melody, 3);
    ck_assert_double_eq_tol(s->melody[1].start_beat, 2.0, 1e-12);
    ck_assert_double_eq_tol(s->melody[1].end_beat, 4.0, 1e-12);
    ck_assert_double_eq_tol(s->melody[2].start_beat, 5.0, 1e-12);
    ck_assert_uint_eq(s->n_accomp, 2 + 1 + 2);
    acd_song_free(s);
    acd_dataset_free(ds);

    /* A plain folder: every file, split by name hash; a bad file's error
     * names it and the iterator goes on. */
    snprintf(root, sizeof root, "%s", acd_test_src("tests/data/roles"));
    ds = open_ds(root, ACD_COLLECTION_AUTO, ACD_SPLIT_ANY);
    ck_assert_uint_eq(acd_dataset_count(ds), 3);
    ck_assert_str_eq(acd_dataset_name(ds, 1), "not_midi.mid");
    size_t ok = 0, bad = 0;
    AcdStatus st;
    while ((st = acd_dataset_next(ds, &s, &err)) != ACD_ERR_EMPTY) {
        if (st == ACD_OK)
            ok++;
        else {
            bad++;
            ck_assert_ptr_nonnull(strstr(acd_error_text(&err), "not_midi.mid"));
        }
        acd_song_free(s);
    }
    ck_assert_uint_eq(ok, 2);
    ck_assert_uint_eq(bad, 1);
    acd_dataset_free(ds);
}
END_TEST

/* Write text to a fresh file in a fresh folder; returns the folder. */
static const char *write_tmp(const char *rel, const char *text)
{
    static char dir[256];
    char path[512];
    snprintf(dir, sizeof dir, "/tmp/acd_song_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return dir;
}

START_TEST(test_parse_errors)
{
    AcdDataset *ds = NULL;
    AcdError err = {0};
    const char *d = write_tmp("jsb16th_satb.csv", "split,piece,step16th,soprano,alto,tenor,bass\n"
                                                  "train,0,0,60,55,52,48\n"
                                                  "train,0,1,60,x,52,48\n");
    ck_assert_int_eq(acd_dataset_open(d, ACD_COLLECTION_AUTO, ACD_SPLIT_ANY, &ds, &err),
                     ACD_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "jsb16th_satb.csv:3: expected an integer for alto"));
    d = write_tmp("jsb16th_satb.csv", "split,piece,step16th,soprano,alto,tenor,bass\n"
                                      "train,0,0,60,55,52,48\n"
                                      "train,0,2,60,55,52,48\n");
    ck_assert_int_eq(acd_dataset_open(d, ACD_COLLECTION_JSB, ACD_SPLIT_ANY, &ds, &err),
                     ACD_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, ":3: step16th 2, expected 1"));
    d = write_tmp("splits.csv", "tune,split,note\nx,train,\ny,tomorrow,\n");
    ck_assert_int_eq(acd_dataset_open(d, ACD_COLLECTION_NOTTINGHAM, ACD_SPLIT_ANY, &ds, &err),
                     ACD_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "splits.csv:3:"));
    /* A beat file with a bad line, in a copy of a POP909 song folder. */
    char cmd[1024];
    d = write_tmp("beat_midi.txt", "0.5 1.0 1.0\n1.0 0.0 0.0\n1.2 zero 0.0\n");
    snprintf(cmd, sizeof cmd, "cp %s %s/x.mid",
             acd_test_src("tests/data/pop909/POP909/001/001.mid"), d);
    ck_assert_int_eq(system(cmd), 0);
    char song_dir[512];
    snprintf(song_dir, sizeof song_dir, "%s", d);
    /* The song id is the folder name: rename the MIDI file to match. */
    const char *id = strrchr(song_dir, '/') + 1;
    snprintf(cmd, sizeof cmd, "mv %s/x.mid %s/%s.mid", d, d, id);
    ck_assert_int_eq(system(cmd), 0);
    AcdSong *s = NULL;
    ck_assert_int_eq(acd_song_load_pop909(song_dir, 2, &s, &err), ACD_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "beat_midi.txt:3: expected a number for a"));
}
END_TEST

START_TEST(test_hash_split)
{
    size_t valid = 0;
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "song%d.mid", i);
        valid += acd_dataset_hash_split(name) == ACD_SPLIT_VALID;
        ck_assert_int_eq(acd_dataset_hash_split(name), acd_dataset_hash_split(name));
    }
    ck_assert_uint_gt(valid, 140);
    ck_assert_uint_lt(valid, 260);
}
END_TEST

/* Real data: every valid song of POP909, Nottingham and JSB loads with a
 * melody; POP909 train counts match splits.csv. */
START_TEST(test_real_data)
{
    const char *root = acd_test_data("");
    if (!root) {
        fprintf(stderr, "test_real_data: ACD_DATADIR absent, skipped\n");
        return;
    }
    static const char *const cols[] = {"pop909", "nottingham", "jsb_chorales"};
    static const size_t min_valid[] = {91, 90, 10};
    for (size_t k = 0; k < 3; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", acd_test_data(cols[k]));
        AcdDataset *ds = open_ds(path, ACD_COLLECTION_AUTO, ACD_SPLIT_VALID);
        ck_assert_uint_ge(acd_dataset_count(ds), min_valid[k]);
        fprintf(stderr, "test_real_data: %s valid: %zu songs\n", cols[k], acd_dataset_count(ds));
        AcdSong *s;
        AcdError err = {0};
        AcdStatus st;
        while ((st = acd_dataset_next(ds, &s, &err)) != ACD_ERR_EMPTY) {
            ck_assert_msg(st == ACD_OK, "%s", acd_error_text(&err));
            ck_assert_uint_gt(s->n_melody, 0);
            ck_assert_uint_gt(s->n_accomp, 0);
            acd_song_free(s);
        }
        acd_dataset_free(ds);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", acd_test_data("pop909"));
    AcdDataset *ds = open_ds(path, ACD_COLLECTION_POP909, ACD_SPLIT_TRAIN);
    ck_assert_uint_eq(acd_dataset_count(ds), 728);
    acd_dataset_free(ds);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("song");
    TCase *tc = tcase_create("song");
    tcase_add_test(tc, test_roles_by_stats);
    tcase_add_test(tc, test_roles_by_name);
    tcase_add_test(tc, test_pop909);
    tcase_add_test(tc, test_nottingham_pair);
    tcase_add_test(tc, test_dataset_fixtures);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_hash_split);
    tcase_add_test(tc, test_real_data);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
