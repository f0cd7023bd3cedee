/* Offline render: accompany a song's melody through the live engine, driven by a simulated clock.
 */
#ifndef ACCOMPD_RENDER_H
#define ACCOMPD_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "accompd/engine.h"
#include "accompd/midifile.h"
#include "accompd/model.h"
#include "accompd/song.h"
#include "accompd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the renderer drives the engine (the same AcdEngine the JACK driver
 * runs, fed the same way):
 *
 * - Time unit: microseconds of the song's own clock (int64). Melody note-ons
 *   and note-offs go in at their times, in time order, note-offs first at
 *   equal times; before each one the engine decides every step whose
 *   decision point (step start + grace) is not later, exactly the driver
 *   loop of engine.h.
 * - Steps follow the song's beat grid: before the first step of beat b the
 *   renderer sets the step length to (beat b+1 - beat b) / steps_per_beat,
 *   a tempo change taking effect at the next step as it does live. A
 *   drifting POP909 beat file is followed beat by beat; grace stays in real
 *   time (what a player feels), not in beats.
 * - Start: not sync start. The grid starts at the bar line at or before the
 *   first melody note, so that the model's beat-in-bar matches the song's
 *   bars (live, the player's first note is taken as the downbeat).
 * - Stop: engine.stop_after_bars as configured (live default: 2 silent
 *   bars). After such a stop the next melody note restarts the engine at
 *   the bar line at or before it (events the new run stamps before the stop
 *   are moved to the stop time). 0 keeps one run through every rest.
 * - End: the run ends at the first bar line after the melody's last note
 *   ends, plus tail_bars, with a release of everything sounding.
 * - Meter: engine.beats_per_bar is the grid's most common bar length; a
 *   meter change inside a song is not followed (nor is it live).
 *
 * Same model, configuration and song give the same notes, byte for byte. */
typedef struct {
    /* channel, velocity, count_in_steps, stop_after_bars and the sampler are
     * used as given; units_per_step, grace_units, beats_per_bar and
     * sync_start are set by the renderer. */
    AcdEngineConfig engine;
    double grace_sec; /* decision point after each step boundary, seconds (>= 0) */
    int tail_bars;    /* bars to go on after the melody's last bar (>= 0) */
} AcdRenderConfig;

/* The live defaults for model m (acd_engine_config_default; grace 15 ms),
 * tail 0. Not RT-safe. */
void acd_render_config_default(AcdRenderConfig *cfg, const AcdModel *m);

/* The accompaniment of one song. */
typedef struct {
    AcdSongNote *notes; /* sorted by start then pitch; channel = engine.channel, track 0 */
    size_t n_notes;
    double start_sec, end_sec;   /* first step of the grid; final release */
    double start_beat, end_beat; /* the same on the song's beat grid */
    uint8_t channel;             /* the accompaniment's MIDI channel (engine.channel) */
    int64_t n_steps;             /* steps decided, over all runs */
    AcdEngineStats stats;        /* the engine's counters at the end */
} AcdRender;

/* Accompany song's melody with model m (see above). *out is filled on
 * success and zeroed on failure; free it with acd_render_cleanup.
 * ACD_ERR_NO_MELODY when the song has no melody notes. Not RT-safe. */
AcdStatus acd_render_song(const AcdModel *m, const AcdRenderConfig *cfg, const AcdSong *song,
                          AcdRender *out, AcdError *err);

/* Release the notes; accepts a zeroed or cleaned-up render. */
void acd_render_cleanup(AcdRender *r);

/* ---- Songs for rendering and the output file (render_midi.c) ---------- */

/* A song from mf for rendering: roles by acd_roles_detect, or track
 * melody_track (an index into mf->tracks; < 0: automatic) as the melody and
 * the tracks detected as melody as accompaniment. Errors name mf->path:
 * ACD_ERR_NO_MELODY with "drums only" when every note is a drum note, with
 * the list of tracks when no track looks like a melody; ACD_ERR_RANGE for a
 * melody_track out of range or without notes. Not RT-safe. */
AcdStatus acd_render_song_from_midifile(const AcdMidiFile *mf, int melody_track, AcdSong **out,
                                        AcdError *err);

typedef struct {
    uint8_t melody_channel; /* 0..15 */
    int melody_program;     /* GM program 0..127, or -1 for none */
    int accomp_program;     /* the accompaniment's channel is its notes' */
} AcdRenderMidiOptions;

/* Channel 1 flute melody (GM 73) and piano accompaniment (GM 0). */
void acd_render_midi_options_default(AcdRenderMidiOptions *o);

/* A format-1 file with tracks "Melody" (song's melody) and "Accompaniment"
 * (r's notes), the tempo map, time and key signatures and the ticks per
 * beat of tempo_src; note times go through tempo_src's tempo map from
 * seconds. Every note-on has its note-off; at equal ticks note-offs come
 * first. The caller frees *out. Not RT-safe. */
AcdStatus acd_render_to_midifile(const AcdMidiFile *tempo_src, const AcdSong *song,
                                 const AcdRender *r, const AcdRenderMidiOptions *o,
                                 AcdMidiFile **out, AcdError *err);

#ifdef __cplusplus
}
#endif

#endif
