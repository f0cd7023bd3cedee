/* A piano-roll picture (SVG) of a melody and its accompaniment on a song's bars. */
#ifndef ACCOMPD_SVG_ROLL_H
#define ACCOMPD_SVG_ROLL_H

#include <stddef.h>

#include "accompd/beatgrid.h"
#include "accompd/song.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to draw. Time runs in beats of grid, so bars have one width whatever
 * the tempo; the roll wraps like a score, a few bars per row. */
typedef struct {
    const char *title;    /* shown bold at the top, e.g. the input's file name */
    const char *subtitle; /* one grey line under it (model, seed); may be NULL */
    const AcdBeatGrid *grid;
    const AcdSongNote *melody;
    size_t n_melody;
    const AcdSongNote *accomp;
    size_t n_accomp;
    double from_beat, to_beat; /* range drawn; to_beat <= from_beat: the notes' bars */
} AcdSvgRoll;

/* Most bars one picture draws (longer songs are cut, with a note saying so). */
#define ACD_SVG_ROLL_MAX_BARS 1000

/* Write the picture to path: melody and accompaniment in two colours, bar
 * lines (numbered) and beat lines, pitch names of every C on the left,
 * black-key rows shaded, a legend. Not RT-safe. */
AcdStatus acd_svg_roll_write(const AcdSvgRoll *roll, const char *path, AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
