/* Building AcdMidiFile values in memory: new, append, free. */
#include "accompd/midifile.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midifile_internal.h"

size_t acd_midifile_capacity(size_t n)
{
    if (n == 0)
        return 0;
    size_t cap = 8;
    while (cap < n) {
        if (cap > SIZE_MAX / 2)
            return n;
        cap *= 2;
    }
    return cap;
}

AcdStatus acd_midifile_reserve(void **arr, size_t n, size_t elem_size)
{
    /* Grow only when n sits exactly on a capacity boundary: the invariant of
     * acd_midifile_capacity() says there is room otherwise. */
    if (n != 0 && acd_midifile_capacity(n + 1) == acd_midifile_capacity(n))
        return ACD_OK;
    size_t cap = acd_midifile_capacity(n + 1);
    if (cap < n + 1 || cap > SIZE_MAX / elem_size)
        return ACD_ERR_NOMEM;
    void *p = realloc(*arr, cap * elem_size);
    if (!p)
        return ACD_ERR_NOMEM;
    *arr = p;
    return ACD_OK;
}

AcdMidiFile *acd_midifile_alloc(int ticks_per_beat)
{
    AcdMidiFile *mf = calloc(1, sizeof *mf);
    if (!mf)
        return NULL;
    mf->format = 1;
    mf->ticks_per_beat = ticks_per_beat;
    return mf;
}

AcdMidiFile *acd_midifile_new(int ticks_per_beat)
{
    return acd_midifile_alloc(ticks_per_beat);
}

AcdStatus acd_midifile_add_track(AcdMidiFile *mf, const char *name, size_t *index)
{
    if (!mf)
        return ACD_ERR_INVALID;
    if (mf->n_tracks >= ACD_MIDI_MAX_TRACKS)
        return ACD_ERR_LIMIT;
    char *copy = strdup(name ? name : "");
    if (!copy)
        return ACD_ERR_NOMEM;
    void *arr = mf->tracks;
    if (acd_midifile_reserve(&arr, mf->n_tracks, sizeof *mf->tracks) != ACD_OK) {
        free(copy);
        return ACD_ERR_NOMEM;
    }
    mf->tracks = arr;
    mf->tracks[mf->n_tracks] = (AcdMidiTrack){.name = copy};
    if (index)
        *index = mf->n_tracks;
    mf->n_tracks++;
    return ACD_OK;
}

AcdStatus acd_midifile_add_event(AcdMidiFile *mf, size_t track, AcdMidiEvent ev)
{
    if (!mf || track >= mf->n_tracks || ev.status < 0x80 || ev.status > 0xEF || ev.data1 > 0x7F ||
        ev.data2 > 0x7F)
        return ACD_ERR_INVALID;
    if (ev.tick > ACD_MIDI_MAX_TICK)
        return ACD_ERR_RANGE;
    AcdMidiTrack *tr = &mf->tracks[track];
    if (tr->n_events > 0 && ev.tick < tr->events[tr->n_events - 1].tick)
        return ACD_ERR_INVALID;
    void *arr = tr->events;
    if (acd_midifile_reserve(&arr, tr->n_events, sizeof *tr->events) != ACD_OK)
        return ACD_ERR_NOMEM;
    tr->events = arr;
    /* Store note-on velocity 0 as the reader does, so built and read files compare equal. */
    if ((ev.status & 0xF0) == 0x90 && ev.data2 == 0)
        ev.status = (uint8_t)(0x80 | (ev.status & 0x0F));
    tr->events[tr->n_events++] = ev;
    if (ev.tick > tr->end_tick)
        tr->end_tick = ev.tick;
    return ACD_OK;
}

_Static_assert(offsetof(AcdTempo, tick) == 0, "add_sorted reads the tick at offset 0");
_Static_assert(offsetof(AcdTimeSig, tick) == 0, "add_sorted reads the tick at offset 0");
_Static_assert(offsetof(AcdKeySig, tick) == 0, "add_sorted reads the tick at offset 0");

/* Append one element to a tick-sorted list; tick is the element's first field. */
static AcdStatus add_sorted(void **arr, size_t *n, const void *elem, size_t size, uint64_t tick)
{
    if (tick > ACD_MIDI_MAX_TICK)
        return ACD_ERR_RANGE;
    if (*n > 0) {
        uint64_t last;
        memcpy(&last, (const char *)*arr + (*n - 1) * size, sizeof last);
        if (tick < last)
            return ACD_ERR_INVALID;
    }
    if (acd_midifile_reserve(arr, *n, size) != ACD_OK)
        return ACD_ERR_NOMEM;
    memcpy((char *)*arr + *n * size, elem, size);
    (*n)++;
    return ACD_OK;
}

AcdStatus acd_midifile_add_tempo(AcdMidiFile *mf, AcdTempo t)
{
    if (!mf)
        return ACD_ERR_INVALID;
    if (t.us_per_beat == 0 || t.us_per_beat > 0xFFFFFF)
        return ACD_ERR_RANGE;
    void *arr = mf->tempos;
    AcdStatus st = add_sorted(&arr, &mf->n_tempos, &t, sizeof t, t.tick);
    mf->tempos = arr;
    return st;
}

AcdStatus acd_midifile_add_timesig(AcdMidiFile *mf, AcdTimeSig ts)
{
    if (!mf)
        return ACD_ERR_INVALID;
    if (ts.den == 0 || (ts.den & (ts.den - 1)) != 0)
        return ACD_ERR_RANGE;
    void *arr = mf->timesigs;
    AcdStatus st = add_sorted(&arr, &mf->n_timesigs, &ts, sizeof ts, ts.tick);
    mf->timesigs = arr;
    return st;
}

AcdStatus acd_midifile_add_keysig(AcdMidiFile *mf, AcdKeySig ks)
{
    if (!mf)
        return ACD_ERR_INVALID;
    void *arr = mf->keysigs;
    AcdStatus st = add_sorted(&arr, &mf->n_keysigs, &ks, sizeof ks, ks.tick);
    mf->keysigs = arr;
    return st;
}

void acd_midifile_free(AcdMidiFile *mf)
{
    if (!mf)
        return;
    for (size_t i = 0; i < mf->n_tracks; i++) {
        free(mf->tracks[i].name);
        free(mf->tracks[i].events);
    }
    free(mf->tracks);
    free(mf->tempos);
    free(mf->timesigs);
    free(mf->keysigs);
    free(mf->path);
    free(mf);
}
