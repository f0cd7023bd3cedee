/* The beat grid of a song: the time of every beat and where bars begin. */
#ifndef ACCOMPD_BEATGRID_H
#define ACCOMPD_BEATGRID_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/midifile.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Beats are numbered from 0; beat b sounds at sec[b]. Times strictly
 * increase. Positions between beats are interpolated linearly in seconds, so
 * a drifting tempo (POP909's beat files) is followed exactly at the beats.
 * Before the first and after the last beat the grid extrapolates with the
 * first and last beat lengths. */
typedef struct {
    double *sec;          /* [n_beats] time of each beat */
    uint8_t *beat_in_bar; /* [n_beats] 0 at a bar line; pickup beats count back from the bar */
    size_t n_beats;
    int beats_per_bar; /* the most common bar length, used past the last beat */
} AcdBeatGrid;

/* Upper bound on n_beats (about 5.8 days at 120 BPM), so that a file whose
 * events sit at absurd ticks cannot make us allocate without bound. */
#define ACD_BEATGRID_MAX_BEATS 10000000u

/* Beats of a MIDI file: one per quarter note (ticks_per_beat ticks), timed
 * by its tempo map, bars from its time signatures (4/4 when none), from tick
 * 0 up to and including end_tick's beat plus one. A bar whose length is not
 * a whole number of quarter notes (7/8) starts on the beat it falls in. */
AcdStatus acd_beatgrid_init_midi(AcdBeatGrid *grid, const AcdMidiFile *mf, uint64_t end_tick,
                                 AcdError *err);

/* A grid from an external beat list: n times (strictly increasing) and a
 * bar-line flag per beat (NULL: a bar every beats_per_bar beats from beat 0).
 * beats_per_bar is the fallback bar length. */
AcdStatus acd_beatgrid_init_times(AcdBeatGrid *grid, const double *sec, const uint8_t *bar_line,
                                  size_t n, int beats_per_bar, AcdError *err);

/* A steady grid: n beats of sec_per_beat from t0, bars of beats_per_bar. */
AcdStatus acd_beatgrid_init_steady(AcdBeatGrid *grid, double t0, double sec_per_beat, size_t n,
                                   int beats_per_bar, AcdError *err);

/* Release the arrays; the grid may be zero-initialised or partly built. */
void acd_beatgrid_cleanup(AcdBeatGrid *grid);

/* Position in beats (fractional) of a time in seconds, and back. */
double acd_beatgrid_sec_to_beat(const AcdBeatGrid *grid, double sec);
double acd_beatgrid_beat_to_sec(const AcdBeatGrid *grid, double beat);

/* Index of beat b in its bar, also for b outside [0, n_beats). */
int acd_beatgrid_beat_in_bar(const AcdBeatGrid *grid, long long b);

#ifdef __cplusplus
}
#endif

#endif
