/* Tests of MIDI control: controllers, learn, the bass/chords split and dynamics. */
#include <check.h>

#include "accompd/control.h"
#include "testutil.h"

static AcdControlConfig config(int bass)
{
    AcdControlConfig cfg = {{80, 102, 20, 21, 22, 23}, 0, bass, 80, 0.0f, -1};
    return cfg;
}

START_TEST(controllers_and_learn)
{
    AcdControlConfig cfg = config(-1);
    AcdControl c;
    AcdControlAction a;
    acd_control_init(&c, &cfg);
    AcdEvent ev = acd_event_make(0, 0xB3, 22, 100);
    ck_assert(acd_control_cc(&c, &ev, &a));
    ck_assert_int_eq(a.function, ACD_CONTROL_VELOCITY);
    ck_assert_int_eq(acd_control_out_velocity(&c), 100);
    ev = acd_event_make(0, 0xB0, 80, 0);
    ck_assert(acd_control_cc(&c, &ev, &a));
    ck_assert(!c.enabled);
    ev = acd_event_make(0, 0xB0, 7, 0); /* volume: not ours */
    ck_assert(!acd_control_cc(&c, &ev, &a));
    ev = acd_event_make(0, 0x90, 22, 100); /* a note, not a controller */
    ck_assert(!acd_control_cc(&c, &ev, &a));

    /* Learn: the next controller is taken, not applied, and moves. */
    c.cfg.learn = ACD_CONTROL_VARIETY;
    ev = acd_event_make(0, 0xB0, 22, 5);
    ck_assert(acd_control_cc(&c, &ev, &a));
    ck_assert(a.learned);
    ck_assert_int_eq(a.value, 22);
    ck_assert_int_eq(c.cfg.cc[ACD_CONTROL_VARIETY], 22);
    ck_assert_int_eq(c.cfg.cc[ACD_CONTROL_VELOCITY], -1);
    ck_assert_int_eq(acd_control_out_velocity(&c), 100);
    ck_assert(acd_control_cc(&c, &ev, &a));
    ck_assert(!a.learned);
    ck_assert_int_eq(a.function, ACD_CONTROL_VARIETY);

    ck_assert_int_eq(acd_control_function_parse("tempo"), ACD_CONTROL_TEMPO);
    ck_assert_int_eq(acd_control_function_parse("nope"), -1);
    ck_assert_str_eq(acd_control_function_name(ACD_CONTROL_DENSITY), "density");
    ck_assert(acd_control_temperature(0) == 0.0f);
    ck_assert(acd_control_temperature(127) == 2.0f);
    ck_assert(acd_control_density_scale(0) == 1.5f);
    ck_assert(acd_control_density_scale(127) == 0.5f);
    ck_assert(acd_control_tempo_bpm(0) == 40.0);
    ck_assert(acd_control_tempo_bpm(127) == 240.0);
}
END_TEST

START_TEST(bass_split_never_strands_a_note)
{
    AcdControlConfig cfg = config(1);
    AcdControl c;
    acd_control_init(&c, &cfg);
    AcdEvent in[4] = {
        acd_event_make(0, 0x90, 60, 80),
        acd_event_make(0, 0x90, 48, 80), /* below 60: the bass */
        acd_event_make(0, 0x90, 55, 80), /* above 48: chords */
        acd_event_make(0, 0x90, 43, 80), /* below all: bass too */
    };
    AcdEvent out[8];
    ck_assert_uint_eq(acd_control_map(&c, in, 4, out, 8), 4);
    ck_assert_uint_eq(out[0].data[0], 0x91); /* nothing sounding: lowest, bass */
    ck_assert_uint_eq(out[1].data[0], 0x91);
    ck_assert_uint_eq(out[2].data[0], 0x90);
    ck_assert_uint_eq(out[3].data[0], 0x91);
    ck_assert_uint_eq(acd_control_sounding(&c), 4);
    /* The engine says note-off on its channel (0): each follows its on. */
    AcdEvent off[2] = {acd_event_make(0, 0x80, 48, 0), acd_event_make(0, 0x90, 55, 0)};
    ck_assert_uint_eq(acd_control_map(&c, off, 2, out, 8), 2);
    ck_assert_uint_eq(out[0].data[0], 0x81);
    ck_assert_uint_eq(out[1].data[0], 0x90);
    ck_assert_uint_eq(acd_control_sounding(&c), 2);
    /* The release's CC123 goes to both channels and clears the tracking. */
    AcdEvent rel = acd_event_make(0, 0xB0, ACD_MIDI_CC_ALL_NOTES, 0);
    ck_assert_uint_eq(acd_control_map(&c, &rel, 1, out, 8), 2);
    ck_assert_uint_eq(out[0].data[0], 0xB1);
    ck_assert_uint_eq(out[1].data[0], 0xB0);
    ck_assert_uint_eq(acd_control_sounding(&c), 0);
}
END_TEST

START_TEST(velocity_follows_the_player)
{
    AcdControlConfig cfg = config(-1);
    cfg.dynamics = 1.0f;
    AcdControl c;
    acd_control_init(&c, &cfg);
    ck_assert_int_eq(acd_control_out_velocity(&c), 80);
    AcdEvent soft = acd_event_make(0, 0x90, 60, 30);
    for (int i = 0; i < 40; i++)
        acd_control_melody(&c, &soft);
    int quiet = acd_control_out_velocity(&c);
    ck_assert_int_lt(quiet, 30); /* 80 * 30 / 90 */
    ck_assert_int_gt(quiet, 24);
    AcdEvent loud = acd_event_make(0, 0x90, 60, 127);
    for (int i = 0; i < 40; i++)
        acd_control_melody(&c, &loud);
    ck_assert_int_gt(acd_control_out_velocity(&c), 110);
    c.cfg.dynamics = 0.0f;
    ck_assert_int_eq(acd_control_out_velocity(&c), 80);
    AcdEvent on = acd_event_make(0, 0x95, 60, 1), out;
    ck_assert_uint_eq(acd_control_map(&c, &on, 1, &out, 1), 1);
    ck_assert_uint_eq(out.data[0], 0x90);
    ck_assert_uint_eq(out.data[2], 80);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("control");
    TCase *tc = tcase_create("control");
    tcase_add_test(tc, controllers_and_learn);
    tcase_add_test(tc, bass_split_never_strands_a_note);
    tcase_add_test(tc, velocity_follows_the_player);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
