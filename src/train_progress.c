/* Progress display for accomp train. */
#include "train_progress.h"

#include <math.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void acd_train_meter_init(AcdTrainMeter *m, FILE *out, AcdTrainProgress mode)
{
    m->out = out;
    m->quiet = mode == ACD_TRAIN_PROGRESS_QUIET;
    m->bar =
        mode == ACD_TRAIN_PROGRESS_BAR || (mode == ACD_TRAIN_PROGRESS_AUTO && isatty(fileno(out)));
    m->last_draw_s = -1e9;
    m->line_every_s = 30.0;
    m->drawn = false;
}

void acd_train_format_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s >= 3600)
        snprintf(buf, size, "%ldh%02ldm", (long)s / 3600, (long)s / 60 % 60);
    else if (s >= 60)
        snprintf(buf, size, "%ldm%02lds", (long)s / 60, (long)s % 60);
    else
        snprintf(buf, size, "%.0fs", s);
}

static void fmt_loss(double v, char *buf, size_t size)
{
    if (isfinite(v))
        snprintf(buf, size, "%.4f", v);
    else
        snprintf(buf, size, "-");
}

void acd_train_meter_update(AcdTrainMeter *m, const AcdTrainStatus *st, bool force)
{
    if (m->quiet)
        return;
    double t = now_s();
    if (!force && t - m->last_draw_s < (m->bar ? 0.2 : m->line_every_s))
        return;
    m->last_draw_s = t;
    char eta[32], el[32], tl[32], vl[32];
    acd_train_format_duration(st->eta_s, eta, sizeof eta);
    acd_train_format_duration(st->elapsed_s, el, sizeof el);
    fmt_loss(st->train_loss, tl, sizeof tl);
    fmt_loss(st->valid_loss, vl, sizeof vl);
    if (m->bar) {
        enum { WIDTH = 24 };
        char bar[WIDTH + 1];
        double ef = st->per_epoch > 0 ? (double)st->pos / (double)st->per_epoch : 0.0;
        int fill = (int)(ef * WIDTH + 0.5);
        for (int i = 0; i < WIDTH; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[WIDTH] = '\0';
        fprintf(m->out,
                "\r\033[Kepoch %d/%d [%s] %ld/%ld  loss %s  valid %s  %.1fk steps*batch/s  "
                "%s, ETA %s",
                st->epoch, st->epochs, bar, st->pos, st->per_epoch, tl, vl, st->throughput / 1e3,
                el, eta);
        m->drawn = true;
    } else {
        fprintf(m->out,
                "epoch %d/%d batch %ld/%ld (%.0f%%) loss %s valid %s %.0f steps*batch/s elapsed %s "
                "ETA %s\n",
                st->epoch, st->epochs, st->pos, st->per_epoch, 100.0 * st->fraction, tl, vl,
                st->throughput, el, eta);
    }
    fflush(m->out);
}

void acd_train_meter_say(AcdTrainMeter *m, const char *fmt, ...)
{
    if (m->quiet)
        return;
    if (m->drawn) {
        fputs("\r\033[K", m->out);
        m->drawn = false;
        m->last_draw_s = -1e9; /* redraw the bar at the next update */
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(m->out, fmt, ap);
    va_end(ap);
    fputc('\n', m->out);
    fflush(m->out);
}

void acd_train_meter_finish(AcdTrainMeter *m)
{
    if (m->drawn && !m->quiet) {
        fputc('\n', m->out);
        fflush(m->out);
    }
    m->drawn = false;
}
