/* The rule-based baseline: causal key estimate, a diatonic triad per beat, bass on the root. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/harmonizer.h"
#include "accompd/metrics.h"

/* Krumhansl and Kessler's probe-tone ratings (1982), tonic first. */
static const double kk_major[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                    2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
static const double kk_minor[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                    2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

/* Degrees of the scale and the triad built on each. Minor takes its V from
 * the harmonic minor, because a minor v rarely leads home in this music. */
static const int major_steps[7] = {0, 2, 4, 5, 7, 9, 11};
static const AcdChordQuality major_quality[7] = {ACD_CHORD_MAJ, ACD_CHORD_MIN, ACD_CHORD_MIN,
                                                 ACD_CHORD_MAJ, ACD_CHORD_MAJ, ACD_CHORD_MIN,
                                                 ACD_CHORD_DIM};
static const int minor_steps[7] = {0, 2, 3, 5, 7, 8, 10};
static const AcdChordQuality minor_quality[7] = {ACD_CHORD_MIN, ACD_CHORD_DIM, ACD_CHORD_MAJ,
                                                 ACD_CHORD_MIN, ACD_CHORD_MAJ, ACD_CHORD_MAJ,
                                                 ACD_CHORD_MAJ};
/* Prefer the chords that carry a key (tonic, dominant, subdominant) when the
 * melody leaves the choice open. */
static const double major_bonus[7] = {0.6, 0.2, 0.1, 0.5, 0.5, 0.3, 0.0};
static const double minor_bonus[7] = {0.6, 0.0, 0.3, 0.5, 0.5, 0.3, 0.2};

#define CURRENT_WEIGHT 3.0
#define KEEP_BONUS     1.0
#define KEEP_BONUS_BAR 0.3
#define MAX_VOICES     4

void acd_harmonizer_config_default(AcdHarmonizerConfig *cfg)
{
    cfg->chord_lo = 55;
    cfg->bass_lo = 36;
    cfg->key_half_life_beats = 32;
    cfg->stop_after_bars = 2;
    cfg->velocity = 80;
}

static double correlation(const double *x, const double *profile, int rot)
{
    double mx = 0, my = 0;
    for (int c = 0; c < 12; c++) {
        mx += x[c];
        my += profile[c];
    }
    mx /= 12;
    my /= 12;
    double sxy = 0, sxx = 0, syy = 0;
    for (int c = 0; c < 12; c++) {
        double dx = x[(c + rot) % 12] - mx, dy = profile[c] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

void acd_harmonizer_key(const double hist[12], int *tonic, bool *minor)
{
    double best = -2;
    *tonic = 0;
    *minor = false;
    for (int m = 0; m < 2; m++)
        for (int t = 0; t < 12; t++) {
            double r = correlation(hist, m ? kk_minor : kk_major, t);
            if (r > best + 1e-12) {
                best = r;
                *tonic = t;
                *minor = m;
            }
        }
}

void acd_harmonizer_triads(int tonic, bool minor, AcdChord out[7])
{
    for (int d = 0; d < 7; d++) {
        int root = (tonic + (minor ? minor_steps : major_steps)[d]) % 12;
        AcdChordQuality q = (minor ? minor_quality : major_quality)[d];
        out[d].root = root;
        out[d].quality = q;
        out[d].pcs = acd_pcset_transpose(acd_chord_quality_pcs(q), root);
    }
}

/* The notes being built, and those sounding now. */
typedef struct {
    AcdSongNote *notes;
    size_t n, cap;
    int sounding[MAX_VOICES + 1]; /* pitches */
    size_t n_sounding;
    size_t strike_frame;
} Voices;

static void release(Voices *v, size_t frame)
{
    for (size_t i = 0; i < v->n_sounding; i++) {
        AcdSongNote *note = &v->notes[v->n - v->n_sounding + i];
        note->end_beat = (double)frame / ACD_METRICS_FRAMES_PER_BEAT;
    }
    v->n_sounding = 0;
}

static AcdStatus strike(Voices *v, const AcdHarmonizerConfig *cfg, const AcdChord *c, size_t frame)
{
    release(v, frame);
    int pitches[MAX_VOICES + 1], np = 0;
    pitches[np++] = cfg->bass_lo + ((c->root - cfg->bass_lo) % 12 + 12) % 12;
    /* Each chord tone once, in the octave above chord_lo: a closed voicing
     * whose inversion follows from where the root falls. */
    for (int k = 0; k < 12; k++) {
        int p = cfg->chord_lo + k;
        if ((c->pcs >> (p % 12)) & 1 && np <= MAX_VOICES)
            pitches[np++] = p;
    }
    if (v->n + (size_t)np > v->cap) {
        size_t ncap = v->cap ? 2 * v->cap : 256;
        while (ncap < v->n + (size_t)np)
            ncap *= 2;
        AcdSongNote *grown = realloc(v->notes, ncap * sizeof *grown);
        if (!grown)
            return ACD_ERR_NOMEM;
        v->notes = grown;
        v->cap = ncap;
    }
    for (int i = 0; i < np; i++) {
        AcdSongNote note = {0};
        note.start_beat = (double)frame / ACD_METRICS_FRAMES_PER_BEAT;
        note.end_beat = note.start_beat;
        note.pitch = (uint8_t)pitches[i];
        note.velocity = cfg->velocity;
        v->notes[v->n++] = note;
        v->sounding[i] = pitches[i];
    }
    v->n_sounding = (size_t)np;
    v->strike_frame = frame;
    return ACD_OK;
}

static int note_cmp(const void *a, const void *b)
{
    const AcdSongNote *x = a, *y = b;
    if (x->start_beat != y->start_beat)
        return x->start_beat < y->start_beat ? -1 : 1;
    return (int)x->pitch - (int)y->pitch;
}

/* The triad for one beat (index into triads). */
static int choose(const AcdChord triads[7], const double *bonus, AcdPcSet current,
                  const double recent[12], int prev, bool bar_line)
{
    int best = 0;
    double best_score = -1e300;
    for (int d = 0; d < 7; d++) {
        double s = bonus[d];
        for (int c = 0; c < 12; c++)
            if ((triads[d].pcs >> c) & 1)
                s +=
                    ((current >> c) & 1) * CURRENT_WEIGHT + recent[c] / ACD_METRICS_FRAMES_PER_BEAT;
        if (prev >= 0 && triads[d].pcs == triads[prev].pcs)
            s += bar_line ? KEEP_BONUS_BAR : KEEP_BONUS;
        if (s > best_score + 1e-12) {
            best_score = s;
            best = d;
        }
    }
    return best;
}

AcdStatus acd_harmonizer_run(const AcdHarmonizerConfig *cfg, const AcdSongNote *melody, size_t n,
                             const AcdBeatGrid *grid, AcdSongNote **out, size_t *n_out,
                             AcdError *err)
{
    *out = NULL;
    *n_out = 0;
    if (cfg->chord_lo < 0 || cfg->chord_lo > 116 || cfg->bass_lo < 0 || cfg->bass_lo > 116 ||
        cfg->stop_after_bars < 1 || !(cfg->key_half_life_beats >= 0))
        return acd_error_set(err, ACD_ERR_RANGE, "harmonizer: configuration out of range");
    int bpb = grid->beats_per_bar > 0 ? grid->beats_per_bar : 4;
    double last_end = 0;
    for (size_t i = 0; i < n; i++)
        if (melody[i].end_beat > last_end)
            last_end = melody[i].end_beat;
    if (!(last_end < (double)ACD_BEATGRID_MAX_BEATS))
        return acd_error_set(err, ACD_ERR_LIMIT, "harmonizer: melody past %u beats",
                             ACD_BEATGRID_MAX_BEATS);
    double last_beat = ceil(last_end);
    size_t n_beats = (size_t)last_beat + (size_t)(cfg->stop_after_bars * bpb) + 1;
    size_t silence_limit = (size_t)(cfg->stop_after_bars * bpb) * ACD_METRICS_FRAMES_PER_BEAT;

    AcdFrameRoll mel;
    if (acd_frames_init(&mel, melody, n, n_beats * ACD_METRICS_FRAMES_PER_BEAT))
        return acd_error_set(err, ACD_ERR_NOMEM, "harmonizer: out of memory");
    Voices v;
    memset(&v, 0, sizeof v);
    double decay = cfg->key_half_life_beats > 0 ? exp2(-1.0 / cfg->key_half_life_beats) : 1.0;
    double hist[12] = {0};
    bool active = false;
    int prev = -1;
    size_t last_melody = 0; /* frame after the last melody frame heard */
    AcdStatus st = ACD_OK;
    for (size_t b = 0; b < n_beats && st == ACD_OK; b++) {
        size_t f0 = b * ACD_METRICS_FRAMES_PER_BEAT;
        double recent[12] = {0};
        bool heard = false;
        for (int c = 0; c < 12; c++)
            hist[c] *= decay;
        for (size_t f = b ? f0 - ACD_METRICS_FRAMES_PER_BEAT : 0; f <= f0; f++) {
            AcdPcSet pcs = acd_pitchset_pcs(&mel.sound[f]);
            if (pcs) {
                last_melody = f + 1;
                heard = true;
            }
            for (int c = 0; c < 12; c++)
                if ((pcs >> c) & 1) {
                    hist[c] += 1;
                    if (f < f0)
                        recent[c] += 1;
                }
        }
        AcdPcSet current = acd_pitchset_pcs(&mel.sound[f0]);
        /* The beat's own frame joined hist above only to be heard now; it
         * stays out of the running histogram until its beat is past. */
        int tonic;
        bool minor;
        acd_harmonizer_key(hist, &tonic, &minor);
        for (int c = 0; c < 12; c++)
            if ((current >> c) & 1)
                hist[c] -= 1;

        bool just_started = false;
        if (!active && heard) {
            active = true;
            just_started = true;
        }
        if (active && f0 >= last_melody + silence_limit) {
            release(&v, f0);
            active = false;
            prev = -1;
        }
        if (!active)
            continue;
        AcdChord triads[7];
        acd_harmonizer_triads(tonic, minor, triads);
        int in_bar = acd_beatgrid_beat_in_bar(grid, (long long)b);
        bool bar_line = in_bar == 0;
        bool mid_bar = bpb % 2 == 0 && bpb >= 4 && in_bar == bpb / 2;
        int d = choose(triads, minor ? minor_bonus : major_bonus, current, recent, prev, bar_line);
        bool changed = prev < 0 || triads[d].pcs != triads[prev].pcs;
        if (changed || bar_line || mid_bar || just_started)
            st = strike(&v, cfg, &triads[d], f0);
        prev = d;
    }
    release(&v, n_beats * ACD_METRICS_FRAMES_PER_BEAT);
    acd_frames_cleanup(&mel);
    if (st) {
        free(v.notes);
        return acd_error_set(err, st, "harmonizer: out of memory");
    }
    for (size_t i = 0; i < v.n; i++) {
        v.notes[i].start_sec = acd_beatgrid_beat_to_sec(grid, v.notes[i].start_beat);
        v.notes[i].end_sec = acd_beatgrid_beat_to_sec(grid, v.notes[i].end_beat);
    }
    if (v.n)
        qsort(v.notes, v.n, sizeof *v.notes, note_cmp);
    *out = v.notes;
    *n_out = v.n;
    return ACD_OK;
}
