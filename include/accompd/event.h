/* A short MIDI message at an absolute time: the record the engine and the drivers exchange. */
#ifndef ACCOMPD_EVENT_H
#define ACCOMPD_EVENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status nibbles and the controllers accompd acts on. */
#define ACD_MIDI_NOTE_OFF     0x80
#define ACD_MIDI_NOTE_ON      0x90
#define ACD_MIDI_CC           0xB0
#define ACD_MIDI_CC_SUSTAIN   64
#define ACD_MIDI_CC_ALL_SOUND 120
#define ACD_MIDI_CC_ALL_NOTES 123
#define ACD_MIDI_CLOCK        0xF8
#define ACD_MIDI_START        0xFA
#define ACD_MIDI_CONTINUE     0xFB
#define ACD_MIDI_STOP         0xFC

/* One channel voice (or one-byte realtime) message. `time` is in the unit
 * the driver chose: absolute frames for JACK, nanoseconds or ticks for the
 * others; the engine never interprets it beyond ordering and arithmetic.
 * Fixed size (16 bytes) so that it can travel through an AcdRing. */
typedef struct {
    int64_t time;
    uint8_t len;     /* 1..3 */
    uint8_t data[3]; /* status byte first */
    uint32_t flags;  /* ACD_EVENT_* */
} AcdEvent;

/* The event must not be dropped: a note-off for a sounding note, or an
 * all-notes-off. Writers keep room in their rings for these. */
#define ACD_EVENT_RELEASE 1u

/* Stamped "as soon as possible" (a stop, a panic, a program change): a
 * driver writes it at once when its time has passed, and does not count it
 * late. Everything else is due at its exact time. */
#define ACD_EVENT_ASAP 2u

/* Build an event. RT-safe. */
static inline AcdEvent acd_event_make(int64_t time, uint8_t status, uint8_t d1, uint8_t d2)
{
    AcdEvent ev = {time, 3, {status, d1, d2}, 0};
    return ev;
}

/* True for a note-off, including note-on with velocity 0. RT-safe. */
static inline int acd_event_is_note_off(const uint8_t *msg, unsigned len)
{
    return len >= 3 && ((msg[0] & 0xF0) == ACD_MIDI_NOTE_OFF ||
                        ((msg[0] & 0xF0) == ACD_MIDI_NOTE_ON && msg[2] == 0));
}

/* True for a note-on with velocity > 0. RT-safe. */
static inline int acd_event_is_note_on(const uint8_t *msg, unsigned len)
{
    return len >= 3 && (msg[0] & 0xF0) == ACD_MIDI_NOTE_ON && msg[2] > 0;
}

#ifdef __cplusplus
}
#endif

#endif
