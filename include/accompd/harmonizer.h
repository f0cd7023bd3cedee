/* A rule-based, causal harmonizer: the baseline accomp eval sets beside the models. */
#ifndef ACCOMPD_HARMONIZER_H
#define ACCOMPD_HARMONIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/beatgrid.h"
#include "accompd/chords.h"
#include "accompd/song.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The harmonizer decides at every beat b, from the melody it has heard up
 * to b's first 16th-note frame (the frames of metrics.h, so an onset
 * quantized onto the beat counts, as the engine's grace window allows):
 *  - key: the 24 Krumhansl-Kessler profiles correlated with a pitch-class
 *    histogram of the melody so far (frames sounding, decayed per beat with
 *    a half-life), the best correlation wins (ties: major first, lower tonic);
 *  - chord: the diatonic triad of that key (minor keys: natural minor with a
 *    major V) with the best score = 3 [melody pc at the beat in the triad]
 *    + sum over the previous beat's melody frames of [pc in triad] / 4
 *    + a bonus for the triad's function (I .6, IV and V .5, vi .3, ...)
 *    + 1 for keeping the chord (.3 on a bar line); ties to the lower degree;
 *  - notes: at a chord change, a bar line or mid-bar (even meters) it
 *    strikes the triad's pitch classes in [chord_lo, chord_lo + 11] and the
 *    root in [bass_lo, bass_lo + 11], held until the next strike; it starts
 *    at the first beat after the first melody onset and stops (until the
 *    next melody note) after stop_after_bars bars without melody.
 * Deterministic: no randomness, no state beyond the melody. */
typedef struct {
    int chord_lo;               /* default 55 (G3): triads in G3..F#4 */
    int bass_lo;                /* default 36 (C2): roots in C2..B2 */
    double key_half_life_beats; /* default 32; 0 = cumulative histogram */
    int stop_after_bars;        /* default 2 */
    uint8_t velocity;           /* default 80 */
} AcdHarmonizerConfig;

void acd_harmonizer_config_default(AcdHarmonizerConfig *cfg);

/* The key whose profile correlates best with hist (all zero: C major). */
void acd_harmonizer_key(const double hist[12], int *tonic, bool *minor);

/* The seven diatonic triads of a key, degree I first. */
void acd_harmonizer_triads(int tonic, bool minor, AcdChord out[7]);

/* Accompany melody (notes in beats of grid, sorted by start): *out gets the
 * notes (malloc'd, sorted by start then pitch, beats and seconds from grid).
 * Not RT-safe. */
AcdStatus acd_harmonizer_run(const AcdHarmonizerConfig *cfg, const AcdSongNote *melody, size_t n,
                             const AcdBeatGrid *grid, AcdSongNote **out, size_t *n_out,
                             AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
