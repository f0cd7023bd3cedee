/* Calibration of a model's greedy thresholds against the human accompaniment's density. */
#include "accompd/calibrate.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accompd/render.h"

#define MAX_THREADS 8

typedef struct {
    AcdSong *song;
    AcdMetricsSong ms;
} CalSong;

struct AcdCalibration {
    const AcdModel *model;
    AcdCalibrateConfig cfg;
    CalSong *songs;
    size_t n_songs, cap_songs;
    AcdMetrics target;
    AcdCalibrateTrial *trials;
    size_t n_trials, cap_trials;
};

void acd_calibrate_config_default(AcdCalibrateConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tol = 0.15;
    cfg->silence_margin = 0.05;
    cfg->temperature = 0.0f;
    cfg->max_poly = -1;
    cfg->threads = 1;
    cfg->max_trials = 64;
}

AcdStatus acd_calibrate_new(const AcdModel *m, const AcdCalibrateConfig *cfg, AcdCalibration **out,
                            AcdError *err)
{
    *out = NULL;
    if (!(cfg->tol > 0.0) || !(cfg->silence_margin >= 0.0) || cfg->threads < 1 ||
        cfg->threads > MAX_THREADS || cfg->max_trials < 1 || !(cfg->temperature >= 0.0f) ||
        cfg->max_poly > ACD_SAMPLER_MAX_PITCH)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "calibrate: tol %g must be > 0, silence margin >= 0, threads %d in "
                             "1..%d, max_trials %d "
                             ">= 1, temperature %g >= 0, max_poly at most 128",
                             cfg->tol, cfg->threads, MAX_THREADS, cfg->max_trials,
                             (double)cfg->temperature);
    AcdCalibration *c = calloc(1, sizeof *c);
    if (!c)
        return acd_error_set(err, ACD_ERR_NOMEM, "calibrate: out of memory");
    c->model = m;
    c->cfg = *cfg;
    *out = c;
    return ACD_OK;
}

void acd_calibrate_free(AcdCalibration *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_songs; i++) {
        acd_metrics_song_cleanup(&c->songs[i].ms);
        acd_song_free(c->songs[i].song);
    }
    free(c->songs);
    free(c->trials);
    free(c);
}

AcdStatus acd_calibrate_add_song(AcdCalibration *c, AcdSong *song, const AcdChordLabels *labels,
                                 AcdError *err)
{
    if (c->n_songs == c->cap_songs) {
        size_t cap = c->cap_songs ? 2 * c->cap_songs : 64;
        CalSong *s = realloc(c->songs, cap * sizeof *s);
        if (!s) {
            acd_song_free(song);
            return acd_error_set(err, ACD_ERR_NOMEM, "calibrate: out of memory");
        }
        c->songs = s;
        c->cap_songs = cap;
    }
    CalSong *cs = &c->songs[c->n_songs];
    memset(cs, 0, sizeof *cs);
    AcdStatus st = acd_metrics_song_init(&cs->ms, song, labels, err);
    if (st == ACD_OK)
        st = acd_metrics_score(&cs->ms, song->accomp, song->n_accomp, &c->target);
    if (st) {
        acd_metrics_song_cleanup(&cs->ms);
        acd_song_free(song);
        return st;
    }
    cs->song = song;
    c->n_songs++;
    return ACD_OK;
}

size_t acd_calibrate_song_count(const AcdCalibration *c)
{
    return c->n_songs;
}

const AcdMetrics *acd_calibrate_target(const AcdCalibration *c)
{
    return &c->target;
}

/* ---- One trial: every song rendered, possibly on several threads -------- */

typedef struct {
    AcdCalibration *c;
    const AcdRenderConfig *rc;
    AcdMetrics *per_song; /* [n_songs]: summed in song order afterwards, so
                           * the result does not depend on the thread count */
    size_t first, stride;
    AcdStatus st;
    AcdError err;
} Worker;

static void *work(void *arg)
{
    Worker *w = arg;
    for (size_t i = w->first; i < w->c->n_songs && w->st == ACD_OK; i += w->stride) {
        const CalSong *cs = &w->c->songs[i];
        AcdRender r;
        w->st = acd_render_song(w->c->model, w->rc, cs->song, &r, &w->err);
        if (w->st == ACD_OK)
            w->st = acd_metrics_score(&cs->ms, r.notes, r.n_notes, &w->per_song[i]);
        acd_render_cleanup(&r);
        if (w->st)
            acd_error_prefix(&w->err, "%s: ", cs->song->name);
    }
    return NULL;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double rel_err(double v, double target)
{
    if (!isfinite(v) || !(target > 0.0))
        return INFINITY;
    return fabs(v / target - 1.0);
}

AcdStatus acd_calibrate_try(AcdCalibration *c, float thresh_onset, float thresh_hold,
                            float temperature, AcdCalibrateTrial *out, AcdError *err)
{
    memset(out, 0, sizeof *out);
    out->thresh_onset = thresh_onset;
    out->thresh_hold = thresh_hold;
    out->temperature = temperature;
    double t0 = now_sec();

    AcdRenderConfig rc;
    acd_render_config_default(&rc, c->model);
    rc.engine.sampler.thresh_onset = thresh_onset;
    rc.engine.sampler.thresh_hold = thresh_hold;
    rc.engine.sampler.temperature = temperature;
    if (c->cfg.max_poly >= 0)
        rc.engine.sampler.max_poly = c->cfg.max_poly;
    AcdStatus st = acd_sampler_config_check(&rc.engine.sampler, err);
    if (st)
        return st;

    AcdMetrics *per_song = calloc(c->n_songs ? c->n_songs : 1, sizeof *per_song);
    if (!per_song)
        return acd_error_set(err, ACD_ERR_NOMEM, "calibrate: out of memory");
    size_t n_threads = (size_t)c->cfg.threads;
    if (n_threads > c->n_songs)
        n_threads = c->n_songs ? c->n_songs : 1;
    Worker w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    size_t started = 0;
    for (size_t k = 0; k < n_threads; k++)
        w[k] = (Worker){.c = c, .rc = &rc, .per_song = per_song, .first = k, .stride = n_threads};
    /* This thread does the first share itself. */
    for (size_t k = 1; k < n_threads; k++) {
        if (pthread_create(&tid[k], NULL, work, &w[k]) != 0)
            break;
        started = k;
    }
    /* Shares whose thread did not start are done here, in turn. */
    work(&w[0]);
    for (size_t k = started + 1; k < n_threads; k++)
        work(&w[k]);
    for (size_t k = 1; k <= started; k++)
        pthread_join(tid[k], NULL);

    for (size_t k = 0; k < n_threads; k++)
        if (w[k].st) {
            st = w[k].st;
            if (err)
                *err = w[k].err;
            break;
        }
    for (size_t i = 0; st == ACD_OK && i < c->n_songs; i++) {
        acd_metrics_merge(&out->metrics, &per_song[i]);
        out->metrics.n_songs++;
    }
    free(per_song);
    if (st)
        return st;

    out->poly = acd_metrics_value(&out->metrics, ACD_METRIC_POLYPHONY);
    out->onsets_bar = acd_metrics_value(&out->metrics, ACD_METRIC_ONSET_FRAMES_BAR);
    out->harmony = acd_metrics_value(&out->metrics, ACD_METRIC_HARMONY_PC);
    double e_poly = rel_err(out->poly, acd_metrics_value(&c->target, ACD_METRIC_POLYPHONY));
    double e_ons =
        rel_err(out->onsets_bar, acd_metrics_value(&c->target, ACD_METRIC_ONSET_FRAMES_BAR));
    out->dist = e_poly > e_ons ? e_poly : e_ons;
    out->within = out->dist <= c->cfg.tol;
    out->silence = acd_metrics_value(&out->metrics, ACD_METRIC_SILENCE);
    out->quiet_ok =
        out->silence <= acd_metrics_value(&c->target, ACD_METRIC_SILENCE) + c->cfg.silence_margin;
    out->rank = out->within ? (out->quiet_ok ? 2 : 1) : 0;
    out->seconds = now_sec() - t0;
    return ACD_OK;
}

bool acd_calibrate_better(const AcdCalibrateTrial *a, const AcdCalibrateTrial *b)
{
    if (a->rank != b->rank)
        return a->rank > b->rank;
    if (a->rank == 2) {
        double ha = isfinite(a->harmony) ? a->harmony : -1.0;
        double hb = isfinite(b->harmony) ? b->harmony : -1.0;
        if (ha != hb)
            return ha > hb;
    } else if (a->rank == 1 && a->silence != b->silence) {
        return a->silence < b->silence;
    }
    return a->dist < b->dist;
}

/* ---- The search ---------------------------------------------------------- */

static double logit(double p)
{
    return log(p / (1.0 - p));
}

/* A threshold from a logit, rounded to 0.001 inside [0.001, 0.999]. */
static float thresh_of(double u)
{
    double p = 1.0 / (1.0 + exp(-u));
    p = round(p * 1000.0) / 1000.0;
    if (p < 0.001)
        p = 0.001;
    if (p > 0.999)
        p = 0.999;
    return (float)p;
}

static const AcdCalibrateTrial *find_trial(const AcdCalibration *c, float on, float hold)
{
    for (size_t i = 0; i < c->n_trials; i++)
        if (c->trials[i].thresh_onset == on && c->trials[i].thresh_hold == hold)
            return &c->trials[i];
    return NULL;
}

/* Try (on, hold) unless already tried; *t receives the trial either way. */
static AcdStatus visit(AcdCalibration *c, float on, float hold, AcdCalibrateProgress progress,
                       void *user, AcdCalibrateTrial *t, AcdError *err)
{
    const AcdCalibrateTrial *old = find_trial(c, on, hold);
    if (old) {
        *t = *old;
        return ACD_OK;
    }
    if (c->n_trials == c->cap_trials) {
        size_t cap = c->cap_trials ? 2 * c->cap_trials : 64;
        AcdCalibrateTrial *nt = realloc(c->trials, cap * sizeof *nt);
        if (!nt)
            return acd_error_set(err, ACD_ERR_NOMEM, "calibrate: out of memory");
        c->trials = nt;
        c->cap_trials = cap;
    }
    AcdStatus st = acd_calibrate_try(c, on, hold, c->cfg.temperature, t, err);
    if (st)
        return st;
    c->trials[c->n_trials++] = *t;
    if (progress)
        progress(user, t, c->n_trials - 1);
    return ACD_OK;
}

#define GRID         5
#define STEP_START   0.5
#define STEP_MIN     0.06
#define ONSET_GRID_0 0.02
#define ONSET_GRID_1 0.5
#define HOLD_GRID_0  0.05
#define HOLD_GRID_1  0.7

AcdStatus acd_calibrate_search(AcdCalibration *c, AcdCalibrateProgress progress, void *user,
                               AcdCalibrateTrial *best, AcdError *err)
{
    memset(best, 0, sizeof *best);
    c->n_trials = 0;
    if (c->n_songs == 0)
        return acd_error_set(err, ACD_ERR_EMPTY, "calibrate: no songs");
    size_t max = (size_t)c->cfg.max_trials;
    bool have = false;
    double bu = 0.0, bv = 0.0; /* the best pair, in logits */
    AcdCalibrateTrial t;
    AcdStatus st;

    for (int i = 0; i < GRID && c->n_trials < max; i++)
        for (int j = 0; j < GRID && c->n_trials < max; j++) {
            double u =
                logit(ONSET_GRID_0) + (logit(ONSET_GRID_1) - logit(ONSET_GRID_0)) * i / (GRID - 1);
            double v =
                logit(HOLD_GRID_0) + (logit(HOLD_GRID_1) - logit(HOLD_GRID_0)) * j / (GRID - 1);
            if ((st = visit(c, thresh_of(u), thresh_of(v), progress, user, &t, err)))
                return st;
            if (!have || acd_calibrate_better(&t, best)) {
                *best = t;
                bu = u;
                bv = v;
                have = true;
            }
        }

    /* Pattern search: move to a better neighbour, else shrink the step. */
    static const int dir[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (double step = STEP_START; step >= STEP_MIN && c->n_trials < max;) {
        bool moved = false;
        for (int d = 0; d < 4 && c->n_trials < max; d++) {
            double u = bu + step * dir[d][0], v = bv + step * dir[d][1];
            if ((st = visit(c, thresh_of(u), thresh_of(v), progress, user, &t, err)))
                return st;
            if (acd_calibrate_better(&t, best)) {
                *best = t;
                bu = u;
                bv = v;
                moved = true;
            }
        }
        if (!moved)
            step /= 2.0;
    }
    return ACD_OK;
}

const AcdCalibrateTrial *acd_calibrate_trials(const AcdCalibration *c, size_t *n)
{
    *n = c->n_trials;
    return c->trials;
}

static AcdStatus save(const char *in_path, const char *out_path, float thresh_onset,
                      float thresh_hold, bool play, float temperature, int max_poly,
                      AcdError *err)
{
    AcdModelTensors *in = NULL, *out = NULL;
    AcdStatus st = acd_model_tensors_load(in_path, &in, err);
    if (st)
        return st;
    AcdModelConfig cfg = *acd_model_tensors_config(in);
    cfg.has_thresh = true;
    cfg.thresh_onset = thresh_onset;
    cfg.thresh_hold = thresh_hold;
    if (play) {
        cfg.has_play = true;
        cfg.play_temperature = temperature;
        cfg.play_max_poly = max_poly;
    }
    st = acd_model_tensors_new(&cfg, &out, err);
    for (size_t i = 0; st == ACD_OK && i < acd_model_tensor_count(&cfg); i++) {
        AcdTensorSpec spec;
        size_t n_in = 0, n_out = 0;
        (void)acd_model_tensor_spec(&cfg, i, &spec);
        const float *src = acd_model_tensors_find_const(in, spec.name, &n_in);
        float *dst = acd_model_tensors_find(out, spec.name, &n_out);
        if (!src || !dst || n_in != n_out)
            st = acd_error_set(err, ACD_ERR_INVALID, "%s: tensor %s does not match", in_path,
                               spec.name);
        else
            memcpy(dst, src, n_in * sizeof *dst);
    }
    if (st == ACD_OK)
        st = acd_model_tensors_save(out, out_path, err);
    acd_model_tensors_free(out);
    acd_model_tensors_free(in);
    return st;
}

AcdStatus acd_calibrate_save_thresholds(const char *in_path, const char *out_path,
                                        float thresh_onset, float thresh_hold, AcdError *err)
{
    return save(in_path, out_path, thresh_onset, thresh_hold, false, 0.0f, 0, err);
}

AcdStatus acd_calibrate_save_play(const char *in_path, const char *out_path, float thresh_onset,
                                  float thresh_hold, float temperature, int max_poly,
                                  AcdError *err)
{
    return save(in_path, out_path, thresh_onset, thresh_hold, true, temperature, max_poly, err);
}
