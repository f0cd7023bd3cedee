/* accompd: the live accompanist daemon on JACK (main thread: signals, counters, reconnection). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accompd/engine.h"
#include "accompd/log.h"
#include "accompd/model.h"
#include "accompd/notify.h"
#include "accompd/realtime.h"
#include "accompd_daemon.h"
#include "accompd_options.h"
#include "config.h"
#include "jack_setup.h"
#include "deadline.h"

/* Log lines go through acd_log (one event a line, with a level, journald-
 * aware), only ever from the main thread. -v shows debug lines. */
static int verbosity;

/* Signals only set a flag and post the main semaphore (async-signal-safe). */
static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t reload_signal; /* SIGHUP */
static volatile sig_atomic_t status_signal; /* SIGUSR1 */
static sem_t *signal_wake;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_signal = 1;
    else if (sig == SIGUSR1)
        status_signal = 1;
    else
        quit_signal = sig;
    if (signal_wake)
        sem_post(signal_wake);
}

static void install_signals(sem_t *wake)
{
    signal_wake = wake;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- Counters ----------------------------------------------------------- */

typedef struct {
    uint64_t v[14];
} Snapshot;

static const char *const counter_names[14] = {
    "cycles",      "in",    "in_dropped", "in_ignored",      "thru_dropped",
    "out",         "late",  "late_steps", "deferred",        "xruns",
    "out_dropped", "steps", "wakes",      "release_dropped",
};

static void snapshot(const AcdJackCounters *c, Snapshot *s)
{
    const atomic_uint_least64_t *src[14] = {
        &c->cycles,      &c->in_events, &c->in_dropped, &c->in_ignored,      &c->thru_dropped,
        &c->out_events,  &c->out_late,  &c->late_steps, &c->out_deferred,    &c->xruns,
        &c->out_dropped, &c->steps,     &c->wakes,      &c->release_dropped,
    };
    for (int i = 0; i < 14; i++)
        s->v[i] = atomic_load_explicit(src[i], memory_order_relaxed);
}

/* Log the counters (all but the ever-moving cycles and wakes decide
 * whether anything changed). */
static void log_counters(const char *what, const Snapshot *s)
{
    char line[512];
    size_t n = 0;
    for (int i = 0; i < 14 && n < sizeof line; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%s=%llu", i ? " " : "",
                              counter_names[i], (unsigned long long)s->v[i]);
    acd_log_info("%s %s", what, line);
}

static bool counters_changed(const Snapshot *a, const Snapshot *b)
{
    for (int i = 1; i < 14; i++)
        if (i != 12 && a->v[i] != b->v[i])
            return true;
    return false;
}

/* ---- Time --------------------------------------------------------------- */

/* Wait for the main semaphore or `ms`; false when the time ran out. */
static bool wait_main(sem_t *s, long ms)
{
    struct timespec until = acd_deadline_ms(ms);
    for (;;) {
        if (sem_timedwait(s, &until) == 0)
            return true;
        if (errno != EINTR)
            return false;
        if (quit_signal)
            return true;
    }
}

/* Open, retrying with backoff (100 ms doubling to 2 s) until the server is
 * there or a signal asks us to quit. */
static bool open_with_backoff(AcdJack *j, bool first)
{
    long backoff_ms = 100;
    bool said = false;
    while (!quit_signal) {
        AcdError err = {0};
        if (acd_jack_open(j, &err) == ACD_OK) {
            acd_log_info("ready: client %s, ports %s %s%s%s, output delay %lld frames",
                         j->cfg.client_name, ACD_JACK_PORT_IN, ACD_JACK_PORT_OUT,
                         j->cfg.thru ? " " : "", j->cfg.thru ? ACD_JACK_PORT_THRU : "",
                         (long long)acd_jack_out_delay(j));
            return true;
        }
        if (!said || verbosity > 0)
            acd_log_info("%s; retrying%s", acd_error_text(&err),
                         first ? "" : " (server restarting?)");
        said = true;
        wait_main(&j->main_wake, backoff_ms);
        backoff_ms = backoff_ms * 2 > 2000 ? 2000 : backoff_ms * 2;
    }
    return false;
}

/* The sample rate decides the step length in frames; ask the server once
 * (a restarted server at another rate is refused by a later check). */
static double server_rate(const AcdOptions *o)
{
    jack_status_t js;
    jack_client_t *c = o->server_name
                           ? jack_client_open("accompd-probe", JackNoStartServer | JackServerName,
                                              &js, o->server_name)
                           : jack_client_open("accompd-probe", JackNoStartServer, &js);
    if (!c)
        return 0;
    double rate = jack_get_sample_rate(c);
    jack_client_close(c);
    return rate;
}

/* Start this program again, same PID, same arguments, carrying over the
 * connections to restore and the loss count: the way out when libjack hung
 * closing a dead client (jack2 issue #395), whose locks this process can
 * then never take again. Returns only if exec failed. */
#define RESTART_PEERS_ENV  "ACCOMPD_RESTART_PEERS"
#define RESTART_LOSSES_ENV "ACCOMPD_RESTART_LOSSES"

static void restart_in_place(char **argv, const AcdJack *j, unsigned losses)
{
    static char peers[3 * ACD_JACK_MAX_PEERS * (ACD_JACK_NAME_MAX + 4)];
    char count[16];
    if (acd_jack_peers_format(j, peers, sizeof peers) > 0)
        setenv(RESTART_PEERS_ENV, peers, 1);
    snprintf(count, sizeof count, "%u", losses);
    setenv(RESTART_LOSSES_ENV, count, 1);
    acd_log_notice("libjack hung closing the dead client; restarting in place");
    /* The dead client's sockets and shared memory must not live on. */
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execv("/proc/self/exe", argv);
    acd_log_error("cannot restart: %s", strerror(errno));
}

static void silence_jack_errors(const char *msg)
{
    if (verbosity > 1)
        acd_log_debug("jack: %s", msg);
}

/* The settings, from the configuration file and the flags; an exit code
 * (>= 0) when there is nothing to run. */
static int setup(AcdDaemon *d, int argc, char **argv)
{
    AcdError err = {0};
    d->argc = argc;
    d->argv = calloc((size_t)argc + 1, sizeof *d->argv);
    char **scratch = calloc((size_t)argc + 1, sizeof *scratch);
    if (!d->argv || !scratch) {
        free(scratch);
        acd_log_error("out of memory");
        return 1;
    }
    memcpy(d->argv, argv, (size_t)argc * sizeof *argv);
    memcpy(scratch, argv, (size_t)argc * sizeof *argv);
    /* The start-up settings point into the scratch argv's strings (which
     * are argv's) and into boot_cfg: both live until exit. */
    int sargc = argc;
    AcdStatus st = acd_config_setup(&d->boot_cfg, &d->boot, &sargc, scratch, &err);
    free(scratch);
    const AcdOptions *o = &d->boot;
    if (st != ACD_OK) {
        acd_log_error("%s", acd_error_text(&err));
        acd_options_usage(stderr);
        return 2;
    }
    if (o->help) {
        acd_options_usage(stdout);
        return 0;
    }
    if (o->version) {
        puts("accompd " ACD_VERSION);
        return 0;
    }
    if (d->boot_cfg.print_config) {
        acd_config_print(&d->boot_cfg, o, stdout);
        return 0;
    }
    if (o->status)
        return acd_daemon_status_request(o);
    if (acd_options_check_backend(o->backend, &err) != ACD_OK) {
        acd_log_error("%s", acd_error_text(&err));
        return 2;
    }
    if (o->learn && acd_control_function_parse(o->learn) < 0) {
        acd_log_error("--learn %s: expected one of %s", o->learn, ACD_OPTIONS_LEARN_NAMES);
        return 2;
    }
    if (!o->model_path) {
        acd_log_error("--model is required (or model = \"...\"; in the configuration)");
        acd_options_usage(stderr);
        return 2;
    }
    verbosity = o->verbose;
    acd_log_set_level((AcdLogLevel)(ACD_LOG_INFO + (verbosity > 1 ? 1 : verbosity)));
    if (d->boot_cfg.path)
        acd_log_info("configuration %s", d->boot_cfg.path);
    return -1;
}

/* Wait for a JACK server (the grid needs its sample rate). */
static double wait_for_server(const AcdOptions *o)
{
    sem_t boot_wake;
    sem_init(&boot_wake, 0, 0);
    install_signals(&boot_wake);
    double rate = 0;
    long backoff_ms = 100;
    while (!quit_signal && (rate = server_rate(o)) <= 0) {
        acd_log_info("no JACK server yet; retrying");
        wait_main(&boot_wake, backoff_ms);
        backoff_ms = backoff_ms * 2 > 2000 ? 2000 : backoff_ms * 2;
    }
    signal_wake = NULL;
    sem_destroy(&boot_wake);
    return rate;
}

/* Signals, learned controllers and the once-a-second chores. */
static void handle_flags(AcdDaemon *d)
{
    if (reload_signal) {
        reload_signal = 0;
        acd_daemon_reload(d);
    }
    if (status_signal) {
        status_signal = 0;
        acd_daemon_status(d);
    }
    acd_daemon_learned(d);
}

static void free_daemon(AcdDaemon *d)
{
    acd_daemon_pid_remove(d);
    acd_daemon_reload_cleanup(d);
    acd_config_cleanup(&d->boot_cfg);
    free(d->argv);
}

int main(int argc, char **argv)
{
    static AcdDaemon d;
    AcdError err = {0};
    acd_log_init(2, "accompd");
    int rc = setup(&d, argc, argv);
    if (rc >= 0) {
        free_daemon(&d);
        return rc;
    }
    AcdOptions *o = &d.boot;
    jack_set_error_function(silence_jack_errors);
    jack_set_info_function(silence_jack_errors);
    acd_rt_init();

    /* ALSA when asked, or with auto when no JACK server answers and a
     * sequencer is there; otherwise JACK (waiting for its server). */
    bool alsa = strcmp(o->backend, "alsa") == 0;
    if (strcmp(o->backend, "auto") == 0 && server_rate(o) <= 0) {
        alsa = acd_daemon_alsa_available();
        acd_log_info("backend auto: no JACK server; %s",
                     alsa ? "using the ALSA sequencer" : "no ALSA sequencer either: waiting for JACK");
    }
    if (alsa) {
        rc = acd_daemon_run_alsa(&d, &quit_signal);
        free_daemon(&d);
        return rc;
    }

    rc = 1;
    d.jack = calloc(1, sizeof *d.jack);
    if (!d.jack) {
        acd_log_error("out of memory");
        free_daemon(&d);
        return 1;
    }
    AcdJack *jack = d.jack;
    if (acd_model_load(o->model_path, &d.model, &err) != ACD_OK) {
        acd_log_error("%s", acd_error_text(&err));
        goto out_free;
    }
    d.rate = wait_for_server(o);
    if (quit_signal) {
        rc = 0;
        goto out_model;
    }
    if (acd_daemon_make_engine(o, d.model, d.rate, &d.engine, &err) != ACD_OK) {
        acd_log_error("%s", acd_error_text(&err));
        goto out_model;
    }
    AcdJackConfig jc;
    acd_daemon_jack_config(o, d.model, d.engine, &jc);
    if (acd_jack_init(jack, &jc, d.engine, &err) != ACD_OK) {
        acd_log_error("%s", acd_error_text(&err));
        goto out_engine;
    }
    install_signals(&jack->main_wake);
    unsigned losses = 0;
    if (getenv(RESTART_PEERS_ENV)) {
        acd_jack_peers_parse(jack, getenv(RESTART_PEERS_ENV));
        unsetenv(RESTART_PEERS_ENV);
    }
    if (getenv(RESTART_LOSSES_ENV)) {
        losses = (unsigned)strtoul(getenv(RESTART_LOSSES_ENV), NULL, 10);
        unsetenv(RESTART_LOSSES_ENV);
    }
    acd_log_info("model %s, %.1f BPM, %d steps per beat, grace %.1f ms, %.0f Hz", o->model_path,
                 o->tempo_bpm, acd_model_config(d.model)->steps_per_beat, o->grace_ms, d.rate);

    if (!open_with_backoff(jack, true)) {
        rc = 0;
        goto out_jack;
    }
    acd_daemon_pid_write(&d);
    acd_notify_ready("playing", NULL);
    if (o->learn)
        acd_log_notice("learn: move the controller for %s", o->learn);

    Snapshot last, now;
    snapshot(&jack->rt.count, &last);
    struct timespec next_tick = acd_deadline_ms(1000);
    while (!quit_signal) {
        if (sem_timedwait(&jack->main_wake, &next_tick) != 0 && errno != ETIMEDOUT &&
            errno != EINTR)
            break;
        if (quit_signal)
            break;
        handle_flags(&d);
        if (atomic_load(&jack->lost)) {
            losses++;
            acd_log_info("JACK server lost (%u); reconnecting", losses);
            acd_notify_status(NULL, "JACK server lost; reconnecting");
            /* ACCOMPD_TEST_RESTART_IN_PLACE makes the tests take the
             * rare path every time. */
            if (!acd_jack_close(jack, false) || getenv("ACCOMPD_TEST_RESTART_IN_PLACE")) {
                acd_daemon_pid_remove(&d);
                restart_in_place(argv, jack, losses);
                break;
            }
            jack->restoring = true;
            if (!open_with_backoff(jack, false))
                break;
            acd_notify_status(NULL, "playing");
            continue;
        }
        if (atomic_exchange(&jack->graph_changed, 0))
            acd_jack_connect(jack);
        if (atomic_exchange(&jack->out_connected, 0))
            acd_jack_infer_request_release(&jack->infer, false);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        if (t.tv_sec > next_tick.tv_sec ||
            (t.tv_sec == next_tick.tv_sec && t.tv_nsec >= next_tick.tv_nsec)) {
            next_tick = acd_deadline_ms(1000);
            snapshot(&jack->rt.count, &now);
            if (counters_changed(&last, &now))
                log_counters("counters", &now);
            last = now;
            if (jack->restoring)
                acd_jack_connect(jack);
            acd_jack_remember(jack);
        }
    }
    acd_notify_stopping(NULL);
    acd_log_info("stopping (signal %d): releasing notes", (int)quit_signal);
    acd_jack_close(jack, true);
    snapshot(&jack->rt.count, &now);
    log_counters("final", &now);
    rc = 0;

out_jack:
    signal_wake = NULL;
    acd_jack_cleanup(jack);
out_engine:
    acd_engine_free(d.engine);
out_model:
    acd_model_free(d.model);
out_free:
    free(jack);
    free_daemon(&d);
    return rc;
}
