/* MIDI control of the accompaniment: controllers, MIDI learn, output channels and velocity. */
#include "accompd/control.h"

#include <string.h>

#include "accompd/realtime.h"

static const char *const names[ACD_CONTROL_N] = {"onoff",   "panic",    "variety",
                                                 "density", "velocity", "tempo"};

int acd_control_function_parse(const char *name)
{
    for (int i = 0; name && i < ACD_CONTROL_N; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *acd_control_function_name(int function)
{
    return function >= 0 && function < ACD_CONTROL_N ? names[function] : "none";
}

void acd_control_init(AcdControl *c, const AcdControlConfig *cfg)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->enabled = true;
    c->velocity = cfg->velocity;
    c->mean_velocity = ACD_CONTROL_MEAN_VELOCITY;
    memset(c->chan_of, 0xFF, sizeof c->chan_of);
}

void acd_control_configure(AcdControl *c, const AcdControlConfig *cfg)
{
    c->cfg = *cfg;
    c->velocity = cfg->velocity;
}

ACD_REALTIME bool acd_control_cc(AcdControl *c, const AcdEvent *ev, AcdControlAction *out)
{
    if (ev->len != 3 || (ev->data[0] & 0xF0) != ACD_MIDI_CC)
        return false;
    int number = ev->data[1], value = ev->data[2];
    if (c->cfg.learn >= 0 && c->cfg.learn < ACD_CONTROL_N) {
        for (int i = 0; i < ACD_CONTROL_N; i++)
            if (c->cfg.cc[i] == number)
                c->cfg.cc[i] = -1;
        c->cfg.cc[c->cfg.learn] = number;
        *out = (AcdControlAction){(AcdControlFunction)c->cfg.learn, number, true};
        c->cfg.learn = -1;
        return true;
    }
    for (int i = 0; i < ACD_CONTROL_N; i++) {
        if (c->cfg.cc[i] == number) {
            *out = (AcdControlAction){(AcdControlFunction)i, value, false};
            if (i == ACD_CONTROL_VELOCITY)
                c->velocity = (uint8_t)(value < 1 ? 1 : value);
            else if (i == ACD_CONTROL_ONOFF)
                c->enabled = value >= 64;
            return true;
        }
    }
    return false;
}

ACD_REALTIME void acd_control_melody(AcdControl *c, const AcdEvent *ev)
{
    /* About the last four notes weigh: quick enough to follow a crescendo,
     * slow enough that one accent does not jump out. */
    if (acd_event_is_note_on(ev->data, ev->len))
        c->mean_velocity += 0.25f * ((float)ev->data[2] - c->mean_velocity);
}

ACD_REALTIME uint8_t acd_control_out_velocity(const AcdControl *c)
{
    float v = (float)c->velocity * (1.0f + c->cfg.dynamics *
                                               (c->mean_velocity - ACD_CONTROL_MEAN_VELOCITY) /
                                               ACD_CONTROL_MEAN_VELOCITY);
    return (uint8_t)(v < 1.0f ? 1 : v > 127.0f ? 127 : (int)(v + 0.5f));
}

/* The channel for a new note at pitch p: the bass when it is below every
 * sounding note. */
static uint8_t channel_for(const AcdControl *c, int p)
{
    if (c->cfg.bass_channel < 0)
        return c->cfg.channel;
    for (int q = 0; q < p; q++)
        if (c->chan_of[q] != 0xFF)
            return c->cfg.channel;
    return (uint8_t)c->cfg.bass_channel;
}

ACD_REALTIME size_t acd_control_map(AcdControl *c, const AcdEvent *in, size_t n, AcdEvent *out,
                                    size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        AcdEvent ev = in[i];
        uint8_t kind = ev.data[0] & 0xF0;
        int p = ev.data[1] & 0x7F;
        if (acd_event_is_note_on(ev.data, ev.len)) {
            /* A pitch struck again keeps its channel, so its off finds it. */
            uint8_t ch = c->chan_of[p] != 0xFF ? c->chan_of[p] : channel_for(c, p);
            c->chan_of[p] = ch;
            ev.data[0] = (uint8_t)(ACD_MIDI_NOTE_ON | ch);
            ev.data[2] = acd_control_out_velocity(c);
        } else if (acd_event_is_note_off(ev.data, ev.len)) {
            if (c->chan_of[p] != 0xFF)
                ev.data[0] = (uint8_t)(kind | c->chan_of[p]);
            c->chan_of[p] = 0xFF;
        } else if (kind == ACD_MIDI_CC && ev.len == 3 && ev.data[1] == ACD_MIDI_CC_ALL_NOTES) {
            memset(c->chan_of, 0xFF, sizeof c->chan_of);
            ev.data[0] = (uint8_t)(ACD_MIDI_CC | c->cfg.channel);
            if (c->cfg.bass_channel >= 0 && c->cfg.bass_channel != c->cfg.channel && k + 1 < cap) {
                out[k] = ev;
                out[k++].data[0] = (uint8_t)(ACD_MIDI_CC | c->cfg.bass_channel);
            }
        }
        out[k++] = ev;
    }
    return k;
}

ACD_REALTIME unsigned acd_control_sounding(const AcdControl *c)
{
    unsigned n = 0;
    for (int p = 0; p < 128; p++)
        n += c->chan_of[p] != 0xFF;
    return n;
}

float acd_control_temperature(int value)
{
    return 2.0f * (float)value / 127.0f;
}

float acd_control_density_scale(int value)
{
    return 1.5f - (float)value / 127.0f;
}

double acd_control_tempo_bpm(int value)
{
    return 40.0 + 200.0 * value / 127.0;
}
