/* A JACK test client: plays a melody at exact frames and records what comes back. */
#ifndef ACCOMPD_JACK_PROBE_H
#define ACCOMPD_JACK_PROBE_H

#include <jack/jack.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "accompd/event.h"

/* Two clients, so the graph player -> accompd -> recorder has no cycle and
 * every stamp is on one timeline: "probe_player" (port "melody") and
 * "probe_recorder" (ports "accomp" and "thru"). */
typedef struct {
    jack_client_t *player;
    jack_client_t *recorder;
    jack_port_t *melody;
    jack_port_t *accomp;
    jack_port_t *thru;

    /* The schedule: times relative to `base` (set by acd_probe_play). */
    AcdEvent *sched;
    size_t n_sched;
    atomic_size_t next;                /* player RT: next event to play */
    atomic_int_least64_t base;         /* INT64_MAX: not playing */
    atomic_uint_least64_t sent;        /* events written to the melody port */
    atomic_uint_least64_t late;        /* schedule events written after their frame */
    atomic_uint_least64_t not_written; /* refused by the port (full) */
    atomic_int burst_req;              /* 1: fill the next period; player sets 2 when done */
    atomic_uint_least64_t burst_sent;

    /* Recordings (recorder RT writes, the test reads up to the count). */
    AcdEvent *acc;
    AcdEvent *thru_rec;
    size_t cap;
    atomic_size_t n_acc;
    atomic_size_t n_thru;
    atomic_uint_least64_t rec_overflow;
    atomic_uint_least64_t xruns;
    atomic_int lost;
    atomic_uint_least64_t recorder_cycles;

    /* JACK transport, when the player is timebase master. */
    _Atomic double tb_bpm; /* atomic: the timebase callback runs on JACK's thread */
    atomic_int tb_beats_per_bar;
    atomic_int_least64_t transport_offset; /* frame time - transport frame, while rolling */
    atomic_uint_least64_t offset_changes;  /* times that offset moved (an xrun slips it) */
} AcdProbe;

/* Open both clients on the current server ($JACK_DEFAULT_SERVER) and
 * activate them; recordings hold `cap` events each. Keeps the recordings
 * of a previous open (for tests across server restarts) when p->acc is set.
 * Returns false when the server is not there. */
bool acd_probe_open(AcdProbe *p, size_t cap);

/* Open, and make sure the recorder really runs: libjack, reopened in a
 * process whose server died, now and then leaves a client that never
 * processes ("Triggered" but not run, an xrun every cycle). Retries a few
 * times. */
bool acd_probe_reopen(AcdProbe *p, size_t cap);

/* Close both clients (recordings stay). */
void acd_probe_close(AcdProbe *p);

/* Free the recordings and the schedule. */
void acd_probe_free(AcdProbe *p);

/* Connect player:melody -> accompd:melody_in and accompd's outputs -> the
 * recorder. False if a port is missing. */
bool acd_probe_connect(AcdProbe *p, const char *accompd_name, bool thru);

/* Play n events (times relative to the start) from `lead_frames` ahead of
 * the current frame; returns the absolute start frame. The schedule is
 * copied. */
int64_t acd_probe_play(AcdProbe *p, const AcdEvent *ev, size_t n, int64_t lead_frames);

/* True once the whole schedule has been written. */
bool acd_probe_done(AcdProbe *p);

/* Fill one whole period with 3-byte messages; returns how many fit. Blocks
 * (polling) until the player has done it. */
uint64_t acd_probe_burst(AcdProbe *p);

/* Become timebase master at bpm with bars of beats_per_bar (BBT from the
 * transport frame, bar 1 beat 1 at frame 0) and start the transport.
 * False if JACK refuses. */
bool acd_probe_transport_start(AcdProbe *p, double bpm, int beats_per_bar);

/* Stop the transport. */
void acd_probe_transport_stop(AcdProbe *p);

/* Milliseconds sleep helper for the test thread. */
void acd_probe_sleep_ms(int ms);

#endif
