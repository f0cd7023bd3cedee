/* MIDI control of the accompaniment: controllers, MIDI learn, output channels and velocity. */
#ifndef ACCOMPD_CONTROL_H
#define ACCOMPD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accompd/event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a controller can drive. */
typedef enum {
    ACD_CONTROL_ONOFF = 0, /* >= 64: accompaniment on; < 64: off (its notes released) */
    ACD_CONTROL_PANIC,     /* >= 64: release everything */
    ACD_CONTROL_VARIETY,   /* the sampler's temperature, acd_control_temperature() */
    ACD_CONTROL_DENSITY,   /* threshold scale, acd_control_density_scale() */
    ACD_CONTROL_VELOCITY,  /* the base output velocity, 1..127 */
    ACD_CONTROL_TEMPO,     /* the free-running tempo, acd_control_tempo_bpm() */
    ACD_CONTROL_N,
} AcdControlFunction;

typedef struct {
    int cc[ACD_CONTROL_N]; /* controller number per function, -1: none */
    uint8_t channel;       /* the engine's output channel 0..15: chords, or everything */
    int bass_channel;      /* 0..15: the lowest sounding note goes there; -1: no split */
    uint8_t velocity;      /* base note-on velocity 1..127 */
    float dynamics;        /* 0..1: how much the velocity follows the player */
    int learn;             /* AcdControlFunction to give the next controller to; -1: none */
} AcdControlConfig;

/* Mean melody velocity at start, and the one at which the output velocity
 * is the base velocity. */
#define ACD_CONTROL_MEAN_VELOCITY 90.0f

/* The state: owned by one thread (the inference thread). Plain storage. */
typedef struct {
    AcdControlConfig cfg;
    bool enabled;         /* accompaniment on */
    uint8_t velocity;     /* base velocity now (cfg's, or the last velocity controller) */
    float mean_velocity;  /* smoothed velocity of the player's note-ons */
    uint8_t chan_of[128]; /* output channel of each sounding pitch; 0xFF: silent */
} AcdControl;

/* What a controller message asks for. */
typedef struct {
    AcdControlFunction function;
    int value;    /* 0..127; for a learn: the controller number assigned */
    bool learned; /* this message was taken by MIDI learn, not applied */
} AcdControlAction;

/* Functions by name ("onoff", "panic", "variety", "density", "velocity",
 * "tempo"): the index, or -1. RT-safe. */
int acd_control_function_parse(const char *name);
const char *acd_control_function_name(int function);

/* Start: enabled, nothing sounding. RT-safe. */
void acd_control_init(AcdControl *c, const AcdControlConfig *cfg);

/* Take a new configuration (after a reload), keeping what sounds. RT-safe. */
void acd_control_configure(AcdControl *c, const AcdControlConfig *cfg);

/* Whether ev is a controller we act on (or the one MIDI learn waits for);
 * fills *out. A learn assigns the number to the function (taking it from
 * any other function) and ends learning. RT-safe. */
bool acd_control_cc(AcdControl *c, const AcdEvent *ev, AcdControlAction *out);

/* A melody message: note-ons move the mean velocity. RT-safe. */
void acd_control_melody(AcdControl *c, const AcdEvent *ev);

/* The engine's output as it goes to the synth: note-ons get the velocity
 * (base, following the player by `dynamics`) and, with a bass channel, the
 * lowest sounding note goes there; note-offs follow their note-on's
 * channel; an all-notes-off (CC123) goes to both channels. Writes at most
 * n + 1 events to out (cap). Returns the number written. RT-safe. */
size_t acd_control_map(AcdControl *c, const AcdEvent *in, size_t n, AcdEvent *out, size_t cap);

/* Notes sounding on the output. RT-safe. */
unsigned acd_control_sounding(const AcdControl *c);

/* The velocity a note-on gets now. RT-safe. */
uint8_t acd_control_out_velocity(const AcdControl *c);

/* Controller value -> setting. RT-safe. */
float acd_control_temperature(int value);     /* 0 -> 0 (greedy) .. 127 -> 2.0 */
float acd_control_density_scale(int value);   /* 0 -> 1.5 (sparse) .. 127 -> 0.5 (dense) */
double acd_control_tempo_bpm(int value);      /* 0 -> 40 .. 127 -> 240 BPM */

#ifdef __cplusplus
}
#endif

#endif
