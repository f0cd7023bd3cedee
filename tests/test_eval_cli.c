/* CLI tests of `accomp eval` on the POP909 excerpts: table, CSV, folders, models, bad options. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char out_path[256], err_path[256], csv_path[256], dir_path[256];

static void set_paths(void)
{
    int pid = (int)getpid();
    snprintf(out_path, sizeof out_path, "/tmp/acd_eval_out_%d", pid);
    snprintf(err_path, sizeof err_path, "/tmp/acd_eval_err_%d", pid);
    snprintf(csv_path, sizeof csv_path, "/tmp/acd_eval_%d.csv", pid);
    snprintf(dir_path, sizeof dir_path, "/tmp/acd_eval_acc_%d", pid);
}

/* Run `accomp eval ARGS` (already shell-quoted); returns the exit status. */
static int run_eval(const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "eval %s", args);
    return acd_test_accomp("", cmd, out_path, err_path);
}

static void assert_has(const char *text, const char *want)
{
    ck_assert_msg(strstr(text, want) != NULL, "'%s' not in:\n%s", want, text);
}

START_TEST(test_table_and_csv)
{
    set_paths();
    char args[1024];
    snprintf(args, sizeof args, "--split any --csv '%s' '%s'", csv_path,
             acd_test_src("tests/data/pop909"));
    ck_assert_int_eq(run_eval(args), 0);
    char *out = acd_test_slurp(out_path, NULL), *err = acd_test_slurp(err_path, NULL),
         *csv = acd_test_slurp(csv_path, NULL);
    assert_has(out, "measure");
    assert_has(out, "human  harmonizer\n");
    assert_has(out, "songs                                         3           3\n");
    assert_has(out, "rhythm: onset F1 exact                    1.000");
    assert_has(err, "eval: [3/3] 003\n");
    assert_has(csv, "measure,human,harmonizer\nsongs,3,3\n");
    /* The human accompaniment against itself, and the labels were found. */
    assert_has(csv, "\nonset_f1,1.000000,");
    assert_has(csv, "\npc_js,0.000000,");
    ck_assert_ptr_null(strstr(csv, "\nharmony_label,,"));
    free(out);
    free(err);
    free(csv);
    unlink(csv_path);

    snprintf(args, sizeof args, "--limit 1 --baseline none -q --data '%s'",
             acd_test_src("tests/data/pop909"));
    ck_assert_int_eq(run_eval(args), 0);
    out = acd_test_slurp(out_path, NULL);
    err = acd_test_slurp(err_path, NULL);
    assert_has(out, "human\nsongs");
    ck_assert_ptr_null(strstr(out, "harmonizer"));
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    unlink(out_path);
    unlink(err_path);
}
END_TEST

START_TEST(test_accompanied_folder)
{
    set_paths();
    /* A folder holding the valid song's own file: its accompaniment is the
     * human one, so it scores like the human column. */
    ck_assert_int_eq(mkdir(dir_path, 0700), 0);
    char cmd[2048], args[1024];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/034.mid'",
             acd_test_src("tests/data/pop909/POP909/034/034.mid"), dir_path);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(args, sizeof args,
             "--collection pop909 --split valid --accompanied '%s' --csv '%s' '%s'", dir_path,
             csv_path, acd_test_src("tests/data/pop909"));
    ck_assert_int_eq(run_eval(args), 0);
    char *csv = acd_test_slurp(csv_path, NULL);
    char header[512];
    snprintf(header, sizeof header, "measure,human,harmonizer,%s\nsongs,1,1,1\n",
             strrchr(dir_path, '/') + 1);
    assert_has(csv, header);
    assert_has(csv, "\nonset_f1,1.000000,");
    char *line = strstr(csv, "\nonset_f1,");
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(line, ",1.000000\n"));
    free(csv);

    /* A song missing from the folder: reported with its path, exit 1. */
    snprintf(args, sizeof args, "--split any --accompanied '%s' '%s'", dir_path,
             acd_test_src("tests/data/pop909"));
    ck_assert_int_eq(run_eval(args), 1);
    char *err = acd_test_slurp(err_path, NULL);
    snprintf(header, sizeof header, "%s/001.mid", dir_path);
    assert_has(err, header);
    free(err);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s' '%s'", dir_path, csv_path, out_path, err_path);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_model_column)
{
    /* The reference model is random: this checks the plumbing, not music. */
    set_paths();
    char model[512], data[512], args[2048];
    /* acd_test_src returns one static buffer: one call at a time. */
    snprintf(model, sizeof model, "%s", acd_test_src("tests/ref/small.safetensors"));
    snprintf(data, sizeof data, "%s", acd_test_src("tests/data/pop909"));
    snprintf(args, sizeof args, "--split any --limit 2 --model '%s' --seed-model '%s' '%s'", model,
             model, data);
    ck_assert_int_eq(run_eval(args), 0);
    char *out = acd_test_slurp(out_path, NULL);
    assert_has(out, "human  harmonizer      small       seed\n");
    assert_has(
        out, "songs                                         2           2          2          2\n");
    free(out);

    /* --temperature samples every model at T: the same columns, other notes
     * than greedy (the small model is random, so the table differs). */
    snprintf(args, sizeof args, "--split any --limit 2 --model '%s' '%s'", model, data);
    ck_assert_int_eq(run_eval(args), 0);
    char *greedy = acd_test_slurp(out_path, NULL);
    snprintf(args, sizeof args, "--split any --limit 2 --temperature 1 --model '%s' '%s'", model,
             data);
    ck_assert_int_eq(run_eval(args), 0);
    out = acd_test_slurp(out_path, NULL);
    assert_has(out, "human  harmonizer      small\n");
    ck_assert(strcmp(out, greedy) != 0);
    free(out);
    free(greedy);
    ck_assert_int_eq(run_eval("--temperature -1 x"), 2);
    ck_assert_int_eq(run_eval("--temperature hot x"), 2);
}
END_TEST

START_TEST(test_bad_options)
{
    set_paths();
    ck_assert_int_eq(run_eval("--help"), 0);
    char *out = acd_test_slurp(out_path, NULL);
    assert_has(out, "usage: accomp eval");
    free(out);
    ck_assert_int_eq(run_eval(""), 2);
    ck_assert_int_eq(run_eval("--split nope x"), 2);
    char *err = acd_test_slurp(err_path, NULL);
    assert_has(err, "--split 'nope'");
    free(err);
    ck_assert_int_eq(run_eval("--baseline random x"), 2);
    ck_assert_int_eq(run_eval("--limit 0 x"), 2);
    ck_assert_int_eq(run_eval("/nonexistent/collection"), 1);
    char args[512];
    snprintf(args, sizeof args, "--model /nonexistent.safetensors '%s'",
             acd_test_src("tests/data/pop909"));
    ck_assert_int_eq(run_eval(args), 1);
    err = acd_test_slurp(err_path, NULL);
    assert_has(err, "/nonexistent.safetensors");
    free(err);
    unlink(out_path);
    unlink(err_path);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("eval_cli");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_table_and_csv);
    tcase_add_test(tc, test_accompanied_folder);
    tcase_add_test(tc, test_model_column);
    tcase_add_test(tc, test_bad_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
