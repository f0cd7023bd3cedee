/* Draws a melody and its accompaniment as a piano roll in hand-written SVG, wrapped like a score.
 */
#include "accompd/svg_roll.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Geometry, in SVG pixels. A 16th note of 4/4 is 7 px wide. */
#define PX_PER_BEAT 28.0
#define ROW_MAX_PX  1150.0
#define LEFT_PX     46.0 /* pitch names */
#define RIGHT_PX    16.0
#define TOP_PX      100.0 /* title, subtitle, legend */
#define ROW_GAP_PX  26.0  /* bar numbers live here */
#define BOTTOM_PX   18.0
#define PAD_SEMIS   2 /* empty rows above and below the notes */

/* Colours: orange melody over blue accompaniment, readable in print. */
#define MELODY_FILL   "#f76707"
#define MELODY_STROKE "#8f3500"
#define ACCOMP_FILL   "#74b3f0"
#define ACCOMP_STROKE "#1864ab"

typedef struct {
    FILE *f;
    double *bars; /* beats of the bar lines drawn, the last one closing the last bar */
    size_t n_bars;
    int lo, hi; /* pitch range drawn, inclusive */
    double semi_px;
    size_t bars_per_row;
} Roll;

static bool is_black(int pitch)
{
    int pc = pitch % 12;
    return pc == 1 || pc == 3 || pc == 6 || pc == 8 || pc == 10;
}

static void put_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* The range to draw: as given, or from the bar before the first note to
 * the bar after the last. */
static void beat_range(const AcdSvgRoll *r, double *from, double *to)
{
    *from = r->from_beat;
    *to = r->to_beat;
    if (*to > *from)
        return;
    double lo = INFINITY, hi = -INFINITY;
    const AcdSongNote *lists[2] = {r->melody, r->accomp};
    size_t counts[2] = {r->n_melody, r->n_accomp};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            lo = fmin(lo, lists[k][i].start_beat);
            hi = fmax(hi, lists[k][i].end_beat);
        }
    if (!(hi > lo)) {
        lo = 0.0;
        hi = 4.0;
    }
    long long b = llround(floor(lo));
    for (int g = 0; g < 64 && acd_beatgrid_beat_in_bar(r->grid, b) != 0; g++)
        b--;
    *from = (double)b;
    b = llround(ceil(hi - 1e-9));
    for (int g = 0; g < 64 && acd_beatgrid_beat_in_bar(r->grid, b) != 0; g++)
        b++;
    *to = (double)b;
}

/* Bar lines from `from` to `to`: from itself, every bar line after it, and
 * `to` closing the last bar. Returns false when out of memory. */
static bool find_bars(Roll *R, const AcdBeatGrid *g, double from, double to, bool *cut)
{
    size_t cap = 64;
    R->bars = malloc(cap * sizeof *R->bars);
    if (!R->bars)
        return false;
    R->bars[R->n_bars++] = from;
    *cut = false;
    for (long long b = llround(floor(from)) + 1; (double)b < to - 1e-9; b++) {
        if (acd_beatgrid_beat_in_bar(g, b) != 0)
            continue;
        if (R->n_bars > ACD_SVG_ROLL_MAX_BARS) {
            *cut = true;
            return true;
        }
        if (R->n_bars == cap) {
            double *grown = realloc(R->bars, 2 * cap * sizeof *grown);
            if (!grown)
                return false;
            R->bars = grown;
            cap *= 2;
        }
        R->bars[R->n_bars++] = (double)b;
    }
    if (R->n_bars == cap) {
        double *grown = realloc(R->bars, (cap + 1) * sizeof *grown);
        if (!grown)
            return false;
        R->bars = grown;
    }
    R->bars[R->n_bars++] = to;
    return true;
}

static void pitch_range(Roll *R, const AcdSvgRoll *r)
{
    int lo = 127, hi = 0;
    const AcdSongNote *lists[2] = {r->melody, r->accomp};
    size_t counts[2] = {r->n_melody, r->n_accomp};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            lo = lists[k][i].pitch < lo ? lists[k][i].pitch : lo;
            hi = lists[k][i].pitch > hi ? lists[k][i].pitch : hi;
        }
    if (lo > hi) {
        lo = 60;
        hi = 72;
    }
    /* At least two octaves, so a sparse roll still shows where it sits. */
    while (hi - lo < 24) {
        lo = lo > 0 ? lo - 1 : lo;
        hi = hi < 127 ? hi + 1 : hi;
    }
    R->lo = lo - PAD_SEMIS < 0 ? 0 : lo - PAD_SEMIS;
    R->hi = hi + PAD_SEMIS > 127 ? 127 : hi + PAD_SEMIS;
    int n = R->hi - R->lo + 1;
    R->semi_px = n <= 40 ? 8.0 : n <= 60 ? 6.0 : 4.5;
}

/* Bars per row: a musical number of bars that fits ROW_MAX_PX. */
static size_t choose_bars_per_row(const AcdBeatGrid *g)
{
    static const size_t choices[] = {16, 12, 8, 6, 4, 2, 1};
    double bar_px = (g->beats_per_bar > 0 ? g->beats_per_bar : 4) * PX_PER_BEAT;
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
        if ((double)choices[i] * bar_px <= ROW_MAX_PX)
            return choices[i];
    return 1;
}

static double row_height(const Roll *R)
{
    return (R->hi - R->lo + 1) * R->semi_px;
}

/* The notes of one list that fall in [b0, b1), clipped, as rectangles. */
static void draw_notes(const Roll *R, const AcdSongNote *notes, size_t n, double b0, double b1,
                       double y0, const char *fill, const char *stroke, double stroke_px)
{
    fprintf(R->f, "<g fill=\"%s\" stroke=\"%s\" stroke-width=\"%.1f\">\n", fill, stroke, stroke_px);
    for (size_t i = 0; i < n; i++) {
        const AcdSongNote *nt = &notes[i];
        if (nt->end_beat <= b0 || nt->start_beat >= b1 || nt->pitch < R->lo || nt->pitch > R->hi)
            continue;
        double s = fmax(nt->start_beat, b0), e = fmin(nt->end_beat, b1);
        double x = LEFT_PX + (s - b0) * PX_PER_BEAT;
        double w = fmax((e - s) * PX_PER_BEAT - 1.0, 2.0);
        double y = y0 + (R->hi - nt->pitch) * R->semi_px + 0.5;
        fprintf(R->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"1.5\"/>\n",
                x, y, w, R->semi_px - 1.0);
    }
    fputs("</g>\n", R->f);
}

/* One row of bars [first, last): background, key rows, grid, names, notes. */
static void draw_row(const Roll *R, const AcdSvgRoll *r, size_t first, size_t last, double y0)
{
    FILE *f = R->f;
    double b0 = R->bars[first], b1 = R->bars[last];
    double w = (b1 - b0) * PX_PER_BEAT, h = row_height(R);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\"/>\n",
            LEFT_PX, y0, w, h);
    fputs("<g fill=\"#eef1f5\">\n", f);
    for (int p = R->lo; p <= R->hi; p++)
        if (is_black(p))
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", LEFT_PX,
                    y0 + (R->hi - p) * R->semi_px, w, R->semi_px);
    fputs("</g>\n", f);
    /* A line under every C, and its name on the left. */
    for (int p = R->lo; p <= R->hi; p++) {
        if (p % 12 != 0)
            continue;
        double y = y0 + (R->hi - p + 1) * R->semi_px;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c9ced6\" "
                "stroke-width=\"0.8\"/>\n",
                LEFT_PX, y, LEFT_PX + w, y);
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
                "fill=\"#495057\">C%d</text>\n",
                LEFT_PX - 5.0, y - 1.0, p / 12 - 1);
    }
    /* Beat lines, then bar lines with their numbers above the row. */
    fputs("<g stroke=\"#dee2e6\" stroke-width=\"0.6\">\n", f);
    for (long long b = llround(ceil(b0)); (double)b < b1; b++)
        if (acd_beatgrid_beat_in_bar(r->grid, b) != 0) {
            double x = LEFT_PX + ((double)b - b0) * PX_PER_BEAT;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, y0, x,
                    y0 + h);
        }
    fputs("</g>\n", f);
    for (size_t k = first; k <= last; k++) {
        double x = LEFT_PX + (R->bars[k] - b0) * PX_PER_BEAT;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#6c757d\" "
                "stroke-width=\"1.2\"/>\n",
                x, y0, x, y0 + h);
        if (k < last)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#868e96\">%zu</text>\n",
                    x + 2.0, y0 - 4.0, k + 1);
    }
    /* The melody on top, outlined darker: it must stand out of a dense accompaniment. */
    draw_notes(R, r->accomp, r->n_accomp, b0, b1, y0, ACCOMP_FILL, ACCOMP_STROKE, 0.7);
    draw_notes(R, r->melody, r->n_melody, b0, b1, y0, MELODY_FILL, MELODY_STROKE, 1.2);
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#adb5bd\" stroke-width=\"1\"/>\n",
            LEFT_PX, y0, w, h);
}

static void draw_header(const Roll *R, const AcdSvgRoll *r, bool cut)
{
    FILE *f = R->f;
    fputs("<text x=\"16\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"#212529\">", f);
    put_escaped(f, r->title ? r->title : "accompd");
    fputs("</text>\n", f);
    if (r->subtitle || cut) {
        fputs("<text x=\"16\" y=\"48\" font-size=\"12\" fill=\"#6c757d\">", f);
        put_escaped(f, r->subtitle ? r->subtitle : "");
        if (cut)
            fprintf(f, "%s(first %d bars)", r->subtitle ? " · " : "", ACD_SVG_ROLL_MAX_BARS);
        fputs("</text>\n", f);
    }
    /* Legend on its own line: beside the title it collides with a long
     * subtitle on a short song's narrow picture. */
    fprintf(f,
            "<rect x=\"16\" y=\"60\" width=\"14\" height=\"10\" rx=\"1.5\" fill=\"%s\" "
            "stroke=\"%s\"/>\n"
            "<text x=\"36\" y=\"69\" font-size=\"12\" fill=\"#212529\">melody</text>\n"
            "<rect x=\"96\" y=\"60\" width=\"14\" height=\"10\" rx=\"1.5\" fill=\"%s\" "
            "stroke=\"%s\"/>\n"
            "<text x=\"116\" y=\"69\" font-size=\"12\" fill=\"#212529\">accompaniment</text>\n"
            "<text x=\"222\" y=\"69\" font-size=\"10\" fill=\"#868e96\">bars numbered · thin "
            "lines: beats · C4 = middle C</text>\n",
            MELODY_FILL, MELODY_STROKE, ACCOMP_FILL, ACCOMP_STROKE);
}

AcdStatus acd_svg_roll_write(const AcdSvgRoll *r, const char *path, AcdError *err)
{
    Roll R = {0};
    AcdStatus st = ACD_OK;
    double from, to;
    bool cut = false;
    beat_range(r, &from, &to);
    if (!find_bars(&R, r->grid, from, to, &cut)) {
        free(R.bars);
        return acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
    }
    pitch_range(&R, r);
    R.bars_per_row = choose_bars_per_row(r->grid);
    size_t n_bars = R.n_bars - 1, n_rows = (n_bars + R.bars_per_row - 1) / R.bars_per_row;
    double widest = 0.0;
    for (size_t row = 0; row < n_rows; row++) {
        size_t a = row * R.bars_per_row,
               b = a + R.bars_per_row < n_bars ? a + R.bars_per_row : n_bars;
        widest = fmax(widest, (R.bars[b] - R.bars[a]) * PX_PER_BEAT);
    }
    double width = fmax(LEFT_PX + widest + RIGHT_PX, 520.0);
    double height = TOP_PX + (double)n_rows * (row_height(&R) + ROW_GAP_PX) + BOTTOM_PX;

    R.f = fopen(path, "w");
    if (!R.f) {
        st = acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    fprintf(R.f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
            "sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f9fa\"/>\n",
            width, height, width, height);
    draw_header(&R, r, cut);
    for (size_t row = 0; row < n_rows; row++) {
        size_t a = row * R.bars_per_row,
               b = a + R.bars_per_row < n_bars ? a + R.bars_per_row : n_bars;
        draw_row(&R, r, a, b, TOP_PX + (double)row * (row_height(&R) + ROW_GAP_PX));
    }
    fputs("</svg>\n", R.f);
    if (ferror(R.f) | (fclose(R.f) != 0))
        st = acd_error_set(err, ACD_ERR_IO, "%s: write failed: %s", path, strerror(errno));
done:
    free(R.bars);
    return st;
}
