/* Song collections on disk (POP909, Nottingham, JSB chorales, MIDI folders) and their splits. */
#ifndef ACCOMPD_DATASET_H
#define ACCOMPD_DATASET_H

#include <stddef.h>

#include "accompd/song.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ACD_COLLECTION_AUTO = 0,   /* detect from the folder's layout */
    ACD_COLLECTION_POP909,     /* a folder holding POP909/index.csv (or index.csv) and splits.csv */
    ACD_COLLECTION_NOTTINGHAM, /* a folder holding MIDI/melody, MIDI/chords and splits.csv */
    ACD_COLLECTION_JSB,        /* the SATB CSV, or a folder holding jsb16th_satb.csv */
    ACD_COLLECTION_MIDI,       /* any folder of .mid files, searched recursively */
} AcdCollection;

/* Share of a plain MIDI folder put in the valid split by file-name hash. */
#define ACD_DATASET_VALID_PERCENT 10

typedef struct AcdDataset AcdDataset;

/* The name of a collection ("pop909", ...) and its parser ("auto" too). */
const char *acd_collection_name(AcdCollection kind);
AcdStatus acd_collection_parse(const char *text, AcdCollection *kind);

/* List the songs of one split of a collection (nothing is loaded yet beyond
 * the split tables; JSB's CSV is parsed here). Errors name the file and line.
 * Not RT-safe. */
AcdStatus acd_dataset_open(const char *path, AcdCollection kind, AcdSplit split, AcdDataset **out,
                           AcdError *err);

/* Free a dataset; accepts NULL. */
void acd_dataset_free(AcdDataset *ds);

AcdCollection acd_dataset_kind(const AcdDataset *ds);
size_t acd_dataset_count(const AcdDataset *ds);

/* Name of song i (e.g. "001", "ashover10", "train/12", a relative path). */
const char *acd_dataset_name(const AcdDataset *ds, size_t i);

/* Load song i. Independent of the iterator, and safe to call from several
 * threads at once on one dataset. */
AcdStatus acd_dataset_load(const AcdDataset *ds, size_t i, AcdSong **out, AcdError *err);

/* The iterator: the next song, in a fixed order; ACD_ERR_EMPTY after the
 * last. A song that fails to load returns its error (naming the file) and the
 * iterator moves on, so callers may report it and continue. */
AcdStatus acd_dataset_next(AcdDataset *ds, AcdSong **out, AcdError *err);

/* Start the iterator again. */
void acd_dataset_rewind(AcdDataset *ds);

/* The split of a file name in a plain MIDI folder: FNV-1a 32 of the name,
 * valid when hash % 100 < ACD_DATASET_VALID_PERCENT. Deterministic. */
AcdSplit acd_dataset_hash_split(const char *name);

#ifdef __cplusplus
}
#endif

#endif
