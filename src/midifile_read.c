/* Standard MIDI File reader (formats 0 and 1): every byte is untrusted input. */
#include "accompd/midifile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midifile_internal.h"

/* What the parser is reading, and where its result and messages go. */
typedef struct {
    const uint8_t *buf;
    size_t len;
    const char *name; /* for messages */
    AcdError *err;
    AcdMidiFile *mf;
} Reader;

/* Record "name: byte N: what" and return st. */
static AcdStatus fail(Reader *r, AcdStatus st, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static AcdStatus fail(Reader *r, AcdStatus st, size_t offset, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return acd_error_set(r->err, st, "%s: byte %zu: %s", r->name, offset, what);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* A chunk type for messages: printable ASCII as is, anything else in hex. */
static void chunk_type_text(const uint8_t *p, size_t n, char out[20])
{
    bool printable = true;
    for (size_t i = 0; i < n; i++)
        printable = printable && p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\'';
    if (printable) {
        snprintf(out, 20, "'%.*s'", (int)n, (const char *)p);
        return;
    }
    char *o = out;
    for (size_t i = 0; i < n; i++)
        o += snprintf(o, 6, "%s%02X", i ? " " : "", p[i]);
}

/* Read a variable-length quantity (at most 4 bytes, as the SMF spec allows) ending before end. */
static AcdStatus read_vlq(Reader *r, size_t *pos, size_t end, uint32_t *out)
{
    size_t start = *pos;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (*pos >= end)
            return fail(r, ACD_ERR_FORMAT, start,
                        "variable-length quantity runs past the end of the track chunk");
        uint8_t b = r->buf[(*pos)++];
        v = v << 7 | (b & 0x7F);
        if (!(b & 0x80)) {
            *out = v;
            return ACD_OK;
        }
    }
    return fail(r, ACD_ERR_FORMAT, start, "variable-length quantity longer than 4 bytes");
}

/* Append to a growable list of a file (capacity rule in midifile_internal.h). */
static AcdStatus append(void **arr, size_t *n, const void *elem, size_t size)
{
    if (acd_midifile_reserve(arr, *n, size) != ACD_OK)
        return ACD_ERR_NOMEM;
    memcpy((char *)*arr + *n * size, elem, size);
    (*n)++;
    return ACD_OK;
}

static AcdStatus nomem(Reader *r)
{
    return acd_error_set(r->err, ACD_ERR_NOMEM, "%s: out of memory", r->name);
}

/* Handle one meta event whose data is buf[pos, pos + len). */
static AcdStatus read_meta(Reader *r, AcdMidiTrack *tr, bool *named, uint8_t type, size_t pos,
                           uint32_t len, uint64_t tick)
{
    const uint8_t *d = r->buf + pos;
    AcdMidiFile *mf = r->mf;
    void *arr;
    AcdStatus st = ACD_OK;

    switch (type) {
    case 0x03: /* track name: the first one wins, as in mido */
        if (*named)
            return ACD_OK;
        {
            char *name = malloc((size_t)len + 1);
            if (!name)
                return nomem(r);
            memcpy(name, d, len);
            name[len] = '\0';
            free(tr->name);
            tr->name = name;
            *named = true;
        }
        return ACD_OK;
    case 0x51: {
        if (len < 3)
            return fail(r, ACD_ERR_FORMAT, pos,
                        "tempo meta event of length %" PRIu32 "; expected 3", len);
        AcdTempo t = {.tick = tick,
                      .us_per_beat = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2]};
        /* A zero tempo would stop time and make the tempo map impossible to invert. */
        if (t.us_per_beat == 0)
            return fail(r, ACD_ERR_FORMAT, pos,
                        "tempo of 0 microseconds per beat; expected at least 1");
        arr = mf->tempos;
        st = append(&arr, &mf->n_tempos, &t, sizeof t);
        mf->tempos = arr;
        break;
    }
    case 0x58: {
        if (len < 2)
            return fail(r, ACD_ERR_FORMAT, pos,
                        "time signature meta event of length %" PRIu32 "; expected 4", len);
        if (d[1] > 7)
            return fail(r, ACD_ERR_FORMAT, pos + 1,
                        "time signature denominator 2^%u; expected 2^0 to 2^7", d[1]);
        AcdTimeSig ts = {.tick = tick, .num = d[0], .den = (uint8_t)(1u << d[1])};
        arr = mf->timesigs;
        st = append(&arr, &mf->n_timesigs, &ts, sizeof ts);
        mf->timesigs = arr;
        break;
    }
    case 0x59: {
        if (len < 2)
            return fail(r, ACD_ERR_FORMAT, pos,
                        "key signature meta event of length %" PRIu32 "; expected 2", len);
        AcdKeySig ks = {.tick = tick, .sharps = (int8_t)d[0], .minor = d[1]};
        arr = mf->keysigs;
        st = append(&arr, &mf->n_keysigs, &ks, sizeof ks);
        mf->keysigs = arr;
        break;
    }
    default: /* text, markers, sequencer-specific...: not needed */
        return ACD_OK;
    }
    return st == ACD_OK ? ACD_OK : nomem(r);
}

/* Parse the events of one MTrk chunk, buf[pos, end). */
static AcdStatus read_track(Reader *r, AcdMidiTrack *tr, size_t pos, size_t end)
{
    uint64_t tick = 0;
    uint8_t running = 0; /* last channel status; meta and sysex leave it alone, as mido does */
    bool named = false;
    AcdStatus st;

    while (pos < end) {
        uint32_t delta;
        size_t delta_pos = pos;
        if ((st = read_vlq(r, &pos, end, &delta)) != ACD_OK)
            return st;
        tick += delta;
        if (tick > ACD_MIDI_MAX_TICK)
            return fail(r, ACD_ERR_LIMIT, delta_pos,
                        "event at tick %" PRIu64 " is past the limit of %" PRIu64 " ticks", tick,
                        (uint64_t)ACD_MIDI_MAX_TICK);
        if (pos >= end)
            return fail(r, ACD_ERR_FORMAT, pos,
                        "expected an event after the delta time, found the end of the track chunk");

        size_t status_pos = pos;
        uint8_t status = r->buf[pos];
        if (status < 0x80) {
            if (!running)
                return fail(r, ACD_ERR_FORMAT, pos,
                            "data byte 0x%02X with no running status; expected a status byte",
                            status);
            status = running;
        } else {
            pos++;
        }

        if (status < 0xF0) {
            unsigned kind = status & 0xF0;
            size_t n = (kind == 0xC0 || kind == 0xD0) ? 1 : 2;
            if (end - pos < n)
                return fail(r, ACD_ERR_FORMAT, status_pos,
                            "event 0x%02X needs %zu data bytes, the track chunk ends after %zu",
                            status, n, end - pos);
            AcdMidiEvent ev = {.tick = tick, .status = status};
            for (size_t i = 0; i < n; i++) {
                uint8_t b = r->buf[pos + i];
                if (b >= 0x80)
                    return fail(r, ACD_ERR_FORMAT, pos + i,
                                "data byte 0x%02X out of range; expected 0x00 to 0x7F", b);
            }
            ev.data1 = r->buf[pos];
            ev.data2 = n == 2 ? r->buf[pos + 1] : 0;
            pos += n;
            running = status;
            if (kind == 0x90 && ev.data2 == 0)
                ev.status = (uint8_t)(0x80 | (status & 0x0F));
            void *arr = tr->events;
            if (append(&arr, &tr->n_events, &ev, sizeof ev) != ACD_OK)
                return nomem(r);
            tr->events = arr;
        } else if (status == 0xFF || status == 0xF0 || status == 0xF7) {
            uint8_t type = 0;
            if (status == 0xFF) {
                if (pos >= end)
                    return fail(r, ACD_ERR_FORMAT, pos,
                                "expected a meta event type, found the end of the track chunk");
                type = r->buf[pos++];
            }
            uint32_t len;
            size_t len_pos = pos;
            if ((st = read_vlq(r, &pos, end, &len)) != ACD_OK)
                return st;
            if (len > end - pos)
                return fail(r, ACD_ERR_FORMAT, len_pos,
                            "%s length %" PRIu32
                            " runs past the end of the track chunk (%zu bytes left)",
                            status == 0xFF ? "meta event" : "sysex event", len, end - pos);
            if (status == 0xFF) {
                if (type == 0x2F) {
                    /* End of Track: whatever follows in the chunk is ignored. */
                    tr->end_tick = tick;
                    return ACD_OK;
                }
                if ((st = read_meta(r, tr, &named, type, pos, len, tick)) != ACD_OK)
                    return st;
            }
            pos += len;
        } else {
            return fail(r, ACD_ERR_FORMAT, status_pos,
                        "status byte 0x%02X is not allowed in a MIDI file; expected a channel, "
                        "meta or sysex event",
                        status);
        }
    }
    /* No End of Track: end at the last event. */
    tr->end_tick = tick;
    return ACD_OK;
}

_Static_assert(offsetof(AcdTempo, tick) == 0, "sort_by_tick reads the tick at offset 0");
_Static_assert(offsetof(AcdTimeSig, tick) == 0, "sort_by_tick reads the tick at offset 0");
_Static_assert(offsetof(AcdKeySig, tick) == 0, "sort_by_tick reads the tick at offset 0");

static uint64_t tick_at(const char *base, size_t i, size_t size)
{
    uint64_t t;
    memcpy(&t, base + i * size, sizeof t);
    return t;
}

/* Stable merge sort by the leading uint64_t tick; tmp holds n elements. qsort
 * is not stable, and the header promises file order among equal ticks. */
static void sort_by_tick(char *a, size_t n, size_t size, char *tmp)
{
    if (n < 2)
        return;
    size_t mid = n / 2;
    sort_by_tick(a, mid, size, tmp);
    sort_by_tick(a + mid * size, n - mid, size, tmp);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (tick_at(a, j, size) < tick_at(a, i, size))
            memcpy(tmp + k++ * size, a + j++ * size, size);
        else
            memcpy(tmp + k++ * size, a + i++ * size, size);
    }
    while (i < mid)
        memcpy(tmp + k++ * size, a + i++ * size, size);
    /* The rest of the right half is already in place. */
    memcpy(a, tmp, k * size);
}

static AcdStatus sort_list(void *arr, size_t n, size_t size)
{
    if (n < 2)
        return ACD_OK;
    char *tmp = malloc(n * size);
    if (!tmp)
        return ACD_ERR_NOMEM;
    sort_by_tick(arr, n, size, tmp);
    free(tmp);
    return ACD_OK;
}

static AcdStatus read_header(Reader *r, unsigned *ntrks, size_t *pos)
{
    const uint8_t *b = r->buf;
    char found[20];
    if (r->len == 0)
        return fail(r, ACD_ERR_FORMAT, 0, "empty file; expected an 'MThd' header chunk");
    if (r->len < 8) {
        return fail(r, ACD_ERR_FORMAT, 0,
                    "header chunk truncated: expected 8 bytes of 'MThd' and length, the file "
                    "has %zu",
                    r->len);
    }
    if (memcmp(b, "MThd", 4) != 0) {
        chunk_type_text(b, 4, found);
        return fail(r, ACD_ERR_FORMAT, 0, "expected an 'MThd' header chunk, found %s", found);
    }
    uint32_t hlen = be32(b + 4);
    if (hlen < 6)
        return fail(r, ACD_ERR_FORMAT, 4, "header chunk length %" PRIu32 "; expected at least 6",
                    hlen);
    if (hlen > r->len - 8)
        return fail(r, ACD_ERR_FORMAT, 8,
                    "header chunk truncated: length %" PRIu32 ", the file has %zu bytes left", hlen,
                    r->len - 8);
    unsigned format = be16(b + 8), n = be16(b + 10), division = be16(b + 12);
    if (format == 2)
        return fail(r, ACD_ERR_UNSUPPORTED, 8,
                    "format 2 (independent sequences) is not supported; expected format 0 or 1");
    if (format > 2)
        return fail(r, ACD_ERR_FORMAT, 8, "unknown format %u; expected format 0 or 1", format);
    if (format == 0 && n != 1)
        return fail(r, ACD_ERR_FORMAT, 10, "format 0 file declares %u tracks; expected 1", n);
    if (n > ACD_MIDI_MAX_TRACKS)
        return fail(r, ACD_ERR_LIMIT, 10, "file declares %u tracks; the limit is %u", n,
                    ACD_MIDI_MAX_TRACKS);
    if (division & 0x8000)
        return fail(r, ACD_ERR_UNSUPPORTED, 12,
                    "SMPTE time division 0x%04X is not supported; expected ticks per beat",
                    division);
    if (division == 0)
        return fail(r, ACD_ERR_FORMAT, 12, "0 ticks per beat; expected at least 1");
    r->mf->format = (int)format;
    r->mf->ticks_per_beat = (int)division;
    *ntrks = n;
    *pos = 8 + (size_t)hlen;
    return ACD_OK;
}

/* The chunks after the header: MTrk chunks in order, unknown chunks skipped.
 * Fewer MTrk chunks than the header declares is an error (mido agrees); bytes
 * after the last declared track are ignored. */
static AcdStatus read_chunks(Reader *r, unsigned ntrks, size_t pos)
{
    AcdMidiFile *mf = r->mf;
    AcdStatus st;
    while (mf->n_tracks < ntrks) {
        if (pos >= r->len)
            return fail(r, ACD_ERR_FORMAT, pos,
                        "expected track %zu of %u (an 'MTrk' chunk), found the end of the file",
                        mf->n_tracks + 1, ntrks);
        if (r->len - pos < 8)
            return fail(r, ACD_ERR_FORMAT, pos,
                        "chunk header truncated: expected 8 bytes, the file has %zu left",
                        r->len - pos);
        uint32_t clen = be32(r->buf + pos + 4);
        if (clen > r->len - pos - 8)
            return fail(r, ACD_ERR_FORMAT, pos + 4,
                        "chunk length %" PRIu32 " runs past the end of the file (%zu bytes left)",
                        clen, r->len - pos - 8);
        if (memcmp(r->buf + pos, "MTrk", 4) == 0) {
            char *name = strdup("");
            if (!name)
                return nomem(r);
            mf->tracks[mf->n_tracks++] = (AcdMidiTrack){.name = name};
            st = read_track(r, &mf->tracks[mf->n_tracks - 1], pos + 8, pos + 8 + clen);
            if (st != ACD_OK)
                return st;
        }
        pos += 8 + (size_t)clen;
    }
    return ACD_OK;
}

AcdStatus acd_midifile_parse(const uint8_t *buf, size_t len, const char *name, AcdMidiFile **out,
                             AcdError *err)
{
    if (!out)
        return acd_error_set(err, ACD_ERR_INVALID, "acd_midifile_parse: out is NULL");
    *out = NULL;
    if (!name)
        name = "(memory)";
    if (!buf && len > 0)
        return acd_error_set(err, ACD_ERR_INVALID, "%s: no buffer", name);
    if (len > ACD_MIDI_MAX_FILE_BYTES)
        return acd_error_set(err, ACD_ERR_LIMIT, "%s: file of %zu bytes; the limit is %u bytes",
                             name, len, ACD_MIDI_MAX_FILE_BYTES);

    Reader r = {.buf = buf, .len = len, .name = name, .err = err};
    AcdStatus st = ACD_ERR_NOMEM;
    unsigned ntrks = 0;
    size_t pos = 0;
    if (!(r.mf = acd_midifile_alloc(0)) || !(r.mf->path = strdup(name))) {
        nomem(&r);
        goto fail;
    }
    if ((st = read_header(&r, &ntrks, &pos)) != ACD_OK)
        goto fail;
    /* At most ACD_MIDI_MAX_TRACKS, so allocating them up front is bounded. */
    if (ntrks > 0 && !(r.mf->tracks = calloc(acd_midifile_capacity(ntrks), sizeof *r.mf->tracks))) {
        st = nomem(&r);
        goto fail;
    }
    if ((st = read_chunks(&r, ntrks, pos)) != ACD_OK)
        goto fail;
    if (sort_list(r.mf->tempos, r.mf->n_tempos, sizeof *r.mf->tempos) != ACD_OK ||
        sort_list(r.mf->timesigs, r.mf->n_timesigs, sizeof *r.mf->timesigs) != ACD_OK ||
        sort_list(r.mf->keysigs, r.mf->n_keysigs, sizeof *r.mf->keysigs) != ACD_OK) {
        st = nomem(&r);
        goto fail;
    }
    *out = r.mf;
    return ACD_OK;

fail:
    acd_midifile_free(r.mf);
    return st;
}

AcdStatus acd_midifile_read(const char *path, AcdMidiFile **out, AcdError *err)
{
    if (!out)
        return acd_error_set(err, ACD_ERR_INVALID, "acd_midifile_read: out is NULL");
    *out = NULL;
    if (!path)
        return acd_error_set(err, ACD_ERR_INVALID, "acd_midifile_read: path is NULL");

    AcdStatus st;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* Read in growing blocks rather than trusting the file size: pipes and
     * /proc files have none, and stopping one byte past the limit bounds memory. */
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > (size_t)ACD_MIDI_MAX_FILE_BYTES + 1)
                ncap = (size_t)ACD_MIDI_MAX_FILE_BYTES + 1;
            if (ncap == cap) {
                st = acd_error_set(err, ACD_ERR_LIMIT, "%s: file larger than the limit of %u bytes",
                                   path, ACD_MIDI_MAX_FILE_BYTES);
                goto done;
            }
            uint8_t *p = realloc(buf, ncap);
            if (!p) {
                st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
                goto done;
            }
            buf = p;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                st = acd_error_set(err, ACD_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
                goto done;
            }
            break;
        }
    }
    if (len > ACD_MIDI_MAX_FILE_BYTES) {
        st = acd_error_set(err, ACD_ERR_LIMIT, "%s: file larger than the limit of %u bytes", path,
                           ACD_MIDI_MAX_FILE_BYTES);
        goto done;
    }
    st = acd_midifile_parse(buf, len, path, out, err);

done:
    free(buf);
    fclose(f);
    return st;
}
