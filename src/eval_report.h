/* accomp eval's output: the terminal table and the CSV file. Internal to the CLI. */
#ifndef ACCOMPD_EVAL_REPORT_H
#define ACCOMPD_EVAL_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "accompd/metrics.h"
#include "accompd/status.h"

/* One column of the table: a system and its summed measures. */
typedef struct {
    const char *name;
    const AcdMetrics *metrics;
    size_t n_missing; /* songs it could not accompany */
} AcdEvalColumn;

/* Rows = measures (plus "songs"), columns = systems; "-" where a measure
 * has no data (e.g. no chord labels). */
void acd_eval_print_table(FILE *out, const AcdEvalColumn *cols, size_t n);

/* The same table as CSV: a header "measure,NAME,...", then a "songs" row
 * and one row per measure keyed by acd_metric_key(); empty cells for no
 * data. Errors name the file. */
AcdStatus acd_eval_write_csv(const char *path, const AcdEvalColumn *cols, size_t n, AcdError *err);

#endif
