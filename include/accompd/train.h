/* accomp train: training the encoder-decoder on a song collection, with checkpoints and loss
 * curves. */
#ifndef ACCOMPD_TRAIN_H
#define ACCOMPD_TRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/dataset.h"
#include "accompd/model.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How progress is shown. */
typedef enum {
    ACD_TRAIN_PROGRESS_AUTO = 0, /* a redrawn bar on a terminal, plain lines otherwise */
    ACD_TRAIN_PROGRESS_BAR,
    ACD_TRAIN_PROGRESS_LINES,
    ACD_TRAIN_PROGRESS_QUIET,
} AcdTrainProgress;

/* Everything a run needs. acd_train_options_default() fills the defaults
 * documented in README.md ("Training: accomp train"). */
typedef struct {
    AcdModelConfig model; /* sizes, roll kind, features, ranges, window */
    const char *data;     /* collection folder or JSB CSV */
    AcdCollection collection;
    const char *out;        /* the model file (safetensors) */
    const char *checkpoint; /* NULL: out + ".ckpt" */
    const char *curves; /* prefix of the .csv and .svg curves; NULL: out without ".safetensors" */
    int train_hop;      /* steps between training windows */
    int batch;
    int epochs;         /* passes over the training windows */
    double max_minutes; /* stop (with a checkpoint) after this long; 0: no limit */
    float lr;
    float clip;       /* max global gradient norm; 0: off */
    float pos_weight; /* weight of positive targets; 1: plain BCE */
    int transpose;    /* augmentation: uniform shift in [-transpose, transpose] */
    uint64_t seed;
    int threads;
    double checkpoint_minutes; /* between checkpoints; 0: only at the end and on SIGINT */
    size_t max_songs;          /* per split; 0: all (for quick runs and tests) */
    long stop_after_steps;     /* tests: act as if interrupted after this many updates; 0: off */
    bool resume;               /* continue from the checkpoint */
    AcdTrainProgress progress;
} AcdTrainOptions;

void acd_train_options_default(AcdTrainOptions *opt);

/* What a run achieved. */
typedef struct {
    long steps;              /* Adam updates done (over the whole run, resumes included) */
    int epochs_done;         /* whole epochs */
    double train_loss;       /* mean over the last epoch (or the part of it run) */
    double valid_loss;       /* at the last validation; NAN when there was none */
    double first_valid_loss; /* at the first validation of the run, before any update when
                                starting fresh */
    bool interrupted;        /* stopped by *stop or stop_after_steps; a checkpoint was saved */
} AcdTrainResult;

/* Train. *stop (may be NULL) is polled between updates: a SIGINT handler
 * sets it, and the run saves a checkpoint and the model and returns ACD_OK
 * with result->interrupted. Errors (empty folder, no usable melody, a
 * checkpoint that does not match the options) are reported in err. Prints
 * progress to stderr. Not RT-safe. */
AcdStatus acd_train_run(const AcdTrainOptions *opt, volatile sig_atomic_t *stop,
                        AcdTrainResult *result, AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
