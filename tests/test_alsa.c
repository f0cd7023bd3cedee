/* Tests of the ALSA sequencer parts that need no kernel: event and time conversion, and a clean
 * failure to open. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alsa_event.h"
#include "alsa_seq.h"
#include "testutil.h"

/* AcdEvent -> snd_seq_event_t -> AcdEvent gives the same message back. */
static void round_trip(uint8_t len, uint8_t s, uint8_t d1, uint8_t d2)
{
    AcdEvent ev = acd_event_make(12345, s, d1, d2), back;
    ev.len = len;
    if (len < 3)
        ev.data[2] = 0;
    if (len < 2)
        ev.data[1] = 0;
    snd_seq_event_t sev;
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_OK);
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 12345, &back), ACD_OK);
    ck_assert_int_eq(back.time, 12345);
    ck_assert_uint_eq(back.len, len);
    ck_assert_msg(memcmp(back.data, ev.data, len) == 0, "%02X %02X %02X -> %02X %02X %02X", s, d1,
                  d2, back.data[0], back.data[1], back.data[2]);
}

START_TEST(events_round_trip)
{
    for (uint8_t ch = 0; ch < 16; ch++) {
        round_trip(3, 0x90 | ch, 60, 100);
        round_trip(3, 0x90 | ch, 61, 0); /* velocity-0 note-on stays one */
        round_trip(3, 0x80 | ch, 62, 64);
        round_trip(3, 0xA0 | ch, 63, 10);
        round_trip(3, 0xB0 | ch, 64, 127);
        round_trip(2, 0xC0 | ch, 5, 0);
        round_trip(2, 0xD0 | ch, 90, 0);
        round_trip(3, 0xE0 | ch, 0, 0);
        round_trip(3, 0xE0 | ch, 0x7F, 0x7F);
        round_trip(3, 0xE0 | ch, 0x00, 0x40);
    }
    round_trip(1, ACD_MIDI_CLOCK, 0, 0);
    round_trip(1, ACD_MIDI_START, 0, 0);
    round_trip(1, ACD_MIDI_CONTINUE, 0, 0);
    round_trip(1, ACD_MIDI_STOP, 0, 0);
}
END_TEST

START_TEST(from_sequencer)
{
    snd_seq_event_t sev;
    AcdEvent ev;
    memset(&sev, 0, sizeof sev);
    snd_seq_ev_set_noteon(&sev, 2, 60, 0);
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_OK);
    ck_assert(acd_event_is_note_off(ev.data, ev.len)); /* what the engine sees */
    ck_assert_uint_eq(ev.data[0], 0x92);

    snd_seq_ev_set_pitchbend(&sev, 3, -8192);
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_OK);
    ck_assert_uint_eq(ev.data[0], 0xE3);
    ck_assert_uint_eq(ev.data[1], 0);
    ck_assert_uint_eq(ev.data[2], 0);
    snd_seq_ev_set_pitchbend(&sev, 3, 8191);
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_OK);
    ck_assert_uint_eq(ev.data[1], 0x7F);
    ck_assert_uint_eq(ev.data[2], 0x7F);

    snd_seq_ev_set_controller(&sev, 0, 300, 1000); /* out-of-MIDI values are masked */
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_OK);
    ck_assert_uint_eq(ev.data[1], 300 & 0x7F);
    ck_assert_uint_eq(ev.data[2], 1000 & 0x7F);

    snd_seq_ev_set_pgmchange(&sev, 9, 33);
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_OK);
    ck_assert_uint_eq(ev.len, 2);
    ck_assert_uint_eq(ev.data[0], 0xC9);
    ck_assert_uint_eq(ev.data[1], 33);

    AcdEvent before = acd_event_make(1, 2, 3, 4);
    ev = before;
    sev.type = SND_SEQ_EVENT_SYSEX;
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_ERR_UNSUPPORTED);
    sev.type = SND_SEQ_EVENT_PORT_START;
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_ERR_UNSUPPORTED);
    sev.type = SND_SEQ_EVENT_NOTE;
    ck_assert_int_eq(acd_alsa_event_from_seq(&sev, 7, &ev), ACD_ERR_UNSUPPORTED);
    ck_assert(memcmp(&ev, &before, sizeof ev) == 0);
}
END_TEST

START_TEST(to_sequencer)
{
    snd_seq_event_t sev;
    AcdEvent ev = acd_event_make(0, 0x91, 60, 90);
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_OK);
    ck_assert_int_eq(sev.type, SND_SEQ_EVENT_NOTEON);
    ck_assert_uint_eq(sev.data.note.channel, 1);
    ck_assert_uint_eq(sev.data.note.note, 60);
    ck_assert_uint_eq(sev.data.note.velocity, 90);
    ck_assert_uint_eq(sev.flags & SND_SEQ_EVENT_LENGTH_MASK, SND_SEQ_EVENT_LENGTH_FIXED);

    ev = acd_event_make(0, 0xB0, ACD_MIDI_CC_ALL_NOTES, 0);
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_OK);
    ck_assert_int_eq(sev.type, SND_SEQ_EVENT_CONTROLLER);
    ck_assert_uint_eq(sev.data.control.param, 123);

    ev = acd_event_make(0, 0xE0, 0, 0x40);
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_OK);
    ck_assert_int_eq(sev.data.control.value, 0);

    ev = acd_event_make(0, 0x90, 60, 90);
    ev.len = 2;
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_ERR_FORMAT);
    ev = acd_event_make(0, 0x40, 60, 90); /* a data byte as status */
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_ERR_FORMAT);
    ev = acd_event_make(0, 0xF0, 0x7E, 0xF7);
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_ERR_UNSUPPORTED);
    ev = acd_event_make(0, 0xFE, 0, 0);
    ev.len = 1;
    ck_assert_int_eq(acd_alsa_event_to_seq(&ev, &sev), ACD_ERR_UNSUPPORTED);
}
END_TEST

START_TEST(times)
{
    int64_t samples[] = {0, 1, 999999999, 1000000000, 1500000001, 86400LL * 1000000000 + 7};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        snd_seq_real_time_t rt = acd_alsa_time_from_ns(samples[i]);
        ck_assert_uint_lt(rt.tv_nsec, 1000000000u);
        ck_assert_int_eq(acd_alsa_time_to_ns(&rt), samples[i]);
    }
    snd_seq_real_time_t neg = acd_alsa_time_from_ns(-5);
    ck_assert_int_eq(acd_alsa_time_to_ns(&neg), 0);

    ck_assert_uint_eq(acd_alsa_tempo_us(120.0), 500000);
    ck_assert_uint_eq(acd_alsa_tempo_us(90.0), 666667);
    /* 120 BPM, 96 ticks a beat: one second is two beats. */
    ck_assert_uint_eq(acd_alsa_ns_to_tick(1000000000, 96, 500000), 192);
    ck_assert_int_eq(acd_alsa_tick_to_ns(192, 96, 500000), 1000000000);
    ck_assert_uint_eq(acd_alsa_ns_to_tick(-1, 96, 500000), 0);
    /* 16th-note steps at 4 steps a beat and 96 ppq: step t is tick 24 t, both ways. */
    for (int64_t t = 0; t < 100000; t += 997) {
        int64_t ns = t * 125000000; /* a 16th at 120 BPM */
        ck_assert_uint_eq(acd_alsa_ns_to_tick(ns, 96, 500000), (snd_seq_tick_time_t)(24 * t));
        ck_assert_int_eq(acd_alsa_tick_to_ns((snd_seq_tick_time_t)(24 * t), 96, 500000), ns);
    }
    /* Round to nearest, and saturate instead of wrapping. */
    ck_assert_uint_eq(acd_alsa_ns_to_tick(2604166, 96, 500000), 0); /* 0.4999999 tick */
    ck_assert_uint_eq(acd_alsa_ns_to_tick(2604167, 96, 500000), 1); /* 0.5000001 tick */
    ck_assert_uint_eq(acd_alsa_ns_to_tick(INT64_MAX, 960, 250000), UINT32_MAX);
}
END_TEST

START_TEST(open_fails_cleanly)
{
    if (access("/dev/snd/seq", F_OK) == 0) {
        fprintf(stderr, "test_alsa: /dev/snd/seq exists here; open-failure test skipped\n");
        return;
    }
    AcdAlsaSeq s;
    AcdError err = {0};
    ck_assert_int_eq(acd_alsa_seq_open(&s, "accompd-test", &err), ACD_ERR_BACKEND);
    ck_assert_str_eq(err.msg, "ALSA sequencer not available: /dev/snd/seq: No such file or "
                              "directory; is the snd-seq module loaded?");
    ck_assert_ptr_null(s.seq);
    acd_alsa_seq_close(&s); /* harmless on a failed open */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alsa");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, events_round_trip);
    tcase_add_test(tc, from_sequencer);
    tcase_add_test(tc, to_sequencer);
    tcase_add_test(tc, times);
    tcase_add_test(tc, open_fails_cleanly);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
