/* accomp-jack-play: a melody played into accompd over JACK, and what accompd plays recorded. */
#ifndef ACCOMPD_JACK_PLAY_H
#define ACCOMPD_JACK_PLAY_H

#include <jack/jack.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/event.h"
#include "accompd/midifile.h"
#include "accompd/notes.h"
#include "accompd/realtime.h"
#include "accompd/song.h"
#include "accompd/status.h"
#include "jack_sched.h"

/* Most melody note-offs the player may owe when it is stopped early: one
 * channel's 128 pitches and its CC123. */
#define ACD_JACK_PLAY_RELEASE_MAX 160

/* All the state the two process callbacks touch. Two clients, as in the
 * test probe, so that the graph player -> accompd -> recorder has no cycle
 * and both sides stamp on one timeline within the same JACK cycle. */
typedef struct {
    jack_client_t *player;
    jack_client_t *recorder;
    jack_port_t *melody; /* player's output */
    jack_port_t *accomp; /* recorder's input */

    /* Player (RT thread of the player client). */
    const AcdEvent *sched; /* times in frames from the start; sorted */
    size_t n_sched;
    AcdJackFrames player_frames;
    AcdNotes sounding; /* melody notes written and not yet released */
    AcdEvent release[ACD_JACK_PLAY_RELEASE_MAX];
    atomic_int_least64_t lead_frames; /* main: start this far ahead (then start_req) */
    atomic_int start_req;             /* main sets 1; the player sets base, then 2 */
    atomic_int stop_req;              /* main sets 1; the player releases, then 2 */
    atomic_int_least64_t base;        /* absolute frame of schedule time 0 */
    atomic_size_t next;               /* next schedule event */
    atomic_uint_least64_t sent, late, refused;

    /* Recorder (RT thread of the recorder client). */
    AcdJackFrames recorder_frames;
    AcdEvent *rec; /* accompd's output, frame stamps; main reads [0, n_rec) */
    size_t cap;
    atomic_size_t n_rec;
    atomic_uint_least64_t rec_dropped;
    atomic_int_least64_t rec_frame; /* first frame of the recorder's last cycle */

    atomic_uint_least64_t player_cycles, recorder_cycles; /* process callbacks run */
    atomic_uint_least64_t xruns;
    atomic_int lost; /* the server shut us down */
} AcdJackPlay;

/* The process callbacks (jack_play_rt.c). */
ACD_REALTIME int acd_jack_play_player_process(jack_nframes_t nframes, void *arg);
ACD_REALTIME int acd_jack_play_recorder_process(jack_nframes_t nframes, void *arg);

/* What the main thread knows once the recording ends, for the report. */
typedef struct {
    const char *in_path;   /* the melody's file */
    const char *accompd;   /* accompd's client name */
    const char *out_path;  /* the MIDI file to write */
    const char *roll_path; /* NULL: no SVG */
    const char *wav_path;  /* NULL: no WAV */
    const char *soundfont; /* NULL: Debian's */
    const char *label;     /* the SVG's subtitle; NULL: a default */
    double rate;           /* frames per second */
    int64_t base;          /* absolute frame of song second 0 */
    int64_t end;           /* absolute frame the recording stopped at */
    int64_t first_melody;  /* absolute frame of the first melody note-on */
    int64_t last_melody;   /* absolute frame of the last melody event */
    uint64_t sent, late, refused, dropped, xruns;
    bool interrupted;
} AcdJackPlayReport;

/* Turn the recording into notes (events before `base` are accompd's
 * greeting to a new connection and are skipped), write the format-1 MIDI
 * file with the melody and the accompaniment on mf's tempo map, the piano
 * roll and the WAV when asked, and print a summary. Returns the exit
 * status: 0, or 1 when something could not be written, nothing came back,
 * or a note was left sounding (jack_play_out.c). */
int acd_jack_play_report(const AcdJackPlayReport *rep, const AcdMidiFile *mf, const AcdSong *song,
                         const AcdEvent *rec, size_t n_rec);

#endif
