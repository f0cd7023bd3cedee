/* Loss curves as CSV and SVG, written by hand (no plotting library for two lines). */
#include "train_curve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

AcdStatus acd_train_curve_csv(const AcdTrainPoint *pts, size_t n, const char *path, AcdError *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f, "step,epoch,train_loss,valid_loss,seconds\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%.0f,%.4f,", pts[i].step, pts[i].epoch);
        if (isfinite(pts[i].train))
            fprintf(f, "%.6f", pts[i].train);
        fputc(',', f);
        if (isfinite(pts[i].valid))
            fprintf(f, "%.6f", pts[i].valid);
        fprintf(f, ",%.1f\n", pts[i].seconds);
    }
    if (fclose(f) != 0)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    return ACD_OK;
}

/* A "nice" tick spacing (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double span, int n)
{
    double raw = span / n, p = pow(10.0, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * p;
}

/* Plot area inside the picture. */
enum { W = 720, H = 440, L = 70, R = 20, TOP = 40, BOT = 60 };

typedef struct {
    double x0, x1, y0, y1;
} Box;

static double px(const Box *b, double x)
{
    return L + (x - b->x0) / (b->x1 - b->x0) * (W - L - R);
}

static double py(const Box *b, double y)
{
    return H - BOT - (y - b->y0) / (b->y1 - b->y0) * (H - TOP - BOT);
}

static void polyline(FILE *f, const Box *b, const AcdTrainPoint *pts, size_t n, int valid,
                     const char *color)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
    for (size_t i = 0; i < n; i++) {
        double v = valid ? pts[i].valid : pts[i].train;
        if (isfinite(v))
            fprintf(f, "%.1f,%.1f ", px(b, pts[i].epoch), py(b, v));
    }
    fprintf(f, "\"/>\n");
    /* dots, so that a curve of one point still shows */
    for (size_t i = 0; i < n; i++) {
        double v = valid ? pts[i].valid : pts[i].train;
        if (isfinite(v) && (valid || n < 60))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                    px(b, pts[i].epoch), py(b, v), color);
    }
}

AcdStatus acd_train_curve_svg(const AcdTrainPoint *pts, size_t n, const char *title,
                              const char *path, AcdError *err)
{
    Box b = {0.0, 0.0, INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        b.x1 = fmax(b.x1, pts[i].epoch);
        const double v[2] = {pts[i].train, pts[i].valid};
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k])) {
                b.y0 = fmin(b.y0, v[k]);
                b.y1 = fmax(b.y1, v[k]);
            }
    }
    if (!(b.x1 > 0.0))
        b.x1 = 1.0;
    if (!isfinite(b.y0)) {
        b.y0 = 0.0;
        b.y1 = 1.0;
    }
    double pad = fmax((b.y1 - b.y0) * 0.08, 1e-3);
    b.y0 = fmax(0.0, b.y0 - pad);
    b.y1 += pad;
    double xs = nice_step(b.x1 - b.x0, 8), ys = nice_step(b.y1 - b.y0, 6);
    b.x1 = ceil(b.x1 / xs) * xs;
    b.y0 = floor(b.y0 / ys) * ys;
    b.y1 = ceil(b.y1 / ys) * ys;

    FILE *f = fopen(path, "w");
    if (!f)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H);
    fprintf(f, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">", W / 2);
    for (const char *c = title; *c; c++) {
        /* titles carry file names: escape what XML reserves */
        if (*c == '<')
            fputs("&lt;", f);
        else if (*c == '>')
            fputs("&gt;", f);
        else if (*c == '&')
            fputs("&amp;", f);
        else
            fputc(*c, f);
    }
    fprintf(f, "</text>\n");
    for (double x = b.x0; x <= b.x1 + xs * 1e-6; x += xs) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
                px(&b, x), TOP, px(&b, x), H - BOT);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(&b, x),
                H - BOT + 18, x);
    }
    for (double y = b.y0; y <= b.y1 + ys * 1e-6; y += ys) {
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L,
                py(&b, y), W - R, py(&b, y));
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6,
                py(&b, y) + 4, y);
    }
    fprintf(f,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
            L, H - BOT, W - R, H - BOT, L, TOP, L, H - BOT);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", (L + W - R) / 2,
            H - 18);
    fprintf(f,
            "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">"
            "binary cross-entropy (mean per note)</text>\n",
            (TOP + H - BOT) / 2, (TOP + H - BOT) / 2);
    polyline(f, &b, pts, n, 0, "#1f77b4");
    polyline(f, &b, pts, n, 1, "#d62728");
    fprintf(
        f,
        "<rect x=\"%d\" y=\"%d\" width=\"120\" height=\"44\" fill=\"white\" stroke=\"#999\"/>\n"
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        "<text x=\"%d\" y=\"%d\">train</text>\n"
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
        "<text x=\"%d\" y=\"%d\">valid</text>\n</svg>\n",
        W - R - 130, TOP + 10, W - R - 120, TOP + 24, W - R - 95, TOP + 24, W - R - 88, TOP + 28,
        W - R - 120, TOP + 42, W - R - 95, TOP + 42, W - R - 88, TOP + 46);
    if (fclose(f) != 0)
        return acd_error_set(err, ACD_ERR_IO, "%s: %s", path, strerror(errno));
    return ACD_OK;
}
