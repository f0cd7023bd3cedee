/* Reading the JSB chorales' SATB CSV into melody (soprano) and accompaniment notes. */
#include "jsb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textfile.h"

#define N_VOICES 4

typedef struct {
    AcdSongNote *v;
    size_t n, cap;
} NoteList;

static int push(NoteList *l, AcdSongNote nt)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        AcdSongNote *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv)
            return 0;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = nt;
    return 1;
}

void acd_jsb_free(AcdJsbPiece *pieces, size_t n)
{
    if (!pieces)
        return;
    for (size_t i = 0; i < n; i++) {
        free(pieces[i].melody);
        free(pieces[i].accomp);
    }
    free(pieces);
}

/* Reading state: the piece being built and each voice's open note. */
typedef struct {
    char split[16];
    long piece;
    long last_step;
    int open_pitch[N_VOICES]; /* -1: silent */
    long open_start[N_VOICES];
    NoteList mel, acc;
    int active;
} Cur;

static int close_voice(Cur *c, int v, long step)
{
    if (c->open_pitch[v] < 0)
        return 1;
    AcdSongNote nt = {
        .start_beat = (double)c->open_start[v] / 4.0,
        .end_beat = (double)step / 4.0,
        .pitch = (uint8_t)c->open_pitch[v],
        .velocity = 90,
        .channel = (uint8_t)v,
        .track = (uint16_t)v,
    };
    c->open_pitch[v] = -1;
    return push(v == 0 ? &c->mel : &c->acc, nt);
}

static AcdStatus finish_piece(Cur *c, AcdSplit want, AcdJsbPiece **pieces, size_t *n, size_t *cap,
                              AcdError *err)
{
    int ok = 1;
    for (int v = 0; v < N_VOICES; v++)
        ok &= close_voice(c, v, c->last_step + 1);
    AcdSplit sp = ACD_SPLIT_TRAIN;
    (void)acd_split_parse(c->split, &sp); /* checked when the row was read */
    if (ok && (want == ACD_SPLIT_ANY || want == sp)) {
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            AcdJsbPiece *np = realloc(*pieces, ncap * sizeof *np);
            if (!np)
                ok = 0;
            else
                *pieces = np, *cap = ncap;
        }
        if (ok) {
            AcdJsbPiece *p = &(*pieces)[(*n)++];
            memset(p, 0, sizeof *p);
            snprintf(p->name, sizeof p->name, "%s/%ld", c->split, c->piece);
            p->split = sp;
            p->melody = c->mel.v;
            p->n_melody = c->mel.n;
            p->accomp = c->acc.v;
            p->n_accomp = c->acc.n;
            c->mel = (NoteList){0};
            c->acc = (NoteList){0};
        }
    }
    free(c->mel.v);
    free(c->acc.v);
    c->mel = (NoteList){0};
    c->acc = (NoteList){0};
    c->active = 0;
    return ok ? ACD_OK : acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
}

AcdStatus acd_jsb_read(const char *path, AcdSplit split, AcdJsbPiece **pieces, size_t *n,
                       AcdError *err)
{
    *pieces = NULL;
    *n = 0;
    size_t cap = 0;
    AcdTextFile tf;
    AcdStatus st = acd_text_open(&tf, path, err);
    if (st != ACD_OK)
        return st;
    Cur c = {0};
    char *line = acd_text_next_line(&tf);
    if (!line || strcmp(line, "split,piece,step16th,soprano,alto,tenor,bass")) {
        st = acd_error_set(err, ACD_ERR_FORMAT,
                           "%s:1: expected the header "
                           "'split,piece,step16th,soprano,alto,tenor,bass'",
                           path);
        goto fail;
    }
    while ((line = acd_text_next_line(&tf))) {
        if (!*line)
            continue;
        char *f[8];
        if (acd_text_split_csv(line, f, 8) != 7) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: expected 7 fields", path, tf.line_no);
            goto fail;
        }
        AcdSplit sp;
        if (acd_split_parse(f[0], &sp) != ACD_OK || sp == ACD_SPLIT_ANY ||
            strlen(f[0]) >= sizeof c.split) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: unknown split '%.20s'", path,
                               tf.line_no, f[0]);
            goto fail;
        }
        long piece, step, pitch[N_VOICES];
        static const char *const what[N_VOICES] = {"soprano", "alto", "tenor", "bass"};
        if ((st = acd_text_parse_long(&tf, f[1], "piece", &piece, err)) != ACD_OK ||
            (st = acd_text_parse_long(&tf, f[2], "step16th", &step, err)) != ACD_OK)
            goto fail;
        for (int v = 0; v < N_VOICES; v++) {
            if ((st = acd_text_parse_long(&tf, f[3 + v], what[v], &pitch[v], err)) != ACD_OK)
                goto fail;
            if (pitch[v] < -1 || pitch[v] > 127) {
                st = acd_error_set(err, ACD_ERR_RANGE, "%s:%zu: %s pitch %ld (0..127 or -1)", path,
                                   tf.line_no, what[v], pitch[v]);
                goto fail;
            }
        }
        if (c.active && (piece != c.piece || strcmp(f[0], c.split))) {
            if ((st = finish_piece(&c, split, pieces, n, &cap, err)) != ACD_OK)
                goto fail;
        }
        if (!c.active) {
            c.active = 1;
            c.piece = piece;
            snprintf(c.split, sizeof c.split, "%s", f[0]);
            c.last_step = step - 1;
            for (int v = 0; v < N_VOICES; v++)
                c.open_pitch[v] = -1;
        }
        if (step != c.last_step + 1 || step < 0 || step > 10000000) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: step16th %ld, expected %ld", path,
                               tf.line_no, step, c.last_step + 1);
            goto fail;
        }
        for (int v = 0; v < N_VOICES; v++) {
            if (pitch[v] == c.open_pitch[v])
                continue;
            if (!close_voice(&c, v, step)) {
                st = acd_error_set(err, ACD_ERR_NOMEM, "out of memory");
                goto fail;
            }
            c.open_pitch[v] = (int)pitch[v];
            c.open_start[v] = step;
        }
        c.last_step = step;
    }
    if (c.active && (st = finish_piece(&c, split, pieces, n, &cap, err)) != ACD_OK)
        goto fail;
    acd_text_close(&tf);
    return ACD_OK;
fail:
    free(c.mel.v);
    free(c.acc.v);
    acd_jsb_free(*pieces, *n);
    *pieces = NULL;
    *n = 0;
    acd_text_close(&tf);
    return st;
}
