/* Tests of accompd's command line without a JACK server: help, settings, --status, backends. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* Run accompd with args (shell words), stdout and stderr to out; the exit code. */
static int run(const char *args, char **out)
{
    static char path[] = "/tmp/acd-accompd-cli-XXXXXX";
    char tmp[sizeof path];
    memcpy(tmp, path, sizeof path);
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char cmd[2048];
    /* XDG_CONFIG_HOME away from the user's own file. */
    snprintf(cmd, sizeof cmd, "XDG_CONFIG_HOME=/nonexistent XDG_RUNTIME_DIR=/nonexistent %s %s >%s 2>&1",
             getenv("ACD_ACCOMPD"), args, tmp);
    int status = system(cmd);
    *out = acd_test_slurp(tmp, NULL);
    unlink(tmp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

START_TEST(help_lists_everything)
{
    char *out;
    ck_assert_int_eq(run("--help", &out), 0);
    static const char *const flags[] = {
        "--config",     "--print-config", "--status",    "--pid-file", "--backend",
        "--model",      "--cc-onoff",     "--cc-variety", "--cc-density", "--cc-velocity",
        "--cc-tempo",   "--learn",        "--program",   "--bass-channel", "--dynamics",
        "--panic-cc",   "--midi-clock",   "--no-transport", "SIGHUP",   "SIGUSR1",
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        ck_assert_msg(strstr(out, flags[i]), "--help lacks %s", flags[i]);
    free(out);
}
END_TEST

START_TEST(model_required_only_to_run)
{
    char *out;
    ck_assert_int_eq(run("", &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "--model is required"));
    free(out);
    /* An empty file: defaults, whatever a system-wide file (an installed
     * accompd) would say. */
    ck_assert_int_eq(run("--print-config --config /dev/null --tempo 90", &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "tempo = 90.0;  # flag --tempo"));
    ck_assert_ptr_nonnull(strstr(out, "cc_variety = 20;  # default"));
    free(out);
    ck_assert_int_eq(run("--version", &out), 0);
    free(out);
    ck_assert_int_eq(run("--model x --learn nothing", &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "--learn nothing: expected one of"));
    free(out);
    ck_assert_int_eq(run("--model x --backend pulse", &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "expected jack, alsa or auto"));
    free(out);
}
END_TEST

START_TEST(status_without_an_instance)
{
    char *out;
    ck_assert_int_eq(run("--status --pid-file /nonexistent/accompd.pid", &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "is accompd running?"));
    free(out);
    ck_assert_int_eq(run("--status", &out), 1); /* no pid file under $XDG_RUNTIME_DIR */
    free(out);
}
END_TEST

START_TEST(alsa_backend_without_a_sequencer)
{
    if (access("/dev/snd/seq", F_OK) == 0)
        return; /* a machine with the sequencer: nothing to refuse */
    char *out;
    ck_assert_int_ne(run("--model x --backend alsa", &out), 0);
    ck_assert_msg(strstr(out, "ALSA sequencer not available: /dev/snd/seq") ||
                      strstr(out, "built without ALSA"),
                  "%s", out);
    free(out);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("accompd_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, help_lists_everything);
    tcase_add_test(tc, model_required_only_to_run);
    tcase_add_test(tc, status_without_an_instance);
    tcase_add_test(tc, alsa_backend_without_a_sequencer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
