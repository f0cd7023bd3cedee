/* REALTIME: play MIDI at exact frames, record a port (accomp-jack-play and the test probe). */
#ifndef ACCOMPD_JACK_SCHED_H
#define ACCOMPD_JACK_SCHED_H

#include <jack/jack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/event.h"
#include "accompd/realtime.h"

/* JACK's frame counter, extended to 64 bits so that it never wraps (32 bits
 * wrap after 24.8 hours at 48 kHz). Two clients that each keep one agree,
 * since both start from the raw counter. Process thread only. */
typedef struct {
    int64_t now;
    uint32_t last;
    bool have;
} AcdJackFrames;

/* The 64-bit frame of the cycle's first frame (jack_last_frame_time). RT-safe. */
ACD_REALTIME int64_t acd_jack_frames_update(AcdJackFrames *f, jack_client_t *client);

/* What one call of acd_jack_sched_play did. */
typedef struct {
    uint64_t sent;    /* events written */
    uint64_t late;    /* of those, written after their frame (at offset 0) */
    uint64_t refused; /* the port buffer had no room */
} AcdJackSchedCounts;

/* Write sched[next..n) whose frame (base + time) falls before the end of
 * this cycle (frame .. frame + nframes) into the MIDI port buffer buf, at
 * their offsets; late events go at offset 0. sched must be sorted by time.
 * Adds to *counts and returns the new `next`. RT-safe. */
ACD_REALTIME size_t acd_jack_sched_play(void *buf, jack_nframes_t nframes, int64_t frame,
                                        int64_t base, const AcdEvent *sched, size_t n, size_t next,
                                        AcdJackSchedCounts *counts);

/* Append the events of the MIDI port buffer buf (messages of 1..3 bytes),
 * stamped with their absolute frames, to rec[n..cap); longer messages and
 * those past cap are counted in *dropped. Returns the new count. RT-safe. */
ACD_REALTIME size_t acd_jack_sched_record(void *buf, int64_t frame, AcdEvent *rec, size_t n,
                                          size_t cap, uint64_t *dropped);

#endif
