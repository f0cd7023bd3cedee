/* Note tracker: which notes accompd has sounding, so every note-on gets its note-off. */
#ifndef ACCOMPD_NOTES_H
#define ACCOMPD_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caller-owned, fixed size (about 2 KiB), no allocation: it lives inside the
 * engine and inside test recorders. A note is either sounding or not; a
 * second note-on for a sounding note does not stack (most synths re-strike
 * the same voice), so one note-off ends it. */
typedef struct {
    uint8_t on[16][128]; /* 1 while channel/pitch sounds */
    uint16_t n_on;       /* notes sounding, all channels */
    uint16_t used;       /* bit c: channel c has had a note-on since init */
} AcdNotes;

/* Start with nothing sounding. RT-safe. */
void acd_notes_init(AcdNotes *notes);

/* Follow one outgoing MIDI message: note-on marks the note, note-off (or
 * note-on with velocity 0) clears it, CC123 (all notes off) and CC120 (all
 * sound off) clear the channel. Other messages are ignored. RT-safe. */
void acd_notes_track(AcdNotes *notes, const uint8_t *msg, unsigned len);

/* 1 if channel/pitch is sounding. RT-safe. */
int acd_notes_is_on(const AcdNotes *notes, unsigned channel, unsigned pitch);

/* Notes sounding on all channels. RT-safe. */
unsigned acd_notes_count(const AcdNotes *notes);

/* Number of events acd_notes_release_all would write for `channels`. RT-safe. */
size_t acd_notes_release_count(const AcdNotes *notes, uint16_t channels);

/* Write a note-off (velocity 0x40) for every sounding note, then CC123 on
 * every channel in the bit mask `channels` (bit c = MIDI channel c+1), all
 * at `time` and flagged ACD_EVENT_RELEASE, and mark everything silent.
 * Writes at most `cap` events: with cap < acd_notes_release_count() the
 * notes it could not write stay tracked, so a later call can finish.
 * Returns the number written. RT-safe. */
size_t acd_notes_release_all(AcdNotes *notes, uint16_t channels, int64_t time, AcdEvent *out,
                             size_t cap);

#ifdef __cplusplus
}
#endif

#endif
