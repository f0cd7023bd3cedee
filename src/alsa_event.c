/* ALSA sequencer events and times <-> accompd's AcdEvent and nanoseconds. */
#include "alsa_event.h"

#include <math.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

/* __extension__: -Wpedantic knows __int128 is not ISO C; gcc and clang have it on 64-bit. */
__extension__ typedef unsigned __int128 u128;

AcdStatus acd_alsa_event_from_seq(const snd_seq_event_t *sev, int64_t time, AcdEvent *out)
{
    const snd_seq_ev_note_t *n = &sev->data.note;
    const snd_seq_ev_ctrl_t *c = &sev->data.control;
    uint8_t nch = n->channel & 0x0F, cch = c->channel & 0x0F;
    switch (sev->type) {
    case SND_SEQ_EVENT_NOTEON:
        *out = acd_event_make(time, ACD_MIDI_NOTE_ON | nch, n->note & 0x7F, n->velocity & 0x7F);
        return ACD_OK;
    case SND_SEQ_EVENT_NOTEOFF:
        *out = acd_event_make(time, ACD_MIDI_NOTE_OFF | nch, n->note & 0x7F, n->velocity & 0x7F);
        return ACD_OK;
    case SND_SEQ_EVENT_KEYPRESS:
        *out = acd_event_make(time, 0xA0 | nch, n->note & 0x7F, n->velocity & 0x7F);
        return ACD_OK;
    case SND_SEQ_EVENT_CONTROLLER:
        *out = acd_event_make(time, ACD_MIDI_CC | cch, (uint8_t)(c->param & 0x7F),
                              (uint8_t)(c->value & 0x7F));
        return ACD_OK;
    case SND_SEQ_EVENT_PGMCHANGE:
        *out = acd_event_make(time, 0xC0 | cch, (uint8_t)(c->value & 0x7F), 0);
        out->len = 2;
        return ACD_OK;
    case SND_SEQ_EVENT_CHANPRESS:
        *out = acd_event_make(time, 0xD0 | cch, (uint8_t)(c->value & 0x7F), 0);
        out->len = 2;
        return ACD_OK;
    case SND_SEQ_EVENT_PITCHBEND: {
        /* ALSA centres the 14-bit wheel on 0; MIDI on 8192. */
        int v = c->value < -8192 ? -8192 : c->value > 8191 ? 8191 : c->value;
        unsigned u = (unsigned)(v + 8192);
        *out = acd_event_make(time, 0xE0 | cch, (uint8_t)(u & 0x7F), (uint8_t)(u >> 7));
        return ACD_OK;
    }
    case SND_SEQ_EVENT_CLOCK:
    case SND_SEQ_EVENT_START:
    case SND_SEQ_EVENT_CONTINUE:
    case SND_SEQ_EVENT_STOP: {
        uint8_t status = sev->type == SND_SEQ_EVENT_CLOCK      ? ACD_MIDI_CLOCK
                         : sev->type == SND_SEQ_EVENT_START    ? ACD_MIDI_START
                         : sev->type == SND_SEQ_EVENT_CONTINUE ? ACD_MIDI_CONTINUE
                                                               : ACD_MIDI_STOP;
        *out = acd_event_make(time, status, 0, 0);
        out->len = 1;
        return ACD_OK;
    }
    default:
        return ACD_ERR_UNSUPPORTED;
    }
}

AcdStatus acd_alsa_event_to_seq(const AcdEvent *ev, snd_seq_event_t *sev)
{
    uint8_t status = ev->data[0];
    memset(sev, 0, sizeof *sev);
    sev->flags = SND_SEQ_EVENT_LENGTH_FIXED;
    if (status >= 0xF8) {
        if (ev->len != 1)
            return ACD_ERR_FORMAT;
        switch (status) {
        case ACD_MIDI_CLOCK:
            sev->type = SND_SEQ_EVENT_CLOCK;
            return ACD_OK;
        case ACD_MIDI_START:
            sev->type = SND_SEQ_EVENT_START;
            return ACD_OK;
        case ACD_MIDI_CONTINUE:
            sev->type = SND_SEQ_EVENT_CONTINUE;
            return ACD_OK;
        case ACD_MIDI_STOP:
            sev->type = SND_SEQ_EVENT_STOP;
            return ACD_OK;
        default:
            return ACD_ERR_UNSUPPORTED;
        }
    }
    unsigned kind = status & 0xF0u;
    unsigned need = kind == 0xC0 || kind == 0xD0 ? 2 : 3;
    if (status < 0x80 || kind == 0xF0)
        return status < 0x80 ? ACD_ERR_FORMAT : ACD_ERR_UNSUPPORTED;
    if (ev->len != need)
        return ACD_ERR_FORMAT;
    uint8_t ch = status & 0x0F, d1 = ev->data[1] & 0x7F, d2 = ev->data[2] & 0x7F;
    switch (kind) {
    case ACD_MIDI_NOTE_ON:
    case ACD_MIDI_NOTE_OFF:
    case 0xA0:
        sev->type = kind == ACD_MIDI_NOTE_ON    ? SND_SEQ_EVENT_NOTEON
                    : kind == ACD_MIDI_NOTE_OFF ? SND_SEQ_EVENT_NOTEOFF
                                                : SND_SEQ_EVENT_KEYPRESS;
        sev->data.note.channel = ch;
        sev->data.note.note = d1;
        sev->data.note.velocity = d2;
        return ACD_OK;
    case ACD_MIDI_CC:
        sev->type = SND_SEQ_EVENT_CONTROLLER;
        sev->data.control.channel = ch;
        sev->data.control.param = d1;
        sev->data.control.value = d2;
        return ACD_OK;
    case 0xC0:
    case 0xD0:
        sev->type = kind == 0xC0 ? SND_SEQ_EVENT_PGMCHANGE : SND_SEQ_EVENT_CHANPRESS;
        sev->data.control.channel = ch;
        sev->data.control.value = d1;
        return ACD_OK;
    default: /* 0xE0 */
        sev->type = SND_SEQ_EVENT_PITCHBEND;
        sev->data.control.channel = ch;
        sev->data.control.value = (int)(d1 | (unsigned)d2 << 7) - 8192;
        return ACD_OK;
    }
}

int64_t acd_alsa_time_to_ns(const snd_seq_real_time_t *rt)
{
    return (int64_t)rt->tv_sec * NS_PER_SEC + (int64_t)rt->tv_nsec;
}

snd_seq_real_time_t acd_alsa_time_from_ns(int64_t ns)
{
    snd_seq_real_time_t rt = {0, 0};
    if (ns > 0) {
        /* tv_sec is 32-bit: past ~136 years, hold the last second. */
        int64_t sec = ns / NS_PER_SEC;
        rt.tv_sec = sec > UINT32_MAX ? UINT32_MAX : (unsigned)sec;
        rt.tv_nsec = (unsigned)(ns % NS_PER_SEC);
    }
    return rt;
}

unsigned acd_alsa_tempo_us(double bpm)
{
    return (unsigned)lround(60e6 / bpm);
}

snd_seq_tick_time_t acd_alsa_ns_to_tick(int64_t ns, unsigned ppq, unsigned us_per_beat)
{
    if (ns <= 0 || us_per_beat == 0)
        return 0;
    /* tick = ns * ppq / (us_per_beat * 1000), in 128 bits: ns * ppq
     * overflows 64 bits after a few hours at large ppq. */
    u128 den = (u128)us_per_beat * 1000u;
    u128 t = ((u128)ns * ppq + den / 2) / den;
    return t > UINT32_MAX ? UINT32_MAX : (snd_seq_tick_time_t)t;
}

int64_t acd_alsa_tick_to_ns(snd_seq_tick_time_t tick, unsigned ppq, unsigned us_per_beat)
{
    if (ppq == 0)
        return 0;
    u128 num = (u128)tick * us_per_beat * 1000u;
    return (int64_t)((num + ppq / 2) / ppq);
}
