/* The tempo map: ticks to seconds and back, piecewise linear between tempo changes. */
#include "accompd/midifile.h"

#include <math.h>

/* 120 BPM until the first tempo event, as the SMF spec says. */
#define DEFAULT_US_PER_BEAT 500000u

static double seg_sec(uint64_t ticks, uint32_t us_per_beat, int tpb)
{
    return (double)ticks * (double)us_per_beat / ((double)tpb * 1e6);
}

double acd_midifile_tick_to_sec(const AcdMidiFile *mf, uint64_t tick)
{
    if (!mf || mf->ticks_per_beat <= 0)
        return 0.0;
    double sec = 0.0;
    uint64_t t0 = 0;
    uint32_t us = DEFAULT_US_PER_BEAT;
    for (size_t i = 0; i < mf->n_tempos && mf->tempos[i].tick < tick; i++) {
        sec += seg_sec(mf->tempos[i].tick - t0, us, mf->ticks_per_beat);
        t0 = mf->tempos[i].tick;
        us = mf->tempos[i].us_per_beat;
    }
    return sec + seg_sec(tick - t0, us, mf->ticks_per_beat);
}

uint64_t acd_midifile_sec_to_tick(const AcdMidiFile *mf, double sec)
{
    if (!mf || mf->ticks_per_beat <= 0 || !(sec > 0.0))
        return 0; /* also NaN */
    double sec0 = 0.0;
    uint64_t t0 = 0;
    uint32_t us = DEFAULT_US_PER_BEAT;
    for (size_t i = 0; i < mf->n_tempos; i++) {
        double end = sec0 + seg_sec(mf->tempos[i].tick - t0, us, mf->ticks_per_beat);
        if (sec < end)
            break;
        sec0 = end;
        t0 = mf->tempos[i].tick;
        us = mf->tempos[i].us_per_beat;
    }
    if (us == 0)
        return t0;
    double ticks = round((sec - sec0) * (double)mf->ticks_per_beat * 1e6 / (double)us);
    if (!(ticks < (double)(ACD_MIDI_MAX_TICK - t0)))
        return ACD_MIDI_MAX_TICK;
    return t0 + (uint64_t)ticks;
}
