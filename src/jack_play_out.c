/* accomp-jack-play's results: the recording as notes; MIDI, piano roll, WAV and a summary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/render.h"
#include "accompd/svg_roll.h"
#include "jack_play.h"
#include "render_wav.h"

/* The recording, paired into notes. */
typedef struct {
    AcdSongNote *notes;
    size_t n, cap;
    size_t stuck;      /* note-ons without a note-off or all-notes-off */
    int64_t first_on;  /* frame of the first note-on; INT64_MAX: none */
    int64_t release;   /* frame of accompd's first all-notes-off after the melody; -1 */
    /* Note-on offsets from the 16th-note grid (see grid_offsets): the
     * earliest, how many sit at it, and the range of the others. */
    double on_grid_ms;
    size_t n_on_grid;
    double min_late_ms, max_late_ms;
    int channel; /* of the first note-on, 0..15 */
} Recording;

static double to_sec(const AcdJackPlayReport *rep, int64_t frame)
{
    return (double)(frame - rep->base) / rep->rate;
}

static int open_note(Recording *r, const AcdJackPlayReport *rep, const AcdSong *song,
                     const AcdEvent *e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        AcdSongNote *n = realloc(r->notes, cap * sizeof *n);
        if (!n)
            return 1;
        r->notes = n;
        r->cap = cap;
    }
    double sec = to_sec(rep, e->time);
    r->notes[r->n++] = (AcdSongNote){sec,
                                     sec,
                                     acd_beatgrid_sec_to_beat(&song->grid, sec),
                                     0.0,
                                     e->data[1],
                                     e->data[2],
                                     (uint8_t)(e->data[0] & 0x0F),
                                     0};
    if (r->first_on == INT64_MAX) {
        r->first_on = e->time;
        r->channel = e->data[0] & 0x0F;
    }
    return 0;
}

static void close_note(Recording *r, const AcdSong *song, size_t i, double sec)
{
    r->notes[i].end_sec = sec;
    r->notes[i].end_beat = acd_beatgrid_sec_to_beat(&song->grid, sec);
}

/* Pair note-ons with note-offs (or CC123/CC120 on their channel). A second
 * note-on of a sounding note re-strikes it, as accompd's tracker counts it. */
static int pair_notes(Recording *r, const AcdJackPlayReport *rep, const AcdSong *song,
                      const AcdEvent *rec, size_t n_rec)
{
    size_t *open = calloc(16 * 128, sizeof *open); /* index + 1 of the sounding note; 0: none */
    if (!open)
        return 1;
    r->first_on = INT64_MAX;
    r->release = -1;
    for (size_t i = 0; i < n_rec; i++) {
        const AcdEvent *e = &rec[i];
        if (e->time < rep->base || e->len < 3)
            continue; /* accompd's greeting to a new connection; clock bytes */
        unsigned ch = e->data[0] & 0x0F, kind = e->data[0] & 0xF0;
        double sec = to_sec(rep, e->time);
        size_t *slot = &open[ch * 128 + (e->data[1] & 0x7F)];
        if (acd_event_is_note_on(e->data, e->len)) {
            if (*slot)
                close_note(r, song, *slot - 1, sec);
            if (open_note(r, rep, song, e)) {
                free(open);
                return 1;
            }
            *slot = r->n;
        } else if (acd_event_is_note_off(e->data, e->len)) {
            if (*slot)
                close_note(r, song, *slot - 1, sec);
            *slot = 0;
        } else if (kind == ACD_MIDI_CC &&
                   (e->data[1] == ACD_MIDI_CC_ALL_NOTES || e->data[1] == ACD_MIDI_CC_ALL_SOUND)) {
            for (unsigned p = 0; p < 128; p++) {
                if (open[ch * 128 + p])
                    close_note(r, song, open[ch * 128 + p] - 1, sec);
                open[ch * 128 + p] = 0;
            }
            if (r->release < 0 && e->time > rep->last_melody)
                r->release = e->time;
        }
    }
    for (size_t k = 0; k < 16 * 128; k++) {
        if (open[k]) {
            close_note(r, song, open[k] - 1, to_sec(rep, rep->end));
            r->stuck++;
        }
    }
    free(open);
    return 0;
}

/* How far after a 16th-note step of the grid note n starts, in ms. */
static double grid_offset_ms(const AcdSongNote *n, const AcdJackPlayReport *rep, double first,
                             double step)
{
    double o = fmod(n->start_sec * rep->rate - first, step);
    if (o < 0)
        o += step;
    return o * 1000.0 / rep->rate;
}

/* Where note-ons fall relative to the 16th-note grid that the first melody
 * note starts (accompd's sync start), when the song has one tempo. accompd
 * writes each note-on at one fixed offset after its step (grace plus one
 * period); the earliest offset seen is that one, and a note-on past it
 * belongs to a step decided late (accompd counts those as "late"). Offsets
 * within a microsecond of the earliest count as on it. */
static bool grid_offsets(Recording *r, const AcdJackPlayReport *rep, const AcdMidiFile *mf)
{
    if (mf->n_tempos > 1 || r->n == 0)
        return false;
    double us_per_beat = mf->n_tempos ? mf->tempos[0].us_per_beat : 500000.0;
    double step = rep->rate * us_per_beat * 1e-6 / 4.0;
    double first = (double)(rep->first_melody - rep->base);
    double lo = INFINITY;
    for (size_t i = 0; i < r->n; i++)
        lo = fmin(lo, grid_offset_ms(&r->notes[i], rep, first, step));
    r->on_grid_ms = lo;
    r->n_on_grid = 0;
    r->min_late_ms = INFINITY;
    r->max_late_ms = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        double off = grid_offset_ms(&r->notes[i], rep, first, step);
        if (off - lo < 1e-3) {
            r->n_on_grid++;
        } else {
            r->min_late_ms = fmin(r->min_late_ms, off);
            r->max_late_ms = fmax(r->max_late_ms, off);
        }
    }
    return true;
}

static int cmp_note(const void *a, const void *b)
{
    const AcdSongNote *x = a, *y = b;
    if (x->start_sec != y->start_sec)
        return x->start_sec < y->start_sec ? -1 : 1;
    return (int)x->pitch - (int)y->pitch;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int write_outputs(const AcdJackPlayReport *rep, const AcdMidiFile *mf, const AcdSong *song,
                         const Recording *r)
{
    AcdError err = {0};
    AcdRender render = {0};
    render.notes = r->notes;
    render.n_notes = r->n;
    render.channel = (uint8_t)r->channel;
    AcdRenderMidiOptions mo;
    acd_render_midi_options_default(&mo);
    mo.melody_channel = r->channel == 0 ? 1 : 0; /* never the accompaniment's */
    AcdMidiFile *outf = NULL;
    int rc = 0;
    if (acd_render_to_midifile(mf, song, &render, &mo, &outf, &err) != ACD_OK ||
        acd_midifile_write(outf, rep->out_path, &err) != ACD_OK) {
        fprintf(stderr, "accomp-jack-play: %s\n", acd_error_text(&err));
        acd_midifile_free(outf);
        return 1;
    }
    acd_midifile_free(outf);
    printf("  wrote %s (Melody on channel %d, Accompaniment on channel %d)\n", rep->out_path,
           mo.melody_channel + 1, r->channel + 1);
    if (rep->roll_path) {
        char title[256], subtitle[256];
        snprintf(title, sizeof title, "%s, played live into %s", base_name(rep->in_path),
                 rep->accompd);
        snprintf(subtitle, sizeof subtitle, "recorded from %s:accomp_out over JACK%s%s",
                 rep->accompd, rep->label ? " · " : "", rep->label ? rep->label : "");
        AcdSvgRoll roll = {title,    subtitle, &song->grid, song->melody, song->n_melody,
                           r->notes, r->n,     0.0,         0.0};
        if (acd_svg_roll_write(&roll, rep->roll_path, &err) != ACD_OK) {
            fprintf(stderr, "accomp-jack-play: %s\n", acd_error_text(&err));
            rc = 1;
        } else {
            printf("  wrote %s\n", rep->roll_path);
        }
    }
    if (rep->wav_path) {
        const char *sf = rep->soundfont ? rep->soundfont : acd_wav_find_soundfont();
        AcdWavLevel lv;
        if (acd_wav_render(rep->out_path, rep->wav_path, sf, &err) != ACD_OK ||
            acd_wav_measure(rep->wav_path, &lv, &err) != ACD_OK) {
            fprintf(stderr, "accomp-jack-play: --wav: %s\n", acd_error_text(&err));
            rc = 1;
        } else {
            printf("  wrote %s (%.1f s, RMS %.1f dBFS, peak %.1f dBFS)\n", rep->wav_path,
                   lv.seconds, 20.0 * log10(fmax(lv.rms, 1e-9)), 20.0 * log10(fmax(lv.peak, 1e-9)));
        }
    }
    return rc;
}

int acd_jack_play_report(const AcdJackPlayReport *rep, const AcdMidiFile *mf, const AcdSong *song,
                         const AcdEvent *rec, size_t n_rec)
{
    Recording r = {0};
    if (pair_notes(&r, rep, song, rec, n_rec)) {
        fprintf(stderr, "accomp-jack-play: out of memory\n");
        free(r.notes);
        return 1;
    }
    qsort(r.notes, r.n, sizeof *r.notes, cmp_note);
    bool have_offsets = grid_offsets(&r, rep, mf);

    printf("  melody: %zu notes, %llu events sent, %llu late, %llu refused; %llu xruns\n",
           song->n_melody, (unsigned long long)rep->sent, (unsigned long long)rep->late,
           (unsigned long long)rep->refused, (unsigned long long)rep->xruns);
    printf("  accompaniment: %zu notes on channel %d, %zu left sounding%s\n", r.n, r.channel + 1,
           r.stuck, rep->dropped ? " (some events dropped: recording full)" : "");
    if (r.first_on != INT64_MAX)
        printf("  first accompaniment note %.2f ms (%lld frames) after the first melody note\n",
               (double)(r.first_on - rep->first_melody) * 1000.0 / rep->rate,
               (long long)(r.first_on - rep->first_melody));
    if (have_offsets && r.n_on_grid == r.n)
        printf("  every accompaniment note-on %.2f ms after a 16th-note step of the grid the "
               "first melody note started\n",
               r.on_grid_ms);
    else if (have_offsets)
        printf("  %zu of %zu accompaniment note-ons %.2f ms after a 16th-note step of the grid the "
               "first melody note started; %zu later, %.2f..%.2f ms (steps %s decided late)\n",
               r.n_on_grid, r.n, r.on_grid_ms, r.n - r.n_on_grid, r.min_late_ms, r.max_late_ms,
               rep->accompd);
    if (r.release >= 0)
        printf("  %s stopped by itself %.2f s after the melody's last note-off, releasing "
               "everything\n",
               rep->accompd, (double)(r.release - rep->last_melody) / rep->rate);

    /* Stopped early: the melody as far as it was played. */
    AcdSong played = *song;
    AcdSongNote *melody = malloc((song->n_melody ? song->n_melody : 1) * sizeof *melody);
    if (!melody) {
        fprintf(stderr, "accomp-jack-play: out of memory\n");
        free(r.notes);
        return 1;
    }
    double end_sec = to_sec(rep, rep->end);
    played.melody = melody;
    played.n_melody = 0;
    for (size_t i = 0; i < song->n_melody; i++) {
        if (song->melody[i].start_sec >= end_sec)
            continue;
        AcdSongNote m = song->melody[i];
        if (m.end_sec > end_sec) {
            m.end_sec = end_sec;
            m.end_beat = acd_beatgrid_sec_to_beat(&song->grid, end_sec);
        }
        melody[played.n_melody++] = m;
    }
    int rc = write_outputs(rep, mf, &played, &r);
    free(melody);
    if (r.n == 0) {
        fprintf(stderr,
                "accomp-jack-play: %s played nothing back (is its model trained? is the "
                "melody reaching %s:melody_in?)\n",
                rep->accompd, rep->accompd);
        rc = 1;
    }
    if (r.stuck) {
        fprintf(stderr, "accomp-jack-play: %zu accompaniment notes were never released\n", r.stuck);
        rc = 1;
    }
    free(r.notes);
    return rc;
}
