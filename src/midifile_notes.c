/* Pairing note-ons with note-offs into notes, first in first out per channel and pitch. */
#include "accompd/midifile.h"

#include <stdlib.h>

/* One queue per (channel, pitch) of note indices still sounding, linked
 * through next[]; NONE ends a list. */
#define N_KEYS 2048 /* 16 channels x 128 pitches */
#define NONE   SIZE_MAX
#define OPEN   UINT64_MAX /* end_tick of a note not yet paired */

static int cmp_note(const void *a, const void *b)
{
    const AcdNote *x = a, *y = b;
    if (x->start_tick != y->start_tick)
        return x->start_tick < y->start_tick ? -1 : 1;
    if (x->pitch != y->pitch)
        return x->pitch < y->pitch ? -1 : 1;
    /* The rest only makes the order total, hence deterministic. */
    if (x->channel != y->channel)
        return x->channel < y->channel ? -1 : 1;
    if (x->end_tick != y->end_tick)
        return x->end_tick < y->end_tick ? -1 : 1;
    return (x->velocity > y->velocity) - (x->velocity < y->velocity);
}

AcdStatus acd_midifile_track_notes(const AcdMidiFile *mf, size_t track, AcdNote **notes, size_t *n)
{
    if (!notes || !n)
        return ACD_ERR_INVALID;
    *notes = NULL;
    *n = 0;
    if (!mf || track >= mf->n_tracks)
        return ACD_ERR_INVALID;

    const AcdMidiTrack *tr = &mf->tracks[track];
    size_t count = 0;
    for (size_t i = 0; i < tr->n_events; i++)
        if ((tr->events[i].status & 0xF0) == 0x90 && tr->events[i].data2 > 0)
            count++;
    if (count == 0)
        return ACD_OK;

    AcdStatus st = ACD_ERR_NOMEM;
    AcdNote *out = malloc(count * sizeof *out);
    size_t *next = malloc(count * sizeof *next);
    size_t *head = malloc(N_KEYS * sizeof *head);
    size_t *tail = malloc(N_KEYS * sizeof *tail);
    if (!out || !next || !head || !tail)
        goto done;
    for (size_t k = 0; k < N_KEYS; k++)
        head[k] = tail[k] = NONE;

    size_t m = 0;
    for (size_t i = 0; i < tr->n_events; i++) {
        const AcdMidiEvent *ev = &tr->events[i];
        unsigned kind = ev->status & 0xF0, ch = ev->status & 0x0F;
        size_t key = ch * 128 + (ev->data1 & 0x7F);
        if (kind == 0x90 && ev->data2 > 0) {
            out[m] = (AcdNote){.start_tick = ev->tick,
                               .end_tick = OPEN,
                               .pitch = ev->data1 & 0x7F,
                               .velocity = ev->data2,
                               .channel = (uint8_t)ch,
                               .track = (uint16_t)track};
            next[m] = NONE;
            if (tail[key] == NONE)
                head[key] = m;
            else
                next[tail[key]] = m;
            tail[key] = m;
            m++;
        } else if (kind == 0x80 || kind == 0x90) {
            size_t h = head[key];
            if (h == NONE)
                continue; /* a note-off with no note-on: nothing to end */
            out[h].end_tick = ev->tick;
            head[key] = next[h];
            if (head[key] == NONE)
                tail[key] = NONE;
        }
    }
    for (size_t i = 0; i < m; i++)
        if (out[i].end_tick == OPEN)
            out[i].end_tick = tr->end_tick > out[i].start_tick ? tr->end_tick : out[i].start_tick;
    qsort(out, m, sizeof *out, cmp_note);
    *notes = out;
    *n = m;
    out = NULL;
    st = ACD_OK;

done:
    free(tail);
    free(head);
    free(next);
    free(out);
    return st;
}
