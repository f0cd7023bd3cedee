/* Training checkpoints: weights, Adam moments, step, RNG, data order and loss history in one
 * checked file. */
#ifndef ACCOMPD_TRAIN_CKPT_H
#define ACCOMPD_TRAIN_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/rng.h"
#include "accompd/status.h"

/* One point of the loss curves. valid is NAN where no validation ran. */
typedef struct {
    double step;
    double epoch; /* fractional */
    double train;
    double valid;
    double seconds;
} AcdTrainPoint;

/* Everything needed to continue a run bit-exactly. The saver reads these
 * arrays; the loader allocates them (free with acd_train_ckpt_cleanup). */
typedef struct {
    char *fingerprint; /* "key=value\n" lines of the options that must match on resume */
    int64_t step;      /* Adam updates done (Adam's own step count) */
    int64_t epoch;     /* current epoch, from 0 */
    int64_t pos;       /* batches of this epoch done */
    AcdRng rng;
    double seconds;                      /* training time so far */
    double epoch_loss_sum, epoch_loss_n; /* this epoch's running train loss */
    double best_valid;
    size_t n_params;
    float *params, *m, *v;
    size_t n_perm;
    uint32_t *perm; /* this epoch's window order */
    size_t n_points;
    AcdTrainPoint *points;
} AcdTrainCkpt;

/* Write atomically (a temporary file beside path, then rename). The file
 * ends in a 64-bit FNV-1a hash of everything before it. Not RT-safe. */
AcdStatus acd_train_ckpt_save(const AcdTrainCkpt *ck, const char *path, AcdError *err);

/* Read and check magic, sizes and hash; ck is filled with allocated arrays.
 * Not RT-safe. */
AcdStatus acd_train_ckpt_load(AcdTrainCkpt *ck, const char *path, AcdError *err);

/* Free what acd_train_ckpt_load allocated. */
void acd_train_ckpt_cleanup(AcdTrainCkpt *ck);

/* The first line that differs between two fingerprints, as "key: a vs b"
 * in buf; returns 0 when they are equal. */
int acd_train_ckpt_compare(const char *a, const char *b, char *buf, size_t size);

#endif
