/* Chords as pitch-class sets: Harte-style label parsing, chord_midi.txt files, template matching.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/chords.h"
#include "textfile.h"

#define ALL_PCS 0x0FFFu

AcdPcSet acd_pcset_transpose(AcdPcSet set, int n)
{
    n = ((n % 12) + 12) % 12;
    unsigned s = set & ALL_PCS;
    return (AcdPcSet)(((s << n) | (s >> (12 - n))) & ALL_PCS);
}

static const struct {
    const char *name;
    AcdPcSet pcs;
} qualities[ACD_CHORD_N_QUALITIES] = {
    [ACD_CHORD_MAJ] = {"maj", 1u << 0 | 1u << 4 | 1u << 7},
    [ACD_CHORD_MIN] = {"min", 1u << 0 | 1u << 3 | 1u << 7},
    [ACD_CHORD_DOM7] = {"7", 1u << 0 | 1u << 4 | 1u << 7 | 1u << 10},
    [ACD_CHORD_MAJ7] = {"maj7", 1u << 0 | 1u << 4 | 1u << 7 | 1u << 11},
    [ACD_CHORD_MIN7] = {"min7", 1u << 0 | 1u << 3 | 1u << 7 | 1u << 10},
    [ACD_CHORD_SUS4] = {"sus4", 1u << 0 | 1u << 5 | 1u << 7},
    [ACD_CHORD_SUS2] = {"sus2", 1u << 0 | 1u << 2 | 1u << 7},
    [ACD_CHORD_DIM] = {"dim", 1u << 0 | 1u << 3 | 1u << 6},
};

AcdPcSet acd_chord_quality_pcs(AcdChordQuality q)
{
    return (unsigned)q < ACD_CHORD_N_QUALITIES ? qualities[q].pcs : 0;
}

const char *acd_chord_quality_name(AcdChordQuality q)
{
    return (unsigned)q < ACD_CHORD_N_QUALITIES ? qualities[q].name : "?";
}

static const char *const pc_names[12] = {"C",  "C#", "D",  "Eb", "E",  "F",
                                         "F#", "G",  "Ab", "A",  "Bb", "B"};

void acd_chord_name(const AcdChord *c, char *buf, size_t cap)
{
    if (c->root < 0 || c->root > 11)
        snprintf(buf, cap, "N");
    else
        snprintf(buf, cap, "%s:%s", pc_names[c->root], acd_chord_quality_name(c->quality));
}

/* Harte's shorthands, as semitone sets above the root. */
static const struct {
    const char *name;
    unsigned pcs;
} shorthands[] = {
    {"maj", 0x091},  {"min", 0x089},  {"dim", 0x049},  {"aug", 0x111},   {"maj7", 0x891},
    {"min7", 0x489}, {"7", 0x491},    {"dim7", 0x249}, {"hdim7", 0x449}, {"minmaj7", 0x889},
    {"maj6", 0x291}, {"min6", 0x289}, {"9", 0x495},    {"maj9", 0x895},  {"min9", 0x48D},
    {"sus2", 0x085}, {"sus4", 0x0A1}, {"11", 0x4B5},   {"13", 0x6B5},    {"5", 0x081},
    {"1", 0x001},
};

/* Semitones of the natural degrees 1..13 above the root. */
static const int degree_semitones[14] = {0, 0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19, 21};

static AcdStatus bad_label(AcdError *err, const char *label, const char *at, const char *expected)
{
    return acd_error_set(err, ACD_ERR_FORMAT, "chord label '%s', character %d: expected %s", label,
                         (int)(at - label) + 1, expected);
}

/* [#|b]*DEGREE at *p; the semitone offset above the root, 0..11. */
static AcdStatus parse_degree(const char *label, const char **p, int *semis, AcdError *err)
{
    int shift = 0;
    const char *s = *p;
    for (; *s == '#' || *s == 'b'; s++)
        shift += *s == '#' ? 1 : -1;
    if (!isdigit((unsigned char)*s))
        return bad_label(err, label, s, "a degree 1..13");
    int deg = 0;
    for (; isdigit((unsigned char)*s) && deg < 100; s++)
        deg = deg * 10 + (*s - '0');
    if (deg < 1 || deg > 13)
        return bad_label(err, label, *p, "a degree 1..13");
    *semis = (((degree_semitones[deg] + shift) % 12) + 12) % 12;
    *p = s;
    return ACD_OK;
}

AcdStatus acd_chord_parse(const char *label, AcdChord *out, AcdError *err)
{
    static const int letter_pc[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
    AcdChord c = {-1, ACD_CHORD_MAJ, 0};
    const char *p = label;
    if (!strcmp(label, "N") || !strcmp(label, "X")) {
        *out = c;
        return ACD_OK;
    }
    if (*p < 'A' || *p > 'G')
        return bad_label(err, label, p, "a root A..G, N or X");
    int root = letter_pc[*p++ - 'A'];
    for (; *p == '#' || *p == 'b'; p++)
        root += *p == '#' ? 1 : -1;
    root = ((root % 12) + 12) % 12;

    unsigned rel = 0x091; /* a root alone is a major triad */
    if (*p == ':') {
        p++;
        const char *q = p;
        while (*q && *q != '(' && *q != '/')
            q++;
        size_t len = (size_t)(q - p);
        if (len == 0) {
            if (*q != '(')
                return bad_label(err, label, p, "a quality or '(' after ':'");
            rel = 0x001; /* "C:(3,5)": the degrees say everything but the root */
        } else {
            size_t i, n = sizeof shorthands / sizeof shorthands[0];
            for (i = 0; i < n; i++)
                if (strlen(shorthands[i].name) == len && !strncmp(p, shorthands[i].name, len))
                    break;
            if (i == n)
                return bad_label(err, label, p, "a quality (maj, min, 7, maj7, min7, sus4, ...)");
            rel = shorthands[i].pcs;
        }
        p = q;
    }
    if (*p == '(') {
        p++;
        for (;;) {
            int remove = *p == '*';
            if (remove)
                p++;
            int semis;
            AcdStatus st = parse_degree(label, &p, &semis, err);
            if (st)
                return st;
            if (remove)
                rel &= ~(1u << semis);
            else
                rel |= 1u << semis;
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p != ')')
                return bad_label(err, label, p, "',' or ')'");
            p++;
            break;
        }
    }
    if (*p == '/') {
        p++;
        int semis;
        AcdStatus st = parse_degree(label, &p, &semis, err);
        if (st)
            return st;
        rel |= 1u << semis;
    }
    if (*p)
        return bad_label(err, label, p, "the end of the label");
    c.root = root;
    c.pcs = acd_pcset_transpose((AcdPcSet)rel, root);
    *out = c;
    return ACD_OK;
}

AcdChord acd_chord_infer(const double w[12], int bass_pc)
{
    AcdChord best = {-1, ACD_CHORD_MAJ, 0};
    double norm2 = 0;
    for (int pc = 0; pc < 12; pc++)
        norm2 += w[pc] * w[pc];
    if (!(norm2 > 0))
        return best;
    double norm = sqrt(norm2), best_score = -1;
    int best_bass = 0;
    for (int q = 0; q < ACD_CHORD_N_QUALITIES; q++) {
        AcdPcSet base = qualities[q].pcs;
        double size = __builtin_popcount(base);
        for (int r = 0; r < 12; r++) {
            AcdPcSet t = acd_pcset_transpose(base, r);
            double sum = 0;
            for (int pc = 0; pc < 12; pc++)
                if (t & (1u << pc))
                    sum += w[pc];
            double score = sum / (norm * sqrt(size));
            int on_bass = r == bass_pc;
            /* Candidates come in quality then root order, so an equal score
             * replaces the best only when it puts the root on the bass. */
            if (score > best_score + 1e-9 || (score > best_score - 1e-9 && on_bass && !best_bass)) {
                best_score = score;
                best_bass = on_bass;
                best.root = r;
                best.quality = (AcdChordQuality)q;
                best.pcs = t;
            }
        }
    }
    return best;
}

static int span_cmp(const void *a, const void *b)
{
    const AcdChordSpan *x = a, *y = b;
    return (x->start_sec > y->start_sec) - (x->start_sec < y->start_sec);
}

AcdStatus acd_chord_labels_load(const char *path, AcdChordLabels *out, AcdError *err)
{
    AcdTextFile tf;
    out->spans = NULL;
    out->n = 0;
    AcdStatus st = acd_text_open(&tf, path, err);
    if (st)
        return st;
    size_t cap = 0;
    char *line;
    while ((line = acd_text_next_line(&tf)) != NULL) {
        char *fields[4];
        size_t nf = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, " \t", &save); tok && nf < 4;
             tok = strtok_r(NULL, " \t", &save))
            fields[nf++] = tok;
        if (nf == 0)
            continue;
        if (nf != 3) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: expected 'start end label'", path,
                               tf.line_no);
            goto fail;
        }
        AcdChordSpan span;
        AcdChord chord;
        if ((st = acd_text_parse_double(&tf, fields[0], "start time", &span.start_sec, err)) ||
            (st = acd_text_parse_double(&tf, fields[1], "end time", &span.end_sec, err)))
            goto fail;
        if (!(span.start_sec <= span.end_sec) || !isfinite(span.end_sec)) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: end %g before start %g", path,
                               tf.line_no, span.end_sec, span.start_sec);
            goto fail;
        }
        if ((st = acd_chord_parse(fields[2], &chord, err))) {
            acd_error_prefix(err, "%s:%zu: ", path, tf.line_no);
            goto fail;
        }
        span.pcs = chord.pcs;
        if (out->n == cap) {
            size_t ncap = cap ? 2 * cap : 256;
            AcdChordSpan *grown = realloc(out->spans, ncap * sizeof *grown);
            if (!grown) {
                st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
                goto fail;
            }
            out->spans = grown;
            cap = ncap;
        }
        out->spans[out->n++] = span;
    }
    acd_text_close(&tf);
    if (out->n)
        qsort(out->spans, out->n, sizeof *out->spans, span_cmp);
    return ACD_OK;
fail:
    acd_text_close(&tf);
    acd_chord_labels_cleanup(out);
    return st;
}

AcdPcSet acd_chord_labels_at(const AcdChordLabels *labels, double sec)
{
    /* The last span starting at or before sec; spans do not overlap in
     * POP909, and when they do the later start wins. */
    size_t lo = 0, hi = labels->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (labels->spans[mid].start_sec <= sec)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const AcdChordSpan *s = &labels->spans[lo - 1];
    return sec < s->end_sec ? s->pcs : 0;
}

void acd_chord_labels_cleanup(AcdChordLabels *labels)
{
    if (!labels)
        return;
    free(labels->spans);
    labels->spans = NULL;
    labels->n = 0;
}
