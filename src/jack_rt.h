/* All the state the JACK process callback touches, and what the other threads may do with it. */
#ifndef ACCOMPD_JACK_RT_H
#define ACCOMPD_JACK_RT_H

#include <jack/jack.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accompd/realtime.h"
#include "accompd/ring.h"

/* Counters. Written by the thread named, read by the main thread, which logs
 * them; relaxed atomics are enough because each one is a plain tally. */
typedef struct {
    atomic_uint_least64_t cycles;       /* RT: process callbacks */
    atomic_uint_least64_t in_events;    /* RT: melody messages into in_ring */
    atomic_uint_least64_t in_dropped;   /* RT: melody messages dropped, in_ring full */
    atomic_uint_least64_t in_ignored;   /* RT: SysEx and other long messages */
    atomic_uint_least64_t thru_dropped; /* RT: thru copies that found the port full */
    atomic_uint_least64_t out_events;   /* RT: messages written to the output port */
    atomic_uint_least64_t out_late;     /* RT: written after their frame (at offset 0) */
    atomic_uint_least64_t late_steps;   /* RT: steps with at least one late message */
    atomic_uint_least64_t out_deferred; /* RT: cycles that left messages for lack of port room */
    atomic_uint_least64_t xruns;        /* JACK's xrun callback */
    atomic_uint_least64_t out_dropped;  /* inference: note-ons dropped, out_ring full */
    atomic_uint_least64_t
        release_dropped;         /* inference: releases that found no room (must stay 0) */
    atomic_uint_least64_t steps; /* inference: steps decided */
    atomic_uint_least64_t wakes; /* inference: semaphore wake-ups */
} AcdJackCounters;

/* JACK transport as the process callback saw it at the start of a cycle,
 * for the inference thread (the engine follows it while it rolls). */
typedef struct {
    int64_t frame;     /* absolute frame of the cycle's start */
    double song_beats; /* beats since bar 1, beat 1, at that frame */
    double bpm;        /* beats per minute */
    int32_t beats_per_bar;
    int32_t rolling; /* 0: stopped, or no BBT information */
} AcdJackClock;

/* Shared between the process callback (RT), the inference thread and the
 * main thread. Set up while the client is inactive; afterwards the fields
 * marked "fixed" are only read. */
typedef struct {
    jack_client_t *client;  /* fixed */
    jack_port_t *in_port;   /* fixed: the melody */
    jack_port_t *out_port;  /* fixed: the accompaniment */
    jack_port_t *thru_port; /* fixed; NULL without melody thru */
    AcdRing *in_ring;       /* fixed: RT writes melody events (AcdEvent), inference reads */
    AcdRing *out_ring;      /* fixed: inference writes accompaniment (AcdEvent), RT reads */
    size_t in_reserve;      /* fixed: in_ring slots only note-offs may fill */
    AcdRing *clock_ring;    /* fixed: RT writes AcdJackClock; NULL: ignore transport */
    sem_t *wake;            /* fixed: the inference thread's semaphore */
    sem_t *main_wake;       /* fixed: the main thread's semaphore */

    /* Every melody event before this absolute frame is in in_ring
     * (RT stores with release, inference loads with acquire). */
    atomic_int_least64_t known_until;
    /* The next frame at which the inference thread has a step to decide;
     * INT64_MAX while it waits for the player. Inference stores, RT loads. */
    atomic_int_least64_t next_decision;
    /* Set by the inference thread once the shutdown release is in
     * out_ring; the RT thread then posts main_wake when out_ring is empty
     * (and sets it to 2, so it posts once). */
    atomic_int drain;

    /* RT only. */
    uint32_t last_frame32; /* jack_last_frame_time of the previous cycle */
    int64_t frame64;       /* the same, extended to 64 bits (JACK's wraps after 24 h at 48 kHz) */
    bool have_frame;
    int64_t last_late_time; /* time of the last late message, to count late steps once */
    bool clock_rolling;     /* what the last AcdJackClock said */
    double clock_bpm;
    int32_t clock_bpb;
    uint32_t clock_cycles; /* cycles since the last AcdJackClock */

    AcdJackCounters count;
} AcdJackRt;

/* The process callback: melody in (and thru), accompaniment out, wake the
 * inference thread. arg is the AcdJackRt. RT-safe. */
int acd_jack_rt_process(jack_nframes_t nframes, void *arg);

/* Xrun callback: counts. RT-safe. */
int acd_jack_rt_xrun(void *arg);

#endif
