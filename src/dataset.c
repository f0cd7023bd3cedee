/* Song collections: finding the songs of a split on disk, and loading them one by one. */
#include "accompd/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "jsb.h"
#include "song_build.h"
#include "textfile.h"

/* One song to load: its name and the paths it is read from. */
typedef struct {
    char *name;
    char *a; /* POP909 song folder, melody file, or MIDI file */
    char *b; /* chords file (pairs) */
    AcdSplit split;
} Item;

struct AcdDataset {
    AcdCollection kind;
    AcdSplit split;
    Item *items;
    size_t n, cap;
    size_t next;
    AcdJsbPiece *jsb; /* JSB: the pieces, parsed at open */
    size_t n_jsb;
};

/* Folder walks stop here: a root with more MIDI files than this is not a
 * training folder we can hold in memory anyway. */
#define MAX_ITEMS 2000000u
#define MAX_DEPTH 16

const char *acd_collection_name(AcdCollection kind)
{
    switch (kind) {
    case ACD_COLLECTION_POP909:
        return "pop909";
    case ACD_COLLECTION_NOTTINGHAM:
        return "nottingham";
    case ACD_COLLECTION_JSB:
        return "jsb";
    case ACD_COLLECTION_MIDI:
        return "midi";
    case ACD_COLLECTION_AUTO:
        break;
    }
    return "auto";
}

AcdStatus acd_collection_parse(const char *text, AcdCollection *kind)
{
    for (int k = ACD_COLLECTION_AUTO; k <= ACD_COLLECTION_MIDI; k++)
        if (!strcmp(text, acd_collection_name((AcdCollection)k))) {
            *kind = (AcdCollection)k;
            return ACD_OK;
        }
    return ACD_ERR_INVALID;
}

AcdSplit acd_dataset_hash_split(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a, 32 bits */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h % 100 < ACD_DATASET_VALID_PERCENT ? ACD_SPLIT_VALID : ACD_SPLIT_TRAIN;
}

/* a + sep + b in a new string (sep and b may be ""). NULL when out of memory. */
static char *cat3(const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    char *s = malloc(la + ls + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, sep, ls);
        memcpy(s + la + ls, b, lb + 1);
    }
    return s;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Add an item when its split is wanted; takes ownership of name, a and b. */
static AcdStatus add_item(AcdDataset *ds, char *name, char *a, char *b, AcdSplit split,
                          AcdError *err)
{
    if (!name || !a) {
        free(name), free(a), free(b);
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    }
    if (ds->split != ACD_SPLIT_ANY && split != ds->split) {
        free(name), free(a), free(b);
        return ACD_OK;
    }
    if (ds->n == MAX_ITEMS) {
        free(name), free(a), free(b);
        return acd_error_set(err, ACD_ERR_LIMIT, "more than %u songs", MAX_ITEMS);
    }
    if (ds->n == ds->cap) {
        size_t ncap = ds->cap ? ds->cap * 2 : 256;
        Item *ni = realloc(ds->items, ncap * sizeof *ni);
        if (!ni) {
            free(name), free(a), free(b);
            return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
        }
        ds->items = ni;
        ds->cap = ncap;
    }
    ds->items[ds->n++] = (Item){name, a, b, split};
    return ACD_OK;
}

/* A splits table: header, then "id,split[,note]" rows. Rows with a non-empty
 * note (Nottingham's flagged pairs) are skipped. For each kept row, make()
 * adds the item. */
typedef AcdStatus (*MakeFn)(AcdDataset *ds, const char *root, const char *id, AcdSplit split,
                            AcdError *err);

static AcdStatus read_splits(AcdDataset *ds, const char *csv, const char *root, MakeFn make,
                             AcdError *err)
{
    AcdTextFile tf;
    AcdStatus st = acd_text_open(&tf, csv, err);
    if (st != ACD_OK)
        return st;
    char *line = acd_text_next_line(&tf); /* header */
    if (!line || strncmp(line, "song_id,split", 13) != 0) {
        if (!line || strncmp(line, "tune,split", 10) != 0) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:1: expected a header 'id,split[,note]'",
                               csv);
            goto done;
        }
    }
    while ((line = acd_text_next_line(&tf))) {
        if (!*line)
            continue;
        char *f[4];
        size_t nf = acd_text_split_csv(line, f, 3);
        AcdSplit sp;
        if (nf < 2 || nf > 3 || !*f[0] || strchr(f[0], '/') ||
            acd_split_parse(f[1], &sp) != ACD_OK || sp == ACD_SPLIT_ANY) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: expected 'id,split[,note]'", csv,
                               tf.line_no);
            goto done;
        }
        if (nf == 3 && *f[2])
            continue;
        if ((st = make(ds, root, f[0], sp, err)) != ACD_OK)
            goto done;
    }
done:
    acd_text_close(&tf);
    return st;
}

static AcdStatus make_pop909(AcdDataset *ds, const char *songs, const char *id, AcdSplit split,
                             AcdError *err)
{
    char idbuf[256];
    snprintf(idbuf, sizeof idbuf, "%s", id);
    return add_item(ds, cat3(idbuf, "", ""), cat3(songs, "/", idbuf), NULL, split, err);
}

static AcdStatus make_pair(AcdDataset *ds, const char *midi, const char *id, AcdSplit split,
                           AcdError *err)
{
    char rel[300];
    snprintf(rel, sizeof rel, "melody/%s.mid", id);
    char *a = cat3(midi, "/", rel);
    snprintf(rel, sizeof rel, "chords/%s.mid", id);
    char *b = cat3(midi, "/", rel);
    if (!b) {
        free(a);
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    }
    return add_item(ds, cat3(id, "", ""), a, b, split, err);
}

static int has_mid_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".mid") || !strcasecmp(dot, ".midi"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every MIDI file under root/rel, recursively, in name order. */
static AcdStatus scan(AcdDataset *ds, const char *root, const char *rel, int depth, AcdError *err)
{
    char *dir = rel[0] ? cat3(root, "/", rel) : cat3(root, "", "");
    if (!dir)
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        AcdStatus st = acd_error_set(err, ACD_ERR_IO, "%s: %s", dir, strerror(errno));
        free(dir);
        return st;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    AcdStatus st = ACD_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn) {
                st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
                goto done;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = cat3(e->d_name, "", ""))) {
            st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
            goto done;
        }
        n++;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && st == ACD_OK; i++) {
        char *sub = rel[0] ? cat3(rel, "/", names[i]) : cat3(names[i], "", "");
        char *full = sub ? cat3(root, "/", sub) : NULL;
        if (!full) {
            free(sub);
            st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
            break;
        }
        if (is_dir(full)) {
            if (depth < MAX_DEPTH)
                st = scan(ds, root, sub, depth + 1, err);
            free(sub);
            free(full);
        } else if (has_mid_ext(names[i]) && is_file(full)) {
            st = add_item(ds, sub, full, NULL, acd_dataset_hash_split(sub), err);
        } else {
            free(sub);
            free(full);
        }
    }
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    free(dir);
    return st;
}

/* Decide the collection of path, and where its parts are. */
static AcdCollection detect(const char *path)
{
    char buf[4400];
    const char *dot = strrchr(path, '.');
    if (is_file(path) && dot && !strcasecmp(dot, ".csv"))
        return ACD_COLLECTION_JSB;
    snprintf(buf, sizeof buf, "%s/jsb16th_satb.csv", path);
    if (is_file(buf))
        return ACD_COLLECTION_JSB;
    snprintf(buf, sizeof buf, "%s/POP909/index.csv", path);
    if (is_file(buf))
        return ACD_COLLECTION_POP909;
    snprintf(buf, sizeof buf, "%s/MIDI/melody", path);
    if (is_dir(buf))
        return ACD_COLLECTION_NOTTINGHAM;
    return ACD_COLLECTION_MIDI;
}

static AcdStatus open_pop909(AcdDataset *ds, const char *path, AcdError *err)
{
    char songs[4400], csv[4400];
    snprintf(songs, sizeof songs, "%s/POP909", path);
    snprintf(csv, sizeof csv, "%s/splits.csv", path);
    if (!is_dir(songs))
        return acd_error_set(err, ACD_ERR_IO, "%s: no POP909 folder", path);
    return read_splits(ds, csv, songs, make_pop909, err);
}

static AcdStatus open_nottingham(AcdDataset *ds, const char *path, AcdError *err)
{
    char midi[4400], csv[4400];
    snprintf(midi, sizeof midi, "%s/MIDI", path);
    snprintf(csv, sizeof csv, "%s/splits.csv", path);
    return read_splits(ds, csv, midi, make_pair, err);
}

static AcdStatus open_jsb(AcdDataset *ds, const char *path, AcdError *err)
{
    char csv[4400];
    if (is_dir(path))
        snprintf(csv, sizeof csv, "%s/jsb16th_satb.csv", path);
    else
        snprintf(csv, sizeof csv, "%s", path);
    AcdStatus st = acd_jsb_read(csv, ds->split, &ds->jsb, &ds->n_jsb, err);
    for (size_t i = 0; st == ACD_OK && i < ds->n_jsb; i++)
        st = add_item(ds, cat3(ds->jsb[i].name, "", ""), cat3(csv, "", ""), NULL, ds->jsb[i].split,
                      err);
    return st;
}

AcdStatus acd_dataset_open(const char *path, AcdCollection kind, AcdSplit split, AcdDataset **out,
                           AcdError *err)
{
    *out = NULL;
    if (!is_dir(path) && !is_file(path))
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(ENOENT));
    AcdDataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
    ds->split = split;
    ds->kind = kind == ACD_COLLECTION_AUTO ? detect(path) : kind;
    AcdStatus st;
    switch (ds->kind) {
    case ACD_COLLECTION_POP909:
        st = open_pop909(ds, path, err);
        break;
    case ACD_COLLECTION_NOTTINGHAM:
        st = open_nottingham(ds, path, err);
        break;
    case ACD_COLLECTION_JSB:
        st = open_jsb(ds, path, err);
        break;
    case ACD_COLLECTION_MIDI:
    case ACD_COLLECTION_AUTO:
    default:
        ds->kind = ACD_COLLECTION_MIDI;
        st = scan(ds, path, "", 0, err);
        break;
    }
    if (st != ACD_OK) {
        acd_dataset_free(ds);
        return st;
    }
    *out = ds;
    return ACD_OK;
}

void acd_dataset_free(AcdDataset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n; i++) {
        free(ds->items[i].name);
        free(ds->items[i].a);
        free(ds->items[i].b);
    }
    free(ds->items);
    acd_jsb_free(ds->jsb, ds->n_jsb);
    free(ds);
}

AcdCollection acd_dataset_kind(const AcdDataset *ds)
{
    return ds->kind;
}

size_t acd_dataset_count(const AcdDataset *ds)
{
    return ds->n;
}

const char *acd_dataset_name(const AcdDataset *ds, size_t i)
{
    return i < ds->n ? ds->items[i].name : NULL;
}

AcdStatus acd_dataset_load(const AcdDataset *ds, size_t i, AcdSong **out, AcdError *err)
{
    *out = NULL;
    if (i >= ds->n)
        return acd_error_set(err, ACD_ERR_RANGE, "song %zu of %zu", i, ds->n);
    const Item *it = &ds->items[i];
    AcdStatus st;
    switch (ds->kind) {
    case ACD_COLLECTION_POP909:
        st = acd_song_load_pop909(it->a, 0, out, err);
        break;
    case ACD_COLLECTION_NOTTINGHAM:
        st = acd_song_load_pair(it->a, it->b, out, err);
        break;
    case ACD_COLLECTION_JSB: {
        const AcdJsbPiece *p = &ds->jsb[i];
        st = acd_song_from_beats(p->name, p->melody, p->n_melody, p->accomp, p->n_accomp,
                                 ACD_JSB_SEC_PER_BEAT, ACD_JSB_BEATS_PER_BAR, out, err);
        if (st == ACD_OK) {
            static const char *const voice[] = {"soprano", "alto, tenor, bass"};
            for (int k = 0; k < 2 && st == ACD_OK; k++) {
                AcdTrackRole r = {.role = k ? ACD_ROLE_ACCOMP : ACD_ROLE_MELODY};
                snprintf(r.reason, sizeof r.reason, "SATB CSV: %s", voice[k]);
                st = acd_song_add_part(*out, voice[k], &r, err);
            }
        }
        break;
    }
    case ACD_COLLECTION_MIDI:
    case ACD_COLLECTION_AUTO:
    default:
        st = acd_song_load_midi(it->a, out, err);
        if (st == ACD_OK) {
            free((*out)->name);
            (*out)->name = cat3(it->name, "", "");
            if (!(*out)->name)
                st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
        }
        break;
    }
    if (st != ACD_OK) {
        acd_song_free(*out);
        *out = NULL;
        return st;
    }
    (*out)->split = it->split;
    /* A song with no melody cannot train an accompanist (a Groove MIDI drum
     * take, a piano solo): say so, so that callers can count and skip it. */
    if ((*out)->n_melody == 0) {
        const char *where = it->a;
        acd_song_free(*out);
        *out = NULL;
        return acd_error_set(err, ACD_ERR_NO_MELODY, "%s: no melody notes", where);
    }
    return ACD_OK;
}

AcdStatus acd_dataset_next(AcdDataset *ds, AcdSong **out, AcdError *err)
{
    *out = NULL;
    if (ds->next >= ds->n)
        return ACD_ERR_EMPTY;
    return acd_dataset_load(ds, ds->next++, out, err);
}

void acd_dataset_rewind(AcdDataset *ds)
{
    ds->next = 0;
}
