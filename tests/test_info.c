/* CLI tests of `accomp info`: fixtures, a bad file, and every MIDI file of the shared data. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accompd/dataset.h"
#include "testutil.h"

static char out_path[256], err_path[256];

/* Run `accomp info ARGS`; stdout and stderr land in out_path and err_path. */
static int run_info(const char *args)
{
    char cmd[8192];
    snprintf(out_path, sizeof out_path, "/tmp/acd_info_out_%d", (int)getpid());
    snprintf(err_path, sizeof err_path, "/tmp/acd_info_err_%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "info %s", args);
    return acd_test_accomp("", cmd, out_path, err_path);
}

START_TEST(test_fixtures)
{
    char args[2048];
    snprintf(args, sizeof args, "'%s'", acd_test_src("tests/data/pop909/POP909/001/001.mid"));
    size_t l = strlen(args);
    snprintf(args + l, sizeof args - l, " '%s'", acd_test_src("tests/data/roles/unnamed.mid"));
    ck_assert_int_eq(run_info(args), 0);
    char *out = acd_test_slurp(out_path, NULL);
    ck_assert_ptr_nonnull(strstr(out, "  format 1, 480 ticks per beat, 4 tracks"));
    ck_assert_ptr_nonnull(strstr(out, "  tempo: 90.00 BPM\n"));
    ck_assert_ptr_nonnull(strstr(out, "track 1 'MELODY': channels 1, "));
    ck_assert_ptr_nonnull(strstr(out, "-> melody (name 'MELODY')"));
    ck_assert_ptr_nonnull(strstr(out, "-> accompaniment (name 'BRIDGE')"));
    ck_assert_ptr_nonnull(strstr(out, "-> accompaniment (name 'PIANO')"));
    ck_assert_ptr_nonnull(strstr(out, "  meter: 3/4\n"));
    ck_assert_ptr_nonnull(strstr(out, "track 2 '': channels 2, 32 notes, pitches 72-83 -> melody "
                                      "(highest mean pitch 77.5, 100% monophonic)"));
    ck_assert_ptr_nonnull(strstr(out, "track 4 '': channels 10, 32 notes -> drums (channel 10)"));
    free(out);
    ck_assert_int_eq(run_info("--help"), 0);
    ck_assert_int_eq(run_info(""), 2);
}
END_TEST

START_TEST(test_bad_file)
{
    char args[2048];
    snprintf(args, sizeof args, "'%s'", acd_test_src("tests/data/roles/not_midi.mid"));
    size_t l = strlen(args); /* acd_test_src returns one static buffer: one call at a time */
    snprintf(args + l, sizeof args - l, " '%s'", acd_test_src("tests/data/roles/named.mid"));
    ck_assert_int_eq(run_info(args), 1);
    char *err = acd_test_slurp(err_path, NULL), *out = acd_test_slurp(out_path, NULL);
    ck_assert_ptr_nonnull(strstr(err, "not_midi.mid"));
    ck_assert_ptr_nonnull(strstr(err, "MThd"));
    ck_assert_ptr_nonnull(strstr(out, "named.mid\n")); /* the next file is still described */
    free(err);
    free(out);
    ck_assert_int_eq(run_info("/nonexistent/file.mid"), 1);
    err = acd_test_slurp(err_path, NULL);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/file.mid"));
    free(err);
}
END_TEST

/* Every .mid under the shared data reads without an error. */
START_TEST(test_corpus)
{
    const char *root = acd_test_data("");
    if (!root) {
        fprintf(stderr, "test_corpus: ACD_DATADIR absent, skipped\n");
        return;
    }
    AcdDataset *ds = NULL;
    AcdError e = {0};
    ck_assert_int_eq(acd_dataset_open(root, ACD_COLLECTION_MIDI, ACD_SPLIT_ANY, &ds, &e), ACD_OK);
    size_t n = acd_dataset_count(ds);
    ck_assert_uint_gt(n, 4000);
    char list[256];
    snprintf(list, sizeof list, "/tmp/acd_info_list_%d", (int)getpid());
    FILE *f = fopen(list, "wb");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s/%s", root, acd_dataset_name(ds, i));
        fputc('\0', f);
    }
    fclose(f);
    acd_dataset_free(ds);
    const char *accomp = getenv("ACD_ACCOMP");
    char cmd[2048];
    snprintf(out_path, sizeof out_path, "/tmp/acd_info_out_%d", (int)getpid());
    snprintf(err_path, sizeof err_path, "/tmp/acd_info_err_%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "xargs -0 '%s' info <%s >%s 2>%s", accomp, list, out_path, err_path);
    int rc = system(cmd);
    char *err = acd_test_slurp(err_path, NULL), *out = acd_test_slurp(out_path, NULL);
    ck_assert_msg(rc == 0 && err[0] == '\0', "accomp info failed: %.400s", err);
    size_t files = 0;
    for (const char *p = out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        files += *p == '/';
    ck_assert_uint_eq(files, n);
    free(err);
    free(out);
    remove(list);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("info");
    TCase *tc = tcase_create("info");
    tcase_add_test(tc, test_fixtures);
    tcase_add_test(tc, test_bad_file);
    tcase_add_test(tc, test_corpus);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = acd_test_run(make_suite());
    remove(out_path);
    remove(err_path);
    return rc;
}
