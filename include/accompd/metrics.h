/* Objective measures of an accompaniment against its melody and the human accompaniment. */
#ifndef ACCOMPD_METRICS_H
#define ACCOMPD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/chords.h"
#include "accompd/song.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every measure works on 16th-note frames of the song's beat grid: frame f
 * covers beats [f/4, (f+1)/4). A note (in beats) sounds in frames
 * [round(4 start), max(round(4 end), round(4 start) + 1)) and has its onset
 * in the first; frames before beat 0 are dropped. */
#define ACD_METRICS_FRAMES_PER_BEAT 4

/* Thresholds of the failure guards. */
#define ACD_METRICS_LONG_CHORD_BEATS 8 /* a chord held longer than this without an onset */
#define ACD_METRICS_CHORD_RUN_BEATS  4 /* more identical beat chords in a row than this */

/* A set of MIDI pitches. */
typedef struct {
    uint64_t w[2];
} AcdPitchSet;

static inline void acd_pitchset_add(AcdPitchSet *s, int pitch)
{
    s->w[pitch >> 6] |= (uint64_t)1 << (pitch & 63);
}
static inline int acd_pitchset_has(const AcdPitchSet *s, int pitch)
{
    return (int)((s->w[pitch >> 6] >> (pitch & 63)) & 1);
}
static inline int acd_pitchset_count(const AcdPitchSet *s)
{
    return __builtin_popcountll(s->w[0]) + __builtin_popcountll(s->w[1]);
}
static inline int acd_pitchset_empty(const AcdPitchSet *s)
{
    return !(s->w[0] | s->w[1]);
}
static inline int acd_pitchset_equal(const AcdPitchSet *a, const AcdPitchSet *b)
{
    return a->w[0] == b->w[0] && a->w[1] == b->w[1];
}

/* The pitch classes of a set. */
AcdPcSet acd_pitchset_pcs(const AcdPitchSet *s);

/* A part on frames: which pitches sound, and which start, in each frame. */
typedef struct {
    size_t n_frames;
    AcdPitchSet *sound; /* [n_frames] */
    AcdPitchSet *onset; /* [n_frames], a subset of sound */
} AcdFrameRoll;

/* Allocate an empty roll of n_frames and set the notes (in beats) by the
 * rule above; notes past n_frames are cut there. Not RT-safe. */
AcdStatus acd_frames_init(AcdFrameRoll *roll, const AcdSongNote *notes, size_t n, size_t n_frames);
void acd_frames_cleanup(AcdFrameRoll *roll);

/* The measures. Each is a ratio num / den summed over frames (or songs)
 * as defined in metrics.c and README.md ("Judging accompaniment"). */
typedef enum {
    ACD_METRIC_HARMONY_PC = 0,   /* melody pc among the accompaniment's sounding pcs */
    ACD_METRIC_HARMONY_CHORD,    /* melody pc in the chord inferred per beat */
    ACD_METRIC_HARMONY_LABEL,    /* accompaniment pitches in the labelled chord */
    ACD_METRIC_ONSET_F1,         /* onset frames vs the human's, exact */
    ACD_METRIC_ONSET_F1_TOL,     /* the same within +-1 frame, one-to-one */
    ACD_METRIC_ONSET_PC_F1,      /* (frame, pitch class) onsets, exact */
    ACD_METRIC_PC_JS,            /* pitch-class histogram JS divergence vs the human's */
    ACD_METRIC_POLYPHONY,        /* pitches sounding, over sounding frames */
    ACD_METRIC_ONSET_FRAMES_BAR, /* frames with an onset, per bar */
    ACD_METRIC_NOTES_BAR,        /* note onsets per bar */
    ACD_METRIC_SILENCE,          /* melody frames without accompaniment */
    ACD_METRIC_LONG_CHORDS,      /* chords held > 8 beats, per 100 bars */
    ACD_METRIC_CHORD_RUNS,       /* runs of > 4 identical beat chords, per 100 bars */
    ACD_METRIC_BAR_REPEAT,       /* bars whose onsets repeat the bar before */
    ACD_N_METRICS
} AcdMetric;

/* Sums for one system: songs add into it, values are num / den. */
typedef struct {
    double num[ACD_N_METRICS];
    double den[ACD_N_METRICS];
    size_t n_songs;
} AcdMetrics;

/* One song prepared for scoring: melody and human accompaniment on frames,
 * the span scored, its bars, and chord labels per frame when known. */
typedef struct {
    AcdFrameRoll melody;
    AcdFrameRoll human;
    size_t first_frame; /* the span: from the bar line at or before the first */
    size_t end_frame;   /* melody frame to the bar line after the last */
    size_t *bar_start;  /* [n_bars + 1] frame of each bar line in the span, then end_frame */
    size_t n_bars;
    AcdPcSet *label; /* [end_frame] labelled chord per frame (0 = N); NULL without labels */
} AcdMetricsSong;

/* Prepare song (its melody and accomp notes, its grid); labels may be NULL.
 * ACD_ERR_NO_MELODY when the melody has no frame at or after beat 0.
 * Not RT-safe. */
AcdStatus acd_metrics_song_init(AcdMetricsSong *ms, const AcdSong *song,
                                const AcdChordLabels *labels, AcdError *err);
void acd_metrics_song_cleanup(AcdMetricsSong *ms);

/* Score an accompaniment (notes in the song's beats) of song ms and add it
 * to *sum (which starts zeroed). Not RT-safe. */
AcdStatus acd_metrics_score(const AcdMetricsSong *ms, const AcdSongNote *acc, size_t n,
                            AcdMetrics *sum);

/* num / den, or NAN when den is 0 (e.g. the label measure on a song without
 * labels). */
double acd_metrics_value(const AcdMetrics *m, AcdMetric id);

/* Add every sum of from into into. */
void acd_metrics_merge(AcdMetrics *into, const AcdMetrics *from);

/* A short key for CSV columns ("harmony_pc"), and a row title for tables. */
const char *acd_metric_key(AcdMetric id);
const char *acd_metric_title(AcdMetric id);

/* Jensen-Shannon divergence in bits (0..1) of two histograms (any
 * non-negative weights, normalised here). Both empty: 0; one empty: 1. */
double acd_metrics_js(const double p[12], const double q[12]);

/* The chord template matching infers for beat `beat` of acc (weights: frames
 * each pitch sounds, by pitch class; bass: lowest pitch sounding in the
 * beat). */
AcdChord acd_metrics_beat_chord(const AcdFrameRoll *acc, size_t beat);

#ifdef __cplusplus
}
#endif

#endif
