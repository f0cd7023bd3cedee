/* Metrics input: notes on 16th-note frames, and a song's scored span, bars and chord labels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/metrics.h"

/* How far to look for a bar line before giving up (a grid whose bars are
 * longer than this has no usable bars; the span then ends on a beat). */
#define MAX_BAR_SEARCH_BEATS 64

AcdPcSet acd_pitchset_pcs(const AcdPitchSet *s)
{
    unsigned pcs = 0;
    for (int k = 0; k < 2; k++)
        for (uint64_t w = s->w[k]; w; w &= w - 1)
            pcs |= 1u << ((64 * k + __builtin_ctzll(w)) % 12);
    return (AcdPcSet)pcs;
}

/* Frame of a position in beats, rounded to the nearest frame boundary;
 * clamped so that absurd beats cannot overflow. */
static long long beat_frame(double beat)
{
    double f = floor(beat * ACD_METRICS_FRAMES_PER_BEAT + 0.5);
    if (!(f > -1e15))
        return -1000000000000000LL;
    if (f > 1e15)
        return 1000000000000000LL;
    return (long long)f;
}

static void note_frames(const AcdSongNote *n, long long *start, long long *end)
{
    *start = beat_frame(n->start_beat);
    *end = beat_frame(n->end_beat);
    if (*end <= *start)
        *end = *start + 1;
}

AcdStatus acd_frames_init(AcdFrameRoll *roll, const AcdSongNote *notes, size_t n, size_t n_frames)
{
    memset(roll, 0, sizeof *roll);
    size_t alloc = n_frames ? n_frames : 1;
    roll->sound = calloc(alloc, sizeof *roll->sound);
    roll->onset = calloc(alloc, sizeof *roll->onset);
    if (!roll->sound || !roll->onset) {
        acd_frames_cleanup(roll);
        return ACD_ERR_NOMEM;
    }
    roll->n_frames = n_frames;
    for (size_t i = 0; i < n; i++) {
        long long s, e;
        note_frames(&notes[i], &s, &e);
        int pitch = notes[i].pitch & 127;
        if (s >= (long long)n_frames || e <= 0)
            continue;
        if (s >= 0)
            acd_pitchset_add(&roll->onset[s], pitch);
        if (s < 0)
            s = 0;
        if (e > (long long)n_frames)
            e = (long long)n_frames;
        for (long long f = s; f < e; f++)
            acd_pitchset_add(&roll->sound[f], pitch);
    }
    return ACD_OK;
}

void acd_frames_cleanup(AcdFrameRoll *roll)
{
    if (!roll)
        return;
    free(roll->sound);
    free(roll->onset);
    memset(roll, 0, sizeof *roll);
}

static int is_bar_line(const AcdBeatGrid *grid, long long beat)
{
    return acd_beatgrid_beat_in_bar(grid, beat) == 0;
}

/* The span scored: whole bars from the first to the last melody frame, so
 * that accompanists who (causally) cannot play before the melody starts are
 * not charged for a human intro, and bar-level measures see whole bars. */
static void melody_span(const AcdSong *song, size_t *first, size_t *end, int *found)
{
    long long lo = -1, hi = -1;
    for (size_t i = 0; i < song->n_melody; i++) {
        long long s, e;
        note_frames(&song->melody[i], &s, &e);
        if (e <= 0)
            continue;
        if (s < 0)
            s = 0;
        if (lo < 0 || s < lo)
            lo = s;
        if (e - 1 > hi)
            hi = e - 1;
    }
    *found = lo >= 0;
    if (!*found)
        return;
    long long b = lo / ACD_METRICS_FRAMES_PER_BEAT;
    for (int k = 0; k < MAX_BAR_SEARCH_BEATS && b > 0 && !is_bar_line(&song->grid, b); k++)
        b--;
    if (!is_bar_line(&song->grid, b) && b > 0)
        b = lo / ACD_METRICS_FRAMES_PER_BEAT;
    *first = (size_t)b * ACD_METRICS_FRAMES_PER_BEAT;
    long long last_beat = hi / ACD_METRICS_FRAMES_PER_BEAT;
    b = last_beat + 1;
    for (int k = 0; k < MAX_BAR_SEARCH_BEATS && !is_bar_line(&song->grid, b); k++)
        b++;
    if (!is_bar_line(&song->grid, b))
        b = last_beat + 1;
    *end = (size_t)b * ACD_METRICS_FRAMES_PER_BEAT;
}

AcdStatus acd_metrics_song_init(AcdMetricsSong *ms, const AcdSong *song,
                                const AcdChordLabels *labels, AcdError *err)
{
    memset(ms, 0, sizeof *ms);
    int found;
    melody_span(song, &ms->first_frame, &ms->end_frame, &found);
    if (!found)
        return acd_error_set(err, ACD_ERR_NO_MELODY, "%s: no melody note at or after beat 0",
                             song->name ? song->name : "song");
    /* A song of more than a few days is a broken input, not music. */
    if (ms->end_frame > (size_t)ACD_BEATGRID_MAX_BEATS * ACD_METRICS_FRAMES_PER_BEAT)
        return acd_error_set(err, ACD_ERR_LIMIT, "%s: melody past %u beats",
                             song->name ? song->name : "song", ACD_BEATGRID_MAX_BEATS);
    AcdStatus st;
    if ((st = acd_frames_init(&ms->melody, song->melody, song->n_melody, ms->end_frame)) ||
        (st = acd_frames_init(&ms->human, song->accomp, song->n_accomp, ms->end_frame)))
        goto fail;

    size_t first_beat = ms->first_frame / ACD_METRICS_FRAMES_PER_BEAT;
    size_t end_beat = ms->end_frame / ACD_METRICS_FRAMES_PER_BEAT;
    ms->bar_start = malloc((end_beat - first_beat + 1) * sizeof *ms->bar_start);
    if (!ms->bar_start) {
        st = ACD_ERR_NOMEM;
        goto fail;
    }
    ms->bar_start[ms->n_bars++] = ms->first_frame;
    for (size_t b = first_beat + 1; b < end_beat; b++)
        if (is_bar_line(&song->grid, (long long)b))
            ms->bar_start[ms->n_bars++] = b * ACD_METRICS_FRAMES_PER_BEAT;
    ms->bar_start[ms->n_bars] = ms->end_frame;

    if (labels) {
        ms->label = calloc(ms->end_frame, sizeof *ms->label);
        if (!ms->label) {
            st = ACD_ERR_NOMEM;
            goto fail;
        }
        /* The chord at the middle of each frame, through the grid's seconds
         * (the labels are timed in seconds of the MIDI file). */
        for (size_t f = 0; f < ms->end_frame; f++) {
            double beat = ((double)f + 0.5) / ACD_METRICS_FRAMES_PER_BEAT;
            ms->label[f] = acd_chord_labels_at(labels, acd_beatgrid_beat_to_sec(&song->grid, beat));
        }
    }
    return ACD_OK;
fail:
    acd_metrics_song_cleanup(ms);
    return acd_error_set(err, st, "%s: out of memory preparing the metrics",
                         song->name ? song->name : "song");
}

void acd_metrics_song_cleanup(AcdMetricsSong *ms)
{
    if (!ms)
        return;
    acd_frames_cleanup(&ms->melody);
    acd_frames_cleanup(&ms->human);
    free(ms->bar_start);
    free(ms->label);
    memset(ms, 0, sizeof *ms);
}
