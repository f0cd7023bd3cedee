/* The trainer's progress display: a redrawn bar with ETA on a terminal, plain lines elsewhere. */
#ifndef ACCOMPD_TRAIN_PROGRESS_H
#define ACCOMPD_TRAIN_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "accompd/train.h"

/* What the display shows. */
typedef struct {
    int epoch, epochs;   /* current epoch from 1 */
    long pos, per_epoch; /* batches done in this epoch, of */
    double fraction;     /* of the whole run, 0..1 (epochs or time, whichever ends first) */
    double eta_s;        /* seconds left; NAN when unknown */
    double elapsed_s;
    double train_loss; /* running mean of this epoch; NAN before the first batch */
    double valid_loss; /* NAN before the first validation */
    double throughput; /* time steps × windows per second, recent */
} AcdTrainStatus;

typedef struct {
    FILE *out;
    bool bar; /* redraw one line with \r */
    bool quiet;
    double last_draw_s;
    double line_every_s;
    bool drawn; /* a bar is on screen and needs clearing before a message */
} AcdTrainMeter;

/* mode AUTO picks the bar when out is a terminal (isatty). */
void acd_train_meter_init(AcdTrainMeter *m, FILE *out, AcdTrainProgress mode);

/* Show st if enough time has passed since the last drawing (0.2 s for the
 * bar, 30 s for lines), or always when force. */
void acd_train_meter_update(AcdTrainMeter *m, const AcdTrainStatus *st, bool force);

/* A message on its own line, clearing the bar first. */
void acd_train_meter_say(AcdTrainMeter *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* End the bar's line. */
void acd_train_meter_finish(AcdTrainMeter *m);

/* "1h02m", "3m05s", "12s" into buf. */
void acd_train_format_duration(double seconds, char *buf, size_t size);

#endif
