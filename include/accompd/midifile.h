/* Standard MIDI Files: reading (formats 0 and 1), writing (format 1), notes and the tempo map. */
#ifndef ACCOMPD_MIDIFILE_H
#define ACCOMPD_MIDIFILE_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits that keep untrusted files from costing unbounded time or memory.
 * A file past any of them is refused with ACD_ERR_LIMIT. */
#define ACD_MIDI_MAX_FILE_BYTES (64u << 20) /* 64 MiB */
#define ACD_MIDI_MAX_TRACKS     256u
#define ACD_MIDI_MAX_TICK       ((uint64_t)1 << 40) /* absolute tick of any event */

/* One channel voice message at an absolute tick. Note-on with velocity 0 is
 * stored as note-off (status 0x80 | channel, velocity 0). Running status is
 * resolved: status always holds the full status byte (0x80..0xEF). */
typedef struct {
    uint64_t tick;
    uint8_t status; /* 0x80..0xEF: kind in the high nibble, channel in the low */
    uint8_t data1;
    uint8_t data2; /* 0 for program change and channel pressure */
} AcdMidiEvent;

/* Tempo change (meta 0x51). */
typedef struct {
    uint64_t tick;
    uint32_t us_per_beat;
} AcdTempo;

/* Time signature (meta 0x58): num / den, den a power of two. */
typedef struct {
    uint64_t tick;
    uint8_t num;
    uint8_t den;
} AcdTimeSig;

/* Key signature (meta 0x59): sharps (negative: flats), minor 0 or 1. */
typedef struct {
    uint64_t tick;
    int8_t sharps;
    uint8_t minor;
} AcdKeySig;

typedef struct {
    char *name;           /* track name (meta 0x03), NUL-terminated; "" if none */
    AcdMidiEvent *events; /* channel voice messages in file order (ticks non-decreasing) */
    size_t n_events;
    uint64_t end_tick; /* tick of End of Track, or of the last event */
} AcdMidiTrack;

/* A parsed file. Tempo, time and key signatures from every track are merged
 * into the global lists, sorted by tick (stable: later tracks after earlier
 * ones at the same tick). */
typedef struct {
    char *path;         /* as given to the reader; NULL for files built in memory */
    int format;         /* 0 or 1 */
    int ticks_per_beat; /* > 0; SMPTE division is refused */
    AcdMidiTrack *tracks;
    size_t n_tracks;
    AcdTempo *tempos; /* may be empty: 120 BPM until the first tempo event */
    size_t n_tempos;
    AcdTimeSig *timesigs; /* may be empty: 4/4 */
    size_t n_timesigs;
    AcdKeySig *keysigs;
    size_t n_keysigs;
} AcdMidiFile;

/* Read a file. On failure *out is NULL and err says which file, which byte
 * offset and what was expected. The caller frees *out. Not RT-safe. */
AcdStatus acd_midifile_read(const char *path, AcdMidiFile **out, AcdError *err);

/* Parse len bytes (the fuzz target's entry point). name is used in messages
 * and stored as path. Not RT-safe. */
AcdStatus acd_midifile_parse(const uint8_t *buf, size_t len, const char *name, AcdMidiFile **out,
                             AcdError *err);

/* Write mf as format 1: a first track with the tempo map, time and key
 * signatures, then one track per mf->tracks (name and events). A format-0
 * file is written as format 1 with its single track. Reading it back thus
 * gives mf->n_tracks + 1 tracks, the first without events; at most
 * ACD_MIDI_MAX_TRACKS - 1 tracks can be written (ACD_ERR_LIMIT). Events
 * keep their order; running status is used between channel events, and a
 * delta too large for 4 bytes is bridged with empty text events. Not RT-safe. */
AcdStatus acd_midifile_write(const AcdMidiFile *mf, const char *path, AcdError *err);

/* Serialise to memory (what acd_midifile_write writes). *buf is malloc'd. */
AcdStatus acd_midifile_serialize(const AcdMidiFile *mf, uint8_t **buf, size_t *len, AcdError *err);

/* An empty format-1 file to build in memory. NULL on allocation failure. */
AcdMidiFile *acd_midifile_new(int ticks_per_beat);

/* Append an empty track named name; *index receives its index. */
AcdStatus acd_midifile_add_track(AcdMidiFile *mf, const char *name, size_t *index);

/* Append an event to a track; events must be added in non-decreasing tick order. */
AcdStatus acd_midifile_add_event(AcdMidiFile *mf, size_t track, AcdMidiEvent ev);

/* Append a tempo, time or key signature; in non-decreasing tick order. */
AcdStatus acd_midifile_add_tempo(AcdMidiFile *mf, AcdTempo t);
AcdStatus acd_midifile_add_timesig(AcdMidiFile *mf, AcdTimeSig ts);
AcdStatus acd_midifile_add_keysig(AcdMidiFile *mf, AcdKeySig ks);

/* Free a file; accepts NULL. */
void acd_midifile_free(AcdMidiFile *mf);

/* A note: a note-on paired with its note-off (first-in first-out per channel
 * and pitch, as most sequencers do). A note-on with no note-off ends at its
 * track's end_tick. Zero-length notes are kept (end == start). */
typedef struct {
    uint64_t start_tick;
    uint64_t end_tick;
    uint8_t pitch;
    uint8_t velocity;
    uint8_t channel; /* 0..15 */
    uint16_t track;
} AcdNote;

/* The notes of one track, sorted by start tick then pitch. *notes is
 * malloc'd (NULL when *n is 0) and owned by the caller. */
AcdStatus acd_midifile_track_notes(const AcdMidiFile *mf, size_t track, AcdNote **notes, size_t *n);

/* Tempo map: seconds at a tick, and the tick at a time in seconds (inverse,
 * rounded to the nearest tick). */
double acd_midifile_tick_to_sec(const AcdMidiFile *mf, uint64_t tick);
uint64_t acd_midifile_sec_to_tick(const AcdMidiFile *mf, double sec);

#ifdef __cplusplus
}
#endif

#endif
