/* Opening, activating, reconnecting and closing accompd's JACK client. */
#ifndef ACCOMPD_JACK_SETUP_H
#define ACCOMPD_JACK_SETUP_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "accompd/engine.h"
#include "jack_infer.h"
#include "jack_rt.h"

#define ACD_JACK_MAX_PATTERNS 8
#define ACD_JACK_MAX_PEERS    16
#define ACD_JACK_NAME_MAX     320 /* >= jack_port_name_size() on jack2 */

/* Stable port names, so that saved sessions and patterns keep working. */
#define ACD_JACK_PORT_IN   "melody_in"
#define ACD_JACK_PORT_OUT  "accomp_out"
#define ACD_JACK_PORT_THRU "melody_thru"

typedef struct {
    const char *client_name; /* exact: refused rather than renamed when taken */
    const char *server_name; /* NULL: $JACK_DEFAULT_SERVER or "default" */
    bool thru;               /* offer melody_thru */
    size_t in_ring_size;     /* power of two */
    size_t out_ring_size;    /* power of two */
    size_t in_reserve;       /* in_ring slots kept for note-offs */
    int64_t grace_frames;    /* engine grace, for the output delay */
    uint16_t out_channels;   /* bit mask for the start-up CC123 */
    AcdControlConfig control; /* controllers (panic included), channels, velocity */
    int program;              /* program change at start; -1: none */
    bool follow_transport;   /* take tempo and bar position from JACK transport when it rolls */
    bool follow_midi_clock;  /* take them from MIDI clock arriving at melody_in */
    int steps_per_beat;      /* the model's grid */
    double units_per_step;   /* frames per step at the configured tempo */
    const char *connect_in[ACD_JACK_MAX_PATTERNS];  /* regexes of source ports */
    const char *connect_out[ACD_JACK_MAX_PATTERNS]; /* regexes of destination ports */
    const char *connect_thru[ACD_JACK_MAX_PATTERNS];
} AcdJackConfig;

/* One port's remembered peers: restored after a server restart. */
typedef struct {
    char name[ACD_JACK_MAX_PEERS][ACD_JACK_NAME_MAX];
    int n;
} AcdJackPeers;

typedef struct {
    AcdJackConfig cfg;
    AcdJackRt rt;
    AcdJackInfer infer;
    AcdEngine *engine;        /* borrowed */
    sem_t wake;               /* posted by the process callback, waited by the inference thread */
    sem_t main_wake;          /* posted by signals, shutdown, graph changes, drains */
    atomic_int lost;          /* the server went away (shutdown callback) */
    atomic_int graph_changed; /* ports appeared: try connections again */
    atomic_int out_connected; /* accomp_out got a new peer: send it a release */
    bool open;
    bool restoring;        /* after a reconnection, until the remembered peers are back */
    AcdJackPeers peers[3]; /* in, out, thru */
} AcdJack;

/* Rings, semaphores and the inference scratch; no client yet. engine is
 * borrowed. Not RT-safe. */
AcdStatus acd_jack_init(AcdJack *j, const AcdJackConfig *cfg, AcdEngine *engine, AcdError *err);

/* Free what init made (the client must be closed). Not RT-safe. */
void acd_jack_cleanup(AcdJack *j);

/* Open the client, register the ports, queue the start-up all-notes-off,
 * start the inference thread, activate, connect. Not RT-safe. */
AcdStatus acd_jack_open(AcdJack *j, AcdError *err);

/* graceful: release every note and wait (bounded) until the process
 * callback has written the release; then deactivate, stop the inference
 * thread and close. After a server loss pass false. Returns false when
 * libjack hung closing the dead client (jack2 issue #395): this process
 * cannot trust libjack any more, and the daemon restarts itself in place.
 * Not RT-safe. */
bool acd_jack_close(AcdJack *j, bool graceful);

/* Connect by pattern and restore remembered peers. Main thread. Not RT-safe. */
void acd_jack_connect(AcdJack *j);

/* Remember the ports' current peers (skipped while restoring). Main thread.
 * Not RT-safe. */
void acd_jack_remember(AcdJack *j);

/* Write the remembered peers as text ("<port index> <TAB> <name>" lines),
 * for a restart in place; returns the length, or 0 if buf is too small.
 * Read them back with acd_jack_peers_parse (which sets restoring).
 * Not RT-safe. */
size_t acd_jack_peers_format(const AcdJack *j, char *buf, size_t size);
void acd_jack_peers_parse(AcdJack *j, const char *text);

/* The frames from a step's start to its output frame: grace plus one period. */
int64_t acd_jack_out_delay(const AcdJack *j);

#endif
