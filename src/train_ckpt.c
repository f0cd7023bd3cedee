/* Training checkpoints in a small checked binary format (little-endian, as the machines that run
 * us). */
#include "train_ckpt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC   "ACDTRCK1"
#define VERSION 1u

/* Limits for reading: a damaged header must not make us allocate wildly. */
#define MAX_FINGERPRINT (1u << 16)
#define MAX_PARAMS      ((uint64_t)1 << 30)
#define MAX_PERM        ((uint64_t)1 << 28)
#define MAX_POINTS      ((uint64_t)1 << 24)

typedef struct {
    FILE *f;
    uint64_t hash;
    int failed;
} Writer;

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 0x100000001b3ull;
    }
}

static void put(Writer *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    fnv(&w->hash, p, n);
    if (fwrite(p, 1, n, w->f) != n)
        w->failed = 1;
}

static void put_u64(Writer *w, uint64_t v)
{
    put(w, &v, sizeof v);
}

AcdStatus acd_train_ckpt_save(const AcdTrainCkpt *ck, const char *path, AcdError *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return acd_error_set(err, ACD_ERR_INVALID, "%s: path too long", path);
    Writer w = {fopen(tmp, "wb"), 0xcbf29ce484222325ull, 0};
    if (!w.f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", tmp, strerror(errno));
    size_t fp_len = ck->fingerprint ? strlen(ck->fingerprint) : 0;
    put(&w, MAGIC, 8);
    put_u64(&w, VERSION);
    put_u64(&w, fp_len);
    put(&w, ck->fingerprint, fp_len);
    put(&w, &ck->step, 8);
    put(&w, &ck->epoch, 8);
    put(&w, &ck->pos, 8);
    put(&w, ck->rng.s, sizeof ck->rng.s);
    put(&w, &ck->seconds, 8);
    put(&w, &ck->epoch_loss_sum, 8);
    put(&w, &ck->epoch_loss_n, 8);
    put(&w, &ck->best_valid, 8);
    put_u64(&w, ck->n_params);
    put(&w, ck->params, ck->n_params * sizeof(float));
    put(&w, ck->m, ck->n_params * sizeof(float));
    put(&w, ck->v, ck->n_params * sizeof(float));
    put_u64(&w, ck->n_perm);
    put(&w, ck->perm, ck->n_perm * sizeof(uint32_t));
    put_u64(&w, ck->n_points);
    put(&w, ck->points, ck->n_points * sizeof(AcdTrainPoint));
    uint64_t h = w.hash;
    put(&w, &h, sizeof h);
    int bad = w.failed;
    if (fflush(w.f) != 0 || fsync(fileno(w.f)) != 0)
        bad = 1;
    int saved_errno = errno;
    if (fclose(w.f) != 0)
        bad = 1;
    if (bad) {
        remove(tmp);
        return acd_error_set(err, ACD_ERR_IO, "%s: write failed: %s", tmp, strerror(saved_errno));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(e));
    }
    return ACD_OK;
}

typedef struct {
    const unsigned char *p;
    size_t len, off;
} Reader;

static int get(Reader *r, void *dst, size_t n)
{
    if (n > r->len - r->off)
        return -1;
    memcpy(dst, r->p + r->off, n);
    r->off += n;
    return 0;
}

/* An array of count items of size bytes, allocated (at least 1 byte). */
static int get_array(Reader *r, void **dst, uint64_t count, size_t size)
{
    if (count > (r->len - r->off) / size)
        return -1;
    *dst = malloc(count ? count * size : 1);
    if (!*dst)
        return -1;
    return get(r, *dst, count * size);
}

void acd_train_ckpt_cleanup(AcdTrainCkpt *ck)
{
    free(ck->fingerprint);
    free(ck->params);
    free(ck->m);
    free(ck->v);
    free(ck->perm);
    free(ck->points);
    memset(ck, 0, sizeof *ck);
}

AcdStatus acd_train_ckpt_load(AcdTrainCkpt *ck, const char *path, AcdError *err)
{
    memset(ck, 0, sizeof *ck);
    FILE *f = fopen(path, "rb");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int rerr = ferror(f);
    fclose(f);
    AcdStatus st = ACD_OK;
    if (rerr) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: read failed", path);
        goto done;
    }
    if (len < 8 + 8 + 8 || memcmp(buf, MAGIC, 8) != 0) {
        st = acd_error_set(err, ACD_ERR_FORMAT, "%s: not an accompd checkpoint (bad magic)", path);
        goto done;
    }
    uint64_t h = 0xcbf29ce484222325ull, stored;
    fnv(&h, buf, len - 8);
    memcpy(&stored, buf + len - 8, 8);
    if (h != stored) {
        st = acd_error_set(err, ACD_ERR_FORMAT, "%s: checksum mismatch (truncated or damaged)",
                           path);
        goto done;
    }
    Reader r = {buf, len - 8, 8};
    uint64_t version = 0, fp_len = 0, n = 0;
    const char *what = "header";
    if (get(&r, &version, 8) || version != VERSION) {
        st = acd_error_set(err, ACD_ERR_UNSUPPORTED, "%s: checkpoint version %llu (expected %u)",
                           path, (unsigned long long)version, VERSION);
        goto done;
    }
    if (get(&r, &fp_len, 8) || fp_len > MAX_FINGERPRINT ||
        !(ck->fingerprint = malloc(fp_len + 1)) || get(&r, ck->fingerprint, fp_len))
        goto bad;
    ck->fingerprint[fp_len] = '\0';
    what = "state";
    if (get(&r, &ck->step, 8) || get(&r, &ck->epoch, 8) || get(&r, &ck->pos, 8) ||
        get(&r, ck->rng.s, sizeof ck->rng.s) || get(&r, &ck->seconds, 8) ||
        get(&r, &ck->epoch_loss_sum, 8) || get(&r, &ck->epoch_loss_n, 8) ||
        get(&r, &ck->best_valid, 8) || ck->step < 0 || ck->epoch < 0 || ck->pos < 0)
        goto bad;
    what = "parameters";
    if (get(&r, &n, 8) || n == 0 || n > MAX_PARAMS)
        goto bad;
    ck->n_params = (size_t)n;
    if (get_array(&r, (void **)&ck->params, n, sizeof(float)) ||
        get_array(&r, (void **)&ck->m, n, sizeof(float)) ||
        get_array(&r, (void **)&ck->v, n, sizeof(float)))
        goto bad;
    what = "data order";
    if (get(&r, &n, 8) || n > MAX_PERM || get_array(&r, (void **)&ck->perm, n, sizeof(uint32_t)))
        goto bad;
    ck->n_perm = (size_t)n;
    what = "loss history";
    if (get(&r, &n, 8) || n > MAX_POINTS ||
        get_array(&r, (void **)&ck->points, n, sizeof(AcdTrainPoint)))
        goto bad;
    ck->n_points = (size_t)n;
    if (r.off != r.len) {
        what = "end of file";
        goto bad;
    }
    goto done;
bad:
    st = acd_error_set(err, ACD_ERR_FORMAT, "%s: bad %s at byte %zu", path, what, r.off);
done:
    free(buf);
    if (st)
        acd_train_ckpt_cleanup(ck);
    return st;
}

int acd_train_ckpt_compare(const char *a, const char *b, char *buf, size_t size)
{
    while (*a || *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0) {
            snprintf(buf, size, "checkpoint has '%.*s', options give '%.*s'", (int)la, a, (int)lb,
                     b);
            return 1;
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return 0;
}
