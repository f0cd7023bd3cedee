/* ALSA sequencer events and times <-> accompd's AcdEvent and nanoseconds. Needs no kernel. */
#ifndef ACCOMPD_ALSA_EVENT_H
#define ACCOMPD_ALSA_EVENT_H

#include <alsa/asoundlib.h>
#include <stdint.h>

#include "accompd/event.h"
#include "accompd/status.h"

/* The ALSA driver's time unit is the nanosecond of its queue's real-time
 * clock: input events are stamped on the queue, output events scheduled on
 * it, and the engine's step length comes from
 * acd_engine_units_per_step(bpm, steps_per_beat, 1e9). */

/* An incoming sequencer event as the MIDI message it stands for, stamped
 * `time`: note on (velocity 0 kept: it is a note-off, as on the wire), note
 * off, key pressure, controller, program change, channel pressure, pitch
 * bend, and the realtime clock, start, continue and stop. Data bytes are
 * masked to 7 bits. ACD_ERR_UNSUPPORTED (out untouched) for anything else
 * (sysex, port announcements, notes with a duration...). RT-safe. */
AcdStatus acd_alsa_event_from_seq(const snd_seq_event_t *sev, int64_t time, AcdEvent *out);

/* The sequencer event for ev: sets type, flags and data only (the caller
 * sets source, destination and schedule). ACD_ERR_UNSUPPORTED for messages
 * with no sequencer event here, ACD_ERR_FORMAT for a malformed one (wrong
 * length). RT-safe. */
AcdStatus acd_alsa_event_to_seq(const AcdEvent *ev, snd_seq_event_t *sev);

/* Queue real time <-> nanoseconds since the queue started. Negative times
 * become 0. RT-safe. */
int64_t acd_alsa_time_to_ns(const snd_seq_real_time_t *rt);
snd_seq_real_time_t acd_alsa_time_from_ns(int64_t ns);

/* The queue tempo (microseconds a quarter note) for bpm, rounded. RT-safe. */
unsigned acd_alsa_tempo_us(double bpm);

/* Ticks <-> nanoseconds on a queue of ppq ticks per quarter note at a
 * constant tempo of us_per_beat, rounded to nearest; ticks saturate at the
 * 32-bit tick counter's end. RT-safe. */
snd_seq_tick_time_t acd_alsa_ns_to_tick(int64_t ns, unsigned ppq, unsigned us_per_beat);
int64_t acd_alsa_tick_to_ns(snd_seq_tick_time_t tick, unsigned ppq, unsigned us_per_beat);

#endif
