/* REALTIME: the JACK process callback only. Moves MIDI between JACK's buffers and the rings. */
/*
 * Everything here runs on JACK's realtime thread: no allocation, no stdio,
 * no locks, no blocking call. The only calls are JACK's buffer and MIDI
 * event functions, our SPSC rings, relaxed/acquire/release atomics and
 * sem_post. Every loop is bounded by a JACK event count or a ring capacity.
 */
#include "jack_rt.h"

#include <jack/midiport.h>

#include "accompd/event.h"

#define COUNT(field, n) atomic_fetch_add_explicit(&rt->count.field, (n), memory_order_relaxed)

/* Extend JACK's 32-bit frame counter, so that frame times never wrap. */
ACD_REALTIME static int64_t frame_now(AcdJackRt *rt)
{
    uint32_t f = jack_last_frame_time(rt->client);
    if (!rt->have_frame) {
        rt->frame64 = f;
        rt->have_frame = true;
    } else {
        rt->frame64 += (uint32_t)(f - rt->last_frame32);
    }
    rt->last_frame32 = f;
    return rt->frame64;
}

/* Copy the cycle's melody into in_ring stamped with absolute frames (and to
 * the thru port at the same offsets). Returns how many were queued. */
ACD_REALTIME static uint32_t read_melody(AcdJackRt *rt, int64_t frame, jack_nframes_t nframes)
{
    void *in = jack_port_get_buffer(rt->in_port, nframes);
    void *thru = NULL;
    if (rt->thru_port) {
        thru = jack_port_get_buffer(rt->thru_port, nframes);
        jack_midi_clear_buffer(thru);
    }
    uint32_t n = jack_midi_get_event_count(in);
    uint32_t queued = 0;
    for (uint32_t i = 0; i < n; i++) {
        jack_midi_event_t jev;
        if (jack_midi_event_get(&jev, in, i) != 0)
            continue;
        if (thru) {
            if (jack_midi_max_event_size(thru) >= jev.size)
                jack_midi_event_write(thru, jev.time, jev.buffer, jev.size);
            else
                COUNT(thru_dropped, 1);
        }
        if (jev.size < 1 || jev.size > 3 || jev.buffer[0] < 0x80 || jev.buffer[0] == 0xF0) {
            COUNT(in_ignored, 1);
            continue;
        }
        AcdEvent ev = {frame + jev.time, (uint8_t)jev.size, {0, 0, 0}, 0};
        for (size_t b = 0; b < jev.size; b++)
            ev.data[b] = jev.buffer[b];
        /* The last in_reserve slots are for note-offs only: a dropped
         * note-on loses a note, a dropped note-off would hold a melody key
         * in the model's input for ever. */
        bool release = acd_event_is_note_off(ev.data, ev.len);
        size_t room = acd_ring_write_space(rt->in_ring);
        if (room > (release ? 0 : rt->in_reserve) && acd_ring_write(rt->in_ring, &ev) == ACD_OK) {
            queued++;
        } else {
            COUNT(in_dropped, 1);
        }
    }
    if (queued)
        COUNT(in_events, queued);
    return queued;
}

/* Write every accompaniment event due before the end of this cycle at its
 * offset, in order. Late ones (due in a cycle already gone) go at offset 0
 * and are counted; when the port buffer is full the rest wait a cycle. */
ACD_REALTIME static void write_accompaniment(AcdJackRt *rt, int64_t frame, jack_nframes_t nframes)
{
    void *out = jack_port_get_buffer(rt->out_port, nframes);
    jack_midi_clear_buffer(out);
    int64_t end = frame + nframes;
    jack_nframes_t last_offset = 0;
    uint32_t written = 0;
    size_t avail = acd_ring_read_space(rt->out_ring);
    for (size_t i = 0; i < avail; i++) {
        AcdEvent ev;
        if (acd_ring_peek(rt->out_ring, &ev) != ACD_OK || ev.time >= end)
            break;
        jack_nframes_t offset = 0;
        if (ev.time >= frame) {
            offset = (jack_nframes_t)(ev.time - frame);
        } else if (!(ev.flags & ACD_EVENT_ASAP)) {
            /* Due in an earlier cycle: late, note-offs of a step included. */
            COUNT(out_late, 1);
            if (ev.time != rt->last_late_time)
                COUNT(late_steps, 1);
            rt->last_late_time = ev.time;
        }
        /* JACK wants non-decreasing offsets; a release queued behind events
         * stamped later simply goes with them. */
        if (offset < last_offset)
            offset = last_offset;
        if (jack_midi_max_event_size(out) < ev.len) {
            COUNT(out_deferred, 1);
            break;
        }
        if (jack_midi_event_write(out, offset, ev.data, ev.len) != 0) {
            COUNT(out_deferred, 1);
            break;
        }
        last_offset = offset;
        written++;
        acd_ring_skip(rt->out_ring);
    }
    if (written)
        COUNT(out_events, written);
}

/* Tell the inference thread about JACK transport: when it starts or stops
 * rolling, when tempo or meter change, and every 8 cycles while it rolls
 * (so that drift and relocations are followed). Returns true when it did. */
ACD_REALTIME static bool publish_clock(AcdJackRt *rt, int64_t frame)
{
    jack_position_t pos;
    jack_transport_state_t state = jack_transport_query(rt->client, &pos);
    bool rolling = state == JackTransportRolling && (pos.valid & JackPositionBBT) &&
                   pos.beats_per_minute > 0 && pos.ticks_per_beat > 0 && pos.beats_per_bar >= 1 &&
                   pos.bar >= 1 && pos.beat >= 1;
    rt->clock_cycles++;
    if (!rolling && !rt->clock_rolling)
        return false;
    int32_t bpb = rolling ? (int32_t)pos.beats_per_bar : 0;
    if (rolling == rt->clock_rolling && rt->clock_cycles < 8 &&
        pos.beats_per_minute == rt->clock_bpm && bpb == rt->clock_bpb)
        return false;
    AcdJackClock c = {frame, 0, 0, bpb, rolling};
    if (rolling) {
        c.song_beats = (double)(pos.bar - 1) * bpb + (pos.beat - 1) + pos.tick / pos.ticks_per_beat;
        c.bpm = pos.beats_per_minute;
    }
    /* A full ring skips this one: the next carries the same information. */
    if (acd_ring_write(rt->clock_ring, &c) != ACD_OK)
        return false;
    rt->clock_rolling = rolling;
    rt->clock_bpm = c.bpm;
    rt->clock_bpb = bpb;
    rt->clock_cycles = 0;
    return true;
}

ACD_REALTIME int acd_jack_rt_process(jack_nframes_t nframes, void *arg)
{
    AcdJackRt *rt = arg;
    acd_rt_enter();
    int64_t frame = frame_now(rt);
    bool clock = rt->clock_ring && publish_clock(rt, frame);
    uint32_t queued = read_melody(rt, frame, nframes);

    int64_t known = frame + nframes;
    atomic_store_explicit(&rt->known_until, known, memory_order_release);
    int64_t due = atomic_load_explicit(&rt->next_decision, memory_order_acquire);
    if (queued > 0 || clock || known >= due)
        sem_post(rt->wake);

    write_accompaniment(rt, frame, nframes);

    if (atomic_load_explicit(&rt->drain, memory_order_acquire) == 1 &&
        acd_ring_read_space(rt->out_ring) == 0) {
        atomic_store_explicit(&rt->drain, 2, memory_order_relaxed);
        sem_post(rt->main_wake);
    }
    /* Release: whoever acquires the count after the client is closed sees
     * every access this thread made, even when libjack's thread ended
     * without a join (a lost server), so the main thread may reuse rt. */
    atomic_fetch_add_explicit(&rt->count.cycles, 1, memory_order_release);
    acd_rt_exit();
    return 0;
}

ACD_REALTIME int acd_jack_rt_xrun(void *arg)
{
    AcdJackRt *rt = arg;
    COUNT(xruns, 1);
    return 0;
}
