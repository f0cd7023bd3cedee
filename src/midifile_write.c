/* Standard MIDI File writer: format 1, a conductor track first, canonical and deterministic. */
#include "accompd/midifile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest delta a 4-byte variable-length quantity holds. */
#define MAX_DELTA 0x0FFFFFFFu

typedef struct {
    uint8_t *p;
    size_t n, cap;
    bool nomem; /* sticky: checked once at the end instead of after every byte */
} Buf;

static void put(Buf *b, const void *data, size_t n)
{
    if (b->nomem || n == 0) /* n == 0: data may be NULL, which memcpy must not see */
        return;
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->n < n) {
            if (cap > SIZE_MAX / 2) {
                b->nomem = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->nomem = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_u8(Buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void put_be(Buf *b, uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        put_u8(b, (v >> (8 * i)) & 0xFF);
}

static void put_vlq(Buf *b, uint32_t v)
{
    uint8_t tmp[5];
    int n = 0;
    tmp[n++] = v & 0x7F;
    while (v >>= 7)
        tmp[n++] = (uint8_t)(0x80 | (v & 0x7F));
    while (n > 0)
        put_u8(b, tmp[--n]);
}

/* A track being written: the current tick and running status. */
typedef struct {
    Buf *b;
    uint64_t tick;
    uint8_t running;
} TrackWriter;

/* Advance to tick. Deltas past what a 4-byte quantity holds are bridged with
 * empty text events, which every reader skips. */
static void put_delta(TrackWriter *w, uint64_t tick)
{
    uint64_t delta = tick - w->tick;
    while (delta > MAX_DELTA) {
        put_vlq(w->b, MAX_DELTA);
        put(w->b, "\xFF\x01\x00", 3);
        w->running = 0;
        delta -= MAX_DELTA;
    }
    put_vlq(w->b, (uint32_t)delta);
    w->tick = tick;
}

static void put_meta(TrackWriter *w, uint64_t tick, uint8_t type, const void *data, uint32_t len)
{
    put_delta(w, tick);
    put_u8(w->b, 0xFF);
    put_u8(w->b, type);
    put_vlq(w->b, len);
    put(w->b, data, len);
    /* Strict readers cancel running status after a meta event; ours does not, but be portable. */
    w->running = 0;
}

/* Start a chunk; returns the offset of its length field, filled in by end_chunk(). */
static size_t begin_track(Buf *b)
{
    put(b, "MTrk", 4);
    put_be(b, 0, 4);
    return b->n - 4;
}

static AcdStatus end_track(TrackWriter *w, uint64_t end_tick, size_t len_at, AcdError *err)
{
    put_meta(w, end_tick > w->tick ? end_tick : w->tick, 0x2F, NULL, 0);
    if (w->b->nomem)
        return ACD_OK; /* reported by the caller */
    size_t len = w->b->n - len_at - 4;
    if (len > UINT32_MAX)
        return acd_error_set(err, ACD_ERR_LIMIT, "track chunk of %zu bytes is too long for SMF",
                             len);
    for (int i = 0; i < 4; i++)
        w->b->p[len_at + (size_t)i] = (uint8_t)(len >> (24 - 8 * i));
    return ACD_OK;
}

static int log2_den(uint8_t den)
{
    if (den == 0 || (den & (den - 1)) != 0)
        return -1;
    int e = 0;
    while ((1u << e) != den)
        e++;
    return e;
}

/* The tempo map and signatures, merged by tick (tempo, then time, then key
 * signature at equal ticks, so the output does not depend on anything else). */
static AcdStatus write_conductor(const AcdMidiFile *mf, Buf *b, AcdError *err)
{
    TrackWriter w = {.b = b};
    size_t len_at = begin_track(b);
    size_t i = 0, j = 0, k = 0;
    uint64_t last = 0;
    while (i < mf->n_tempos || j < mf->n_timesigs || k < mf->n_keysigs) {
        uint64_t ti = i < mf->n_tempos ? mf->tempos[i].tick : UINT64_MAX;
        uint64_t tj = j < mf->n_timesigs ? mf->timesigs[j].tick : UINT64_MAX;
        uint64_t tk = k < mf->n_keysigs ? mf->keysigs[k].tick : UINT64_MAX;
        uint64_t t = ti < tj ? ti : tj;
        t = t < tk ? t : tk;
        if (t < last || t > ACD_MIDI_MAX_TICK)
            return acd_error_set(err, ACD_ERR_INVALID,
                                 "tempo map or signatures out of tick order at tick %" PRIu64, t);
        last = t;
        if (t == ti) {
            uint32_t us = mf->tempos[i++].us_per_beat;
            if (us == 0 || us > 0xFFFFFF)
                return acd_error_set(err, ACD_ERR_RANGE,
                                     "tempo of %" PRIu32 " microseconds per beat; expected 1 to "
                                     "16777215",
                                     us);
            uint8_t d[3] = {(uint8_t)(us >> 16), (uint8_t)(us >> 8), (uint8_t)us};
            put_meta(&w, t, 0x51, d, 3);
        } else if (t == tj) {
            const AcdTimeSig *ts = &mf->timesigs[j++];
            int e = log2_den(ts->den);
            if (e < 0)
                return acd_error_set(err, ACD_ERR_RANGE,
                                     "time signature denominator %u; expected a power of two",
                                     ts->den);
            /* 24 MIDI clocks per metronome click and 8 32nds per beat: the usual values. */
            uint8_t d[4] = {ts->num, (uint8_t)e, 24, 8};
            put_meta(&w, t, 0x58, d, 4);
        } else {
            const AcdKeySig *ks = &mf->keysigs[k++];
            uint8_t d[2] = {(uint8_t)ks->sharps, ks->minor};
            put_meta(&w, t, 0x59, d, 2);
        }
    }
    return end_track(&w, last, len_at, err);
}

static AcdStatus write_track(const AcdMidiTrack *tr, size_t index, Buf *b, AcdError *err)
{
    TrackWriter w = {.b = b};
    size_t len_at = begin_track(b);
    size_t name_len = tr->name ? strlen(tr->name) : 0;
    if (name_len > MAX_DELTA)
        return acd_error_set(err, ACD_ERR_LIMIT, "track %zu: name too long", index);
    if (name_len > 0)
        put_meta(&w, 0, 0x03, tr->name, (uint32_t)name_len);
    for (size_t i = 0; i < tr->n_events; i++) {
        const AcdMidiEvent *ev = &tr->events[i];
        if (ev->tick < w.tick || ev->tick > ACD_MIDI_MAX_TICK)
            return acd_error_set(err, ACD_ERR_INVALID,
                                 "track %zu: event %zu at tick %" PRIu64 " is out of order", index,
                                 i, ev->tick);
        if (ev->status < 0x80 || ev->status > 0xEF || ev->data1 > 0x7F || ev->data2 > 0x7F)
            return acd_error_set(err, ACD_ERR_INVALID,
                                 "track %zu: event %zu (0x%02X 0x%02X 0x%02X) is not a channel "
                                 "voice message",
                                 index, i, ev->status, ev->data1, ev->data2);
        put_delta(&w, ev->tick);
        /* Running status keeps files small; every reader handles it between channel events. */
        if (ev->status != w.running)
            put_u8(b, ev->status);
        w.running = ev->status;
        put_u8(b, ev->data1);
        unsigned kind = ev->status & 0xF0;
        if (kind != 0xC0 && kind != 0xD0)
            put_u8(b, ev->data2);
    }
    uint64_t end = tr->end_tick > ACD_MIDI_MAX_TICK ? ACD_MIDI_MAX_TICK : tr->end_tick;
    return end_track(&w, end, len_at, err);
}

AcdStatus acd_midifile_serialize(const AcdMidiFile *mf, uint8_t **buf, size_t *len, AcdError *err)
{
    if (!mf || !buf || !len)
        return acd_error_set(err, ACD_ERR_INVALID, "acd_midifile_serialize: NULL argument");
    *buf = NULL;
    *len = 0;
    if (mf->ticks_per_beat < 1 || mf->ticks_per_beat > 0x7FFF)
        return acd_error_set(err, ACD_ERR_INVALID, "%d ticks per beat; expected 1 to 32767",
                             mf->ticks_per_beat);
    /* The conductor track counts, and the reader must accept what we write. */
    if (mf->n_tracks + 1 > ACD_MIDI_MAX_TRACKS)
        return acd_error_set(err, ACD_ERR_LIMIT, "%zu tracks; at most %u can be written",
                             mf->n_tracks, ACD_MIDI_MAX_TRACKS - 1);

    Buf b = {0};
    AcdStatus st;
    put(&b, "MThd", 4);
    put_be(&b, 6, 4);
    put_be(&b, 1, 2);
    put_be(&b, (uint32_t)mf->n_tracks + 1, 2);
    put_be(&b, (uint32_t)mf->ticks_per_beat, 2);
    if ((st = write_conductor(mf, &b, err)) != ACD_OK)
        goto fail;
    for (size_t i = 0; i < mf->n_tracks; i++)
        if ((st = write_track(&mf->tracks[i], i, &b, err)) != ACD_OK)
            goto fail;
    if (b.nomem) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory while writing a MIDI file");
        goto fail;
    }
    *buf = b.p;
    *len = b.n;
    return ACD_OK;

fail:
    free(b.p);
    return st;
}

AcdStatus acd_midifile_write(const AcdMidiFile *mf, const char *path, AcdError *err)
{
    if (!path)
        return acd_error_set(err, ACD_ERR_INVALID, "acd_midifile_write: path is NULL");
    uint8_t *buf;
    size_t len;
    AcdStatus st = acd_midifile_serialize(mf, &buf, &len, err);
    if (st != ACD_OK) {
        acd_error_prefix(err, "%s: ", path);
        return st;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        goto done;
    }
    bool ok = fwrite(buf, 1, len, f) == len;
    int saved = errno;
    /* fclose flushes: a full disk may only show here. */
    if (fclose(f) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok)
        st = acd_error_set(err, ACD_ERR_IO, "%s: cannot write: %s", path, strerror(saved));

done:
    free(buf);
    return st;
}
