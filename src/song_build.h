/* Building an AcdSong piece by piece; shared by the loaders in song*.c. Internal. */
#ifndef ACCOMPD_SONG_BUILD_H
#define ACCOMPD_SONG_BUILD_H

#include "accompd/song.h"

/* An empty song named name (path may be NULL); grid empty, split train. */
AcdStatus acd_song_new(const char *name, const char *path, AcdSong **out, AcdError *err);

/* Append notes of one MIDI track with a role, timed by mf's tempo map and
 * placed on song->grid (which must be set). Notes on channel 10 go to the
 * drums whatever the role; ACD_ROLE_IGNORE drops the others. */
AcdStatus acd_song_add_midi_notes(AcdSong *song, const AcdMidiFile *mf, const AcdNote *notes,
                                  size_t n, AcdRole role, AcdError *err);

/* Append one note to a role's list (beats and seconds already set). */
AcdStatus acd_song_add_note(AcdSong *song, AcdRole role, const AcdSongNote *note, AcdError *err);

/* Record how a track or file was assigned. */
AcdStatus acd_song_add_part(AcdSong *song, const char *name, const AcdTrackRole *role,
                            AcdError *err);

/* Sort every note list by start, then pitch. */
void acd_song_sort(AcdSong *song);

/* Key from a MIDI key signature. */
void acd_song_set_keysig(AcdSong *song, int sharps, int minor);

/* Notes of every track of mf: *notes[i] / (*counts)[i]; freed with
 * acd_song_free_track_notes. */
AcdStatus acd_song_track_notes(const AcdMidiFile *mf, AcdNote ***notes, size_t **counts,
                               AcdError *err);
void acd_song_free_track_notes(AcdNote **notes, size_t *counts, size_t n_tracks);

/* Record every track of mf as a part and add its notes with its role
 * (roles[i] for track i). */
AcdStatus acd_song_add_tracks(AcdSong *song, const AcdMidiFile *mf, AcdNote *const *notes,
                             const size_t *counts, const AcdTrackRole *roles, AcdError *err);

/* A song from mf's tracks with the given roles, on mf's own beat grid (tempo
 * map and time signatures); the key from its first key signature. */
AcdStatus acd_song_build_midi(const AcdMidiFile *mf, AcdNote *const *notes, const size_t *counts,
                              const AcdTrackRole *roles, AcdSong **out, AcdError *err);

/* The last note end over all tracks, in ticks. */
uint64_t acd_song_last_tick(AcdNote *const *notes, const size_t *counts, size_t n_tracks);

#endif
