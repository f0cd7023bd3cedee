/* Training data: songs of a collection reduced to rolls, cut into windows, and batches built from
 * them. */
#ifndef ACCOMPD_TRAIN_DATA_H
#define ACCOMPD_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/dataset.h"
#include "accompd/features.h"
#include "accompd/model.h"
#include "accompd/status.h"

/* One song as training reads it: melody and accompaniment roll bits in the
 * model's ranges and roll kind, and each step's place in beat and bar. */
typedef struct {
    char *name;
    size_t n_steps;
    uint8_t *mel; /* [n_steps][mel_width] */
    uint8_t *acc; /* [n_steps][acc_width] */
    int *step_in_beat;
    int *beat_in_bar;
} AcdTrainSong;

/* A window: song, first step, and the feature state (pitch-class
 * histogram of the song so far) before that step. */
typedef struct {
    uint32_t song;
    uint32_t start;
    uint32_t skip; /* leading steps masked: already covered by the window before (hop = window) */
    AcdFeatureState state;
} AcdTrainWindow;

/* Songs of one split and their windows. */
typedef struct {
    AcdModelConfig cfg;
    int mel_width, acc_width; /* roll bytes per step */
    AcdTrainSong *songs;
    size_t n_songs;
    AcdTrainWindow *windows;
    size_t n_windows;
    size_t n_steps;     /* real steps in all songs */
    size_t n_listed;    /* songs the split lists */
    size_t n_no_melody; /* skipped: no melody notes in range */
    size_t n_failed;    /* skipped: failed to load (first error in first_error) */
    char first_error[512];
} AcdTrainSet;

/* Called after each song with the number done and listed, for progress. */
typedef void (*AcdTrainLoadFn)(void *user, size_t done, size_t total);

/* Load split `split` of the collection at path (see dataset.h), at most
 * max_songs songs (0: all), with windows of cfg->window steps every hop
 * steps (the last one aligned to the song's end; a song shorter than a
 * window is one padded window). With hop = window every step counts once:
 * the end-aligned window masks the steps its predecessor covered. Songs that fail to load or have
 * no melody are skipped and counted. ACD_ERR_EMPTY when no song is usable, with a message saying
 * why. Not RT-safe. */
AcdStatus acd_train_set_load(AcdTrainSet *set, const char *path, AcdCollection kind, AcdSplit split,
                             const AcdModelConfig *cfg, int hop, size_t max_songs,
                             AcdTrainLoadFn progress, void *user, AcdError *err);

void acd_train_set_cleanup(AcdTrainSet *set);

/* Fill one batch row (cfg->window steps): x [T][n_in], y [T][n_out],
 * y_prev [T][n_out] (teacher forcing: y of the step before, the real one
 * before the window's first step, zeros at a song's start) and mask [T]
 * (0 past a short song's end), from window w transposed by `transpose`
 * semitones. Transposed pitches that leave a roll's range are folded back
 * by octaves (pitch classes, and so the histogram, stay exact); where two
 * pitches land on one, an onset wins over a hold. RT-safe (no allocation). */
void acd_train_set_fill(const AcdTrainSet *set, size_t w, int transpose, float *x, float *y,
                        float *y_prev, float *mask);

#endif
