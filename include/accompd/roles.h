/* Track roles: which tracks of a MIDI file are melody, accompaniment, drums. */
#ifndef ACCOMPD_ROLES_H
#define ACCOMPD_ROLES_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/midifile.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ACD_ROLE_IGNORE = 0, /* no notes, or nothing we can use */
    ACD_ROLE_MELODY,
    ACD_ROLE_ACCOMP,
    ACD_ROLE_DRUMS,
} AcdRole;

/* Statistics of one track's notes. Drum-channel notes (channel 10) are
 * counted in n_drum_notes only; the pitch figures cover the other notes. */
typedef struct {
    size_t n_notes;      /* non-drum notes */
    size_t n_drum_notes; /* notes on channel 10 */
    uint16_t channels;   /* bit c set: the track has a note on channel c (0-based) */
    uint8_t pitch_lo;    /* 0 when n_notes is 0 */
    uint8_t pitch_hi;
    double mean_pitch;
    double mono_frac; /* share of notes that start while no other note sounds */
} AcdTrackStats;

typedef struct {
    AcdRole role;
    AcdTrackStats stats;
    char reason[160]; /* human-readable: "name 'MELODY'", "highest mean pitch 72.1, 96% monophonic"
                       */
} AcdTrackRole;

/* A melody track chosen by statistics must be at least this monophonic;
 * when no track is, the weaker bound applies (double stops in folk tunes). */
#define ACD_ROLES_MONO_MIN  0.8
#define ACD_ROLES_MONO_WEAK 0.5

/* The name of a role: "melody", "accompaniment", "drums", "ignore". */
const char *acd_role_name(AcdRole role);

/* Statistics of n notes of one track; ticks_per_beat sets the overlap
 * tolerance (a 32nd note) below which two notes do not count as overlapping. */
void acd_roles_track_stats(const AcdNote *notes, size_t n, int ticks_per_beat,
                           AcdTrackStats *stats);

/* Decide the role of every track of mf. notes[i] and n_notes[i] are track
 * i's notes (acd_midifile_track_notes); roles has mf->n_tracks entries.
 * Order of evidence: drum channel, then track names, then pitch statistics.
 * Notes on channel 10 inside a non-drum track are drums whatever the
 * track's role (the song loader routes them). Not RT-safe. */
void acd_roles_detect(const AcdMidiFile *mf, AcdNote *const *notes, const size_t *n_notes,
                      AcdTrackRole *roles);

#ifdef __cplusplus
}
#endif

#endif
