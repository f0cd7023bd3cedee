/* REALTIME: play a schedule of MIDI events at exact frames, and record a port with frame stamps. */
/*
 * Called from JACK process callbacks (accomp-jack-play's and the test
 * probe's): only JACK's buffer and MIDI event functions, loops bounded by
 * the schedule's events in one cycle or the port's event count.
 */
#include "jack_sched.h"

#include <jack/midiport.h>
#include <string.h>

ACD_REALTIME int64_t acd_jack_frames_update(AcdJackFrames *f, jack_client_t *client)
{
    uint32_t raw = jack_last_frame_time(client);
    if (!f->have) {
        f->now = raw;
        f->have = true;
    } else {
        f->now += (uint32_t)(raw - f->last);
    }
    f->last = raw;
    return f->now;
}

ACD_REALTIME size_t acd_jack_sched_play(void *buf, jack_nframes_t nframes, int64_t frame,
                                        int64_t base, const AcdEvent *sched, size_t n, size_t next,
                                        AcdJackSchedCounts *counts)
{
    size_t i = next;
    for (; i < n; i++) {
        int64_t t = base + sched[i].time;
        if (t >= frame + (int64_t)nframes)
            break;
        jack_nframes_t off = 0;
        if (t >= frame)
            off = (jack_nframes_t)(t - frame);
        else
            counts->late++;
        if (jack_midi_max_event_size(buf) < sched[i].len ||
            jack_midi_event_write(buf, off, sched[i].data, sched[i].len) != 0)
            counts->refused++;
        else
            counts->sent++;
    }
    return i;
}

ACD_REALTIME size_t acd_jack_sched_record(void *buf, int64_t frame, AcdEvent *rec, size_t n,
                                          size_t cap, uint64_t *dropped)
{
    uint32_t count = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, i) != 0)
            continue;
        if (n == cap || ev.size < 1 || ev.size > 3) {
            (*dropped)++;
            continue;
        }
        AcdEvent r = {frame + ev.time, (uint8_t)ev.size, {0, 0, 0}, 0};
        memcpy(r.data, ev.buffer, ev.size);
        rec[n++] = r;
    }
    return n;
}
