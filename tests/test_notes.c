/* Tests of the note tracker: every note-on gets its note-off. */
#include <check.h>

#include "accompd/notes.h"
#include "testutil.h"

static void send(AcdNotes *n, uint8_t s, uint8_t d1, uint8_t d2)
{
    uint8_t m[3] = {s, d1, d2};
    acd_notes_track(n, m, 3);
}

START_TEST(test_on_off_and_velocity_zero)
{
    AcdNotes n;
    acd_notes_init(&n);
    send(&n, 0x90, 60, 100);
    send(&n, 0x90, 60, 90); /* re-strike does not stack */
    send(&n, 0x91, 60, 100);
    ck_assert_uint_eq(acd_notes_count(&n), 2);
    ck_assert(acd_notes_is_on(&n, 0, 60));
    ck_assert(acd_notes_is_on(&n, 1, 60));
    ck_assert(!acd_notes_is_on(&n, 2, 60));
    ck_assert(!acd_notes_is_on(&n, 16, 60));
    send(&n, 0x90, 60, 0); /* velocity 0 is a note-off */
    send(&n, 0x81, 60, 64);
    send(&n, 0x81, 60, 64); /* a second off is harmless */
    ck_assert_uint_eq(acd_notes_count(&n), 0);
    uint8_t short_msg[2] = {0x90, 60};
    acd_notes_track(&n, short_msg, 2);
    ck_assert_uint_eq(acd_notes_count(&n), 0);
}
END_TEST

START_TEST(test_cc123_clears_channel)
{
    AcdNotes n;
    acd_notes_init(&n);
    send(&n, 0x92, 40, 100);
    send(&n, 0x92, 43, 100);
    send(&n, 0x93, 40, 100);
    send(&n, 0xB2, 123, 0);
    ck_assert_uint_eq(acd_notes_count(&n), 1);
    ck_assert(acd_notes_is_on(&n, 3, 40));
    send(&n, 0xB3, 120, 0);
    ck_assert_uint_eq(acd_notes_count(&n), 0);
}
END_TEST

START_TEST(test_release_all)
{
    AcdNotes n;
    acd_notes_init(&n);
    send(&n, 0x90, 36, 100);
    send(&n, 0x90, 48, 100);
    send(&n, 0x95, 72, 100);
    uint16_t chans = (1u << 0) | (1u << 5);
    ck_assert_uint_eq(acd_notes_release_count(&n, chans), 5);

    AcdEvent ev[8];
    /* A short buffer writes what fits and keeps the rest tracked. */
    ck_assert_uint_eq(acd_notes_release_all(&n, chans, 777, ev, 2), 2);
    ck_assert_uint_eq(acd_notes_count(&n), 1);
    ck_assert_uint_eq(acd_notes_release_all(&n, chans, 778, ev + 2, 6), 3);
    ck_assert_uint_eq(acd_notes_count(&n), 0);

    ck_assert_uint_eq(ev[0].data[0], 0x80);
    ck_assert_uint_eq(ev[0].data[1], 36);
    ck_assert_uint_eq(ev[1].data[1], 48);
    ck_assert_uint_eq(ev[2].data[0], 0x85);
    ck_assert_uint_eq(ev[2].data[1], 72);
    ck_assert_uint_eq(ev[3].data[0], 0xB0);
    ck_assert_uint_eq(ev[3].data[1], 123);
    ck_assert_uint_eq(ev[4].data[0], 0xB5);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(ev[i].flags, ACD_EVENT_RELEASE);
        ck_assert_uint_eq(ev[i].len, 3);
    }
    ck_assert_int_eq(ev[0].time, 777);
    ck_assert_int_eq(ev[4].time, 778);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("notes");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_on_off_and_velocity_zero);
    tcase_add_test(tc, test_cc123_clears_channel);
    tcase_add_test(tc, test_release_all);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
