/* Tests of the offline renderer: determinism, causality, bars, no stuck notes, the output file,
 * errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accompd/midifile.h"
#include "accompd/render.h"
#include "accompd/svg_roll.h"
#include "testutil.h"

static AcdModel *load_model(const char *name)
{
    AcdModel *m = NULL;
    AcdError err = {0};
    char rel[128];
    snprintf(rel, sizeof rel, "tests/ref/%s.safetensors", name);
    ck_assert_msg(acd_model_load(acd_test_src(rel), &m, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    return m;
}

/* A song from a MIDI fixture (automatic roles); *mf_out keeps the file. */
static AcdSong *load_song(const char *rel, AcdMidiFile **mf_out)
{
    AcdMidiFile *mf = NULL;
    AcdSong *song = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_midifile_read(acd_test_src(rel), &mf, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    ck_assert_msg(acd_render_song_from_midifile(mf, -1, &song, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    if (mf_out)
        *mf_out = mf;
    else
        acd_midifile_free(mf);
    return song;
}

static void render(const AcdModel *m, const AcdSong *song, uint64_t seed, float temperature,
                   AcdRender *r)
{
    AcdRenderConfig cfg;
    AcdError err = {0};
    acd_render_config_default(&cfg, m);
    cfg.engine.sampler.seed = seed;
    cfg.engine.sampler.temperature = temperature;
    cfg.engine.channel = 1;
    ck_assert_msg(acd_render_song(m, &cfg, song, r, &err) == ACD_OK, "%s", acd_error_text(&err));
}

static uint8_t *serialize(const AcdMidiFile *tempo_src, const AcdSong *song, const AcdRender *r,
                          size_t *len)
{
    AcdRenderMidiOptions o;
    AcdMidiFile *out = NULL;
    AcdError err = {0};
    uint8_t *buf = NULL;
    acd_render_midi_options_default(&o);
    ck_assert(acd_render_to_midifile(tempo_src, song, r, &o, &out, &err) == ACD_OK);
    ck_assert(acd_midifile_serialize(out, &buf, len, &err) == ACD_OK);
    acd_midifile_free(out);
    return buf;
}

START_TEST(test_deterministic)
{
    AcdModel *m = load_model("small");
    AcdMidiFile *mf;
    AcdSong *song = load_song("tests/data/demo/ode_to_joy.mid", &mf);
    AcdRender a, b, c;
    render(m, song, 7, 1.0f, &a);
    render(m, song, 7, 1.0f, &b);
    render(m, song, 8, 1.0f, &c);
    ck_assert_uint_gt(a.n_notes, 10);
    ck_assert_uint_eq(a.n_notes, b.n_notes);
    ck_assert_mem_eq(a.notes, b.notes, a.n_notes * sizeof *a.notes);
    size_t la, lb, lc;
    uint8_t *ba = serialize(mf, song, &a, &la), *bb = serialize(mf, song, &b, &lb),
            *bc = serialize(mf, song, &c, &lc);
    ck_assert_uint_eq(la, lb);
    ck_assert_mem_eq(ba, bb, la);
    ck_assert(la != lc || memcmp(ba, bc, la) != 0); /* another seed, another accompaniment */
    free(ba);
    free(bb);
    free(bc);
    acd_render_cleanup(&a);
    acd_render_cleanup(&b);
    acd_render_cleanup(&c);
    acd_song_free(song);
    acd_midifile_free(mf);
    acd_model_free(m);
}
END_TEST

/* Count note-ons minus note-offs per channel and pitch over a track: every
 * note-on must be closed, and never twice open. */
static void check_track_closed(const AcdMidiTrack *t, int channel)
{
    int open[16][128] = {{0}};
    for (size_t i = 0; i < t->n_events; i++) {
        const AcdMidiEvent *ev = &t->events[i];
        int ch = ev->status & 0x0F, kind = ev->status & 0xF0;
        if (kind == 0x90 || kind == 0x80)
            ck_assert_int_eq(ch, channel);
        if (kind == 0x90 && ev->data2 > 0) {
            ck_assert_msg(open[ch][ev->data1] == 0, "note %u struck twice at tick %llu", ev->data1,
                          (unsigned long long)ev->tick);
            open[ch][ev->data1] = 1;
        } else if (kind == 0x80 || kind == 0x90) {
            ck_assert_msg(open[ch][ev->data1] == 1, "note-off without note-on");
            open[ch][ev->data1] = 0;
        }
    }
    for (int c = 0; c < 16; c++)
        for (int p = 0; p < 128; p++)
            ck_assert_msg(open[c][p] == 0, "stuck note %d on channel %d", p, c + 1);
}

START_TEST(test_output_file)
{
    AcdModel *m = load_model("small");
    AcdMidiFile *mf, *back = NULL;
    AcdSong *song = load_song("tests/data/demo/ode_to_joy.mid", &mf);
    AcdRender r;
    AcdError err = {0};
    render(m, song, 3, 1.0f, &r);
    size_t len;
    uint8_t *buf = serialize(mf, song, &r, &len);
    ck_assert(acd_midifile_parse(buf, len, "rendered", &back, &err) == ACD_OK);
    ck_assert_int_eq(back->format, 1);
    ck_assert_int_eq(back->ticks_per_beat, mf->ticks_per_beat);
    ck_assert_uint_eq(back->n_tracks, 3);
    ck_assert_str_eq(back->tracks[1].name, "Melody");
    ck_assert_str_eq(back->tracks[2].name, "Accompaniment");
    ck_assert_uint_eq(back->n_tempos, mf->n_tempos);
    ck_assert_uint_eq(back->tempos[0].us_per_beat, mf->tempos[0].us_per_beat);
    check_track_closed(&back->tracks[1], 0);
    check_track_closed(&back->tracks[2], 1);
    AcdNote *notes;
    size_t n;
    ck_assert(acd_midifile_track_notes(back, 2, &notes, &n) == ACD_OK);
    ck_assert_uint_eq(n, r.n_notes);
    free(notes);
    ck_assert(acd_midifile_track_notes(back, 1, &notes, &n) == ACD_OK);
    ck_assert_uint_eq(n, song->n_melody);
    free(notes);
    /* The render's own notes: positive lengths, on the step grid, inside the run. */
    int spb = acd_model_config(m)->steps_per_beat;
    for (size_t i = 0; i < r.n_notes; i++) {
        ck_assert(r.notes[i].end_sec > r.notes[i].start_sec);
        double steps = r.notes[i].start_beat * spb;
        ck_assert_double_eq_tol(steps, round(steps), 1e-9);
        ck_assert(r.notes[i].end_sec <= r.end_sec + 1e-9);
        ck_assert_uint_eq(r.notes[i].channel, 1);
    }
    ck_assert_double_eq_tol(r.start_beat, 0.0, 1e-12); /* the tune starts on bar 1 */
    ck_assert_double_eq_tol(r.end_beat, 64.0, 1e-12);  /* and ends with bar 16 */
    ck_assert_uint_eq(r.stats.notes_on, r.stats.notes_off);
    free(buf);
    acd_midifile_free(back);
    acd_render_cleanup(&r);
    acd_song_free(song);
    acd_midifile_free(mf);
    acd_model_free(m);
}
END_TEST

/* Accompaniment decided before X cannot depend on melody played after X. */
START_TEST(test_causal)
{
    AcdModel *m = load_model("small");
    AcdSong *a = load_song("tests/data/demo/ode_to_joy.mid", NULL);
    AcdSong *b = load_song("tests/data/demo/ode_to_joy.mid", NULL);
    double x = acd_beatgrid_beat_to_sec(&b->grid, 30.0); /* bar 8, beat 3 */
    for (size_t i = 0; i < b->n_melody; i++)
        if (b->melody[i].start_sec >= x)
            b->melody[i].pitch = (uint8_t)(b->melody[i].pitch + 5);
    AcdRender ra, rb;
    render(m, a, 11, 1.0f, &ra);
    render(m, b, 11, 1.0f, &rb);
    size_t ia = 0, ib = 0, same = 0;
    for (;;) {
        while (ia < ra.n_notes && ra.notes[ia].start_sec >= x - 1e-9)
            ia++;
        while (ib < rb.n_notes && rb.notes[ib].start_sec >= x - 1e-9)
            ib++;
        if (ia == ra.n_notes || ib == rb.n_notes)
            break;
        ck_assert_double_eq(ra.notes[ia].start_sec, rb.notes[ib].start_sec);
        ck_assert_uint_eq(ra.notes[ia].pitch, rb.notes[ib].pitch);
        ck_assert_double_eq(fmin(ra.notes[ia].end_sec, x), fmin(rb.notes[ib].end_sec, x));
        ia++, ib++, same++;
    }
    ck_assert(ia == ra.n_notes && ib == rb.n_notes);
    ck_assert_uint_gt(same, 5);
    /* And the test has teeth: what comes after X does change. */
    int differs = ra.n_notes != rb.n_notes;
    for (size_t i = 0; !differs && i < ra.n_notes; i++)
        differs = ra.notes[i].pitch != rb.notes[i].pitch ||
                  ra.notes[i].start_sec != rb.notes[i].start_sec;
    ck_assert(differs);
    acd_render_cleanup(&ra);
    acd_render_cleanup(&rb);
    acd_song_free(a);
    acd_song_free(b);
    acd_model_free(m);
}
END_TEST

/* POP909 song 034 is in 3/4 with a pickup beat: the grid starts on the bar
 * line before it, and steps follow the beat file. */
START_TEST(test_pop909_bars)
{
    AcdModel *m = load_model("tiny");
    AcdSong *song = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_song_load_pop909(acd_test_src("tests/data/pop909/POP909/034"), 0, &song,
                                       &err) == ACD_OK,
                  "%s", acd_error_text(&err));
    AcdRender r;
    render(m, song, 5, 1.0f, &r);
    long long b0 = llround(r.start_beat);
    ck_assert_double_eq_tol(r.start_beat, (double)b0, 1e-12);
    ck_assert_int_eq(acd_beatgrid_beat_in_bar(&song->grid, b0), 0);
    ck_assert(r.start_beat <= song->melody[0].start_beat + 1e-6);
    ck_assert(r.start_beat > song->melody[0].start_beat - song->grid.beats_per_bar - 1e-6);
    ck_assert_uint_gt(r.n_notes, 0);
    int spb = acd_model_config(m)->steps_per_beat;
    for (size_t i = 0; i < r.n_notes; i++) {
        /* Each note starts on a step of the song's own (drifting) beats. */
        double steps = r.notes[i].start_beat * spb;
        ck_assert_double_eq_tol(steps, round(steps), 1e-9);
        ck_assert_double_eq_tol(r.notes[i].start_sec,
                                acd_beatgrid_beat_to_sec(&song->grid, r.notes[i].start_beat), 2e-6);
    }
    acd_render_cleanup(&r);
    acd_song_free(song);
    acd_model_free(m);
}
END_TEST

/* Two phrases with six silent bars between: live stops after two silent
 * bars and starts again at the next note's bar line; with 0 it plays on. */
START_TEST(test_stop_and_restart)
{
    AcdModel *m = load_model("small");
    AcdSongNote mel[16];
    memset(mel, 0, sizeof mel);
    for (int i = 0; i < 16; i++) {
        double beat = i < 8 ? i : 32.0 + (i - 8) + 0.5; /* the second phrase off the beat */
        mel[i].start_beat = beat;
        mel[i].end_beat = beat + 0.9;
        mel[i].pitch = (uint8_t)(67 + (i % 4) * 2);
        mel[i].velocity = 90;
    }
    AcdSong *song = NULL;
    AcdError err = {0};
    ck_assert(acd_song_from_beats("gap", mel, 16, NULL, 0, 0.5, 4, &song, &err) == ACD_OK);
    AcdRenderConfig cfg;
    acd_render_config_default(&cfg, m);
    cfg.engine.sampler.temperature = 1.0f;
    cfg.engine.stop_after_bars = 2;
    AcdRender r;
    ck_assert(acd_render_song(m, &cfg, song, &r, &err) == ACD_OK);
    ck_assert_uint_eq(r.stats.runs, 2);
    ck_assert_uint_eq(r.stats.notes_on, r.stats.notes_off);
    int spb = acd_model_config(m)->steps_per_beat;
    for (size_t i = 0; i < r.n_notes; i++) {
        double steps = r.notes[i].start_beat * spb;
        ck_assert_double_eq_tol(steps, round(steps), 1e-9);
        /* Nothing sounds between the stop (two bars after bar 2) and bar 9. */
        ck_assert(r.notes[i].start_beat < 16.0 + 1e-9 || r.notes[i].start_beat >= 32.0 - 1e-9);
        ck_assert(r.notes[i].end_beat <= 16.0 + 1e-9 || r.notes[i].start_beat >= 32.0 - 1e-9);
    }
    ck_assert_double_eq_tol(r.end_beat, 44.0, 1e-9); /* the bar line after beat 40.4 */
    acd_render_cleanup(&r);
    cfg.engine.stop_after_bars = 0;
    ck_assert(acd_render_song(m, &cfg, song, &r, &err) == ACD_OK);
    ck_assert_uint_eq(r.stats.runs, 1);
    acd_render_cleanup(&r);
    acd_song_free(song);
    acd_model_free(m);
}
END_TEST

static void expect_refused(const char *rel, int melody_track, AcdStatus want, const char *words)
{
    AcdMidiFile *mf = NULL;
    AcdSong *song = NULL;
    AcdError err = {0};
    ck_assert(acd_midifile_read(acd_test_src(rel), &mf, &err) == ACD_OK);
    ck_assert_int_eq(acd_render_song_from_midifile(mf, melody_track, &song, &err), want);
    ck_assert_ptr_null(song);
    ck_assert_msg(strstr(acd_error_text(&err), words) != NULL, "'%s' lacks '%s'",
                  acd_error_text(&err), words);
    ck_assert_ptr_nonnull(strstr(acd_error_text(&err), rel + strlen("tests/data/render/")));
    acd_midifile_free(mf);
}

START_TEST(test_errors)
{
    expect_refused("tests/data/render/drums_only.mid", -1, ACD_ERR_NO_MELODY, "drums only");
    expect_refused("tests/data/render/chords_only.mid", -1, ACD_ERR_NO_MELODY, "--melody-track");
    expect_refused("tests/data/render/no_notes.mid", -1, ACD_ERR_NO_MELODY, "no notes");
    expect_refused("tests/data/render/drums_only.mid", 1, ACD_ERR_RANGE, "no non-drum notes");
    expect_refused("tests/data/render/chords_only.mid", 7, ACD_ERR_RANGE, "tracks 0..1");
    /* Choosing the chords as melody is allowed. */
    AcdMidiFile *mf = NULL;
    AcdSong *song = NULL;
    AcdError err = {0};
    ck_assert(acd_midifile_read(acd_test_src("tests/data/render/chords_only.mid"), &mf, &err) ==
              ACD_OK);
    ck_assert(acd_render_song_from_midifile(mf, 1, &song, &err) == ACD_OK);
    ck_assert_uint_eq(song->n_melody, 12);
    acd_song_free(song);
    acd_midifile_free(mf);
    /* An empty song is refused by the renderer too. */
    AcdModel *m = load_model("tiny");
    ck_assert(acd_song_from_beats("empty", NULL, 0, NULL, 0, 0.5, 4, &song, &err) == ACD_OK);
    AcdRenderConfig cfg;
    AcdRender r;
    acd_render_config_default(&cfg, m);
    ck_assert_int_eq(acd_render_song(m, &cfg, song, &r, &err), ACD_ERR_NO_MELODY);
    ck_assert_ptr_null(r.notes);
    acd_song_free(song);
    acd_model_free(m);
}
END_TEST

START_TEST(test_svg_roll)
{
    AcdModel *m = load_model("small");
    AcdSong *song = load_song("tests/data/demo/ode_to_joy.mid", NULL);
    AcdRender r;
    render(m, song, 2, 1.0f, &r);
    char path[64];
    snprintf(path, sizeof path, "/tmp/acd_render_roll_%d.svg", (int)getpid());
    AcdSvgRoll roll = {"ode <&> \"joy\"", "sub",     &song->grid,  song->melody, song->n_melody,
                       r.notes,           r.n_notes, r.start_beat, r.end_beat};
    AcdError err = {0};
    ck_assert(acd_svg_roll_write(&roll, path, &err) == ACD_OK);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    ck_assert_ptr_nonnull(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    ck_assert_ptr_nonnull(strstr(text, "</svg>\n"));
    ck_assert_ptr_nonnull(strstr(text, "ode &lt;&amp;&gt; &quot;joy&quot;"));
    ck_assert_ptr_nonnull(strstr(text, ">C4</text>"));
    ck_assert_ptr_nonnull(strstr(text, ">16</text>")); /* bar 16 numbered */
    ck_assert_ptr_null(strstr(text, ">17</text>"));
    ck_assert_ptr_nonnull(strstr(text, ">melody</text>"));
    ck_assert_ptr_nonnull(strstr(text, ">accompaniment</text>"));
    /* Every note is drawn (melody notes split across rows at most once here). */
    size_t rects = 0;
    for (const char *p = text; (p = strstr(p, "rx=\"1.5\"/>")); p++)
        rects++;
    ck_assert_uint_ge(rects, song->n_melody + r.n_notes);
    ck_assert_int_eq(acd_svg_roll_write(&roll, "/nonexistent/dir/x.svg", &err), ACD_ERR_IO);
    acd_render_cleanup(&r);
    acd_song_free(song);
    acd_model_free(m);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_output_file);
    tcase_add_test(tc, test_causal);
    tcase_add_test(tc, test_pop909_bars);
    tcase_add_test(tc, test_stop_and_restart);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_svg_roll);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
