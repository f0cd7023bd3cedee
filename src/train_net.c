/* The trainer's encoder-decoder: parameter layout, initialisation, and batched
 * forward/loss/backward on threads. */
#include "train_net.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_lstm.h"
#include "train_loss.h"

/* One thread's share of a batch and everything it computes on it. */
typedef struct {
    float *mem;
    AcdTrainLstmAct enc[ACD_TRAIN_MAX_LAYERS];
    AcdTrainLstmAct dec[ACD_TRAIN_MAX_LAYERS];
    float *z;       /* [rows][n_out] logits, then their gradient */
    float *da, *db; /* [rows][max H] gradients flowing down, ping-pong */
    float *scratch;
    float *own_grad; /* threads after the first: their gradient buffer */

    /* the job of one call */
    const AcdTrainNet *net;
    const AcdTrainBatch *batch;
    const float *pos_weight;
    int b0, bt;
    float *grad;  /* where this thread's gradient goes, or NULL */
    float *z_out; /* forward only: copy the logits here, or NULL */
    double inv_terms;
    double loss_sum;
    pthread_t tid;
} Thread;

struct AcdTrainWork {
    AcdTrainShape shape;
    int T, B_max, n_threads, bt_max;
    Thread th[ACD_TRAIN_MAX_THREADS];
};

static void add_tensor(AcdTrainNet *net, const char *name, int rows, int cols)
{
    AcdTrainTensor *t = &net->tensors[net->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->offset = net->n_params;
    net->n_params += (size_t)rows * (size_t)(cols ? cols : 1);
}

AcdStatus acd_train_net_new(const AcdTrainShape *shape, AcdTrainNet **out, AcdError *err)
{
    *out = NULL;
    const AcdTrainShape *s = shape;
    if (s->enc_layers < 1 || s->enc_layers > ACD_TRAIN_MAX_LAYERS || s->dec_layers < 1 ||
        s->dec_layers > ACD_TRAIN_MAX_LAYERS)
        return acd_error_set(err, ACD_ERR_RANGE, "layers must be 1..%d (encoder %d, decoder %d)",
                             ACD_TRAIN_MAX_LAYERS, s->enc_layers, s->dec_layers);
    if (s->n_in < 1 || s->n_in > 4096 || s->n_out < 1 || s->n_out > 4096 || s->enc_hidden < 1 ||
        s->enc_hidden > 4096 || s->dec_hidden < 1 || s->dec_hidden > 4096)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "widths must be 1..4096 (n_in %d, n_out %d, hidden %d/%d)", s->n_in,
                             s->n_out, s->enc_hidden, s->dec_hidden);
    AcdTrainNet *net = calloc(1, sizeof *net);
    if (!net)
        return acd_error_set(err, ACD_ERR_NOMEM, "network: out of memory");
    net->shape = *s;
    char name[32];
    for (int side = 0; side < 2; side++) {
        const char *pre = side ? "decoder" : "encoder";
        int L = side ? s->dec_layers : s->enc_layers;
        int H = side ? s->dec_hidden : s->enc_hidden;
        int n0 = side ? s->enc_hidden + s->n_out : s->n_in;
        for (int k = 0; k < L; k++) {
            snprintf(name, sizeof name, "%s.weight_ih_l%d", pre, k);
            add_tensor(net, name, 4 * H, k ? H : n0);
            snprintf(name, sizeof name, "%s.weight_hh_l%d", pre, k);
            add_tensor(net, name, 4 * H, H);
            snprintf(name, sizeof name, "%s.bias_ih_l%d", pre, k);
            add_tensor(net, name, 4 * H, 0);
            snprintf(name, sizeof name, "%s.bias_hh_l%d", pre, k);
            add_tensor(net, name, 4 * H, 0);
        }
    }
    add_tensor(net, "output.weight", s->n_out, s->dec_hidden);
    add_tensor(net, "output.bias", s->n_out, 0);
    net->params = calloc(net->n_params, sizeof(float));
    if (!net->params) {
        size_t n = net->n_params;
        free(net);
        return acd_error_set(err, ACD_ERR_NOMEM, "network: out of memory for %zu parameters", n);
    }
    *out = net;
    return ACD_OK;
}

void acd_train_net_free(AcdTrainNet *net)
{
    if (!net)
        return;
    free(net->params);
    free(net);
}

const AcdTrainTensor *acd_train_net_find(const AcdTrainNet *net, const char *name)
{
    for (int i = 0; i < net->n_tensors; i++)
        if (!strcmp(net->tensors[i].name, name))
            return &net->tensors[i];
    return NULL;
}

void acd_train_net_randomize(AcdTrainNet *net, AcdRng *rng)
{
    int n_lstm = 4 * (net->shape.enc_layers + net->shape.dec_layers);
    for (int i = 0; i < net->n_tensors; i++) {
        const AcdTrainTensor *t = &net->tensors[i];
        int fan = i < n_lstm ? (i < 4 * net->shape.enc_layers ? net->shape.enc_hidden
                                                              : net->shape.dec_hidden)
                             : net->shape.dec_hidden;
        float bound = 1.0f / sqrtf((float)fan);
        size_t n = (size_t)t->rows * (size_t)(t->cols ? t->cols : 1);
        float *p = net->params + t->offset;
        for (size_t j = 0; j < n; j++)
            p[j] = (float)(2.0 * acd_rng_next_unit(rng) - 1.0) * bound;
    }
}

/* Views of LSTM layer k of the encoder (side 0) or decoder (side 1) in a
 * vector laid out like the parameters (the parameters or a gradient). */
static int lstm_tensor(const AcdTrainNet *net, int side, int k)
{
    return 4 * (side ? net->shape.enc_layers + k : k);
}

static AcdTrainLstmW lstm_w(const AcdTrainNet *net, int side, int k)
{
    const AcdTrainTensor *t = &net->tensors[lstm_tensor(net, side, k)];
    const float *p = net->params;
    AcdTrainLstmW w = {
        .n_in = t[0].cols,
        .hidden = t[1].cols,
        .w_ih = p + t[0].offset,
        .w_hh = p + t[1].offset,
        .b_ih = p + t[2].offset,
        .b_hh = p + t[3].offset,
    };
    return w;
}

static AcdTrainLstmGrad lstm_g(const AcdTrainNet *net, float *g, int side, int k)
{
    const AcdTrainTensor *t = &net->tensors[lstm_tensor(net, side, k)];
    AcdTrainLstmGrad v = {g + t[0].offset, g + t[1].offset, g + t[2].offset, g + t[3].offset};
    return v;
}

/* The input parts of layer k on one side, for thread th. */
static int layer_parts(const Thread *th, int side, int k, AcdTrainInput *parts)
{
    const AcdTrainShape *s = &th->net->shape;
    const AcdTrainBatch *bt = th->batch;
    size_t first = (size_t)th->b0 * (size_t)bt->T;
    if (side == 0) {
        if (k == 0)
            parts[0] = (AcdTrainInput){bt->x + first * s->n_in, s->n_in, s->n_in};
        else
            parts[0] = (AcdTrainInput){th->enc[k - 1].h, s->enc_hidden, s->enc_hidden};
        return 1;
    }
    if (k > 0) {
        parts[0] = (AcdTrainInput){th->dec[k - 1].h, s->dec_hidden, s->dec_hidden};
        return 1;
    }
    parts[0] = (AcdTrainInput){th->enc[s->enc_layers - 1].h, s->enc_hidden, s->enc_hidden};
    parts[1] = (AcdTrainInput){bt->y_prev + first * s->n_out, s->n_out, s->n_out};
    return 2;
}

static void chunk_forward(Thread *th)
{
    const AcdTrainNet *net = th->net;
    const AcdTrainShape *s = &net->shape;
    const int T = th->batch->T, rows = T * th->bt;
    AcdTrainInput parts[2];
    for (int side = 0; side < 2; side++) {
        int L = side ? s->dec_layers : s->enc_layers;
        for (int k = 0; k < L; k++) {
            AcdTrainLstmW w = lstm_w(net, side, k);
            int np = layer_parts(th, side, k, parts);
            acd_train_lstm_forward(&w, T, th->bt, parts, np, side ? &th->dec[k] : &th->enc[k]);
        }
    }
    const AcdTrainTensor *wt = &net->tensors[net->n_tensors - 2];
    const float *w_out = net->params + wt[0].offset, *b_out = net->params + wt[1].offset;
    for (int r = 0; r < rows; r++)
        memcpy(th->z + (size_t)r * s->n_out, b_out, sizeof(float) * (size_t)s->n_out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, s->n_out, s->dec_hidden, 1.0f,
                th->dec[s->dec_layers - 1].h, s->dec_hidden, w_out, s->dec_hidden, 1.0f, th->z,
                s->n_out);
}

/* The loss of this thread's rows; replaces the logits with d(mean loss)/dz
 * (zero on padded steps). */
static void chunk_loss(Thread *th)
{
    const AcdTrainBatch *bt = th->batch;
    const int n = th->net->shape.n_out, T = bt->T;
    double sum = 0.0;
    for (int b = 0; b < th->bt; b++) {
        for (int t = 0; t < T; t++) {
            size_t r = (size_t)(th->b0 + b) * T + t;
            float *z = th->z + ((size_t)b * T + t) * n;
            float m = bt->mask ? bt->mask[r] : 1.0f;
            if (m == 0.0f) {
                memset(z, 0, sizeof(float) * (size_t)n);
                continue;
            }
            float row =
                acd_train_bce_row(z, bt->y + r * n, th->pos_weight, n, m * (float)th->inv_terms);
            sum += (double)m * (double)row;
        }
    }
    th->loss_sum = sum;
}

static void chunk_backward(Thread *th)
{
    const AcdTrainNet *net = th->net;
    const AcdTrainShape *s = &net->shape;
    const int T = th->batch->T, rows = T * th->bt, n = s->n_out, Hd = s->dec_hidden;
    const AcdTrainTensor *wt = &net->tensors[net->n_tensors - 2];
    const float *d_top = th->dec[s->dec_layers - 1].h;
    float *gw = th->grad + wt[0].offset, *gb = th->grad + wt[1].offset;

    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, Hd, rows, 1.0f, th->z, n, d_top, Hd,
                1.0f, gw, Hd);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++)
            gb[j] += th->z[(size_t)r * n + j];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, Hd, n, 1.0f, th->z, n,
                net->params + wt[0].offset, Hd, 0.0f, th->da, Hd);

    AcdTrainInput parts[2];
    for (int side = 1; side >= 0; side--) {
        int L = side ? s->dec_layers : s->enc_layers;
        for (int k = L - 1; k >= 0; k--) {
            AcdTrainLstmW w = lstm_w(net, side, k);
            AcdTrainLstmGrad g = lstm_g(net, th->grad, side, k);
            int np = layer_parts(th, side, k, parts);
            /* the encoder's first layer reads data: nothing to pass down */
            float *dx = side == 0 && k == 0 ? NULL : th->db;
            acd_train_lstm_backward(&w, T, th->bt, parts, np, side ? &th->dec[k] : &th->enc[k],
                                    th->da, dx, parts[0].n, &g, th->scratch);
            float *tmp = th->da;
            th->da = th->db;
            th->db = tmp;
        }
    }
}

static void *chunk_run(void *arg)
{
    Thread *th = arg;
    chunk_forward(th);
    if (th->z_out) {
        size_t n = (size_t)th->bt * th->batch->T * th->net->shape.n_out;
        memcpy(th->z_out, th->z, n * sizeof(float));
        return NULL;
    }
    chunk_loss(th);
    if (th->grad) {
        memset(th->grad, 0, th->net->n_params * sizeof(float));
        chunk_backward(th);
    }
    return NULL;
}

static void free_threads(AcdTrainWork *w)
{
    for (int i = 0; i < ACD_TRAIN_MAX_THREADS; i++) {
        free(w->th[i].mem);
        free(w->th[i].own_grad);
    }
}

AcdStatus acd_train_work_new(const AcdTrainShape *shape, int T, int B_max, int n_threads,
                             AcdTrainWork **out, AcdError *err)
{
    *out = NULL;
    if (T < 1 || T > 100000 || B_max < 1 || B_max > 100000 || n_threads < 1 ||
        n_threads > ACD_TRAIN_MAX_THREADS)
        return acd_error_set(err, ACD_ERR_RANGE, "work area: T %d, batch %d, threads %d", T, B_max,
                             n_threads);
    AcdTrainWork *w = calloc(1, sizeof *w);
    if (!w)
        return acd_error_set(err, ACD_ERR_NOMEM, "work area: out of memory");
    w->shape = *shape;
    w->T = T;
    w->B_max = B_max;
    w->n_threads = n_threads;
    w->bt_max = (B_max + n_threads - 1) / n_threads;
    const int bt = w->bt_max, He = shape->enc_hidden, Hd = shape->dec_hidden;
    const int Hm = He > Hd ? He : Hd;
    const size_t rows = (size_t)T * (size_t)bt;
    size_t n_enc = acd_train_lstm_act_floats(T, bt, He);
    size_t n_dec = acd_train_lstm_act_floats(T, bt, Hd);
    size_t total = n_enc * (size_t)shape->enc_layers + n_dec * (size_t)shape->dec_layers +
                   rows * (size_t)shape->n_out + 2 * rows * (size_t)Hm +
                   acd_train_lstm_scratch_floats(T, bt, Hm);
    size_t n_params = 0;
    {
        AcdTrainNet *tmp;
        AcdStatus st = acd_train_net_new(shape, &tmp, err);
        if (st) {
            free(w);
            return st;
        }
        n_params = tmp->n_params;
        acd_train_net_free(tmp);
    }
    for (int i = 0; i < n_threads; i++) {
        Thread *th = &w->th[i];
        th->mem = malloc(total * sizeof(float));
        th->own_grad = i ? malloc(n_params * sizeof(float)) : NULL;
        if (!th->mem || (i && !th->own_grad)) {
            free_threads(w);
            free(w);
            return acd_error_set(err, ACD_ERR_NOMEM, "work area: out of memory (%zu floats)",
                                 total);
        }
        float *p = th->mem;
        for (int k = 0; k < shape->enc_layers; k++, p += n_enc)
            acd_train_lstm_act_bind(&th->enc[k], p, T, bt, He);
        for (int k = 0; k < shape->dec_layers; k++, p += n_dec)
            acd_train_lstm_act_bind(&th->dec[k], p, T, bt, Hd);
        th->z = p;
        p += rows * (size_t)shape->n_out;
        th->da = p;
        p += rows * (size_t)Hm;
        th->db = p;
        p += rows * (size_t)Hm;
        th->scratch = p;
    }
    *out = w;
    return ACD_OK;
}

void acd_train_work_free(AcdTrainWork *work)
{
    if (!work)
        return;
    free_threads(work);
    free(work);
}

/* Split the batch, run every block (the first on the calling thread), join. */
static AcdStatus run_blocks(const AcdTrainNet *net, AcdTrainWork *work, const AcdTrainBatch *batch,
                            const float *pos_weight, float *grad, float *z_out, double inv_terms)
{
    int n = work->n_threads < batch->B ? work->n_threads : batch->B;
    for (int i = 0; i < n; i++) {
        Thread *th = &work->th[i];
        th->net = net;
        th->batch = batch;
        th->pos_weight = pos_weight;
        th->b0 = batch->B * i / n;
        th->bt = batch->B * (i + 1) / n - th->b0;
        th->grad = grad ? (i ? th->own_grad : grad) : NULL;
        th->z_out = z_out ? z_out + (size_t)th->b0 * batch->T * net->shape.n_out : NULL;
        th->inv_terms = inv_terms;
        th->loss_sum = 0.0;
    }
    int started = 1;
    while (started < n &&
           pthread_create(&work->th[started].tid, NULL, chunk_run, &work->th[started]) == 0)
        started++;
    /* if a thread could not start, the calling thread does its block too */
    chunk_run(&work->th[0]);
    for (int i = 1; i < started; i++)
        pthread_join(work->th[i].tid, NULL);
    for (int i = started; i < n; i++)
        chunk_run(&work->th[i]);
    /* fixed order: block 0, then 1, ... */
    if (grad)
        for (int i = 1; i < n; i++) {
            const float *g = work->th[i].own_grad;
            for (size_t j = 0; j < net->n_params; j++)
                grad[j] += g[j];
        }
    return ACD_OK;
}

static AcdStatus check_batch(const AcdTrainNet *net, const AcdTrainWork *work,
                             const AcdTrainBatch *batch)
{
    if (batch->T != work->T || batch->B < 1 || batch->B > work->B_max ||
        memcmp(&net->shape, &work->shape, sizeof net->shape) != 0)
        return ACD_ERR_INVALID;
    return ACD_OK;
}

AcdStatus acd_train_net_loss(const AcdTrainNet *net, AcdTrainWork *work, const AcdTrainBatch *batch,
                             const float *pos_weight, float *grad, AcdTrainLoss *loss)
{
    if (check_batch(net, work, batch))
        return ACD_ERR_INVALID;
    double real = 0.0;
    size_t steps = (size_t)batch->B * (size_t)batch->T;
    for (size_t r = 0; r < steps; r++)
        real += batch->mask ? (double)batch->mask[r] : 1.0;
    if (real <= 0.0)
        return ACD_ERR_INVALID;
    double terms = real * net->shape.n_out;
    AcdStatus st = run_blocks(net, work, batch, pos_weight, grad, NULL, 1.0 / terms);
    if (st)
        return st;
    double sum = 0.0;
    for (int i = 0; i < work->n_threads && i < batch->B; i++)
        sum += work->th[i].loss_sum;
    loss->loss = sum / terms;
    loss->terms = terms;
    return ACD_OK;
}

AcdStatus acd_train_net_logits(const AcdTrainNet *net, AcdTrainWork *work,
                               const AcdTrainBatch *batch, float *z)
{
    if (check_batch(net, work, batch))
        return ACD_ERR_INVALID;
    return run_blocks(net, work, batch, NULL, NULL, z, 0.0);
}
