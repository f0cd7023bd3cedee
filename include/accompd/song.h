/* A song for training and evaluation: melody, accompaniment and drum notes on a beat grid. */
#ifndef ACCOMPD_SONG_H
#define ACCOMPD_SONG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/beatgrid.h"
#include "accompd/midifile.h"
#include "accompd/roles.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A note in seconds and in beats of the song's grid (beats are fractional;
 * the roll quantizes them). */
typedef struct {
    double start_sec;
    double end_sec;
    double start_beat;
    double end_beat;
    uint8_t pitch;
    uint8_t velocity;
    uint8_t channel;
    uint16_t track;
} AcdSongNote;

typedef enum {
    ACD_SPLIT_TRAIN = 0,
    ACD_SPLIT_VALID,
    ACD_SPLIT_TEST,
    ACD_SPLIT_ANY, /* for iterators: every song */
} AcdSplit;

/* The role decision for one source track (or one file of a pair, or one
 * voice of a chorale). */
typedef struct {
    char name[64]; /* track name or voice, truncated */
    AcdTrackRole role;
} AcdSongPart;

typedef struct {
    char *name;          /* "001", "ashover10", "jsb/train/12", a file name */
    char *path;          /* the main source file */
    AcdSongNote *melody; /* each list sorted by start, then pitch */
    size_t n_melody;
    AcdSongNote *accomp;
    size_t n_accomp;
    AcdSongNote *drums;
    size_t n_drums;
    AcdBeatGrid grid;
    bool has_key;  /* first key of the song, from a key signature or key_audio.txt */
    int key_tonic; /* pitch class 0..11 */
    bool key_minor;
    AcdSongPart *parts; /* how the notes were assigned, with reasons */
    size_t n_parts;
    AcdSplit split;
} AcdSong;

/* Free a song; accepts NULL and partly built songs. */
void acd_song_free(AcdSong *song);

/* The name of a split ("train", "valid", "test", "any"), and its parser. */
const char *acd_split_name(AcdSplit split);
AcdStatus acd_split_parse(const char *text, AcdSplit *split);

/* A song from a parsed MIDI file, roles by acd_roles_detect, grid from its
 * tempo map and time signatures. Split is ACD_SPLIT_TRAIN. Not RT-safe. */
AcdStatus acd_song_from_midifile(const AcdMidiFile *mf, AcdSong **out, AcdError *err);

/* Read a MIDI file and build its song (acd_song_from_midifile). */
AcdStatus acd_song_load_midi(const char *path, AcdSong **out, AcdError *err);

/* POP909 song folder (".../POP909/001"): NNN.mid (MELODY = melody; PIANO and
 * BRIDGE = accompaniment, see roles.c), beats from beat_midi.txt with bar
 * lines from index.csv's num_beats_per_measure (beats_per_measure 0: look it
 * up in the folder's parent index.csv), key from key_audio.txt when present.
 * Melody notes that overlap the next melody onset are cut there. */
AcdStatus acd_song_load_pop909(const char *song_dir, int beats_per_measure, AcdSong **out,
                               AcdError *err);

/* Nottingham pair: the whole melody file is melody, the whole chords file
 * accompaniment; the grid comes from the melody file (120 BPM when it has no
 * tempo, bars from tick 0 since the first bar is padded). */
AcdStatus acd_song_load_pair(const char *melody_path, const char *chords_path, AcdSong **out,
                             AcdError *err);

/* Build a song from notes already in beats on a steady grid (JSB chorales):
 * the song takes ownership of nothing; notes are copied and their seconds
 * filled from the grid. Used by the dataset's JSB reader and by tests. */
AcdStatus acd_song_from_beats(const char *name, const AcdSongNote *melody, size_t n_melody,
                              const AcdSongNote *accomp, size_t n_accomp, double sec_per_beat,
                              int beats_per_bar, AcdSong **out, AcdError *err);

/* Cut every note of a monophonic line that overlaps the next onset at that
 * onset (notes sorted by start). Notes left with no length are dropped. */
void acd_song_cut_overlaps(AcdSongNote *notes, size_t *n);

/* Look up a POP909 song's num_beats_per_measure in index.csv. */
AcdStatus acd_song_pop909_meter(const char *index_csv, const char *song_id, int *beats,
                                AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
