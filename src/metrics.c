/* The measures of accomp eval: harmony, rhythm, pitch, density and failure guards on frames. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/metrics.h"

/*
 * Notation, over the frames f of the span [first_frame, end_frame):
 *   M(f)  melody pitch classes sounding      A(f)  accompaniment pitches sounding
 *   O(f)  accompaniment pitches starting     H(f), HO(f)  the same for the human
 *   pc(X) pitch classes of a pitch set       L(f)  labelled chord (pc set, 0 = N)
 *   C(b)  chord inferred for beat b from A   bars  bar count of the span
 * Each measure is num / den; songs add their num and den, so ratios are
 * pooled over all frames of all songs (a long song weighs more, as it holds
 * more music), except the JS divergence, a mean over songs (a histogram
 * pooled over songs in different keys would mean nothing).
 *
 * harmony_pc     num = sum_f |M(f) & pc(A(f))|     den = sum_f |M(f)| [A(f) != {}]
 * harmony_chord  num = sum_f |M(f) & C(beat f)|    den = sum_f |M(f)| [C(beat f) != N]
 * harmony_label  num = sum_f #{p in A(f): p%12 in L(f)}   den = sum_f |A(f)| [L(f) != N]
 *                (agreement of the accompaniment with the song's chord labels)
 * onset_f1       E = {f: O(f) != {}}, R = {f: HO(f) != {}}: num = 2|E & R|, den = |E| + |R|
 * onset_f1_tol   the same with E and R matched one-to-one within +-1 frame (greedy
 *                in time order, each estimate to the earliest free reference):
 *                num = 2 matches, den = |E| + |R|
 * onset_pc_f1    E, R as sets of (f, pitch class) onsets: num = 2|E & R|, den = |E| + |R|
 * pc_js          JS(P, Q) in bits, P and Q the duration-weighted pitch-class histograms
 *                of A and H (P[c] ~ sum_f #{p in A(f): p%12 = c}); num = JS, den = 1
 * polyphony      num = sum_f |A(f)|,  den = #{f: A(f) != {}}
 * onsets/bar     num = |E|,  den = bars;   notes/bar: num = sum_f |O(f)|, den = bars
 * silence        num = #{f: M(f) != {} and A(f) = {}},  den = #{f: M(f) != {}}
 * long_chords    held chords: maximal runs of sounding frames with no onset after
 *                their first; num = 100 #{held > 8 beats}, den = bars
 * chord_runs     num = 100 #{maximal runs of > 4 consecutive beats with one same
 *                inferred chord != N}, den = bars
 * bar_repeat     over bars i > 0 of the span with an onset: num = #{bar i repeats bar
 *                i-1: same length and the same O in every frame (releases may differ)},
 *                den = their count
 */

static const struct {
    const char *key;
    const char *title;
} metric_names[ACD_N_METRICS] = {
    [ACD_METRIC_HARMONY_PC] = {"harmony_pc", "harmony: melody pc in accomp pcs"},
    [ACD_METRIC_HARMONY_CHORD] = {"harmony_chord", "harmony: melody pc in beat chord"},
    [ACD_METRIC_HARMONY_LABEL] = {"harmony_label", "harmony: accomp in labelled chord"},
    [ACD_METRIC_ONSET_F1] = {"onset_f1", "rhythm: onset F1 exact"},
    [ACD_METRIC_ONSET_F1_TOL] = {"onset_f1_tol1", "rhythm: onset F1 +-1 step"},
    [ACD_METRIC_ONSET_PC_F1] = {"onset_pc_f1", "rhythm: onset+pc F1 exact"},
    [ACD_METRIC_PC_JS] = {"pc_js", "pitch: pc histogram JS (bits)"},
    [ACD_METRIC_POLYPHONY] = {"polyphony", "density: polyphony when sounding"},
    [ACD_METRIC_ONSET_FRAMES_BAR] = {"onset_frames_per_bar", "density: onset steps per bar"},
    [ACD_METRIC_NOTES_BAR] = {"notes_per_bar", "density: notes per bar"},
    [ACD_METRIC_SILENCE] = {"silence", "guard: silence under melody"},
    [ACD_METRIC_LONG_CHORDS] = {"long_chords_per_100_bars", "guard: chords > 8 beats /100 bars"},
    [ACD_METRIC_CHORD_RUNS] = {"chord_runs_per_100_bars", "guard: runs > 4 same chords /100b"},
    [ACD_METRIC_BAR_REPEAT] = {"bar_repeat", "guard: bar repeats previous bar"},
};

const char *acd_metric_key(AcdMetric id)
{
    return (unsigned)id < ACD_N_METRICS ? metric_names[id].key : "?";
}

const char *acd_metric_title(AcdMetric id)
{
    return (unsigned)id < ACD_N_METRICS ? metric_names[id].title : "?";
}

double acd_metrics_value(const AcdMetrics *m, AcdMetric id)
{
    if ((unsigned)id >= ACD_N_METRICS || !(m->den[id] > 0))
        return NAN;
    return m->num[id] / m->den[id];
}

void acd_metrics_merge(AcdMetrics *into, const AcdMetrics *from)
{
    for (int i = 0; i < ACD_N_METRICS; i++) {
        into->num[i] += from->num[i];
        into->den[i] += from->den[i];
    }
    into->n_songs += from->n_songs;
}

double acd_metrics_js(const double p[12], const double q[12])
{
    double sp = 0, sq = 0;
    for (int c = 0; c < 12; c++) {
        sp += p[c];
        sq += q[c];
    }
    if (!(sp > 0) && !(sq > 0))
        return 0;
    if (!(sp > 0) || !(sq > 0))
        return 1;
    double js = 0;
    for (int c = 0; c < 12; c++) {
        double a = p[c] / sp, b = q[c] / sq, m = 0.5 * (a + b);
        if (a > 0)
            js += 0.5 * a * log2(a / m);
        if (b > 0)
            js += 0.5 * b * log2(b / m);
    }
    /* Rounding can leave a hair outside [0, 1]. */
    return js < 0 ? 0 : js > 1 ? 1 : js;
}

static int popcount_pcs(AcdPcSet s)
{
    return __builtin_popcount(s);
}

/* #{p in s: p % 12 in pcs}. */
static int pitches_in(const AcdPitchSet *s, AcdPcSet pcs)
{
    int n = 0;
    for (int k = 0; k < 2; k++)
        for (uint64_t w = s->w[k]; w; w &= w - 1)
            n += (pcs >> ((64 * k + __builtin_ctzll(w)) % 12)) & 1;
    return n;
}

static void add_histogram(const AcdPitchSet *s, double h[12])
{
    for (int k = 0; k < 2; k++)
        for (uint64_t w = s->w[k]; w; w &= w - 1)
            h[(64 * k + __builtin_ctzll(w)) % 12] += 1;
}

static int lowest_pitch(const AcdPitchSet *s)
{
    if (s->w[0])
        return __builtin_ctzll(s->w[0]);
    if (s->w[1])
        return 64 + __builtin_ctzll(s->w[1]);
    return -1;
}

AcdChord acd_metrics_beat_chord(const AcdFrameRoll *acc, size_t beat)
{
    double w[12] = {0};
    int bass = -1;
    for (size_t k = 0; k < ACD_METRICS_FRAMES_PER_BEAT; k++) {
        size_t f = beat * ACD_METRICS_FRAMES_PER_BEAT + k;
        if (f >= acc->n_frames)
            break;
        add_histogram(&acc->sound[f], w);
        int lo = lowest_pitch(&acc->sound[f]);
        if (lo >= 0 && (bass < 0 || lo < bass))
            bass = lo;
    }
    return acd_chord_infer(w, bass < 0 ? -1 : bass % 12);
}

/* Onset F1 with a tolerance of one frame: est and ref are onset flags per
 * frame of the span; returns the size of a maximum one-to-one matching.
 * Taking each estimate in time order and giving it the earliest free
 * reference within reach is optimal for windows of equal width on a line. */
static size_t match_within_one(const uint8_t *est, const uint8_t *ref, size_t n)
{
    uint8_t used[3] = {0, 0, 0}; /* ref frames f-1, f, f+1 taken */
    size_t matched = 0;
    for (size_t f = 0; f < n; f++) {
        /* Slide the window: used[0] is frame f-1. */
        if (est[f]) {
            if (f > 0 && ref[f - 1] && !used[0]) {
                used[0] = 1;
                matched++;
            } else if (ref[f] && !used[1]) {
                used[1] = 1;
                matched++;
            } else if (f + 1 < n && ref[f + 1] && !used[2]) {
                used[2] = 1;
                matched++;
            }
        }
        used[0] = used[1];
        used[1] = used[2];
        used[2] = 0;
    }
    return matched;
}

static void add(AcdMetrics *m, AcdMetric id, double num, double den)
{
    m->num[id] += num;
    m->den[id] += den;
}

/* Frame-level measures: harmony (a) and (c), onsets, density, silence, JS. */
static AcdStatus score_frames(const AcdMetricsSong *ms, const AcdFrameRoll *acc, AcdMetrics *m)
{
    size_t first = ms->first_frame, n = ms->end_frame - first;
    uint8_t *flags = calloc(2 * (n ? n : 1), 1);
    if (!flags)
        return ACD_ERR_NOMEM;
    uint8_t *est = flags, *ref = flags + n;
    double hist_acc[12] = {0}, hist_hum[12] = {0};
    size_t n_est = 0, n_ref = 0, n_both = 0;
    double pc_est = 0, pc_ref = 0, pc_both = 0;
    for (size_t f = first; f < ms->end_frame; f++) {
        const AcdPitchSet *a = &acc->sound[f], *o = &acc->onset[f];
        AcdPcSet mel = acd_pitchset_pcs(&ms->melody.sound[f]);
        AcdPcSet apcs = acd_pitchset_pcs(a);
        int n_mel = popcount_pcs(mel), n_acc = acd_pitchset_count(a);
        if (n_mel && n_acc)
            add(m, ACD_METRIC_HARMONY_PC, popcount_pcs(mel & apcs), n_mel);
        if (ms->label && ms->label[f] && n_acc)
            add(m, ACD_METRIC_HARMONY_LABEL, pitches_in(a, ms->label[f]), n_acc);
        if (n_acc)
            add(m, ACD_METRIC_POLYPHONY, n_acc, 1);
        if (n_mel)
            add(m, ACD_METRIC_SILENCE, n_acc == 0, 1);
        add_histogram(a, hist_acc);
        add_histogram(&ms->human.sound[f], hist_hum);

        AcdPcSet opcs = acd_pitchset_pcs(o), hpcs = acd_pitchset_pcs(&ms->human.onset[f]);
        est[f - first] = !acd_pitchset_empty(o);
        ref[f - first] = !acd_pitchset_empty(&ms->human.onset[f]);
        n_est += est[f - first];
        n_ref += ref[f - first];
        n_both += est[f - first] && ref[f - first];
        pc_est += popcount_pcs(opcs);
        pc_ref += popcount_pcs(hpcs);
        pc_both += popcount_pcs(opcs & hpcs);
        m->num[ACD_METRIC_NOTES_BAR] += acd_pitchset_count(o);
    }
    add(m, ACD_METRIC_ONSET_F1, 2.0 * (double)n_both, (double)(n_est + n_ref));
    size_t matched = match_within_one(est, ref, n);
    add(m, ACD_METRIC_ONSET_F1_TOL, 2.0 * (double)matched, (double)(n_est + n_ref));
    add(m, ACD_METRIC_ONSET_PC_F1, 2.0 * pc_both, pc_est + pc_ref);
    add(m, ACD_METRIC_ONSET_FRAMES_BAR, (double)n_est, (double)ms->n_bars);
    m->den[ACD_METRIC_NOTES_BAR] += (double)ms->n_bars;
    add(m, ACD_METRIC_PC_JS, acd_metrics_js(hist_acc, hist_hum), 1);
    free(flags);
    return ACD_OK;
}

/* Held chords longer than ACD_METRICS_LONG_CHORD_BEATS. */
static size_t count_long_chords(const AcdMetricsSong *ms, const AcdFrameRoll *acc)
{
    const size_t limit = (size_t)ACD_METRICS_LONG_CHORD_BEATS * ACD_METRICS_FRAMES_PER_BEAT;
    size_t count = 0, run = 0;
    for (size_t f = ms->first_frame; f <= ms->end_frame; f++) {
        int sounding = f < ms->end_frame && !acd_pitchset_empty(&acc->sound[f]);
        int onset = f < ms->end_frame && !acd_pitchset_empty(&acc->onset[f]);
        if (!sounding || onset) {
            count += run > limit;
            run = 0;
        }
        if (sounding)
            run++;
    }
    return count;
}

/* Beat-level measures: harmony (b) and runs of one chord. */
static void score_beats(const AcdMetricsSong *ms, const AcdFrameRoll *acc, AcdMetrics *m)
{
    size_t first_beat = ms->first_frame / ACD_METRICS_FRAMES_PER_BEAT;
    size_t end_beat = ms->end_frame / ACD_METRICS_FRAMES_PER_BEAT;
    AcdChord prev = {-1, ACD_CHORD_MAJ, 0};
    size_t run = 0, runs = 0;
    for (size_t b = first_beat; b <= end_beat; b++) {
        AcdChord c = {-1, ACD_CHORD_MAJ, 0};
        if (b < end_beat)
            c = acd_metrics_beat_chord(acc, b);
        int same = c.root >= 0 && c.root == prev.root && c.quality == prev.quality;
        if (!same) {
            runs += run > ACD_METRICS_CHORD_RUN_BEATS;
            run = 0;
        }
        if (c.root >= 0)
            run++;
        prev = c;
        if (b == end_beat || c.root < 0)
            continue;
        for (size_t k = 0; k < ACD_METRICS_FRAMES_PER_BEAT; k++) {
            AcdPcSet mel = acd_pitchset_pcs(&ms->melody.sound[b * ACD_METRICS_FRAMES_PER_BEAT + k]);
            if (mel)
                add(m, ACD_METRIC_HARMONY_CHORD, popcount_pcs(mel & c.pcs), popcount_pcs(mel));
        }
    }
    add(m, ACD_METRIC_CHORD_RUNS, 100.0 * (double)runs, (double)ms->n_bars);
}

/* Bars compare by their onsets only: a played pattern repeated with
 * slightly different releases is still the same pattern (in quantized
 * human playing the releases almost never match). */
static int bars_equal(const AcdFrameRoll *acc, size_t a, size_t b, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (!acd_pitchset_equal(&acc->onset[a + k], &acc->onset[b + k]))
            return 0;
    return 1;
}

static void score_bars(const AcdMetricsSong *ms, const AcdFrameRoll *acc, AcdMetrics *m)
{
    for (size_t i = 1; i < ms->n_bars; i++) {
        size_t s = ms->bar_start[i], len = ms->bar_start[i + 1] - s;
        size_t ps = ms->bar_start[i - 1], plen = s - ps;
        int strikes = 0;
        for (size_t f = s; f < s + len && !strikes; f++)
            strikes = !acd_pitchset_empty(&acc->onset[f]);
        if (!strikes)
            continue;
        add(m, ACD_METRIC_BAR_REPEAT, len == plen && bars_equal(acc, ps, s, len), 1);
    }
}

AcdStatus acd_metrics_score(const AcdMetricsSong *ms, const AcdSongNote *acc, size_t n,
                            AcdMetrics *sum)
{
    AcdFrameRoll roll;
    AcdStatus st = acd_frames_init(&roll, acc, n, ms->end_frame);
    if (st)
        return st;
    AcdMetrics m;
    memset(&m, 0, sizeof m);
    if ((st = score_frames(ms, &roll, &m)))
        goto done;
    score_beats(ms, &roll, &m);
    score_bars(ms, &roll, &m);
    size_t long_chords = count_long_chords(ms, &roll);
    add(&m, ACD_METRIC_LONG_CHORDS, 100.0 * (double)long_chords, (double)ms->n_bars);
    m.n_songs = 1;
    acd_metrics_merge(sum, &m);
done:
    acd_frames_cleanup(&roll);
    return st;
}
