/* accompd's status report (SIGUSR1, accompd --status), MIDI-learn reports and the pid file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accompd/log.h"
#include "accompd_daemon.h"

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void acd_daemon_status(const AcdDaemon *d)
{
    const AcdOptions *o = acd_daemon_options(d);
    const AcdJack *j = d->jack;
    const AcdJackInfer *inf = &j->infer;
    const AcdJackCounters *c = &j->rt.count;
    static const char *const sources[] = {"free", "JACK transport", "MIDI clock"};
    int source = LOAD(inf->clock_source);
    double bpm = (double)LOAD(inf->bpm_milli) / 1000.0;
    if (source == ACD_CLOCK_FREE || bpm <= 0)
        bpm = inf->free_units_per_step > 0 && inf->steps_per_beat > 0 && d->rate > 0
                  ? d->rate * 60.0 / (inf->free_units_per_step * inf->steps_per_beat)
                  : o->tempo_bpm;
    acd_log_notice("status: %s, accompaniment %s; tempo %s %.1f BPM; steps %llu, late steps %llu; "
                   "drops in %llu out %llu release %llu; xruns %llu; notes sounding %u; "
                   "model %s; reloads %u (%u failed)",
                   j->open ? "connected to JACK" : "waiting for JACK",
                   LOAD(inf->enabled) ? "on" : "off", sources[source < 0 || source > 2 ? 0 : source],
                   bpm, (unsigned long long)LOAD(c->steps), (unsigned long long)LOAD(c->late_steps),
                   (unsigned long long)LOAD(c->in_dropped),
                   (unsigned long long)LOAD(c->out_dropped),
                   (unsigned long long)LOAD(c->release_dropped),
                   (unsigned long long)LOAD(c->xruns), LOAD(inf->sounding),
                   o->model_path ? o->model_path : "none", d->reloads, d->reload_failures);
}

void acd_daemon_learned(AcdDaemon *d)
{
    int v = atomic_exchange(&d->jack->infer.learned, 0);
    if (!v)
        return;
    const char *fn = acd_control_function_name((v >> 8) & 0xFF);
    int cc = v & 0x7F;
    acd_log_notice("learned: %s = CC %d (keep it: `cc_%s = %d;` in the configuration, or "
                   "--cc-%s %d)",
                   fn, cc, fn, cc, fn, cc);
}

bool acd_daemon_pid_path(const AcdOptions *o, char *out, size_t cap)
{
    int n;
    if (o->pid_file) {
        n = snprintf(out, cap, "%s", o->pid_file);
    } else {
        const char *run = getenv("XDG_RUNTIME_DIR");
        if (!run || run[0] != '/')
            return false;
        n = snprintf(out, cap, "%s/accompd/%s.pid", run, o->client_name);
    }
    return n > 0 && (size_t)n < cap;
}

void acd_daemon_pid_write(AcdDaemon *d)
{
    char path[sizeof d->pid_path];
    d->pid_path[0] = '\0';
    if (!acd_daemon_pid_path(&d->boot, path, sizeof path))
        return;
    if (!d->boot.pid_file) {
        /* $XDG_RUNTIME_DIR/accompd (the unit's RuntimeDirectory=). */
        char *slash = strrchr(path, '/');
        *slash = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            acd_log_warning("cannot create %s: %s", path, strerror(errno));
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
        acd_log_warning("cannot write the pid file %s: %s (accompd --status will not find us)",
                        path, strerror(errno));
        return;
    }
    snprintf(d->pid_path, sizeof d->pid_path, "%s", path);
}

void acd_daemon_pid_remove(AcdDaemon *d)
{
    if (d->pid_path[0])
        unlink(d->pid_path);
    d->pid_path[0] = '\0';
}

int acd_daemon_status_request(const AcdOptions *o)
{
    char path[4096];
    if (!acd_daemon_pid_path(o, path, sizeof path)) {
        fprintf(stderr, "accompd: --status: no pid file: set --pid-file or $XDG_RUNTIME_DIR\n");
        return 1;
    }
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (!f) {
        fprintf(stderr, "accompd: --status: %s: %s (is accompd running?)\n", path,
                strerror(errno));
        return 1;
    }
    int got = fscanf(f, "%ld", &pid);
    fclose(f);
    if (got != 1 || pid <= 1) {
        fprintf(stderr, "accompd: --status: %s holds no PID\n", path);
        return 1;
    }
    if (kill((pid_t)pid, SIGUSR1) != 0) {
        fprintf(stderr, "accompd: --status: pid %ld from %s: %s (a stale pid file?)\n", pid, path,
                strerror(errno));
        return 1;
    }
    printf("accompd: asked pid %ld for its status; it logs the report (journalctl --user -u "
           "accompd, or its stderr)\n",
           pid);
    return 0;
}
