/* Test harness: a private jackd (dummy backend) and accompd, started and stopped by PID. */
#include "jack_harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jack_probe.h"
#include "testutil.h"

/* Everything we started, so that a failed assertion (which ends the test
 * process at once) does not leave servers behind. */
static pid_t spawned[64];

/* SIGTERM first: a jackd killed with SIGKILL leaves its slot in JACK's
 * server registry (eight slots, reclaimed only by a server of the same
 * name), and enough of those make every later jackd refuse to start. */
static void kill_spawned(void)
{
    for (int i = 0; i < 64; i++) {
        if (spawned[i] <= 0)
            continue;
        kill(spawned[i], SIGTERM);
        int waited = 0;
        while (waitpid(spawned[i], NULL, WNOHANG) == 0 && waited++ < 200)
            acd_probe_sleep_ms(10);
        if (waited > 200) {
            kill(spawned[i], SIGKILL);
            waitpid(spawned[i], NULL, 0);
        }
        spawned[i] = 0;
    }
}

static void forget(pid_t pid)
{
    for (int i = 0; i < 64; i++)
        if (spawned[i] == pid)
            spawned[i] = 0;
}

static pid_t spawn(const char *const *argv, const char *log)
{
    static bool registered;
    if (!registered) {
        atexit(kill_spawned);
        registered = true;
    }
    pid_t pid = fork();
    if (pid > 0) {
        for (int i = 0; i < 64; i++) {
            if (spawned[i] == 0) {
                spawned[i] = pid;
                break;
            }
        }
    }
    if (pid != 0)
        return pid;
    /* And if the test process is killed (a timeout), take them with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    /* execvp's prototype predates const; it does not write the strings. */
    union {
        const char *const *c;
        char *const *m;
    } args = {argv};
    execvp(argv[0], args.m);
    _exit(127);
}

static bool server_up(void)
{
    jack_status_t st;
    jack_client_t *c = jack_client_open("probe_wait", JackNoStartServer, &st);
    if (!c)
        return false;
    jack_client_close(c);
    return true;
}

static void quiet(const char *msg)
{
    (void)msg;
}

/* Free the registry slots of our own servers that died without
 * deregistering (their test process is gone): run a server of the same name
 * for a moment, which reclaims the slot, and stop it cleanly. */
static void reclaim_stale_servers(void)
{
    DIR *dir = opendir("/dev/shm");
    if (!dir)
        return;
    struct dirent *de;
    while ((de = readdir(dir))) {
        int owner = 0, n = 0;
        char name[64];
        if (sscanf(de->d_name, "jack_acdtest-%d-%d_0_0", &owner, &n) != 2)
            continue;
        if (owner <= 0 || kill(owner, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(name, sizeof name, "acdtest-%d-%d", owner, n);
        char log[] = "/dev/null";
        const char *argv[] = {"jackd", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256", NULL};
        pid_t pid = spawn(argv, log);
        acd_probe_sleep_ms(500);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        forget(pid);
    }
    closedir(dir);
}

bool acd_test_jackd_start(AcdTestServer *s, const char *name)
{
    static int serial;
    if (serial == 0)
        reclaim_stale_servers();
    jack_set_error_function(quiet);
    jack_set_info_function(quiet);
    if (!name) {
        snprintf(s->name, sizeof s->name, "acdtest-%d-%d", (int)getpid(), serial++);
    } else if (name != s->name) {
        snprintf(s->name, sizeof s->name, "%s", name);
    }
    snprintf(s->log, sizeof s->log, "%s/jackd-%s.log",
             getenv("ACD_BUILDDIR") ? getenv("ACD_BUILDDIR") : "/tmp", s->name);
    setenv("JACK_DEFAULT_SERVER", s->name, 1);
    setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
    const char *argv[] = {"jackd", "-n", s->name, "-d", "dummy", "-r", "48000", "-p", "256", NULL};
    s->pid = spawn(argv, s->log);
    if (s->pid < 0)
        return false;
    for (int i = 0; i < 200; i++) {
        if (server_up())
            return true;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return false;
        }
        acd_probe_sleep_ms(25);
    }
    return false;
}

void acd_test_jackd_stop(AcdTestServer *s, int sig)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, sig);
    int status;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    forget(s->pid);
    s->pid = 0;
}

bool acd_test_accompd_start(AcdTestDaemon *d, jack_client_t *probe, const char *const *args)
{
    const char *exe = getenv("ACD_ACCOMPD");
    if (!exe)
        return false;
    static int serial;
    snprintf(d->log, sizeof d->log, "%s/accompd-%d-%d.log",
             getenv("ACD_BUILDDIR") ? getenv("ACD_BUILDDIR") : "/tmp", (int)getpid(), serial++);
    unlink(d->log);
    const char *argv[40];
    int n = 0;
    char model[1024];
    /* ACD_TEST_MODEL: another model (the benchmark with the default one). */
    const char *chosen = getenv("ACD_TEST_MODEL");
    snprintf(model, sizeof model, "%s",
             chosen ? chosen : acd_test_src("tests/ref/tiny.safetensors"));
    argv[n++] = exe;
    argv[n++] = "--model";
    argv[n++] = model;
    for (int i = 0; args && args[i] && n < 38; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    d->pid = spawn(argv, d->log);
    if (d->pid < 0)
        return false;
    return acd_test_wait_port(probe, "accompd:accomp_out", 10000);
}

int acd_test_accompd_stop(AcdTestDaemon *d, int sig)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    int status = 0;
    while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
        ;
    forget(d->pid);
    d->pid = 0;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

bool acd_test_accompd_counter(const AcdTestDaemon *d, const char *what, const char *name,
                              uint64_t *value)
{
    FILE *f = fopen(d->log, "r");
    if (!f)
        return false;
    char line[2048], last[2048] = "";
    char prefix[64];
    snprintf(prefix, sizeof prefix, "accompd: info: %s ", what);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            memcpy(last, line, sizeof last);
    fclose(f);
    char key[64];
    snprintf(key, sizeof key, " %s=", name);
    const char *at = strstr(last, key);
    if (!at)
        return false;
    *value = strtoull(at + strlen(key), NULL, 10);
    return true;
}

int acd_test_log_count(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

bool acd_test_wait_port(jack_client_t *c, const char *port, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (jack_port_by_name(c, port))
            return true;
        acd_probe_sleep_ms(10);
    }
    return false;
}

void acd_test_dump_stacks(pid_t pid)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "command -v gdb >/dev/null && gdb -p %d -batch -ex 'thread apply all bt' 2>/dev/null "
             "| grep -E '^(#|Thread)'",
             (int)pid);
    fflush(stdout);
    if (system(cmd) != 0)
        printf("(no stacks: gdb missing or failed)\n");
}

int acd_test_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dir)))
        n += de->d_name[0] != '.';
    closedir(dir);
    return n;
}
