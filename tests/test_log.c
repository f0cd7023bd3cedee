/* Tests of logging: line format, levels, journald prefixes, one write per line across threads. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accompd/log.h"
#include "testutil.h"

/* Logs go to a fresh temporary file; read() gives back what was written. */
static int log_fd_tmp;

static void open_log(const char *ident)
{
    char path[] = "/tmp/acd-log-XXXXXX";
    log_fd_tmp = mkstemp(path);
    ck_assert_int_ge(log_fd_tmp, 0);
    unlink(path);
    acd_log_init(log_fd_tmp, ident);
    acd_log_set_level(ACD_LOG_INFO);
}

/* Everything logged so far (a static buffer). */
static const char *logged(void)
{
    static char buf[1 << 20];
    ssize_t n = pread(log_fd_tmp, buf, sizeof buf - 1, 0);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    return buf;
}

START_TEST(plain_lines)
{
    unsetenv("JOURNAL_STREAM");
    open_log("accompd");
    ck_assert(!acd_log_to_journal());
    acd_log_warning("model %s: %d steps late", "m.st", 3);
    acd_log_error("two\nlines");
    acd_log_info("ready");
    ck_assert_str_eq(logged(), "accompd: warning: model m.st: 3 steps late\n"
                               "accompd: error: two lines\n"
                               "accompd: info: ready\n");
    close(log_fd_tmp);
}
END_TEST

START_TEST(levels)
{
    unsetenv("JOURNAL_STREAM");
    open_log("x");
    acd_log_debug("hidden");
    acd_log_set_level(ACD_LOG_DEBUG);
    ck_assert_int_eq(acd_log_level(), ACD_LOG_DEBUG);
    acd_log_debug("shown");
    acd_log_set_level(ACD_LOG_WARNING);
    acd_log_notice("hidden too");
    acd_log_error("err");
    ck_assert_str_eq(logged(), "x: debug: shown\nx: error: err\n");
    AcdLogLevel l;
    ck_assert_int_eq(acd_log_level_parse("notice", &l), ACD_OK);
    ck_assert_int_eq(l, ACD_LOG_NOTICE);
    ck_assert_int_eq(acd_log_level_parse("loud", &l), ACD_ERR_INVALID);
    ck_assert_str_eq(acd_log_level_name(ACD_LOG_WARNING), "warning");
    ck_assert_ptr_null(acd_log_level_name((AcdLogLevel)9));
    close(log_fd_tmp);
}
END_TEST

START_TEST(journal_prefixes)
{
    char path[] = "/tmp/acd-log-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    struct stat sb;
    ck_assert_int_eq(fstat(fd, &sb), 0);
    char js[64];
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    log_fd_tmp = fd;
    acd_log_init(fd, "accompd");
    acd_log_set_level(ACD_LOG_DEBUG);
    ck_assert(acd_log_to_journal());
    acd_log_error("e");
    acd_log_warning("w");
    acd_log_notice("n");
    acd_log_info("i");
    acd_log_debug("d");
    ck_assert_str_eq(logged(), "<3>e\n<4>w\n<5>n\n<6>i\n<7>d\n");

    /* Another stream (stderr redirected elsewhere): plain lines. */
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino + 1);
    setenv("JOURNAL_STREAM", js, 1);
    acd_log_init(fd, "accompd");
    ck_assert(!acd_log_to_journal());
    setenv("JOURNAL_STREAM", "garbage", 1);
    acd_log_init(fd, "accompd");
    ck_assert(!acd_log_to_journal());
    close(fd);
}
END_TEST

START_TEST(long_lines_are_cut)
{
    unsetenv("JOURNAL_STREAM");
    open_log("accompd");
    static char big[4000];
    memset(big, 'a', sizeof big - 1);
    errno = EPIPE;
    acd_log_info("%s", big);
    ck_assert_int_eq(errno, EPIPE); /* preserved for the caller's strerror */
    const char *s = logged();
    ck_assert_uint_eq(strlen(s), ACD_LOG_LINE_MAX);
    ck_assert_str_eq(s + ACD_LOG_LINE_MAX - 4, "...\n");
    close(log_fd_tmp);
}
END_TEST

enum { THREADS = 8, LINES = 500 };

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < LINES; i++)
        acd_log_notice("thread %d line %d %s", id, i, "padding padding padding padding");
    return NULL;
}

/* Lines from many threads never mix: each line is one write. */
START_TEST(threads_do_not_interleave)
{
    unsetenv("JOURNAL_STREAM");
    char path[] = "/tmp/acd-log-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    int afd = open(path, O_WRONLY | O_APPEND);
    unlink(path);
    log_fd_tmp = fd;
    acd_log_init(afd, "accompd");
    acd_log_set_level(ACD_LOG_INFO);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *text = strdup(logged());
    int count[THREADS] = {0}, lines = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        int id, n;
        ck_assert_int_eq(sscanf(l, "accompd: notice: thread %d line %d padding", &id, &n), 2);
        ck_assert_int_eq(n, count[id]++); /* each thread's lines in its order */
        lines++;
    }
    ck_assert_int_eq(lines, THREADS * LINES);
    free(text);
    close(afd);
    close(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, plain_lines);
    tcase_add_test(tc, levels);
    tcase_add_test(tc, journal_prefixes);
    tcase_add_test(tc, long_lines_are_cut);
    tcase_add_test(tc, threads_do_not_interleave);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
