/* The inference thread: woken by the process callback, decides steps with the engine. */
#ifndef ACCOMPD_JACK_INFER_H
#define ACCOMPD_JACK_INFER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "accompd/engine.h"
#include "accompd/midiclock.h"
#include "jack_rt.h"

typedef struct {
    AcdJackRt *rt;     /* rings, semaphores, counters */
    AcdEngine *engine; /* owned by the daemon; only this thread touches it while running */
    int panic_cc;      /* controller number that releases everything, or -1 */
    AcdEvent *buf;     /* scratch for one acd_engine_advance, allocated once */
    size_t cap;

    pthread_t thread;
    bool started;
    atomic_int quit;                /* main -> thread: leave the loop */
    atomic_int release_req;         /* main -> thread: bit 0 release everything, bit 1 then drain */
    atomic_int_least64_t out_delay; /* frames from a step's start to its output frame */
    int64_t last_stamp;             /* engine time of the last event pushed (thread only) */
    double rate;                    /* sample rate, for the transport's tempo */
    int steps_per_beat;             /* the model's grid */
    double free_units_per_step;     /* the configured tempo, when transport stops */
    bool rolling;                   /* following JACK transport (thread only) */
    bool use_midi_clock;            /* follow MIDI clock from melody_in */
    bool clocked;                   /* following it now (thread only) */
    AcdMidiClock midi_clock;        /* thread only */
} AcdJackInfer;

/* Allocate the scratch (capacity for ACD_ENGINE_MAX_STEP_EVENTS). Not RT-safe. */
AcdStatus acd_jack_infer_init(AcdJackInfer *inf, AcdJackRt *rt, AcdEngine *engine, int panic_cc);

/* Free the scratch; the thread must be stopped. Not RT-safe. */
void acd_jack_infer_cleanup(AcdJackInfer *inf);

/* Start the thread (JACK's realtime class one step below the process
 * thread when the server is realtime, else a normal thread). Not RT-safe. */
AcdStatus acd_jack_infer_start(AcdJackInfer *inf, jack_client_t *client);

/* Ask the thread to stop the engine and queue the release (note-offs and
 * CC123). With drain, it then sets rt->drain so that the process callback
 * tells the main thread when the release is out. Main thread. Not RT-safe. */
void acd_jack_infer_request_release(AcdJackInfer *inf, bool drain);

/* Stop and join the thread. Not RT-safe. */
void acd_jack_infer_stop(AcdJackInfer *inf);

/* Push events into out_ring on behalf of the ring's writer: from the
 * inference thread, or from the main thread while that thread is not
 * running. Adds the output delay to events that are not releases stamped
 * "now". Not RT-safe (but never blocks or allocates). */
void acd_jack_infer_push(AcdJackInfer *inf, const AcdEvent *ev, size_t n);

#endif
