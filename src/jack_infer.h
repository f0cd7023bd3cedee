/* The inference thread: woken by the process callback, decides steps with the engine. */
#ifndef ACCOMPD_JACK_INFER_H
#define ACCOMPD_JACK_INFER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "accompd/control.h"
#include "accompd/engine.h"
#include "accompd/midiclock.h"
#include "jack_rt.h"

/* What a reload hands the running inference thread: a new engine (over a
 * new model) and its settings. The thread releases the old run's notes at a
 * step boundary, takes these, and writes back the old ones in their place,
 * for the main thread to free. */
typedef struct {
    AcdEngine *engine;
    AcdControlConfig control;
    int steps_per_beat;
    double free_units_per_step;
    int program; /* >= 0: send this program change on the output channels */
} AcdJackSwap;

/* Where the grid's tempo comes from (AcdJackInfer.clock_source). */
enum { ACD_CLOCK_FREE = 0, ACD_CLOCK_TRANSPORT, ACD_CLOCK_MIDI };

typedef struct {
    AcdJackRt *rt;     /* rings, semaphores, counters */
    AcdEngine *engine; /* owned by the daemon; only this thread touches it while running */
    AcdControl control; /* controllers, output channels and velocity (thread only) */
    float thresh_onset, thresh_hold; /* the engine's thresholds before density scaling */
    AcdEvent *buf;     /* scratch for one acd_engine_advance, allocated once */
    AcdEvent *mapped;  /* buf after acd_control_map (cap + 16) */
    size_t cap;

    /* Reload: main stores a swap and posts wake; the thread exchanges it
     * and sets swap_done (release), main waits for that (acquire). */
    _Atomic(AcdJackSwap *) swap;
    atomic_int swap_done;

    /* Published by the thread for the main thread's status report. */
    atomic_int clock_source;      /* ACD_CLOCK_* */
    atomic_int enabled;           /* accompaniment on (the on/off controller) */
    atomic_uint sounding;         /* notes sounding on the output */
    atomic_int_least64_t bpm_milli; /* tempo in use, 1/1000 BPM */
    atomic_int learned;           /* 0, or 0x10000 | function << 8 | controller: learned */

    pthread_t thread;
    bool started;
    atomic_int quit;                /* main -> thread: leave the loop */
    atomic_int release_req;         /* main -> thread: bit 0 release everything, bit 1 then drain */
    atomic_int_least64_t out_delay; /* frames from a step's start to its output frame */
    int64_t last_stamp;             /* engine time of the last event pushed (thread only) */
    uint64_t steps_before;          /* steps decided by engines swapped out (thread only) */
    double rate;                    /* sample rate, for the transport's tempo */
    int steps_per_beat;             /* the model's grid */
    double free_units_per_step;     /* the configured tempo, when transport stops */
    bool rolling;                   /* following JACK transport (thread only) */
    bool use_midi_clock;            /* follow MIDI clock from melody_in */
    bool clocked;                   /* following it now (thread only) */
    AcdMidiClock midi_clock;        /* thread only */
} AcdJackInfer;

/* Allocate the scratch (capacity for ACD_ENGINE_MAX_STEP_EVENTS). Not RT-safe. */
AcdStatus acd_jack_infer_init(AcdJackInfer *inf, AcdJackRt *rt, AcdEngine *engine,
                              const AcdControlConfig *control);

/* Free the scratch; the thread must be stopped. Not RT-safe. */
void acd_jack_infer_cleanup(AcdJackInfer *inf);

/* Start the thread (JACK's realtime class one step below the process
 * thread when the server is realtime, else a normal thread). Not RT-safe. */
AcdStatus acd_jack_infer_start(AcdJackInfer *inf, jack_client_t *client);

/* Ask the thread to stop the engine and queue the release (note-offs and
 * CC123). With drain, it then sets rt->drain so that the process callback
 * tells the main thread when the release is out. Main thread. Not RT-safe. */
void acd_jack_infer_request_release(AcdJackInfer *inf, bool drain);

/* Hand s to the running thread and wait until it has swapped; s then holds
 * the old engine and settings. With the thread stopped, swap directly.
 * False when the thread did not take it within timeout_ms: then nothing
 * changed and s is the caller's again. Main thread. Not RT-safe. */
bool acd_jack_infer_swap(AcdJackInfer *inf, AcdJackSwap *s, sem_t *main_wake, int timeout_ms);

/* Stop and join the thread. Not RT-safe. */
void acd_jack_infer_stop(AcdJackInfer *inf);

/* Queue a program change on the output channels (before the thread runs,
 * or from it). Not RT-safe (but never blocks or allocates). */
void acd_jack_infer_program(AcdJackInfer *inf, int program, int64_t time);

/* Push events into out_ring on behalf of the ring's writer: from the
 * inference thread, or from the main thread while that thread is not
 * running. Adds the output delay to events that are not releases stamped
 * "now". Not RT-safe (but never blocks or allocates). */
void acd_jack_infer_push(AcdJackInfer *inf, const AcdEvent *ev, size_t n);

#endif
