/* Chords as pitch-class sets: Harte-style labels (POP909 chord_midi.txt) and template matching. */
#ifndef ACCOMPD_CHORDS_H
#define ACCOMPD_CHORDS_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pitch-class set: bit pc (0 = C .. 11 = B). */
typedef uint16_t AcdPcSet;

/* The chord qualities template matching chooses from, in tie-break order. */
typedef enum {
    ACD_CHORD_MAJ = 0, /* 0 4 7 */
    ACD_CHORD_MIN,     /* 0 3 7 */
    ACD_CHORD_DOM7,    /* 0 4 7 10 */
    ACD_CHORD_MAJ7,    /* 0 4 7 11 */
    ACD_CHORD_MIN7,    /* 0 3 7 10 */
    ACD_CHORD_SUS4,    /* 0 5 7 */
    ACD_CHORD_SUS2,    /* 0 2 7 */
    ACD_CHORD_DIM,     /* 0 3 6 */
    ACD_CHORD_N_QUALITIES
} AcdChordQuality;

/* A chord: root pitch class and its set; root -1 and pcs 0 for "no chord". */
typedef struct {
    int root;
    AcdChordQuality quality; /* for inferred chords; labels keep only pcs */
    AcdPcSet pcs;
} AcdChord;

/* Rotate a set up by n semitones (n may be negative). */
AcdPcSet acd_pcset_transpose(AcdPcSet set, int n);

/* Intervals of a quality as a set rooted at C; its short name ("maj", "7"). */
AcdPcSet acd_chord_quality_pcs(AcdChordQuality q);
const char *acd_chord_quality_name(AcdChordQuality q);

/* Write a chord's name ("C:maj", "F#:min7", "N") into buf. */
void acd_chord_name(const AcdChord *c, char *buf, size_t cap);

/* Parse one Harte-style label: ROOT[:QUALITY][(DEGREES)][/BASS] with ROOT
 * A..G plus any '#'/'b'; QUALITY one of maj min dim aug maj7 min7 7 dim7
 * hdim7 minmaj7 maj6 min6 9 maj9 min9 sus2 sus4 (ROOT alone is maj, ROOT
 * with only degrees starts empty); DEGREES a comma list of [*|#|b...]1..13
 * (a leading '*' removes the degree); BASS a degree whose pitch class joins
 * the set (Harte: the bass belongs to the chord). "N" and "X" are no chord
 * (root -1, pcs 0). On ACD_ERR_FORMAT, err says what was expected at which
 * character. Not RT-safe. */
AcdStatus acd_chord_parse(const char *label, AcdChord *out, AcdError *err);

/* Template matching. w[pc] is the weight of each pitch class (e.g. frames a
 * pitch of that class sounds) and bass_pc the lowest sounding pitch class
 * (-1: unknown). For every root r and quality q the score is the cosine
 * similarity between w and the binary template T = quality_pcs(q) + r:
 *     score = sum_{pc in T} w[pc] / (sqrt(sum_pc w[pc]^2) * sqrt(|T|)),
 * which rewards covering the weight and penalises template notes that do not
 * sound (so a plain triad does not lose to its seventh chord). Ties (within
 * 1e-9) go to the root equal to bass_pc, then the earlier quality in
 * AcdChordQuality, then the lower root, so the answer is deterministic
 * (C D G with C in the bass is Csus2, with G in the bass Gsus4). All-zero
 * weight gives no chord. RT-safe. */
AcdChord acd_chord_infer(const double w[12], int bass_pc);

/* Chord labels of a song: time spans in seconds, sorted by start. */
typedef struct {
    double start_sec;
    double end_sec;
    AcdPcSet pcs; /* 0 for "N" */
} AcdChordSpan;

typedef struct {
    AcdChordSpan *spans;
    size_t n;
} AcdChordLabels;

/* Read a chord_midi.txt: one "start end label" a line (spaces or tabs),
 * blank lines skipped, start <= end. Errors name the file and line.
 * Not RT-safe. */
AcdStatus acd_chord_labels_load(const char *path, AcdChordLabels *out, AcdError *err);

/* The label set at time sec (0 when no span covers it). Spans are searched
 * by bisection. */
AcdPcSet acd_chord_labels_at(const AcdChordLabels *labels, double sec);

void acd_chord_labels_cleanup(AcdChordLabels *labels);

#ifdef __cplusplus
}
#endif

#endif
