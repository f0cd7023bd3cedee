/* Tests of the MIDI clock follower: tempo and position through jitter, start and stop. */
#include <check.h>
#include <math.h>

#include "accompd/event.h"
#include "accompd/midiclock.h"
#include "accompd/rng.h"
#include "testutil.h"

START_TEST(test_steady_clock_with_jitter)
{
    AcdMidiClock c;
    AcdMidiClockPos pos;
    AcdRng r;
    acd_rng_seed(&r, 9);
    acd_midiclock_init(&c);
    ck_assert(!acd_midiclock_feed(&c, ACD_MIDI_START, 0, &pos));
    /* 120 BPM at 48 kHz: 1000 frames a tick, each tick +-300 frames late or early. */
    int got = 0;
    for (int k = 0; k < 200; k++) {
        int64_t jitter = (int64_t)(acd_rng_next_u64(&r) % 601) - 300;
        int64_t t = 50000 + k * 1000 + jitter;
        if (!acd_midiclock_feed(&c, ACD_MIDI_CLOCK, t, &pos)) {
            ck_assert_int_lt(k, ACD_MIDICLOCK_MIN_TICKS);
            continue;
        }
        got++;
        if (k < ACD_MIDICLOCK_WINDOW)
            continue;
        ck_assert_msg(fabs(pos.units_per_beat - 24000) < 24000 * 0.01, "tick %d: %g frames a beat",
                      k, pos.units_per_beat);
        /* Where the true clock is at the reported time, in beats. */
        double truth = (double)(pos.time - 50000) / 24000.0;
        ck_assert_msg(fabs(pos.beats - truth) < 0.01, "tick %d: beat %g, truth %g", k, pos.beats,
                      truth);
    }
    ck_assert_int_eq(got, 200 - ACD_MIDICLOCK_MIN_TICKS + 1);
    ck_assert(!acd_midiclock_feed(&c, ACD_MIDI_STOP, 300000, &pos));
    ck_assert(!c.running);
    /* Continue: the song position goes on from where it stopped. */
    ck_assert(!acd_midiclock_feed(&c, ACD_MIDI_CONTINUE, 400000, &pos));
    for (int k = 0; k < ACD_MIDICLOCK_MIN_TICKS; k++)
        acd_midiclock_feed(&c, ACD_MIDI_CLOCK, 400000 + k * 500, &pos);
    ck_assert(fabs(pos.beats - (200.0 + ACD_MIDICLOCK_MIN_TICKS - 1) / 24.0) < 0.01);
    ck_assert(fabs(pos.units_per_beat - 12000) < 1);
    ck_assert(!acd_midiclock_feed(&c, 0x90, 0, &pos));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("midiclock");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_steady_clock_with_jitter);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
