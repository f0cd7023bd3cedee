/* accomp eval's output: the terminal table (measures by systems) and the CSV file. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "eval_report.h"

#define TITLE_WIDTH 36

static int column_width(const AcdEvalColumn *c)
{
    int w = (int)strlen(c->name) + 2;
    return w < 11 ? 11 : w;
}

void acd_eval_print_table(FILE *out, const AcdEvalColumn *cols, size_t n)
{
    fprintf(out, "%-*s", TITLE_WIDTH, "measure");
    for (size_t k = 0; k < n; k++)
        fprintf(out, "%*s", column_width(&cols[k]), cols[k].name);
    fprintf(out, "\n%-*s", TITLE_WIDTH, "songs");
    for (size_t k = 0; k < n; k++)
        fprintf(out, "%*zu", column_width(&cols[k]), cols[k].metrics->n_songs);
    fputc('\n', out);
    for (int id = 0; id < ACD_N_METRICS; id++) {
        fprintf(out, "%-*s", TITLE_WIDTH, acd_metric_title((AcdMetric)id));
        for (size_t k = 0; k < n; k++) {
            double v = acd_metrics_value(cols[k].metrics, (AcdMetric)id);
            if (isnan(v))
                fprintf(out, "%*s", column_width(&cols[k]), "-");
            else
                fprintf(out, "%*.3f", column_width(&cols[k]), v);
        }
        fputc('\n', out);
    }
}

/* Column names come from file names: quote them when CSV needs it. */
static void put_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

AcdStatus acd_eval_write_csv(const char *path, const AcdEvalColumn *cols, size_t n, AcdError *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    fputs("measure", f);
    for (size_t k = 0; k < n; k++) {
        fputc(',', f);
        put_cell(f, cols[k].name);
    }
    fputs("\nsongs", f);
    for (size_t k = 0; k < n; k++)
        fprintf(f, ",%zu", cols[k].metrics->n_songs);
    fputc('\n', f);
    for (int id = 0; id < ACD_N_METRICS; id++) {
        fputs(acd_metric_key((AcdMetric)id), f);
        for (size_t k = 0; k < n; k++) {
            double v = acd_metrics_value(cols[k].metrics, (AcdMetric)id);
            if (isnan(v))
                fputc(',', f);
            else
                fprintf(f, ",%.6f", v);
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return acd_error_set(err, ACD_ERR_IO, "%s: write failed", path);
    return ACD_OK;
}
