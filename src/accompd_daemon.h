/* The daemon's state shared by its main-thread parts: start-up, reload, status, pid file. */
#ifndef ACCOMPD_DAEMON_H
#define ACCOMPD_DAEMON_H

#include <signal.h>

#include "accompd/engine.h"
#include "accompd/model.h"
#include "accompd_options.h"
#include "config.h"
#include "jack_setup.h"

/* Everything main owns. Main thread only. */
typedef struct {
    int argc;
    char **argv;       /* the command line as given (a copy of the pointers), for reloads */
    AcdConfig boot_cfg; /* the start-up settings: what a reload cannot change comes from here */
    AcdOptions boot;
    AcdConfig cur_cfg; /* the settings in force after a reload (path NULL: boot's) */
    AcdOptions cur;
    bool reloaded;     /* cur_cfg holds a reload's settings */
    AcdModel *model;
    AcdEngine *engine;
    AcdJack *jack;
    double rate;
    unsigned reloads, reload_failures;
    char pid_path[4096]; /* written at start, removed at exit; "" when none */
} AcdDaemon;

/* The engine for options o over model m at sample rate `rate`. Not RT-safe. */
AcdStatus acd_daemon_make_engine(const AcdOptions *o, const AcdModel *m, double rate,
                                 AcdEngine **out, AcdError *err);

/* The controls' configuration from o. Not RT-safe. */
void acd_daemon_control_config(const AcdOptions *o, AcdControlConfig *cc);

/* The JACK client's configuration. Not RT-safe. */
void acd_daemon_jack_config(const AcdOptions *o, const AcdModel *m, const AcdEngine *e,
                            AcdJackConfig *jc);

/* SIGHUP: read the configuration and the model again, check them, and
 * hand the new engine to the inference thread at a step boundary; on any
 * error log why and keep playing the old one. Not RT-safe. */
void acd_daemon_reload(AcdDaemon *d);

/* Free what a reload left (the settings in force). Not RT-safe. */
void acd_daemon_reload_cleanup(AcdDaemon *d);

/* The settings in force. */
const AcdOptions *acd_daemon_options(const AcdDaemon *d);

/* SIGUSR1: log one status line. Not RT-safe. */
void acd_daemon_status(const AcdDaemon *d);

/* Log what MIDI learn assigned, if anything. Not RT-safe. */
void acd_daemon_learned(AcdDaemon *d);

/* The pid file's path for o: --pid-file, else
 * $XDG_RUNTIME_DIR/accompd/NAME.pid; false when neither is known. */
bool acd_daemon_pid_path(const AcdOptions *o, char *out, size_t cap);

/* Write our PID (creating the directory); a failure is a warning. */
void acd_daemon_pid_write(AcdDaemon *d);
void acd_daemon_pid_remove(AcdDaemon *d);

/* accompd --status: send SIGUSR1 to the instance named in the pid file;
 * prints what it did. Returns the exit code. Not RT-safe. */
int acd_daemon_status_request(const AcdOptions *o);

/* --backend alsa: the ALSA sequencer driver. Returns the exit code. */
int acd_daemon_run_alsa(AcdDaemon *d, volatile sig_atomic_t *quit);

/* Whether the ALSA sequencer can be opened (for --backend auto). */
bool acd_daemon_alsa_available(void);

#endif
