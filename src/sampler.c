/* The sampler: thresholds or temperature sampling, note lengths, polyphony cap. */
#include "accompd/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/rng.h"
#include "clones.h"

/* Determinism across machines: every decision is made with IEEE double
 * additions, multiplications, divisions and comparisons, which are correctly
 * rounded everywhere, and with our own exp (no libm, whose last bits differ
 * between versions). What could still differ is the compiler fusing a
 * multiply and an add into an FMA on targets that have one, so contraction is
 * switched off for this file. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Logits further than this from the threshold (in units of temperature)
 * decide without a draw's help: sigmoid(40) = 1 - 4e-18 lies above every
 * value acd_rng_next_unit can return, sigmoid(-40) below, so cutting there
 * changes no decision and keeps det_exp in its small range. */
#define CUT 40.0

#define MAX_OUT (2 * ACD_SAMPLER_MAX_PITCH)

struct AcdSampler {
    AcdSamplerConfig cfg;
    double logit_onset; /* logit(thresh_onset): z >= this is "p >= thresh" */
    double logit_hold;
    double inv_temp; /* 1 / temperature, 0 when greedy */
    AcdRng rng;
    AcdNoteFrame cur;                      /* the last step's notes */
    uint32_t age[ACD_SAMPLER_MAX_PITCH];   /* steps the note in cur has sounded */
    double u[MAX_OUT];                     /* scratch: this step's draws */
    double margin[MAX_OUT];                /* scratch: z - logit(thresh) */
    uint8_t fire[MAX_OUT];                 /* scratch: the logit's decision */
    double score[ACD_SAMPLER_MAX_PITCH];   /* scratch: rank under the polyphony cap */
    uint8_t forced[ACD_SAMPLER_MAX_PITCH]; /* scratch: held by the minimum length */
    uint8_t best[ACD_SAMPLER_MAX_PITCH];   /* scratch: the kept pitches, best first */
};

/* Four doubles, for the GCC/Clang vector extensions: each lane is plain
 * IEEE arithmetic, so the results are the same bits whatever width the
 * machine runs them at (and with contraction off, never fused). */
typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4l __attribute__((vector_size(32)));

#define SPLAT(x) ((v4d){(x), (x), (x), (x)})

/* e^x for |x| <= CUT, four at a time. Cody–Waite reduction x = k·ln2 + r,
 * |r| <= ln2/2, then Taylor to degree 11 (truncation below 1e-14 relative,
 * far below what could shift a sampling probability measurably): what
 * matters here is that every machine gets the same bits. */
/* (Vectors go in and out through memory: passing them by value would tie
 * the ABI to the instruction set.) */
static inline __attribute__((always_inline)) void det_exp4(const double *in, double *out)
{
    v4d x;
    memcpy(&x, in, sizeof x);
    const double ln2_hi = 0x1.62e42p-1; /* 20 bits: k·ln2_hi is exact */
    const double ln2_lo = 0x1.fdf473de6af28p-22;
    const double inv_ln2 = 0x1.71547652b82fep+0;
    const double round = 0x1.8p52; /* adding it rounds to an integer, ties to even */
    v4d kr = x * inv_ln2 + round;  /* k in the low bits of the mantissa */
    v4d k = kr - round;
    v4d r = (x - k * ln2_hi) - k * ln2_lo;
    /* Taylor coefficients 1/n!, folded (correctly rounded) by the
     * compiler, summed by Estrin's scheme: a short dependency chain. */
    v4d r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    v4d a0 = 1.0 + r;
    v4d a1 = 1.0 / 2.0 + r * (1.0 / 6.0);
    v4d a2 = 1.0 / 24.0 + r * (1.0 / 120.0);
    v4d a3 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    v4d a4 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    v4d a5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    v4d p = (a0 + r2 * a1) + r4 * (a2 + r2 * a3) + r8 * (a4 + r2 * a5);
    /* 2^k, |k| <= 58, straight into the exponent bits. */
    v4l kbits = (v4l)kr - (v4l)SPLAT(round);
    v4l scale = (kbits + 1023) << 52;
    v4d e = p * (v4d)scale;
    memcpy(out, &e, sizeof e);
}

static double det_exp(double x)
{
    double in[4] = {x, x, x, x}, out[4];
    det_exp4(in, out);
    return out[0];
}

static double det_sigmoid(double x)
{
    if (x >= CUT)
        return 1.0;
    if (x <= -CUT)
        return 0.0;
    return 1.0 / (1.0 + det_exp(-x));
}

/* The smallest double x with det_sigmoid(x) >= th, by bisection, so that the
 * greedy rule "z >= logit" is exactly "p >= th" under our own sigmoid, and
 * the same on every machine. 0.5 is special-cased to the exact 0. */
static double det_logit(double th)
{
    if (th == 0.5)
        return 0.0;
    double lo = -CUT, hi = CUT;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (det_sigmoid(mid) >= th)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

void acd_sampler_config_default(AcdSamplerConfig *cfg, int n_pitch, int lowest_note,
                                AcdSamplerRoll roll)
{
    *cfg = (AcdSamplerConfig){
        .n_pitch = n_pitch,
        .lowest_note = lowest_note,
        .roll = roll,
        .thresh_onset = 0.5f,
        .thresh_hold = 0.5f,
        .temperature = 0.0f,
        .seed = 1,
        .max_poly = 8,
        .min_len_steps = 1,
        .max_len_steps = 64,
    };
}

static AcdStatus check_thresh(const char *name, float th, AcdError *err)
{
    /* The bounds keep logit(th) far inside (-CUT, CUT). */
    if (!(th >= 1e-6f && th <= 1.0f - 1e-6f))
        return acd_error_set(err, ACD_ERR_RANGE, "sampler: %s = %g is outside [1e-6, 1 - 1e-6]",
                             name, (double)th);
    return ACD_OK;
}

AcdStatus acd_sampler_config_check(const AcdSamplerConfig *cfg, AcdError *err)
{
    if (cfg->n_pitch < 1 || cfg->n_pitch > ACD_SAMPLER_MAX_PITCH)
        return acd_error_set(err, ACD_ERR_RANGE, "sampler: n_pitch = %d is outside 1..%d",
                             cfg->n_pitch, ACD_SAMPLER_MAX_PITCH);
    if (cfg->lowest_note < 0 || cfg->lowest_note + cfg->n_pitch > 128)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "sampler: notes %d..%d are outside the MIDI range 0..127",
                             cfg->lowest_note, cfg->lowest_note + cfg->n_pitch - 1);
    if (cfg->roll != ACD_SAMPLER_ROLL_ONSET_HOLD && cfg->roll != ACD_SAMPLER_ROLL_ONOFF)
        return acd_error_set(err, ACD_ERR_INVALID, "sampler: unknown roll %d", (int)cfg->roll);
    AcdStatus st = check_thresh("thresh_onset", cfg->thresh_onset, err);
    if (st == ACD_OK)
        st = check_thresh("thresh_hold", cfg->thresh_hold, err);
    if (st != ACD_OK)
        return st;
    if (!(cfg->temperature >= 0.0f && cfg->temperature <= 100.0f))
        return acd_error_set(err, ACD_ERR_RANGE, "sampler: temperature = %g is outside [0, 100]",
                             (double)cfg->temperature);
    if (cfg->max_poly < 0 || cfg->min_len_steps < 0 || cfg->max_len_steps < 0)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "sampler: max_poly, min_len_steps and max_len_steps must be >= 0");
    if (cfg->max_len_steps > 0 && cfg->min_len_steps > cfg->max_len_steps)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "sampler: min_len_steps = %d exceeds max_len_steps = %d",
                             cfg->min_len_steps, cfg->max_len_steps);
    return ACD_OK;
}

static void apply_config(AcdSampler *s, const AcdSamplerConfig *cfg)
{
    s->cfg = *cfg;
    s->logit_onset = det_logit((double)cfg->thresh_onset);
    s->logit_hold = det_logit((double)cfg->thresh_hold);
    s->inv_temp = cfg->temperature > 0.0f ? 1.0 / (double)cfg->temperature : 0.0;
}

AcdStatus acd_sampler_new(const AcdSamplerConfig *cfg, AcdSampler **out, AcdError *err)
{
    *out = NULL;
    AcdStatus st = acd_sampler_config_check(cfg, err);
    if (st != ACD_OK)
        return st;
    AcdSampler *s = calloc(1, sizeof *s);
    if (!s)
        return acd_error_set(err, ACD_ERR_NOMEM, "sampler: out of memory");
    apply_config(s, cfg);
    acd_sampler_reset(s);
    *out = s;
    return ACD_OK;
}

void acd_sampler_free(AcdSampler *s)
{
    free(s);
}

AcdStatus acd_sampler_configure(AcdSampler *s, const AcdSamplerConfig *cfg, AcdError *err)
{
    if (cfg->n_pitch != s->cfg.n_pitch || cfg->lowest_note != s->cfg.lowest_note ||
        cfg->roll != s->cfg.roll)
        return acd_error_set(err, ACD_ERR_INVALID,
                             "sampler: pitch range and roll cannot change on a running sampler");
    AcdStatus st = acd_sampler_config_check(cfg, err);
    if (st != ACD_OK)
        return st;
    apply_config(s, cfg);
    return ACD_OK;
}

const AcdSamplerConfig *acd_sampler_config(const AcdSampler *s)
{
    return &s->cfg;
}

void acd_sampler_reset(AcdSampler *s)
{
    memset(&s->cur, 0, sizeof s->cur);
    memset(s->age, 0, sizeof s->age);
    acd_rng_seed(&s->rng, s->cfg.seed);
}

/* Decide every logit: fire[i] = 1 when it is "on" against its threshold.
 * Greedy: margin >= 0, i.e. p >= thresh. Sampling: with probability
 * sigmoid(margin / T), from one draw per logit whatever the outcome, so that
 * the generator's position depends only on the number of steps: changing a
 * threshold or a cap never shifts later draws. NaN never fires. Branch-free
 * per logit: the outcomes are coin flips a predictor cannot learn. */
/* An AVX2 clone (clones.h); same bits either way. */
ACD_CLONES_V3 static void decide_all(AcdSampler *s, size_t n)
{
    if (s->inv_temp == 0.0) {
        for (size_t i = 0; i < n; i++)
            s->fire[i] = s->margin[i] >= 0.0;
        return;
    }
    acd_rng_fill_unit(&s->rng, s->u, n);
    /* Four at a time; the scratch arrays are padded to a multiple of four,
     * and what lies past n is ignored. */
    const v4d lo = SPLAT(-CUT), hi = SPLAT(CUT), one = SPLAT(1.0);
    for (size_t i = 0; i < n; i += 4) {
        v4d m, u;
        memcpy(&m, s->margin + i, sizeof m);
        memcpy(&u, s->u + i, sizeof u);
        v4d x = m * s->inv_temp;
        /* Clamped into det_exp4's range; NaN goes to -CUT (and never fires). */
        v4l above = x > lo;
        v4d xc = (v4d)((above & (v4l)x) | (~above & (v4l)lo));
        v4l below = xc < hi;
        xc = (v4d)((below & (v4l)xc) | (~below & (v4l)hi));
        /* u < 1 / (1 + e^-x), without the division. */
        double nx[4], e4[4];
        v4d mx = -xc, e;
        memcpy(nx, &mx, sizeof nx);
        det_exp4(nx, e4);
        memcpy(&e, e4, sizeof e);
        v4l hit = u * (one + e) < one;
        v4l fire = (x >= hi) | (above & hit);
        for (int j = 0; j < 4; j++)
            s->fire[i + j] = (uint8_t)(fire[j] & 1);
    }
}

/* Is a ranked before b under the cap? Notes held by the minimum length first,
 * then the larger margin over the threshold (the more probable), then the
 * lower pitch (bass matters most), so the order is total and deterministic. */
static int ranks_before(const AcdSampler *s, int a, int b)
{
    if (s->forced[a] != s->forced[b])
        return s->forced[a] > s->forced[b];
    if (s->score[a] != s->score[b])
        return s->score[a] > s->score[b];
    return a < b;
}

/* Keep the max_poly best of the sounding pitches: a top-k insertion into
 * best[], O(n_pitch · max_poly) at worst, then silence the rest. */
static void apply_cap(AcdSampler *s)
{
    const int np = s->cfg.n_pitch, k = s->cfg.max_poly;
    int n = 0;
    for (int p = 0; p < np; p++) {
        if (!(s->cur.onset[p] | s->cur.hold[p]))
            continue;
        if (n == k && !ranks_before(s, p, s->best[k - 1]))
            continue;
        int j = n < k ? n++ : k - 1;
        while (j > 0 && ranks_before(s, p, s->best[j - 1])) {
            s->best[j] = s->best[j - 1];
            j--;
        }
        s->best[j] = (uint8_t)p;
    }
    uint8_t keep[ACD_SAMPLER_MAX_PITCH] = {0};
    for (int i = 0; i < n; i++)
        keep[s->best[i]] = 1;
    for (int p = 0; p < np; p++) {
        s->cur.onset[p] &= keep[p];
        s->cur.hold[p] &= keep[p];
    }
}

void acd_sampler_step(AcdSampler *s, const float *logits, AcdNoteFrame *frame, float *y)
{
    const AcdSamplerConfig *c = &s->cfg;
    const int np = c->n_pitch;
    const int two = c->roll == ACD_SAMPLER_ROLL_ONSET_HOLD;
    const size_t n_out = (size_t)(two ? 2 * np : np);
    const uint32_t min_len = (uint32_t)c->min_len_steps;
    const uint32_t max_len = (uint32_t)c->max_len_steps;
    const int has_max = max_len > 0;

    /* Margins over the thresholds. One "sounds" bit (onoff): a silent pitch
     * starts at thresh_onset, a sounding one carries on at thresh_hold
     * (hysteresis). Indexing instead of branching here and below: the
     * outcomes are as good as random to a branch predictor. */
    const double lt[2] = {s->logit_onset, s->logit_hold};
    if (two) {
        for (int p = 0; p < np; p++) {
            s->margin[p] = (double)logits[p] - lt[0];
            s->margin[np + p] = (double)logits[np + p] - lt[1];
        }
    } else {
        for (int p = 0; p < np; p++)
            s->margin[p] = (double)logits[p] - lt[s->cur.onset[p] | s->cur.hold[p]];
    }
    decide_all(s, n_out);

    /* s->cur holds step t-1; pitch p of it is read before it is replaced. */
    int n_sounding = 0;
    for (int p = 0; p < np; p++) {
        const int was = s->cur.onset[p] | s->cur.hold[p];
        const uint32_t age = s->age[p];
        /* Too young to stop or to re-strike: held regardless. */
        const int young = was & (age < min_len);
        /* Too old to hold: released rather than turned into a re-strike,
         * because max_len is there to break drones; the model sees the
         * release in y and strikes again next step if it means it. */
        const int old = was & has_max & (age >= max_len);
        int on, hold;
        double sc;
        if (two) {
            const int d_on = s->fire[p], d_hold = s->fire[np + p];
            on = (young ^ 1) & d_on; /* a re-strike when it was sounding */
            /* Only a sounding note can be held. */
            hold = young | ((d_on ^ 1) & d_hold & was & (old ^ 1));
            sc = s->margin[p + np * (on ^ 1)];
        } else {
            const int sounds = young | (s->fire[p] & (old ^ 1));
            on = sounds & (was ^ 1);
            hold = sounds & was;
            sc = s->margin[p];
        }
        s->score[p] = sc == sc ? sc : -HUGE_VAL; /* NaN ranks last */
        s->cur.onset[p] = (uint8_t)on;
        s->cur.hold[p] = (uint8_t)hold;
        s->forced[p] = (uint8_t)young;
        n_sounding += on | hold;
    }

    if (c->max_poly > 0 && n_sounding > c->max_poly)
        apply_cap(s);

    for (int p = 0; p < np; p++) {
        /* onset: 1; hold: one more (saturating); silent: 0. */
        uint32_t next = s->age[p] + (s->age[p] != UINT32_MAX);
        uint32_t held = 0u - (uint32_t)s->cur.hold[p];
        s->age[p] = (uint32_t)s->cur.onset[p] | (next & held);
    }

    if (frame)
        *frame = s->cur;
    if (y && two) {
        for (int p = 0; p < np; p++) {
            y[p] = s->cur.onset[p];
            y[np + p] = s->cur.hold[p];
        }
    } else if (y) {
        for (int p = 0; p < np; p++)
            y[p] = s->cur.onset[p] | s->cur.hold[p];
    }
}

const AcdNoteFrame *acd_sampler_frame(const AcdSampler *s)
{
    return &s->cur;
}

int acd_note_frame_count(const AcdNoteFrame *frame, int n_pitch)
{
    int n = 0;
    for (int p = 0; p < n_pitch && p < ACD_SAMPLER_MAX_PITCH; p++)
        n += frame->onset[p] | frame->hold[p];
    return n;
}

size_t acd_sampler_diff(const AcdNoteFrame *prev, const AcdNoteFrame *cur, int n_pitch,
                        int lowest_note, AcdNoteEvent *ev, size_t cap)
{
    static const AcdNoteFrame silence;
    if (!prev)
        prev = &silence;
    if (!cur)
        cur = &silence;
    if (n_pitch > ACD_SAMPLER_MAX_PITCH)
        n_pitch = ACD_SAMPLER_MAX_PITCH;
    size_t n = 0;
    /* Offs: what stops, and what is struck again. */
    for (int p = 0; p < n_pitch; p++) {
        int was = prev->onset[p] | prev->hold[p];
        int is = cur->onset[p] | cur->hold[p];
        if (was && (!is || cur->onset[p])) {
            if (n < cap)
                ev[n] = (AcdNoteEvent){.note = (uint8_t)((lowest_note + p) & 0x7f), .on = 0};
            n++;
        }
    }
    /* Ons: every onset, and (defensively, for frames not made by a sampler)
     * a hold with no sounding predecessor, so that what sounds was started. */
    for (int p = 0; p < n_pitch; p++) {
        int was = prev->onset[p] | prev->hold[p];
        if (cur->onset[p] || (cur->hold[p] && !was)) {
            if (n < cap)
                ev[n] = (AcdNoteEvent){.note = (uint8_t)((lowest_note + p) & 0x7f), .on = 1};
            n++;
        }
    }
    return n;
}
