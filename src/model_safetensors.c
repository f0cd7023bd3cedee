/* Reading and writing the model's safetensors file; the file is untrusted input. */
#include "accompd/model.h"
#include "model_internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model_safetensors.c reads little-endian data in place; add byte swapping"
#endif

/* Largest model file read: the limits on the hyper-parameters keep real
 * models far below this. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

typedef enum { DT_F32, DT_F16, DT_BF16 } Dtype;

/* What the header says about one required tensor. */
typedef struct {
    bool seen;
    Dtype dtype;
    uint64_t begin, end; /* in the data area */
} Entry;

static size_t dtype_size(Dtype d)
{
    return d == DT_F32 ? 4 : 2;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        /* Subnormal half: normalise into a float. */
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float load_value(const unsigned char *p, Dtype d)
{
    if (d == DT_F32) {
        float f;
        memcpy(&f, p, sizeof f);
        return f;
    }
    uint16_t h;
    memcpy(&h, p, sizeof h);
    if (d == DT_F16)
        return half_to_float(h);
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static const char *dtype_name(Dtype d)
{
    return d == DT_F32 ? "F32" : d == DT_F16 ? "F16" : "BF16";
}

static void format_shape(char *buf, size_t size, const size_t *shape, int n_dims)
{
    if (n_dims == 1)
        snprintf(buf, size, "[%zu]", shape[0]);
    else
        snprintf(buf, size, "[%zu, %zu]", shape[0], shape[1]);
}

static void format_json_shape(char *buf, size_t size, json_t *shape)
{
    size_t used = 0;
    buf[0] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(shape, i, v)
    {
        int n = snprintf(buf + used, size - used, "%s%lld", i ? ", " : "[",
                         (long long)json_integer_value(v));
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
    snprintf(buf + used, size - used, "%s]", used ? "" : "[");
}

static bool get_u64(json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static AcdStatus parse_metadata(json_t *root, const char *name, AcdModelConfig *cfg, AcdError *err)
{
    json_t *meta = json_object_get(root, "__metadata__");
    if (!meta)
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: header has no __metadata__ (the hyper-parameters)", name);
    if (!json_is_object(meta))
        return acd_error_set(err, ACD_ERR_FORMAT, "%s: __metadata__ is not an object", name);
    memset(cfg, 0, sizeof *cfg);
    const char *key;
    json_t *v;
    json_object_foreach(meta, key, v)
    {
        if (!json_is_string(v))
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "%s: metadata '%.60s' is not a string (safetensors metadata "
                                 "values are strings)",
                                 name, key);
    }
    for (size_t i = 0; acd_model_config_key(i); i++) {
        const char *k = acd_model_config_key(i);
        v = json_object_get(meta, k);
        if (!v) {
            if (acd_model_config_optional(k))
                continue;
            return acd_error_set(err, ACD_ERR_FORMAT, "%s: metadata key '%s' is missing", name, k);
        }
        AcdStatus st = acd_model_config_set(cfg, k, json_string_value(v), err);
        if (st != ACD_OK) {
            acd_error_prefix(err, "%s: ", name);
            return st;
        }
    }
    /* An optional group is all there or not at all. */
    for (size_t i = 0; acd_model_config_key(i); i++) {
        const char *k = acd_model_config_key(i);
        if (acd_model_config_optional(k) && acd_model_config_has(cfg, k) &&
            !json_object_get(meta, k))
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "%s: metadata key '%s' is missing (its group is present)", name,
                                 k);
    }
    AcdStatus st = acd_model_config_check(cfg, err);
    if (st != ACD_OK)
        acd_error_prefix(err, "%s: metadata: ", name);
    return st;
}

/* Check one tensor's header entry against the spec it must match. */
static AcdStatus parse_entry(const char *name, const char *tname, json_t *v,
                             const AcdTensorSpec *spec, uint64_t data_start, uint64_t data_len,
                             Entry *e, AcdError *err)
{
    if (!json_is_object(v))
        return acd_error_set(err, ACD_ERR_FORMAT, "%s: tensor '%s': entry is not an object", name,
                             tname);
    json_t *dt = json_object_get(v, "dtype");
    json_t *shape = json_object_get(v, "shape");
    json_t *offs = json_object_get(v, "data_offsets");
    if (!json_is_string(dt) || !json_is_array(shape) || !json_is_array(offs))
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: tensor '%s': expected string dtype, array shape and array "
                             "data_offsets",
                             name, tname);
    const char *d = json_string_value(dt);
    if (strcmp(d, "F32") == 0)
        e->dtype = DT_F32;
    else if (strcmp(d, "F16") == 0)
        e->dtype = DT_F16;
    else if (strcmp(d, "BF16") == 0)
        e->dtype = DT_BF16;
    else
        return acd_error_set(err, ACD_ERR_UNSUPPORTED,
                             "%s: tensor '%s': dtype '%.20s' is not supported (F32, F16, BF16)",
                             name, tname, d);

    uint64_t begin, end;
    if (json_array_size(offs) != 2 || !get_u64(json_array_get(offs, 0), &begin) ||
        !get_u64(json_array_get(offs, 1), &end) || begin > end)
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: tensor '%s': data_offsets must be [begin, end], "
                             "0 <= begin <= end",
                             name, tname);

    bool shape_ok = json_array_size(shape) == (size_t)spec->n_dims;
    for (size_t i = 0; shape_ok && i < json_array_size(shape); i++) {
        uint64_t dim;
        shape_ok = get_u64(json_array_get(shape, i), &dim) && dim == spec->shape[i];
    }
    if (!shape_ok) {
        char have[96], want[64];
        size_t i;
        json_t *dim;
        bool ints = true;
        json_array_foreach(shape, i, dim) ints = ints && json_is_integer(dim);
        if (ints)
            format_json_shape(have, sizeof have, shape);
        else
            snprintf(have, sizeof have, "(not integers)");
        format_shape(want, sizeof want, spec->shape, spec->n_dims);
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: tensor '%s' at byte %llu: shape %s, the config needs %s", name,
                             tname, (unsigned long long)(data_start + begin), have, want);
    }
    uint64_t want_bytes = (uint64_t)spec->n_elems * dtype_size(e->dtype);
    if (end - begin != want_bytes) {
        char want[64];
        format_shape(want, sizeof want, spec->shape, spec->n_dims);
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: tensor '%s' at byte %llu: data_offsets hold %llu bytes, "
                             "%s %s needs %llu",
                             name, tname, (unsigned long long)(data_start + begin),
                             (unsigned long long)(end - begin), dtype_name(e->dtype), want,
                             (unsigned long long)want_bytes);
    }
    if (end > data_len)
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: tensor '%s': bytes %llu..%llu run past the end of the file "
                             "(%llu bytes)",
                             name, tname, (unsigned long long)(data_start + begin),
                             (unsigned long long)(data_start + end),
                             (unsigned long long)(data_start + data_len));
    e->seen = true;
    e->begin = begin;
    e->end = end;
    return ACD_OK;
}

/* The official safetensors reader requires the tensors to tile the data
 * area exactly; so do we: no overlap, no gap, no trailing bytes. */
static AcdStatus check_tiling(const char *name, const AcdModelTensors *t, const Entry *ent,
                              uint64_t data_start, uint64_t data_len, AcdError *err)
{
    uint64_t pos = 0;
    size_t prev = SIZE_MAX;
    for (size_t done = 0; done < t->n; done++) {
        /* Selection of the next entry by begin: n is small (tens). */
        size_t next = SIZE_MAX;
        for (size_t i = 0; i < t->n; i++) {
            bool later = prev == SIZE_MAX || ent[i].begin > ent[prev].begin ||
                         (ent[i].begin == ent[prev].begin && i > prev);
            if (later && (next == SIZE_MAX || ent[i].begin < ent[next].begin))
                next = i;
        }
        const Entry *e = &ent[next];
        if (e->begin < pos)
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "%s: tensor '%s' at bytes %llu..%llu overlaps tensor '%s' at "
                                 "bytes %llu..%llu",
                                 name, t->specs[next].name,
                                 (unsigned long long)(data_start + e->begin),
                                 (unsigned long long)(data_start + e->end), t->specs[prev].name,
                                 (unsigned long long)(data_start + ent[prev].begin),
                                 (unsigned long long)(data_start + ent[prev].end));
        if (e->begin > pos)
            return acd_error_set(err, ACD_ERR_FORMAT,
                                 "%s: bytes %llu..%llu before tensor '%s' belong to no tensor",
                                 name, (unsigned long long)(data_start + pos),
                                 (unsigned long long)(data_start + e->begin), t->specs[next].name);
        pos = e->end;
        prev = next;
    }
    if (pos != data_len)
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: bytes %llu..%llu after the last tensor belong to no tensor", name,
                             (unsigned long long)(data_start + pos),
                             (unsigned long long)(data_start + data_len));
    return ACD_OK;
}

static AcdStatus convert(const char *name, AcdModelTensors *t, const Entry *ent,
                         const unsigned char *data, uint64_t data_start, AcdError *err)
{
    for (size_t i = 0; i < t->n; i++) {
        size_t sz = dtype_size(ent[i].dtype);
        const unsigned char *p = data + ent[i].begin;
        float *dst = t->data + t->offset[i];
        for (size_t k = 0; k < t->specs[i].n_elems; k++) {
            float v = load_value(p + k * sz, ent[i].dtype);
            if (!isfinite(v))
                return acd_error_set(
                    err, ACD_ERR_FORMAT, "%s: tensor '%s' element %zu at byte %llu is %s", name,
                    t->specs[i].name, k, (unsigned long long)(data_start + ent[i].begin + k * sz),
                    isnan(v) ? "NaN" : "infinite");
            dst[k] = v;
        }
    }
    return ACD_OK;
}

AcdStatus acd_model_tensors_load_memory(const void *buf, size_t len, const char *name,
                                        AcdModelTensors **out, AcdError *err)
{
    *out = NULL;
    const unsigned char *bytes = buf;
    AcdModelTensors *t = NULL;
    Entry *ent = NULL;
    json_t *root = NULL;
    AcdStatus st;

    if (len < 8)
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: %zu bytes, too short for the 8-byte header length", name, len);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | bytes[i];
    if (hlen > len - 8)
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: byte 0: header length %llu runs past the end of the file (%zu "
                             "bytes)",
                             name, (unsigned long long)hlen, len);
    if (hlen > ACD_SAFETENSORS_MAX_HEADER)
        return acd_error_set(err, ACD_ERR_LIMIT,
                             "%s: byte 0: header length %llu is above the limit of %u bytes", name,
                             (unsigned long long)hlen, ACD_SAFETENSORS_MAX_HEADER);

    json_error_t jerr;
    root = json_loadb((const char *)bytes + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return acd_error_set(err, ACD_ERR_FORMAT,
                             "%s: byte %d (header line %d, column %d): bad JSON: %s", name,
                             jerr.position + 8, jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        st =
            acd_error_set(err, ACD_ERR_FORMAT, "%s: byte 8: the header is not a JSON object", name);
        goto fail;
    }

    AcdModelConfig cfg;
    st = parse_metadata(root, name, &cfg, err);
    if (st != ACD_OK)
        goto fail;
    st = acd_model_tensors_new(&cfg, &t, err);
    if (st != ACD_OK)
        goto fail;
    ent = calloc(t->n, sizeof *ent);
    if (!ent) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "%s: no memory", name);
        goto fail;
    }

    uint64_t data_start = 8 + hlen, data_len = len - data_start;
    const char *tname;
    json_t *v;
    json_object_foreach(root, tname, v)
    {
        if (strcmp(tname, "__metadata__") == 0)
            continue;
        long i = acd_model_tensors_index(t, tname);
        if (i < 0) {
            st = acd_error_set(err, ACD_ERR_FORMAT,
                               "%s: unexpected tensor '%.60s' (not in a model with this config)",
                               name, tname);
            goto fail;
        }
        st = parse_entry(name, tname, v, &t->specs[i], data_start, data_len, &ent[i], err);
        if (st != ACD_OK)
            goto fail;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (!ent[i].seen) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s: tensor '%s' is missing", name,
                               t->specs[i].name);
            goto fail;
        }
    }
    st = check_tiling(name, t, ent, data_start, data_len, err);
    if (st != ACD_OK)
        goto fail;
    st = convert(name, t, ent, bytes + data_start, data_start, err);
    if (st != ACD_OK)
        goto fail;

    free(ent);
    json_decref(root);
    *out = t;
    return ACD_OK;

fail:
    free(ent);
    acd_model_tensors_free(t);
    json_decref(root);
    return st;
}

AcdStatus acd_model_tensors_load(const char *path, AcdModelTensors **out, AcdError *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    AcdStatus st;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: not a regular file", path);
        goto done;
    }
    if ((uint64_t)sb.st_size > MAX_FILE_BYTES) {
        st = acd_error_set(err, ACD_ERR_LIMIT, "%s: %lld bytes, above the limit of %zu", path,
                           (long long)sb.st_size, MAX_FILE_BYTES);
        goto done;
    }
    size_t len = (size_t)sb.st_size;
    buf = malloc(len ? len : 1);
    if (!buf) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "%s: no memory for %zu bytes", path, len);
        goto done;
    }
    if (fread(buf, 1, len, f) != len) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: short read", path);
        goto done;
    }
    st = acd_model_tensors_load_memory(buf, len, path, out, err);
done:
    free(buf);
    fclose(f);
    return st;
}

static json_t *build_header(const AcdModelTensors *t)
{
    json_t *root = json_object();
    json_t *meta = json_object();
    if (!root || !meta || json_object_set_new(root, "__metadata__", meta) != 0) {
        json_decref(meta);
        goto fail;
    }
    for (size_t i = 0; acd_model_config_key(i); i++) {
        char val[128];
        const char *k = acd_model_config_key(i);
        if (!acd_model_config_format(&t->cfg, k, val, sizeof val))
            continue;
        if (json_object_set_new(meta, k, json_string(val)) != 0)
            goto fail;
    }
    uint64_t pos = 0;
    for (size_t i = 0; i < t->n; i++) {
        const AcdTensorSpec *s = &t->specs[i];
        json_t *shape = s->n_dims == 1
                            ? json_pack("[I]", (json_int_t)s->shape[0])
                            : json_pack("[I,I]", (json_int_t)s->shape[0], (json_int_t)s->shape[1]);
        uint64_t end = pos + 4 * (uint64_t)s->n_elems;
        json_t *e = json_pack("{s:s,s:o,s:[I,I]}", "dtype", "F32", "shape", shape, "data_offsets",
                              (json_int_t)pos, (json_int_t)end);
        if (!e || json_object_set_new(root, s->name, e) != 0)
            goto fail;
        pos = end;
    }
    return root;
fail:
    json_decref(root);
    return NULL;
}

AcdStatus acd_model_tensors_save(const AcdModelTensors *t, const char *path, AcdError *err)
{
    for (size_t i = 0; i < t->n_floats; i++)
        if (!isfinite(t->data[i]))
            return acd_error_set(err, ACD_ERR_RANGE, "%s: refusing to save a non-finite weight",
                                 path);
    json_t *root = build_header(t);
    char *json = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!json)
        return acd_error_set(err, ACD_ERR_NOMEM, "%s: no memory for the header", path);

    /* Pad the header with spaces so the data starts 8-aligned, as the
     * safetensors writers do. */
    size_t jlen = strlen(json);
    size_t hlen = (jlen + 7) & ~(size_t)7;
    unsigned char lenbytes[8];
    for (int i = 0; i < 8; i++)
        lenbytes[i] = (unsigned char)((uint64_t)hlen >> (8 * i));

    AcdStatus st = ACD_OK;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(json);
        return acd_error_set(err, ACD_ERR_NOMEM, "%s: no memory", path);
    }
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        /* mkstemp creates 0600; a model file is for sharing, so give it the
         * mode open(2) would (0666 less the umask). umask() can only be read
         * by setting it: this runs on a single thread at save time. */
        mode_t um = umask(077);
        umask(um);
        (void)fchmod(fd, 0666 & ~um);
    }
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        goto done;
    }
    bool ok = fwrite(lenbytes, 1, 8, f) == 8 && fwrite(json, 1, jlen, f) == jlen;
    for (size_t i = jlen; ok && i < hlen; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fwrite(t->data, sizeof *t->data, t->n_floats, f) == t->n_floats;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        st = acd_error_set(err, ACD_ERR_IO, "%s: write failed: %s", tmp, strerror(saved));
        goto done;
    }
    if (rename(tmp, path) != 0) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: rename from %s: %s", path, tmp, strerror(errno));
        unlink(tmp);
    }
done:
    free(tmp);
    free(json);
    return st;
}
