/* accompd's settings and their command-line flags, in one place so that the config file can join.
 */
#ifndef ACCOMPD_OPTIONS_H
#define ACCOMPD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "accompd/status.h"

#define ACD_OPTIONS_MAX_PATTERNS 8

typedef struct {
    const char *model_path;                               /* --model */
    const char *client_name;                              /* --name */
    const char *server_name;                              /* --server; NULL: $JACK_DEFAULT_SERVER */
    const char *connect_in[ACD_OPTIONS_MAX_PATTERNS + 1]; /* --connect-in, NULL-terminated */
    const char *connect_out[ACD_OPTIONS_MAX_PATTERNS + 1];  /* --connect-out */
    const char *connect_thru[ACD_OPTIONS_MAX_PATTERNS + 1]; /* --connect-thru */
    double tempo_bpm;                                       /* --tempo */
    int steps_per_beat;                                     /* --steps-per-beat; 0: the model's */
    int beats_per_bar;                                      /* --beats-per-bar */
    double grace_ms;                                        /* --grace-ms */
    uint64_t seed;                                          /* --seed */
    double temperature;  /* --temperature; < 0: the sampler's default */
    int max_poly;        /* --max-poly; < 0: the sampler's default */
    int channel;         /* --channel, 1..16 */
    int velocity;        /* --velocity */
    int count_in_steps;  /* --count-in */
    int stop_after_bars; /* --stop-bars */
    bool thru;           /* --thru */
    bool no_transport;   /* --no-transport */
    bool midi_clock;     /* --midi-clock */
    int panic_cc;        /* --panic-cc; -1: none */
    size_t in_ring;      /* --in-ring */
    size_t out_ring;     /* --out-ring */
    size_t in_reserve;   /* --in-reserve */
    int verbose;         /* -v, repeatable */
    const char *backend; /* --backend jack|alsa|auto */
    /* MIDI control (src/control.c): controller numbers, -1: none. */
    int cc_onoff;           /* --cc-onoff: accompaniment on (>= 64) / off */
    int cc_variety;         /* --cc-variety: temperature 0..2 */
    int cc_density;         /* --cc-density: scales the thresholds */
    int cc_velocity;        /* --cc-velocity: output velocity */
    int cc_tempo;           /* --cc-tempo: 40..240 BPM (free-running grid only) */
    int program;            /* --program: program change at start; -1: none */
    int bass_channel;       /* --bass-channel 1..16; 0: no split (all on --channel) */
    double dynamics;        /* --dynamics 0..1: how much the velocity follows the player */
    const char *pid_file;   /* --pid-file; NULL: $XDG_RUNTIME_DIR/accompd/NAME.pid */
    const char *learn;      /* --learn FUNCTION: assign the next CC received (not a key) */
    bool status;            /* --status: ask the running instance for its status (not a key) */
    bool help;
    bool version;
} AcdOptions;

/* The functions a controller can drive, in AcdControlFunction order
 * (include/accompd/control.h), for --learn. */
#define ACD_OPTIONS_LEARN_NAMES "onoff, panic, variety, density, velocity, tempo"

/* --backend's values. */
AcdStatus acd_options_check_backend(const char *backend, AcdError *err);

/* The defaults. Not RT-safe. */
void acd_options_default(AcdOptions *o);

/* Parse argv over o (which holds defaults, later a config file's values).
 * Errors name the flag and the value. Not RT-safe. */
AcdStatus acd_options_parse(AcdOptions *o, int argc, char **argv, AcdError *err);

/* The flags, one a line. Not RT-safe. */
void acd_options_usage(FILE *f);

#endif
