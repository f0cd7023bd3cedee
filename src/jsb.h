/* The JSB chorales SATB CSV (one tuple of pitches per 16th note). Internal to the dataset. */
#ifndef ACCOMPD_JSB_H
#define ACCOMPD_JSB_H

#include <stddef.h>

#include "accompd/song.h"

/* One chorale: soprano notes and the lower voices' notes, in beats (4 rows
 * per beat). Consecutive rows with the same pitch in a voice are one note:
 * the CSV cannot tell a held note from a repeated one. */
typedef struct {
    char name[48]; /* "train/12" */
    AcdSplit split;
    AcdSongNote *melody;
    size_t n_melody;
    AcdSongNote *accomp;
    size_t n_accomp;
} AcdJsbPiece;

/* Read the chorales of one split (ACD_SPLIT_ANY: all) from path. The CSV's
 * header must be split,piece,step16th,soprano,alto,tenor,bass; -1 is a rest.
 * Errors name the file and line. */
AcdStatus acd_jsb_read(const char *path, AcdSplit split, AcdJsbPiece **pieces, size_t *n,
                       AcdError *err);
void acd_jsb_free(AcdJsbPiece *pieces, size_t n);

/* Tempo given to the chorales, which have none: 0.5 s per beat, 4/4. */
#define ACD_JSB_SEC_PER_BEAT  0.5
#define ACD_JSB_BEATS_PER_BAR 4

#endif
