/* Following incoming MIDI clock (24 ticks a beat): tempo and song position with the jitter
 * smoothed. */
#ifndef ACCOMPD_MIDICLOCK_H
#define ACCOMPD_MIDICLOCK_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ticks kept for the fit: two beats; and heard before the first estimate. */
#define ACD_MIDICLOCK_WINDOW    48
#define ACD_MIDICLOCK_MIN_TICKS 24

/* Caller-owned, no allocation. Times are in the driver's unit (frames). */
typedef struct {
    bool running;                    /* between Start/Continue (or the first tick) and Stop */
    int64_t ticks;                   /* clock ticks since Start (song position) */
    int64_t t[ACD_MIDICLOCK_WINDOW]; /* times of the last ticks, by tick % window */
    int n;                           /* ticks in the window */
} AcdMidiClock;

/* What the clock says after a tick: at `time` the song is at `beats`
 * (quarter notes since Start) and a beat lasts `units_per_beat`. */
typedef struct {
    int64_t time;
    double beats;
    double units_per_beat;
} AcdMidiClockPos;

/* Stopped, nothing heard. RT-safe. */
void acd_midiclock_init(AcdMidiClock *c);

/* Feed one realtime message (0xF8 clock, 0xFA start, 0xFB continue, 0xFC
 * stop; others are ignored) heard at `time`. Returns true when there is a
 * position to follow in *pos: after every tick once ACD_MIDICLOCK_MIN_TICKS
 * have been heard since Start, Continue or Stop.
 * Jitter is smoothed by a least-squares line through the last two beats of
 * ticks, so *pos is the fitted time of the latest tick. RT-safe. */
bool acd_midiclock_feed(AcdMidiClock *c, uint8_t status, int64_t time, AcdMidiClockPos *pos);

#ifdef __cplusplus
}
#endif

#endif
