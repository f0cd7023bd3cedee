/* AcdSong: building, sorting, freeing, and the generic MIDI-file loader. */
#include "accompd/song.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "song_build.h"

const char *acd_split_name(AcdSplit split)
{
    switch (split) {
    case ACD_SPLIT_TRAIN:
        return "train";
    case ACD_SPLIT_VALID:
        return "valid";
    case ACD_SPLIT_TEST:
        return "test";
    case ACD_SPLIT_ANY:
        break;
    }
    return "any";
}

AcdStatus acd_split_parse(const char *text, AcdSplit *split)
{
    static const AcdSplit all[] = {ACD_SPLIT_TRAIN, ACD_SPLIT_VALID, ACD_SPLIT_TEST, ACD_SPLIT_ANY};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(text, acd_split_name(all[i]))) {
            *split = all[i];
            return ACD_OK;
        }
    if (!strcmp(text, "validation") || !strcmp(text, "val")) {
        *split = ACD_SPLIT_VALID;
        return ACD_OK;
    }
    return ACD_ERR_INVALID;
}

void acd_song_free(AcdSong *song)
{
    if (!song)
        return;
    free(song->name);
    free(song->path);
    free(song->melody);
    free(song->accomp);
    free(song->drums);
    free(song->parts);
    acd_beatgrid_cleanup(&song->grid);
    free(song);
}

static char *dup_str(const char *s)
{
    if (!s)
        return NULL;
    size_t l = strlen(s) + 1;
    char *d = malloc(l);
    if (d)
        memcpy(d, s, l);
    return d;
}

AcdStatus acd_song_new(const char *name, const char *path, AcdSong **out, AcdError *err)
{
    *out = NULL;
    AcdSong *s = calloc(1, sizeof *s);
    if (!s)
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    s->name = dup_str(name ? name : "");
    s->path = dup_str(path);
    if (!s->name || (path && !s->path)) {
        acd_song_free(s);
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    }
    s->split = ACD_SPLIT_TRAIN;
    *out = s;
    return ACD_OK;
}

/* Grow *arr (of *n elements of size sz) so that one more fits; capacity
 * doubles, tracked in *cap. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 1;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *na = realloc(*arr, ncap * sz);
    if (!na)
        return 0;
    *arr = na;
    *cap = ncap;
    return 1;
}

/* Capacities live beside the lists only while building; a power of two at
 * or above n is always enough, so recompute it instead of storing it. */
static size_t cap_of(size_t n)
{
    if (n == 0)
        return 0;
    size_t c = 64;
    while (c < n)
        c *= 2;
    return c;
}

AcdStatus acd_song_add_note(AcdSong *song, AcdRole role, const AcdSongNote *note, AcdError *err)
{
    AcdSongNote **list;
    size_t *n;
    switch (role) {
    case ACD_ROLE_MELODY:
        list = &song->melody, n = &song->n_melody;
        break;
    case ACD_ROLE_ACCOMP:
        list = &song->accomp, n = &song->n_accomp;
        break;
    case ACD_ROLE_DRUMS:
        list = &song->drums, n = &song->n_drums;
        break;
    case ACD_ROLE_IGNORE:
    default:
        return ACD_OK;
    }
    size_t cap = cap_of(*n);
    if (!grow((void **)list, &cap, *n, sizeof **list))
        return acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", song->name);
    (*list)[(*n)++] = *note;
    return ACD_OK;
}

AcdStatus acd_song_add_midi_notes(AcdSong *song, const AcdMidiFile *mf, const AcdNote *notes,
                                  size_t n, AcdRole role, AcdError *err)
{
    for (size_t i = 0; i < n; i++) {
        const AcdNote *nt = &notes[i];
        AcdRole r = nt->channel == 9 ? ACD_ROLE_DRUMS : role;
        if (r == ACD_ROLE_IGNORE)
            continue;
        AcdSongNote sn = {
            .start_sec = acd_midifile_tick_to_sec(mf, nt->start_tick),
            .end_sec = acd_midifile_tick_to_sec(mf, nt->end_tick),
            .pitch = nt->pitch,
            .velocity = nt->velocity,
            .channel = nt->channel,
            .track = nt->track,
        };
        sn.start_beat = acd_beatgrid_sec_to_beat(&song->grid, sn.start_sec);
        sn.end_beat = acd_beatgrid_sec_to_beat(&song->grid, sn.end_sec);
        AcdStatus st = acd_song_add_note(song, r, &sn, err);
        if (st != ACD_OK)
            return st;
    }
    return ACD_OK;
}

AcdStatus acd_song_add_part(AcdSong *song, const char *name, const AcdTrackRole *role,
                            AcdError *err)
{
    AcdSongPart *np = realloc(song->parts, (song->n_parts + 1) * sizeof *np);
    if (!np)
        return acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", song->name);
    song->parts = np;
    AcdSongPart *p = &np[song->n_parts++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name ? name : "");
    p->role = *role;
    return ACD_OK;
}

static int cmp_note(const void *a, const void *b)
{
    const AcdSongNote *x = a, *y = b;
    if (x->start_sec != y->start_sec)
        return x->start_sec < y->start_sec ? -1 : 1;
    if (x->start_beat != y->start_beat)
        return x->start_beat < y->start_beat ? -1 : 1;
    return (int)x->pitch - (int)y->pitch;
}

void acd_song_sort(AcdSong *song)
{
    if (song->n_melody)
        qsort(song->melody, song->n_melody, sizeof *song->melody, cmp_note);
    if (song->n_accomp)
        qsort(song->accomp, song->n_accomp, sizeof *song->accomp, cmp_note);
    if (song->n_drums)
        qsort(song->drums, song->n_drums, sizeof *song->drums, cmp_note);
}

void acd_song_set_keysig(AcdSong *song, int sharps, int minor)
{
    /* Each sharp moves the major tonic a fifth up; the relative minor is a
     * minor third below. */
    int major = ((sharps * 7) % 12 + 12) % 12;
    song->has_key = true;
    song->key_minor = minor != 0;
    song->key_tonic = minor ? (major + 9) % 12 : major;
}

void acd_song_cut_overlaps(AcdSongNote *notes, size_t *n)
{
    size_t w = 0;
    for (size_t i = 0; i < *n; i++) {
        AcdSongNote nt = notes[i];
        /* The next onset strictly later than this one; chords in a melody
         * (equal onsets) are left alone. */
        size_t j = i + 1;
        while (j < *n && notes[j].start_sec <= nt.start_sec)
            j++;
        if (j < *n && nt.end_sec > notes[j].start_sec) {
            nt.end_sec = notes[j].start_sec;
            nt.end_beat = notes[j].start_beat;
        }
        if (nt.end_sec > nt.start_sec || notes[i].end_sec <= notes[i].start_sec)
            notes[w++] = nt;
    }
    *n = w;
}

AcdStatus acd_song_track_notes(const AcdMidiFile *mf, AcdNote ***notes, size_t **counts,
                               AcdError *err)
{
    size_t nt = mf->n_tracks;
    *notes = calloc(nt ? nt : 1, sizeof **notes);
    *counts = calloc(nt ? nt : 1, sizeof **counts);
    if (!*notes || !*counts) {
        free(*notes);
        free(*counts);
        *notes = NULL;
        *counts = NULL;
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nt; i++) {
        AcdStatus st = acd_midifile_track_notes(mf, i, &(*notes)[i], &(*counts)[i]);
        if (st != ACD_OK) {
            acd_song_free_track_notes(*notes, *counts, nt);
            *notes = NULL;
            *counts = NULL;
            return acd_error_set(err, st, "%s: track %zu: %s", mf->path ? mf->path : "(memory)", i,
                                 acd_strerror(st));
        }
    }
    return ACD_OK;
}

void acd_song_free_track_notes(AcdNote **notes, size_t *counts, size_t n_tracks)
{
    if (notes)
        for (size_t i = 0; i < n_tracks; i++)
            free(notes[i]);
    free(notes);
    free(counts);
}

uint64_t acd_song_last_tick(AcdNote *const *notes, const size_t *counts, size_t n_tracks)
{
    uint64_t last = 0;
    for (size_t t = 0; t < n_tracks; t++)
        for (size_t i = 0; i < counts[t]; i++)
            if (notes[t][i].end_tick > last)
                last = notes[t][i].end_tick;
    return last;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

AcdStatus acd_song_add_tracks(AcdSong *song, const AcdMidiFile *mf, AcdNote *const *notes,
                             const size_t *counts, const AcdTrackRole *roles, AcdError *err)
{
    for (size_t i = 0; i < mf->n_tracks; i++) {
        char label[96];
        snprintf(label, sizeof label, "track %zu '%.40s'", i, mf->tracks[i].name);
        AcdStatus st = acd_song_add_part(song, label, &roles[i], err);
        if (st == ACD_OK)
            st = acd_song_add_midi_notes(song, mf, notes[i], counts[i], roles[i].role, err);
        if (st != ACD_OK)
            return st;
    }
    return ACD_OK;
}

AcdStatus acd_song_build_midi(const AcdMidiFile *mf, AcdNote *const *notes, const size_t *counts,
                              const AcdTrackRole *roles, AcdSong **out, AcdError *err)
{
    *out = NULL;
    const char *path = mf->path ? mf->path : "(memory)";
    AcdSong *song = NULL;
    AcdStatus st = acd_song_new(base_name(path), mf->path, &song, err);
    if (st != ACD_OK)
        return st;
    st = acd_beatgrid_init_midi(&song->grid, mf, acd_song_last_tick(notes, counts, mf->n_tracks),
                                err);
    if (st != ACD_OK) {
        acd_error_prefix(err, "%s: ", path);
        goto fail;
    }
    if ((st = acd_song_add_tracks(song, mf, notes, counts, roles, err)) != ACD_OK)
        goto fail;
    if (mf->n_keysigs)
        acd_song_set_keysig(song, mf->keysigs[0].sharps, mf->keysigs[0].minor);
    acd_song_sort(song);
    *out = song;
    return ACD_OK;
fail:
    acd_song_free(song);
    return st;
}

AcdStatus acd_song_from_midifile(const AcdMidiFile *mf, AcdSong **out, AcdError *err)
{
    *out = NULL;
    const char *path = mf->path ? mf->path : "(memory)";
    AcdNote **notes = NULL;
    size_t *counts = NULL;
    AcdStatus st = acd_song_track_notes(mf, &notes, &counts, err);
    if (st != ACD_OK)
        return st;
    AcdTrackRole *roles = calloc(mf->n_tracks ? mf->n_tracks : 1, sizeof *roles);
    if (!roles) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
    } else {
        acd_roles_detect(mf, notes, counts, roles);
        st = acd_song_build_midi(mf, notes, counts, roles, out, err);
    }
    free(roles);
    acd_song_free_track_notes(notes, counts, mf->n_tracks);
    return st;
}

AcdStatus acd_song_load_midi(const char *path, AcdSong **out, AcdError *err)
{
    AcdMidiFile *mf = NULL;
    *out = NULL;
    AcdStatus st = acd_midifile_read(path, &mf, err);
    if (st != ACD_OK)
        return st;
    st = acd_song_from_midifile(mf, out, err);
    acd_midifile_free(mf);
    return st;
}
