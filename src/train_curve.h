/* Loss curves of a training run: a CSV table and a hand-drawn SVG picture. */
#ifndef ACCOMPD_TRAIN_CURVE_H
#define ACCOMPD_TRAIN_CURVE_H

#include <stddef.h>

#include "accompd/status.h"
#include "train_ckpt.h"

/* Columns step,epoch,train_loss,valid_loss,seconds; an empty valid_loss
 * where no validation ran. Not RT-safe. */
AcdStatus acd_train_curve_csv(const AcdTrainPoint *pts, size_t n, const char *path, AcdError *err);

/* Train and valid loss against epochs: axes with ticks and labels, a
 * legend, the title. Not RT-safe. */
AcdStatus acd_train_curve_svg(const AcdTrainPoint *pts, size_t n, const char *title,
                              const char *path, AcdError *err);

#endif
