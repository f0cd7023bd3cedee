/* Training data: collections to rolls and windows, and batch rows with transposition. */
#include "train_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/roll.h"

/* A song longer than this (about 3.6 hours of 16ths at 120 BPM) is refused:
 * a stray event at an absurd tick must not allocate gigabytes. */
#define MAX_SONG_STEPS (1u << 20)

void acd_train_set_cleanup(AcdTrainSet *set)
{
    for (size_t i = 0; i < set->n_songs; i++) {
        AcdTrainSong *s = &set->songs[i];
        free(s->name);
        free(s->mel);
        free(s->acc);
        free(s->step_in_beat);
        free(s->beat_in_bar);
    }
    free(set->songs);
    free(set->windows);
    memset(set, 0, sizeof *set);
}

static AcdStatus add_window(AcdTrainSet *set, size_t *cap, uint32_t song, uint32_t start,
                            uint32_t skip, const AcdFeatureState *state)
{
    if (set->n_windows == *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        AcdTrainWindow *w = realloc(set->windows, nc * sizeof *w);
        if (!w)
            return ACD_ERR_NOMEM;
        set->windows = w;
        *cap = nc;
    }
    set->windows[set->n_windows++] = (AcdTrainWindow){song, start, skip, *state};
    return ACD_OK;
}

/* Windows every hop steps, the last aligned to the end, and the feature
 * state before each: the histogram runs over the whole song. */
static AcdStatus cut_windows(AcdTrainSet *set, size_t *cap, uint32_t idx, int hop)
{
    const AcdModelConfig *cfg = &set->cfg;
    const AcdTrainSong *s = &set->songs[idx];
    const size_t W = (size_t)cfg->window, n = s->n_steps;
    const int P = cfg->p_mel;
    float *x = malloc((size_t)cfg->n_in * sizeof *x);
    if (!x)
        return ACD_ERR_NOMEM;
    AcdFeatureState fs;
    acd_features_init(&fs);
    size_t next = 0, last = n > W ? n - W : 0, covered = 0;
    int two = cfg->roll == ACD_ROLL_ONSET_HOLD;
    AcdStatus st = ACD_OK;
    for (size_t t = 0; t <= last && !st; t++) {
        if (t == next || t == last) {
            size_t skip = (size_t)hop >= W && covered > t ? covered - t : 0;
            st = add_window(set, cap, idx, (uint32_t)t, (uint32_t)skip, &fs);
            covered = t + W;
            next += (size_t)hop;
            if (t == last)
                break;
        }
        const uint8_t *row = s->mel + t * (size_t)set->mel_width;
        acd_features_step(cfg, &fs, row, two ? row + P : NULL, s->step_in_beat[t],
                          s->beat_in_bar[t], x);
    }
    free(x);
    return st;
}

/* Rolls of one loaded song into set->songs[set->n_songs]. Returns
 * ACD_ERR_NO_MELODY when no melody note lands in the roll. */
static AcdStatus add_song(AcdTrainSet *set, const AcdSong *song, AcdError *err)
{
    const AcdModelConfig *cfg = &set->cfg;
    if (song->n_melody == 0)
        return acd_error_set(err, ACD_ERR_NO_MELODY, "%s: no melody notes", song->name);
    size_t n = acd_roll_song_steps(song, cfg->steps_per_beat);
    if (n == 0 || n > MAX_SONG_STEPS)
        return acd_error_set(err, ACD_ERR_LIMIT, "%s: %zu steps (1..%u)", song->name, n,
                             MAX_SONG_STEPS);
    AcdRoll mr, ar;
    AcdStatus st =
        acd_roll_init(&mr, cfg->roll, cfg->steps_per_beat, cfg->mel_lo, cfg->mel_hi, n, err);
    if (st)
        return st;
    st = acd_roll_init(&ar, cfg->roll, cfg->steps_per_beat, cfg->acc_lo, cfg->acc_hi, n, err);
    if (st)
        goto fail_mel;
    if ((st = acd_roll_encode(&mr, song->melody, song->n_melody, NULL)) ||
        (st = acd_roll_encode(&ar, song->accomp, song->n_accomp, NULL))) {
        acd_error_set(err, st, "%s: encoding the rolls failed", song->name);
        goto fail_acc;
    }
    acd_roll_set_positions(&mr, &song->grid);
    size_t on = 0;
    for (size_t i = 0; i < n * (size_t)mr.width; i++)
        on += mr.bits[i];
    if (!on) {
        st = acd_error_set(err, ACD_ERR_NO_MELODY, "%s: no melody note in range", song->name);
        goto fail_acc;
    }
    char *name = strdup(song->name ? song->name : "?");
    if (!name) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
        goto fail_acc;
    }
    /* the song keeps the roll arrays; the rolls give them up */
    set->songs[set->n_songs++] = (AcdTrainSong){
        .name = name,
        .n_steps = n,
        .mel = mr.bits,
        .acc = ar.bits,
        .step_in_beat = mr.step_in_beat,
        .beat_in_bar = mr.beat_in_bar,
    };
    mr.bits = ar.bits = NULL;
    mr.step_in_beat = mr.beat_in_bar = NULL;
    set->n_steps += n;
fail_acc:
    acd_roll_cleanup(&ar);
fail_mel:
    acd_roll_cleanup(&mr);
    return st;
}

AcdStatus acd_train_set_load(AcdTrainSet *set, const char *path, AcdCollection kind, AcdSplit split,
                             const AcdModelConfig *cfg, int hop, size_t max_songs,
                             AcdTrainLoadFn progress, void *user, AcdError *err)
{
    memset(set, 0, sizeof *set);
    set->cfg = *cfg;
    int P_m = cfg->p_mel, P_a = cfg->p_acc;
    set->mel_width = cfg->roll == ACD_ROLL_ONSET_HOLD ? 2 * P_m : P_m;
    set->acc_width = cfg->roll == ACD_ROLL_ONSET_HOLD ? 2 * P_a : P_a;
    if (hop < 1 || hop > cfg->window)
        return acd_error_set(err, ACD_ERR_RANGE, "training hop %d: must be 1..window (%d)", hop,
                             cfg->window);
    AcdDataset *ds = NULL;
    AcdStatus st = acd_dataset_open(path, kind, split, &ds, err);
    if (st)
        return st;
    size_t count = acd_dataset_count(ds);
    if (max_songs && count > max_songs)
        count = max_songs;
    set->n_listed = count;
    set->songs = calloc(count ? count : 1, sizeof *set->songs);
    if (!set->songs) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory for %zu songs", count);
        goto done;
    }
    size_t cap = 0;
    for (size_t i = 0; i < count; i++) {
        AcdSong *song = NULL;
        AcdError e = {0};
        AcdStatus s = acd_dataset_load(ds, i, &song, &e);
        if (!s)
            s = add_song(set, song, &e);
        acd_song_free(song);
        if (s == ACD_ERR_NOMEM) {
            st = acd_error_set(err, s, "%s", acd_error_text(&e));
            goto done;
        }
        if (s == ACD_ERR_NO_MELODY) {
            set->n_no_melody++;
        } else if (s) {
            if (!set->n_failed)
                snprintf(set->first_error, sizeof set->first_error, "%s", acd_error_text(&e));
            set->n_failed++;
        } else if (cut_windows(set, &cap, (uint32_t)(set->n_songs - 1), hop)) {
            st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory for windows");
            goto done;
        }
        if (progress)
            progress(user, i + 1, count);
    }
    if (set->n_songs == 0) {
        if (count == 0)
            st = acd_error_set(err, ACD_ERR_EMPTY, "%s: no songs in the %s split", path,
                               acd_split_name(split));
        else if (set->n_no_melody == count)
            st = acd_error_set(err, ACD_ERR_NO_MELODY,
                               "%s: none of %zu songs in the %s split has a usable melody", path,
                               count, acd_split_name(split));
        else
            st = acd_error_set(err, ACD_ERR_EMPTY,
                               "%s: no usable song in the %s split (%zu without melody, %zu "
                               "failed; first: %s)",
                               path, acd_split_name(split), set->n_no_melody, set->n_failed,
                               set->first_error);
    }
done:
    acd_dataset_free(ds);
    if (st)
        acd_train_set_cleanup(set);
    return st;
}

/* A roll row transposed by k semitones, out-of-range pitches folded by
 * octaves; a collision keeps the onset. */
static void shift_row(const uint8_t *src, uint8_t *dst, int lo, int P, int two, int k)
{
    memset(dst, 0, (size_t)(two ? 2 * P : P));
    for (int i = 0; i < P; i++) {
        int held = two && src[P + i];
        if (!src[i] && !held)
            continue;
        int q = acd_roll_fold_pitch(lo + i + k, lo, lo + P - 1) - lo;
        if (src[i])
            dst[q] = 1;
        if (held)
            dst[P + q] = 1;
    }
    if (two)
        for (int q = 0; q < P; q++)
            if (dst[q])
                dst[P + q] = 0;
}

void acd_train_set_fill(const AcdTrainSet *set, size_t w, int transpose, float *x, float *y,
                        float *y_prev, float *mask)
{
    const AcdModelConfig *cfg = &set->cfg;
    const AcdTrainWindow *win = &set->windows[w];
    const AcdTrainSong *s = &set->songs[win->song];
    const int T = cfg->window, Pm = cfg->p_mel, Pa = cfg->p_acc, n_in = cfg->n_in,
              n_out = cfg->n_out;
    const int two = cfg->roll == ACD_ROLL_ONSET_HOLD;
    uint8_t mrow[2 * 128], arow[2 * 128];
    const int k = ((transpose % 12) + 12) % 12;

    AcdFeatureState fs = win->state;
    /* transposing by k rotates the histogram by k pitch classes */
    for (int c = 0; c < 12; c++)
        fs.pc_hist[(c + k) % 12] = win->state.pc_hist[c];

    if (win->start > 0) {
        shift_row(s->acc + (win->start - 1) * (size_t)set->acc_width, arow, cfg->acc_lo, Pa, two,
                  transpose);
        acd_features_target(cfg, arow, two ? arow + Pa : NULL, y_prev);
    } else {
        memset(y_prev, 0, (size_t)n_out * sizeof *y_prev);
    }
    for (int t = 0; t < T; t++) {
        size_t step = win->start + (size_t)t;
        float *xr = x + (size_t)t * n_in, *yr = y + (size_t)t * n_out;
        if (step >= s->n_steps) {
            memset(xr, 0, (size_t)n_in * sizeof *xr);
            memset(yr, 0, (size_t)n_out * sizeof *yr);
            if (t + 1 < T)
                memset(y_prev + (size_t)(t + 1) * n_out, 0, (size_t)n_out * sizeof *y);
            mask[t] = 0.0f;
            continue;
        }
        shift_row(s->mel + step * (size_t)set->mel_width, mrow, cfg->mel_lo, Pm, two, transpose);
        acd_features_step(cfg, &fs, mrow, two ? mrow + Pm : NULL, s->step_in_beat[step],
                          s->beat_in_bar[step], xr);
        shift_row(s->acc + step * (size_t)set->acc_width, arow, cfg->acc_lo, Pa, two, transpose);
        acd_features_target(cfg, arow, two ? arow + Pa : NULL, yr);
        if (t + 1 < T)
            memcpy(y_prev + (size_t)(t + 1) * n_out, yr, (size_t)n_out * sizeof *yr);
        mask[t] = (uint32_t)t < win->skip ? 0.0f : 1.0f;
    }
}
