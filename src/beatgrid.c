/* The beat grid: beat times from a tempo map or a beat list, bar positions, interpolation. */
#include "accompd/beatgrid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static AcdStatus grid_alloc(AcdBeatGrid *grid, size_t n, AcdError *err)
{
    memset(grid, 0, sizeof *grid);
    if (n == 0)
        return acd_error_set(err, ACD_ERR_INVALID, "beat grid: no beats");
    if (n > ACD_BEATGRID_MAX_BEATS)
        return acd_error_set(err, ACD_ERR_LIMIT, "beat grid: %zu beats exceeds the limit of %u", n,
                             ACD_BEATGRID_MAX_BEATS);
    grid->sec = malloc(n * sizeof *grid->sec);
    grid->beat_in_bar = calloc(n, 1);
    if (!grid->sec || !grid->beat_in_bar) {
        acd_beatgrid_cleanup(grid);
        return acd_error_set(err, ACD_ERR_NOMEM, "beat grid: out of memory");
    }
    grid->n_beats = n;
    return ACD_OK;
}

void acd_beatgrid_cleanup(AcdBeatGrid *grid)
{
    if (!grid)
        return;
    free(grid->sec);
    free(grid->beat_in_bar);
    memset(grid, 0, sizeof *grid);
}

/* beat_in_bar is a uint8_t: bars longer than this wrap, which only absurd
 * meters reach (the model clips positions at beats_per_bar_max anyway). */
static uint8_t clip_pos(long long pos)
{
    return pos > 255 ? 255 : (uint8_t)pos;
}

AcdStatus acd_beatgrid_init_midi(AcdBeatGrid *grid, const AcdMidiFile *mf, uint64_t end_tick,
                                 AcdError *err)
{
    uint64_t tpb = (uint64_t)mf->ticks_per_beat;
    uint64_t n = end_tick / tpb + 2;
    if (n > ACD_BEATGRID_MAX_BEATS)
        return acd_error_set(
            err, ACD_ERR_LIMIT, "beat grid: last tick %llu is %llu beats, over the limit of %u",
            (unsigned long long)end_tick, (unsigned long long)n, ACD_BEATGRID_MAX_BEATS);
    AcdStatus st = grid_alloc(grid, (size_t)n, err);
    if (st != ACD_OK)
        return st;
    /* Walk the beats and the time signatures together: a signature resets
     * the bar count at its tick (rounded down to its beat). */
    size_t ts = 0;
    uint64_t bar_ticks = 4 * tpb, bar_start = 0;
    int common = 4;
    for (uint64_t b = 0; b < n; b++) {
        uint64_t tick = b * tpb;
        while (ts < mf->n_timesigs && mf->timesigs[ts].tick <= tick) {
            const AcdTimeSig *t = &mf->timesigs[ts++];
            unsigned den = t->den ? t->den : 4;
            bar_ticks = (uint64_t)t->num * 4 * tpb / den;
            if (bar_ticks == 0)
                bar_ticks = tpb;
            bar_start = t->tick / tpb * tpb;
            if (b == 0 || ts == 1)
                common = (int)((bar_ticks + tpb - 1) / tpb);
        }
        grid->sec[b] = acd_midifile_tick_to_sec(mf, tick);
        grid->beat_in_bar[b] = clip_pos((long long)((tick - bar_start) % bar_ticks / tpb));
    }
    grid->beats_per_bar = common > 0 ? common : 4;
    return ACD_OK;
}

AcdStatus acd_beatgrid_init_times(AcdBeatGrid *grid, const double *sec, const uint8_t *bar_line,
                                  size_t n, int beats_per_bar, AcdError *err)
{
    if (beats_per_bar < 1 || beats_per_bar > 255)
        return acd_error_set(err, ACD_ERR_INVALID, "beat grid: %d beats per bar", beats_per_bar);
    for (size_t i = 1; i < n; i++)
        if (!(sec[i] > sec[i - 1]))
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "beat grid: beat %zu at %.6f s is not after beat %zu at %.6f s", i,
                                 sec[i], i - 1, sec[i - 1]);
    AcdStatus st = grid_alloc(grid, n, err);
    if (st != ACD_OK)
        return st;
    memcpy(grid->sec, sec, n * sizeof *sec);
    grid->beats_per_bar = beats_per_bar;
    size_t first_bar = 0;
    if (bar_line) {
        while (first_bar < n && !bar_line[first_bar])
            first_bar++;
        if (first_bar == n)
            first_bar = 0, bar_line = NULL;
    }
    /* The nominal bar length is the most common distance between bar lines. */
    if (bar_line) {
        size_t votes[256] = {0}, last = first_bar;
        for (size_t i = first_bar + 1; i < n; i++)
            if (bar_line[i]) {
                if (i - last < 256)
                    votes[i - last]++;
                last = i;
            }
        size_t best = 0;
        for (size_t k = 1; k < 256; k++)
            if (votes[k] > votes[best])
                best = k;
        if (best > 0)
            grid->beats_per_bar = (int)best;
    }
    long long pos = 0;
    for (size_t i = first_bar; i < n; i++) {
        if (bar_line ? bar_line[i] != 0 : (i - first_bar) % (size_t)beats_per_bar == 0)
            pos = 0;
        grid->beat_in_bar[i] = clip_pos(pos++);
    }
    /* Pickup beats before the first bar line count back from it, as if the
     * previous bar had the nominal length. */
    int bpb = grid->beats_per_bar;
    for (size_t i = 0; i < first_bar; i++) {
        long long back = (long long)(first_bar - i);
        grid->beat_in_bar[i] = clip_pos(((bpb - back) % bpb + bpb) % bpb);
    }
    return ACD_OK;
}

AcdStatus acd_beatgrid_init_steady(AcdBeatGrid *grid, double t0, double sec_per_beat, size_t n,
                                   int beats_per_bar, AcdError *err)
{
    if (!(sec_per_beat > 0) || beats_per_bar < 1 || beats_per_bar > 255)
        return acd_error_set(err, ACD_ERR_INVALID, "beat grid: bad steady grid");
    AcdStatus st = grid_alloc(grid, n, err);
    if (st != ACD_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        grid->sec[i] = t0 + (double)i * sec_per_beat;
        grid->beat_in_bar[i] = (uint8_t)(i % (size_t)beats_per_bar);
    }
    grid->beats_per_bar = beats_per_bar;
    return ACD_OK;
}

/* Length of the first and last beats, for extrapolation; 0.5 s (120 BPM)
 * for a one-beat grid. */
static double edge_len(const AcdBeatGrid *g, int last)
{
    if (g->n_beats < 2)
        return 0.5;
    return last ? g->sec[g->n_beats - 1] - g->sec[g->n_beats - 2] : g->sec[1] - g->sec[0];
}

double acd_beatgrid_sec_to_beat(const AcdBeatGrid *g, double sec)
{
    size_t n = g->n_beats;
    if (n == 0)
        return sec * 2.0;
    if (sec <= g->sec[0])
        return (sec - g->sec[0]) / edge_len(g, 0);
    if (sec >= g->sec[n - 1])
        return (double)(n - 1) + (sec - g->sec[n - 1]) / edge_len(g, 1);
    size_t lo = 0, hi = n - 1; /* sec[lo] <= sec < sec[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->sec[mid] <= sec)
            lo = mid;
        else
            hi = mid;
    }
    return (double)lo + (sec - g->sec[lo]) / (g->sec[hi] - g->sec[lo]);
}

double acd_beatgrid_beat_to_sec(const AcdBeatGrid *g, double beat)
{
    size_t n = g->n_beats;
    if (n == 0)
        return beat * 0.5;
    if (beat <= 0)
        return g->sec[0] + beat * edge_len(g, 0);
    if (beat >= (double)(n - 1))
        return g->sec[n - 1] + (beat - (double)(n - 1)) * edge_len(g, 1);
    size_t i = (size_t)beat;
    double frac = beat - (double)i;
    return g->sec[i] + frac * (g->sec[i + 1] - g->sec[i]);
}

int acd_beatgrid_beat_in_bar(const AcdBeatGrid *g, long long b)
{
    int bpb = g->beats_per_bar > 0 ? g->beats_per_bar : 4;
    if (g->n_beats == 0)
        return (int)(((b % bpb) + bpb) % bpb);
    if (b < 0) {
        long long p = (long long)g->beat_in_bar[0] + b;
        return (int)(((p % bpb) + bpb) % bpb);
    }
    if ((size_t)b < g->n_beats)
        return g->beat_in_bar[b];
    long long last = (long long)g->n_beats - 1;
    long long p = (long long)g->beat_in_bar[last] + (b - last);
    return (int)(p % bpb);
}
