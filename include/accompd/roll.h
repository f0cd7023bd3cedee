/* Piano rolls: notes <-> a step grid with onset and hold bits per pitch. */
#ifndef ACCOMPD_ROLL_H
#define ACCOMPD_ROLL_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/beatgrid.h"
#include "accompd/model.h" /* AcdRollKind: ACD_ROLL_ONSET_HOLD, ACD_ROLL_ONOFF */
#include "accompd/song.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A roll of n_steps steps. bits is contiguous, one uint8_t (0 or 1) per bit,
 * row-major [step][width]: for ACD_ROLL_ONSET_HOLD a row is the onset bits of
 * pitches lo..hi then their hold bits (width = 2 * n_pitches), exactly the
 * model's input/output block; for ACD_ROLL_ONOFF a row is the sounding bits
 * (width = n_pitches). Step t covers beats [t, t+1) / steps_per_beat from
 * beat 0 of the song's grid. For acd_features_song(): onset_roll = bits +
 * (mel_lo - lo), hold_roll = onset_roll + n_pitches, stride = width; the
 * position arrays are ints so that they pass as they are. */
typedef struct {
    AcdRollKind kind;
    int steps_per_beat;
    int lo, hi;    /* inclusive MIDI pitch range */
    int n_pitches; /* hi - lo + 1 */
    int width;     /* bits per step */
    size_t n_steps;
    uint8_t *bits;     /* [n_steps][width] */
    int *step_in_beat; /* [n_steps] 0..steps_per_beat-1 */
    int *beat_in_bar;  /* [n_steps] from the beat grid (0 until positions are set) */
} AcdRoll;

/* Counters of what encoding changed beyond quantization. */
typedef struct {
    size_t n_folded;  /* notes moved by octaves into [lo, hi] */
    size_t n_dropped; /* notes that fell outside the roll's steps */
    size_t n_cut;     /* notes shortened by a later note of the same pitch */
} AcdRollStats;

/* Allocate an all-zero roll. steps_per_beat 1..64, 0 <= lo <= hi <= 127,
 * hi - lo >= 11 (so that every pitch class can fold into range). */
AcdStatus acd_roll_init(AcdRoll *roll, AcdRollKind kind, int steps_per_beat, int lo, int hi,
                        size_t n_steps, AcdError *err);
void acd_roll_cleanup(AcdRoll *roll);

/* Byte offsets into a row, for readers of bits[]. */
static inline size_t acd_roll_onset_index(const AcdRoll *r, size_t step, int pitch)
{
    return step * (size_t)r->width + (size_t)(pitch - r->lo);
}
static inline size_t acd_roll_hold_index(const AcdRoll *r, size_t step, int pitch)
{
    return step * (size_t)r->width + (size_t)r->n_pitches + (size_t)(pitch - r->lo);
}

/* Fold a pitch by octaves into [lo, hi] (hi - lo >= 11 makes this total). */
int acd_roll_fold_pitch(int pitch, int lo, int hi);

/* Quantize notes (in beats) as the roll sees them, without a roll: start and
 * end steps are the nearest step boundaries, length >= 1 step, pitches
 * folded, a note cut where a later note of the same pitch starts (equal
 * starts merge into the longer), then notes outside [0, n_steps) dropped and
 * ends clipped to n_steps. *out (malloc'd, sorted by start then pitch) holds
 * start/end beats as step / steps_per_beat; seconds are 0; velocity kept. */
AcdStatus acd_roll_quantize(const AcdRoll *roll, const AcdSongNote *notes, size_t n,
                            AcdSongNote **out, size_t *n_out, AcdRollStats *stats);

/* Set the bits of notes (OR-ed into the roll, after acd_roll_quantize's
 * rules). stats may be NULL. */
AcdStatus acd_roll_encode(AcdRoll *roll, const AcdSongNote *notes, size_t n, AcdRollStats *stats);

/* Fill step_in_beat and beat_in_bar from the grid. */
void acd_roll_set_positions(AcdRoll *roll, const AcdBeatGrid *grid);

/* Notes of a roll, sorted by start then pitch, in beats (step /
 * steps_per_beat) and, when grid is not NULL, in seconds; velocity 100.
 * onset+holds make one note; a hold without a sounding step before it (only
 * from a model's output) starts a note; in an ONOFF roll a run of sounding
 * steps is one note (re-strikes are not representable there). */
AcdStatus acd_roll_decode(const AcdRoll *roll, const AcdBeatGrid *grid, AcdSongNote **out,
                          size_t *n_out);

/* Steps needed to hold a song: the last note end (any part) rounded up to a
 * whole bar of the grid's beats_per_bar. */
size_t acd_roll_song_steps(const AcdSong *song, int steps_per_beat);

#ifdef __cplusplus
}
#endif

#endif
