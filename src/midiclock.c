/* Following incoming MIDI clock (24 ticks a beat): tempo and song position with the jitter
 * smoothed. */
#include "accompd/midiclock.h"

#include <string.h>

#include "accompd/event.h"
#include "accompd/realtime.h"

#define TICKS_PER_BEAT 24

ACD_REALTIME void acd_midiclock_init(AcdMidiClock *c)
{
    memset(c, 0, sizeof *c);
    c->ticks = -1;
}

/* Least squares t = a + b k over the window: b is the tick period, and the
 * fitted time of the newest tick averages out the sender's and the MIDI
 * transport's jitter (the raw times wobble by a period or more on USB). */
static void fit(const AcdMidiClock *c, double *t_last, double *period)
{
    int n = c->n;
    int64_t k0 = c->ticks - n + 1;
    int64_t base = c->t[(uint64_t)k0 % ACD_MIDICLOCK_WINDOW];
    double sk = 0, st = 0, skk = 0, skt = 0;
    for (int i = 0; i < n; i++) {
        double k = i;
        double t = (double)(c->t[(uint64_t)(k0 + i) % ACD_MIDICLOCK_WINDOW] - base);
        sk += k;
        st += t;
        skk += k * k;
        skt += k * t;
    }
    double den = n * skk - sk * sk;
    double b = (n * skt - sk * st) / den;
    double a = (st - b * sk) / n;
    *period = b;
    *t_last = (double)base + a + b * (n - 1);
}

ACD_REALTIME bool acd_midiclock_feed(AcdMidiClock *c, uint8_t status, int64_t time,
                                     AcdMidiClockPos *pos)
{
    switch (status) {
    case ACD_MIDI_START:
        c->running = true;
        c->ticks = -1; /* the first tick after Start is song position 0 */
        c->n = 0;
        return false;
    case ACD_MIDI_CONTINUE:
        c->running = true;
        c->n = 0;
        return false;
    case ACD_MIDI_STOP:
        c->running = false;
        c->n = 0;
        return false;
    case ACD_MIDI_CLOCK:
        break;
    default:
        return false;
    }
    /* Ticks without a Start (a sender already playing): follow them, from
     * an arbitrary song position. */
    c->running = true;
    c->ticks++;
    c->t[(uint64_t)c->ticks % ACD_MIDICLOCK_WINDOW] = time;
    if (c->n < ACD_MIDICLOCK_WINDOW)
        c->n++;
    /* A beat of ticks before the first estimate: two ticks give a
     * tempo as jittery as the ticks themselves. */
    if (c->n < ACD_MIDICLOCK_MIN_TICKS)
        return false;
    double t_last, period;
    fit(c, &t_last, &period);
    if (!(period > 0))
        return false;
    pos->time = (int64_t)(t_last + 0.5);
    /* The song position at the rounded time, not at the fitted one. */
    pos->beats = (double)c->ticks / TICKS_PER_BEAT +
                 ((double)pos->time - t_last) / (period * TICKS_PER_BEAT);
    pos->units_per_beat = period * TICKS_PER_BEAT;
    return true;
}
