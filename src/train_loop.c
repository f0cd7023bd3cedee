/* accomp train's run: data, the update loop, validation, checkpoints, curves and the model file. */
#include "accompd/train.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accompd/rng.h"
#include "train_adam.h"
#include "train_ckpt.h"
#include "train_curve.h"
#include "train_data.h"
#include "train_net.h"
#include "train_progress.h"
#include "train_save.h"

void acd_train_options_default(AcdTrainOptions *opt)
{
    memset(opt, 0, sizeof *opt);
    acd_model_config_default(&opt->model);
    opt->collection = ACD_COLLECTION_AUTO;
    opt->out = "accomp.safetensors";
    opt->train_hop = 50;
    opt->batch = 64;
    opt->epochs = 20;
    opt->lr = 1e-3f;
    opt->clip = 1.0f;
    opt->pos_weight = 1.0f;
    opt->transpose = 6;
    opt->seed = 1;
    opt->threads = 2;
    opt->checkpoint_minutes = 10.0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Everything one run holds; freed by run_cleanup whatever was built. */
typedef struct {
    const AcdTrainOptions *opt;
    AcdModelConfig cfg;
    char ckpt_path[4096], csv_path[4096], svg_path[4096];
    AcdTrainSet train, valid;
    AcdTrainNet *net;
    AcdTrainWork *work;
    AcdTrainAdam adam;
    float *grad, *x, *y, *y_prev, *mask, *pos_weight;
    AcdTrainCkpt ck; /* the run's state; its arrays point into net, adam and perm */
    uint32_t *perm;
    AcdTrainPoint *points;
    size_t cap_points;
    char *fingerprint;
    AcdTrainMeter meter;
    const char *loading; /* the split being loaded, for the progress line */
} Run;

static void run_cleanup(Run *r)
{
    acd_train_set_cleanup(&r->train);
    acd_train_set_cleanup(&r->valid);
    acd_train_net_free(r->net);
    acd_train_work_free(r->work);
    acd_train_adam_cleanup(&r->adam);
    free(r->grad);
    free(r->x);
    free(r->y);
    free(r->y_prev);
    free(r->mask);
    free(r->pos_weight);
    free(r->perm);
    free(r->points);
    free(r->fingerprint);
}

static AcdStatus check_options(const AcdTrainOptions *o, AcdError *err)
{
    if (!o->data || !*o->data)
        return acd_error_set(err, ACD_ERR_INVALID, "no data folder given");
    if (!o->out || !*o->out)
        return acd_error_set(err, ACD_ERR_INVALID, "no output file given");
    if (o->batch < 1 || o->batch > 4096)
        return acd_error_set(err, ACD_ERR_RANGE, "--batch %d: must be 1..4096", o->batch);
    if (o->epochs < 1 || o->epochs > 1000000)
        return acd_error_set(err, ACD_ERR_RANGE, "--epochs %d: must be at least 1", o->epochs);
    if (!(o->lr > 0.0f && o->lr < 10.0f))
        return acd_error_set(err, ACD_ERR_RANGE, "--lr %g: must be in (0, 10)", (double)o->lr);
    if (!(o->clip >= 0.0f) || !(o->pos_weight > 0.0f && o->pos_weight < 1e4f))
        return acd_error_set(err, ACD_ERR_RANGE, "--clip must be >= 0, --pos-weight in (0, 1e4)");
    if (o->transpose < 0 || o->transpose > 12)
        return acd_error_set(err, ACD_ERR_RANGE, "--transpose %d: must be 0..12", o->transpose);
    if (o->threads < 1 || o->threads > ACD_TRAIN_MAX_THREADS)
        return acd_error_set(err, ACD_ERR_RANGE, "--threads %d: must be 1..%d", o->threads,
                             ACD_TRAIN_MAX_THREADS);
    if (!(o->max_minutes >= 0.0) || !(o->checkpoint_minutes >= 0.0))
        return acd_error_set(err, ACD_ERR_RANGE, "minutes must be >= 0");
    return ACD_OK;
}

/* The options a resumed run must share with the run it continues. */
static char *make_fingerprint(const Run *r)
{
    const AcdTrainOptions *o = r->opt;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap), val[256];
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; acd_model_config_key(i); i++) {
        const char *k = acd_model_config_key(i);
        if (!strcmp(k, "hop") || !strncmp(k, "thresh", 6))
            continue; /* run-time settings that training does not read */
        if (acd_model_config_format(&r->cfg, k, val, sizeof val))
            len += (size_t)snprintf(s + len, cap - len, "%s=%s\n", k, val);
    }
    len +=
        (size_t)snprintf(s + len, cap - len,
                         "data=%s\ncollection=%s\ntrain_hop=%d\nbatch=%d\nlr=%.9g\nclip=%.9g\n"
                         "pos_weight=%.9g\ntranspose=%d\nseed=%llu\nthreads=%d\nmax_songs=%zu\n"
                         "train_windows=%zu\n",
                         o->data, acd_collection_name(o->collection), o->train_hop, o->batch,
                         (double)o->lr, (double)o->clip, (double)o->pos_weight, o->transpose,
                         (unsigned long long)o->seed, o->threads, o->max_songs, r->train.n_windows);
    (void)len;
    return s;
}

static void load_progress(void *user, size_t done, size_t total)
{
    Run *r = user;
    if (r->meter.bar && !r->meter.quiet && (done % 16 == 0 || done == total)) {
        fprintf(r->meter.out, "\r\033[Kloading %s songs %zu/%zu", r->loading, done, total);
        fflush(r->meter.out);
        r->meter.drawn = true;
    }
}

static AcdStatus load_data(Run *r, AcdError *err)
{
    const AcdTrainOptions *o = r->opt;
    r->loading = "train";
    AcdStatus st = acd_train_set_load(&r->train, o->data, o->collection, ACD_SPLIT_TRAIN, &r->cfg,
                                      o->train_hop, o->max_songs, load_progress, r, err);
    if (st)
        return st;
    AcdError verr = {0};
    /* validation: every step once (hop = window) */
    r->loading = "valid";
    st = acd_train_set_load(&r->valid, o->data, o->collection, ACD_SPLIT_VALID, &r->cfg,
                            r->cfg.window, o->max_songs, load_progress, r, &verr);
    if (st == ACD_ERR_NOMEM)
        return acd_error_set(err, st, "%s", acd_error_text(&verr));
    if (st)
        acd_train_meter_say(&r->meter, "accomp train: no validation data (%s)",
                            acd_error_text(&verr));
    const AcdTrainSet *sets[2] = {&r->train, &r->valid};
    for (int i = 0; i < 2; i++)
        if (sets[i]->n_songs)
            acd_train_meter_say(&r->meter,
                                "%s: %zu songs (%zu without melody, %zu failed), %zu steps, "
                                "%zu windows",
                                i ? "valid" : "train", sets[i]->n_songs, sets[i]->n_no_melody,
                                sets[i]->n_failed, sets[i]->n_steps, sets[i]->n_windows);
    if (r->train.n_failed)
        acd_train_meter_say(&r->meter, "first load failure: %s", r->train.first_error);
    return ACD_OK;
}

static AcdStatus add_point(Run *r, double epoch, double train, double valid)
{
    if (r->ck.n_points == r->cap_points) {
        size_t nc = r->cap_points ? 2 * r->cap_points : 256;
        AcdTrainPoint *p = realloc(r->points, nc * sizeof *p);
        if (!p)
            return ACD_ERR_NOMEM;
        r->points = p;
        r->cap_points = nc;
    }
    r->ck.points = r->points;
    r->points[r->ck.n_points++] =
        (AcdTrainPoint){(double)r->ck.step, epoch, train, valid, r->ck.seconds};
    return ACD_OK;
}

/* Mean plain BCE (pos_weight 1, so runs with other weights compare) over
 * every valid step. */
static AcdStatus validate(Run *r, double *out)
{
    const AcdTrainSet *v = &r->valid;
    const int T = r->cfg.window, B = r->opt->batch;
    double sum = 0.0, terms = 0.0;
    for (size_t w0 = 0; w0 < v->n_windows; w0 += (size_t)B) {
        int nb = (int)(v->n_windows - w0 < (size_t)B ? v->n_windows - w0 : (size_t)B);
        for (int b = 0; b < nb; b++)
            acd_train_set_fill(v, w0 + (size_t)b, 0, r->x + (size_t)b * T * r->cfg.n_in,
                               r->y + (size_t)b * T * r->cfg.n_out,
                               r->y_prev + (size_t)b * T * r->cfg.n_out, r->mask + (size_t)b * T);
        AcdTrainBatch batch = {T, nb, r->x, r->y, r->y_prev, r->mask};
        AcdTrainLoss l;
        AcdStatus st = acd_train_net_loss(r->net, r->work, &batch, NULL, NULL, &l);
        if (st)
            return st;
        sum += l.loss * l.terms;
        terms += l.terms;
    }
    *out = terms > 0.0 ? sum / terms : (double)NAN;
    return ACD_OK;
}

static AcdStatus save_all(Run *r, AcdError *err)
{
    AcdStatus st = acd_train_ckpt_save(&r->ck, r->ckpt_path, err);
    if (!st)
        st = acd_train_save_model(r->net, &r->cfg, r->opt->out, err);
    if (!st)
        st = acd_train_curve_csv(r->points, r->ck.n_points, r->csv_path, err);
    if (!st) {
        char title[512];
        snprintf(title, sizeof title, "accomp train: %s (H %d/%d, L %d/%d, batch %d, lr %g)",
                 r->opt->data, r->cfg.enc_hidden, r->cfg.dec_hidden, r->cfg.enc_layers,
                 r->cfg.dec_layers, r->opt->batch, (double)r->opt->lr);
        st = acd_train_curve_svg(r->points, r->ck.n_points, title, r->svg_path, err);
    }
    return st;
}

static AcdStatus setup(Run *r, AcdError *err)
{
    const AcdTrainOptions *o = r->opt;
    AcdTrainShape shape = {r->cfg.n_in,       r->cfg.n_out,      r->cfg.enc_hidden,
                           r->cfg.enc_layers, r->cfg.dec_hidden, r->cfg.dec_layers};
    AcdStatus st = acd_train_net_new(&shape, &r->net, err);
    if (!st)
        st = acd_train_work_new(&shape, r->cfg.window, o->batch, o->threads, &r->work, err);
    if (!st)
        st = acd_train_adam_init(&r->adam, r->net->n_params, err);
    if (st)
        return st;
    size_t rows = (size_t)o->batch * (size_t)r->cfg.window;
    r->grad = malloc(r->net->n_params * sizeof(float));
    r->x = malloc(rows * (size_t)r->cfg.n_in * sizeof(float));
    r->y = malloc(rows * (size_t)r->cfg.n_out * sizeof(float));
    r->y_prev = malloc(rows * (size_t)r->cfg.n_out * sizeof(float));
    r->mask = malloc(rows * sizeof(float));
    r->pos_weight = malloc((size_t)r->cfg.n_out * sizeof(float));
    r->perm = malloc((r->train.n_windows ? r->train.n_windows : 1) * sizeof(uint32_t));
    r->fingerprint = make_fingerprint(r);
    if (!r->grad || !r->x || !r->y || !r->y_prev || !r->mask || !r->pos_weight || !r->perm ||
        !r->fingerprint)
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    for (int j = 0; j < r->cfg.n_out; j++)
        r->pos_weight[j] = o->pos_weight;

    AcdTrainCkpt *ck = &r->ck;
    ck->fingerprint = r->fingerprint;
    ck->n_params = r->net->n_params;
    ck->params = r->net->params;
    ck->m = r->adam.m;
    ck->v = r->adam.v;
    ck->n_perm = r->train.n_windows;
    ck->perm = r->perm;
    ck->best_valid = NAN;
    acd_rng_seed(&ck->rng, o->seed);
    if (!o->resume) {
        acd_train_net_randomize(r->net, &ck->rng);
        return ACD_OK;
    }
    AcdTrainCkpt in;
    st = acd_train_ckpt_load(&in, r->ckpt_path, err);
    if (st)
        return st;
    char why[1024];
    if (acd_train_ckpt_compare(in.fingerprint, r->fingerprint, why, sizeof why)) {
        st = acd_error_set(err, ACD_ERR_INVALID, "%s: cannot resume: %s", r->ckpt_path, why);
    } else if (in.n_params != ck->n_params || in.n_perm != ck->n_perm) {
        st = acd_error_set(err, ACD_ERR_FORMAT, "%s: sizes do not match the options", r->ckpt_path);
    } else {
        memcpy(ck->params, in.params, in.n_params * sizeof(float));
        memcpy(ck->m, in.m, in.n_params * sizeof(float));
        memcpy(ck->v, in.v, in.n_params * sizeof(float));
        memcpy(ck->perm, in.perm, in.n_perm * sizeof(uint32_t));
        for (size_t i = 0; i < in.n_points && !st; i++)
            if (add_point(r, 0, 0, 0))
                st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
        if (!st)
            memcpy(r->points, in.points, in.n_points * sizeof(AcdTrainPoint));
        ck->step = in.step;
        ck->epoch = in.epoch;
        ck->pos = in.pos;
        ck->rng = in.rng;
        ck->seconds = in.seconds;
        ck->epoch_loss_sum = in.epoch_loss_sum;
        ck->epoch_loss_n = in.epoch_loss_n;
        ck->best_valid = in.best_valid;
        r->adam.step = in.step;
        acd_train_meter_say(&r->meter, "resuming %s: epoch %lld, batch %lld, step %lld",
                            r->ckpt_path, (long long)in.epoch + 1, (long long)in.pos,
                            (long long)in.step);
    }
    acd_train_ckpt_cleanup(&in);
    return st;
}

/* Fill batch pos of the epoch's order, drawing each window's transposition. */
static int make_batch(Run *r, long pos)
{
    const int T = r->cfg.window, B = r->opt->batch, tr = r->opt->transpose;
    size_t first = (size_t)pos * (size_t)B;
    size_t left = r->train.n_windows - first;
    int nb = left < (size_t)B ? (int)left : B;
    for (int b = 0; b < nb; b++) {
        int k = 0;
        if (tr > 0)
            k = (int)(acd_rng_next_u64(&r->ck.rng) % (uint64_t)(2 * tr + 1)) - tr;
        acd_train_set_fill(&r->train, r->perm[first + (size_t)b], k,
                           r->x + (size_t)b * T * r->cfg.n_in, r->y + (size_t)b * T * r->cfg.n_out,
                           r->y_prev + (size_t)b * T * r->cfg.n_out, r->mask + (size_t)b * T);
    }
    return nb;
}

static void shuffle(Run *r)
{
    size_t n = r->train.n_windows;
    for (size_t i = 0; i < n; i++)
        r->perm[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(acd_rng_next_u64(&r->ck.rng) % i);
        uint32_t t = r->perm[i - 1];
        r->perm[i - 1] = r->perm[j];
        r->perm[j] = t;
    }
}

static AcdStatus loop(Run *r, volatile sig_atomic_t *stop, AcdTrainResult *res, AcdError *err)
{
    const AcdTrainOptions *o = r->opt;
    AcdTrainCkpt *ck = &r->ck;
    const long per_epoch = (long)((r->train.n_windows + (size_t)o->batch - 1) / (size_t)o->batch);
    const long total = per_epoch * o->epochs;
    const long point_every = per_epoch >= 20 ? per_epoch / 20 : 1;
    const AcdTrainAdamConfig adam_cfg = {o->lr, 0.9f, 0.999f, 1e-8f};
    const double t_start = now_s(), seconds0 = ck->seconds;
    double t_ckpt = t_start, interval_sum = 0.0, train_s = 0.0;
    long interval_n = 0, done_start = ck->epoch * per_epoch + ck->pos, windows_run = 0;
    double valid = res->valid_loss;
    AcdStatus st = ACD_OK;

    for (size_t i = r->ck.n_points; i-- > 0 && !isfinite(valid);)
        valid = r->points[i].valid;
    if (!o->resume && r->valid.n_windows) {
        /* the untrained model's loss: the first point of the valid curve */
        if ((st = validate(r, &valid)))
            return acd_error_set(err, st, "validation failed");
        res->first_valid_loss = valid;
        if (add_point(r, 0.0, NAN, valid))
            return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    }
    while (ck->epoch < o->epochs) {
        if (ck->pos == 0)
            shuffle(r);
        while (ck->pos < per_epoch) {
            double t0 = now_s();
            int nb = make_batch(r, (long)ck->pos);
            AcdTrainBatch batch = {r->cfg.window, nb, r->x, r->y, r->y_prev, r->mask};
            AcdTrainLoss l;
            if ((st = acd_train_net_loss(r->net, r->work, &batch, r->pos_weight, r->grad, &l)))
                return acd_error_set(err, st, "training step %lld failed", (long long)ck->step);
            acd_train_clip(r->grad, r->net->n_params, o->clip);
            acd_train_adam_step(&r->adam, &adam_cfg, r->net->params, r->grad);
            ck->step = r->adam.step;
            ck->pos++;
            ck->epoch_loss_sum += l.loss;
            ck->epoch_loss_n += 1.0;
            interval_sum += l.loss;
            interval_n++;
            windows_run += nb;
            double t1 = now_s();
            train_s += t1 - t0;
            ck->seconds = seconds0 + (t1 - t_start);
            if (ck->pos % point_every == 0 && ck->pos < per_epoch) {
                if (add_point(r, (double)ck->epoch + (double)ck->pos / (double)per_epoch,
                              interval_sum / (double)interval_n, NAN))
                    return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
                interval_sum = 0.0;
                interval_n = 0;
            }
            long done = ck->epoch * per_epoch + ck->pos;
            double rate = (double)(done - done_start) / (t1 - t_start);
            double eta = (double)(total - done) / rate;
            if (o->max_minutes > 0.0)
                eta = fmin(eta, o->max_minutes * 60.0 - (t1 - t_start));
            AcdTrainStatus s = {
                .epoch = (int)ck->epoch + 1,
                .epochs = o->epochs,
                .pos = (long)ck->pos,
                .per_epoch = per_epoch,
                .fraction = (double)done / (double)total,
                .eta_s = eta,
                .elapsed_s = ck->seconds,
                .train_loss = ck->epoch_loss_sum / ck->epoch_loss_n,
                .valid_loss = valid,
                .throughput = (double)windows_run * r->cfg.window / train_s,
            };
            acd_train_meter_update(&r->meter, &s, false);
            bool out_of_time = o->max_minutes > 0.0 && t1 - t_start >= o->max_minutes * 60.0;
            bool halt =
                (stop && *stop) || (o->stop_after_steps > 0 && ck->step >= o->stop_after_steps);
            if (halt || out_of_time) {
                res->interrupted = halt;
                res->train_loss = ck->epoch_loss_sum / ck->epoch_loss_n;
                if (interval_n &&
                    add_point(r, (double)ck->epoch + (double)ck->pos / (double)per_epoch,
                              interval_sum / (double)interval_n, NAN))
                    return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
                acd_train_meter_say(&r->meter, "%s after step %lld: saving %s",
                                    halt ? "interrupted" : "time is up", (long long)ck->step,
                                    r->ckpt_path);
                res->valid_loss = valid;
                return save_all(r, err);
            }
            if (o->checkpoint_minutes > 0.0 && t1 - t_ckpt >= o->checkpoint_minutes * 60.0) {
                if ((st = save_all(r, err)))
                    return st;
                t_ckpt = now_s();
            }
        }
        /* the end of an epoch: validate, record, move on */
        res->train_loss = ck->epoch_loss_sum / ck->epoch_loss_n;
        if (r->valid.n_windows && (st = validate(r, &valid)))
            return acd_error_set(err, st, "validation failed");
        if (isfinite(valid) && !(valid >= ck->best_valid))
            ck->best_valid = valid;
        if (add_point(r, (double)ck->epoch + 1.0,
                      interval_n ? interval_sum / (double)interval_n : (double)NAN, valid))
            return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
        interval_sum = 0.0;
        interval_n = 0;
        char el[32];
        acd_train_format_duration(ck->seconds, el, sizeof el);
        acd_train_meter_say(&r->meter, "epoch %lld/%d: train %.5f valid %.5f (%s)",
                            (long long)ck->epoch + 1, o->epochs, res->train_loss, valid, el);
        ck->epoch++;
        ck->pos = 0;
        ck->epoch_loss_sum = ck->epoch_loss_n = 0.0;
        res->epochs_done = (int)ck->epoch;
        res->valid_loss = valid;
    }
    return save_all(r, err);
}

AcdStatus acd_train_run(const AcdTrainOptions *opt, volatile sig_atomic_t *stop,
                        AcdTrainResult *result, AcdError *err)
{
    AcdTrainResult local;
    AcdTrainResult *res = result ? result : &local;
    *res = (AcdTrainResult){.valid_loss = NAN, .first_valid_loss = NAN, .train_loss = NAN};
    AcdStatus st = check_options(opt, err);
    if (st)
        return st;
    Run *r = calloc(1, sizeof *r);
    if (!r)
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    r->opt = opt;
    r->cfg = opt->model;
    acd_train_meter_init(&r->meter, stderr, opt->progress);
    if ((st = acd_model_config_check(&r->cfg, err)))
        goto done;
    if (opt->train_hop < 1 || opt->train_hop > r->cfg.window) {
        st = acd_error_set(err, ACD_ERR_RANGE, "--train-hop %d: must be 1..window (%d)",
                           opt->train_hop, r->cfg.window);
        goto done;
    }
    /* the base of the curve files: the model file's name without its extension */
    char base[4000];
    snprintf(base, sizeof base, "%s", opt->curves ? opt->curves : opt->out);
    size_t bl = strlen(base);
    if (!opt->curves && bl > 12 && !strcmp(base + bl - 12, ".safetensors"))
        base[bl - 12] = '\0';
    snprintf(r->csv_path, sizeof r->csv_path, "%s.loss.csv", base);
    snprintf(r->svg_path, sizeof r->svg_path, "%s.loss.svg", base);
    snprintf(r->ckpt_path, sizeof r->ckpt_path, "%s", opt->checkpoint ? opt->checkpoint : opt->out);
    if (!opt->checkpoint)
        strncat(r->ckpt_path, ".ckpt", sizeof r->ckpt_path - strlen(r->ckpt_path) - 1);

    /* our threads split the batch; BLAS threads inside them would fight for the cores */
    openblas_set_num_threads(1);
    if ((st = load_data(r, err)) || (st = setup(r, err)))
        goto done;
    st = loop(r, stop, res, err);
    res->steps = (long)r->ck.step;
    res->epochs_done = (int)r->ck.epoch;
    acd_train_meter_finish(&r->meter);
done:
    acd_train_meter_finish(&r->meter);
    run_cleanup(r);
    free(r);
    return st;
}
