/* Piano rolls: quantizing notes to steps, onset/hold (or on/off) bits, and decoding them back. */
#include "accompd/roll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

AcdStatus acd_roll_init(AcdRoll *roll, AcdRollKind kind, int steps_per_beat, int lo, int hi,
                        size_t n_steps, AcdError *err)
{
    memset(roll, 0, sizeof *roll);
    if (kind != ACD_ROLL_ONSET_HOLD && kind != ACD_ROLL_ONOFF)
        return acd_error_set(err, ACD_ERR_INVALID, "roll: unknown kind %d", (int)kind);
    if (steps_per_beat < 1 || steps_per_beat > 64)
        return acd_error_set(err, ACD_ERR_INVALID, "roll: %d steps per beat (1..64)",
                             steps_per_beat);
    if (lo < 0 || hi > 127 || hi - lo < 11)
        return acd_error_set(err, ACD_ERR_INVALID,
                             "roll: pitch range %d..%d (needs 0 <= lo, hi <= 127, an octave)", lo,
                             hi);
    roll->kind = kind;
    roll->steps_per_beat = steps_per_beat;
    roll->lo = lo;
    roll->hi = hi;
    roll->n_pitches = hi - lo + 1;
    roll->width = kind == ACD_ROLL_ONSET_HOLD ? 2 * roll->n_pitches : roll->n_pitches;
    roll->n_steps = n_steps;
    if (n_steps > SIZE_MAX / 2 / (size_t)roll->width)
        return acd_error_set(err, ACD_ERR_LIMIT, "roll: %zu steps is too many", n_steps);
    size_t nb = n_steps ? n_steps : 1;
    roll->bits = calloc(nb, (size_t)roll->width);
    roll->step_in_beat = calloc(nb, sizeof *roll->step_in_beat);
    roll->beat_in_bar = calloc(nb, sizeof *roll->beat_in_bar);
    if (!roll->bits || !roll->step_in_beat || !roll->beat_in_bar) {
        acd_roll_cleanup(roll);
        return acd_error_set(err, ACD_ERR_NOMEM, "roll: out of memory for %zu steps", n_steps);
    }
    for (size_t t = 0; t < n_steps; t++)
        roll->step_in_beat[t] = (int)(t % (size_t)steps_per_beat);
    return ACD_OK;
}

void acd_roll_cleanup(AcdRoll *roll)
{
    if (!roll)
        return;
    free(roll->bits);
    free(roll->step_in_beat);
    free(roll->beat_in_bar);
    memset(roll, 0, sizeof *roll);
}

/* Octave folding keeps the pitch class, which is what harmony needs; a
 * melody sung an octave off is still the same melody, and clipping to the
 * edge pitch would invent wrong notes. */
int acd_roll_fold_pitch(int pitch, int lo, int hi)
{
    while (pitch < lo)
        pitch += 12;
    while (pitch > hi)
        pitch -= 12;
    return pitch;
}

/* A note in steps, while quantizing. */
typedef struct {
    long long start, end;
    int pitch;
    uint8_t velocity, channel;
    uint16_t track;
} StepNote;

static int cmp_pitch_start(const void *a, const void *b)
{
    const StepNote *x = a, *y = b;
    if (x->pitch != y->pitch)
        return x->pitch - y->pitch;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end; /* longer first: equal starts merge into it */
}

static int cmp_start_pitch(const void *a, const void *b)
{
    const StepNote *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->pitch - y->pitch;
}

/* Nearest step boundary; beats far outside any song clamp so that the
 * conversion to integer stays defined. */
static long long nearest_step(double beat, int spb)
{
    double s = floor(beat * spb + 0.5);
    if (!(s > -1e15))
        return (long long)-1e15;
    if (s > 1e15)
        return (long long)1e15;
    return (long long)s;
}

/* The steps of notes after all of the roll's rules, sorted by pitch then
 * start; *n_out may be less than n. */
static AcdStatus quantize_steps(const AcdRoll *roll, const AcdSongNote *notes, size_t n,
                                StepNote **out, size_t *n_out, AcdRollStats *stats)
{
    AcdRollStats local = {0};
    *out = NULL;
    *n_out = 0;
    StepNote *q = malloc((n ? n : 1) * sizeof *q);
    if (!q)
        return ACD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int p = acd_roll_fold_pitch(notes[i].pitch, roll->lo, roll->hi);
        if (p != notes[i].pitch)
            local.n_folded++;
        q[i].start = nearest_step(notes[i].start_beat, roll->steps_per_beat);
        q[i].end = nearest_step(notes[i].end_beat, roll->steps_per_beat);
        if (q[i].end <= q[i].start)
            q[i].end = q[i].start + 1;
        q[i].pitch = p;
        q[i].velocity = notes[i].velocity;
        q[i].channel = notes[i].channel;
        q[i].track = notes[i].track;
    }
    if (n)
        qsort(q, n, sizeof *q, cmp_pitch_start);
    /* A note that starts while an earlier note of its pitch still sounds
     * re-strikes it: the earlier one ends there. Equal starts are one note. */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w > 0 && q[w - 1].pitch == q[i].pitch) {
            StepNote *prev = &q[w - 1];
            if (q[i].start == prev->start) {
                local.n_cut++;
                continue; /* sorted longer first: prev already is the longer */
            }
            if (q[i].start < prev->end) {
                prev->end = q[i].start;
                local.n_cut++;
            }
        }
        q[w++] = q[i];
    }
    /* Clip to the roll; notes wholly outside are dropped. */
    size_t k = 0;
    long long last = (long long)roll->n_steps;
    for (size_t i = 0; i < w; i++) {
        if (q[i].end <= 0 || q[i].start >= last) {
            local.n_dropped++;
            continue;
        }
        if (q[i].start < 0)
            q[i].start = 0;
        if (q[i].end > last)
            q[i].end = last;
        q[k++] = q[i];
    }
    *out = q;
    *n_out = k;
    if (stats)
        *stats = local;
    return ACD_OK;
}

AcdStatus acd_roll_quantize(const AcdRoll *roll, const AcdSongNote *notes, size_t n,
                            AcdSongNote **out, size_t *n_out, AcdRollStats *stats)
{
    StepNote *q;
    size_t nq;
    *out = NULL;
    *n_out = 0;
    AcdStatus st = quantize_steps(roll, notes, n, &q, &nq, stats);
    if (st != ACD_OK)
        return st;
    if (nq)
        qsort(q, nq, sizeof *q, cmp_start_pitch);
    AcdSongNote *r = calloc(nq ? nq : 1, sizeof *r);
    if (!r) {
        free(q);
        return ACD_ERR_NOMEM;
    }
    for (size_t i = 0; i < nq; i++) {
        r[i].start_beat = (double)q[i].start / roll->steps_per_beat;
        r[i].end_beat = (double)q[i].end / roll->steps_per_beat;
        r[i].pitch = (uint8_t)q[i].pitch;
        r[i].velocity = q[i].velocity;
        r[i].channel = q[i].channel;
        r[i].track = q[i].track;
    }
    free(q);
    *out = r;
    *n_out = nq;
    return ACD_OK;
}

AcdStatus acd_roll_encode(AcdRoll *roll, const AcdSongNote *notes, size_t n, AcdRollStats *stats)
{
    StepNote *q;
    size_t nq;
    AcdStatus st = quantize_steps(roll, notes, n, &q, &nq, stats);
    if (st != ACD_OK)
        return st;
    for (size_t i = 0; i < nq; i++) {
        size_t s = (size_t)q[i].start, e = (size_t)q[i].end;
        if (roll->kind == ACD_ROLL_ONOFF) {
            for (size_t t = s; t < e; t++)
                roll->bits[acd_roll_onset_index(roll, t, q[i].pitch)] = 1;
            continue;
        }
        roll->bits[acd_roll_onset_index(roll, s, q[i].pitch)] = 1;
        roll->bits[acd_roll_hold_index(roll, s, q[i].pitch)] = 0;
        for (size_t t = s + 1; t < e; t++)
            if (!roll->bits[acd_roll_onset_index(roll, t, q[i].pitch)])
                roll->bits[acd_roll_hold_index(roll, t, q[i].pitch)] = 1;
    }
    free(q);
    return ACD_OK;
}

void acd_roll_set_positions(AcdRoll *roll, const AcdBeatGrid *grid)
{
    for (size_t t = 0; t < roll->n_steps; t++) {
        long long beat = (long long)(t / (size_t)roll->steps_per_beat);
        roll->beat_in_bar[t] = acd_beatgrid_beat_in_bar(grid, beat);
        roll->step_in_beat[t] = (int)(t % (size_t)roll->steps_per_beat);
    }
}

AcdStatus acd_roll_decode(const AcdRoll *roll, const AcdBeatGrid *grid, AcdSongNote **out,
                          size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    size_t n = 0, cap = 0;
    StepNote *q = NULL;
    int oh = roll->kind == ACD_ROLL_ONSET_HOLD;
    for (int p = roll->lo; p <= roll->hi; p++) {
        long long start = -1; /* the open note's first step, -1 when none sounds */
        for (size_t t = 0; t <= roll->n_steps; t++) {
            int on = 0, hold = 0;
            if (t < roll->n_steps) {
                on = roll->bits[acd_roll_onset_index(roll, t, p)] != 0;
                hold = oh && roll->bits[acd_roll_hold_index(roll, t, p)] != 0;
            }
            int sounds = oh ? (on || hold) : on;
            int starts = oh ? (on || (hold && start < 0)) : (on && start < 0);
            if (start >= 0 && (!sounds || (oh && on))) {
                if (n == cap) {
                    size_t ncap = cap ? cap * 2 : 256;
                    StepNote *nq = realloc(q, ncap * sizeof *nq);
                    if (!nq) {
                        free(q);
                        return ACD_ERR_NOMEM;
                    }
                    q = nq;
                    cap = ncap;
                }
                q[n++] = (StepNote){.start = start, .end = (long long)t, .pitch = p};
                start = -1;
            }
            if (starts)
                start = (long long)t;
        }
    }
    if (n)
        qsort(q, n, sizeof *q, cmp_start_pitch);
    AcdSongNote *r = calloc(n ? n : 1, sizeof *r);
    if (!r) {
        free(q);
        return ACD_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        r[i].start_beat = (double)q[i].start / roll->steps_per_beat;
        r[i].end_beat = (double)q[i].end / roll->steps_per_beat;
        if (grid) {
            r[i].start_sec = acd_beatgrid_beat_to_sec(grid, r[i].start_beat);
            r[i].end_sec = acd_beatgrid_beat_to_sec(grid, r[i].end_beat);
        }
        r[i].pitch = (uint8_t)q[i].pitch;
        r[i].velocity = 100;
    }
    free(q);
    *out = r;
    *n_out = n;
    return ACD_OK;
}

size_t acd_roll_song_steps(const AcdSong *song, int steps_per_beat)
{
    double last = 0;
    const AcdSongNote *lists[3] = {song->melody, song->accomp, song->drums};
    size_t counts[3] = {song->n_melody, song->n_accomp, song->n_drums};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < counts[k]; i++)
            last = fmax(last, lists[k][i].end_beat);
    int bpb = song->grid.beats_per_bar > 0 ? song->grid.beats_per_bar : 4;
    if (!(last < 1e9))
        last = 1e9;
    double whole = ceil(last);
    size_t beats = (size_t)whole;
    beats = (beats + (size_t)bpb - 1) / (size_t)bpb * (size_t)bpb;
    return beats * (size_t)steps_per_beat;
}
