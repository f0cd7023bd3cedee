/* CLI tests of `accomp render`: end to end with --roll and --wav, same seed same bytes, clear
 * errors. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accompd/midifile.h"
#include "testutil.h"

static char out_path[256], err_path[256];

/* Run `[prefix] accomp render ARGS` through the shell (args already
 * quoted); returns its exit status, stdout and stderr in out_path/err_path. */
static int run_render(const char *prefix, const char *args)
{
    char cmd[8192];
    snprintf(out_path, sizeof out_path, "/tmp/acd_render_out_%d", (int)getpid());
    snprintf(err_path, sizeof err_path, "/tmp/acd_render_err_%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "render %s", args);
    return acd_test_accomp(prefix, cmd, out_path, err_path);
}

/* The tune and the test model, quoted for the shell, plus extra args. */
static void tune_args(char *buf, size_t size, const char *out, const char *extra)
{
    char tune[1024], model[1024];
    snprintf(tune, sizeof tune, "%s", acd_test_src("tests/data/demo/ode_to_joy.mid"));
    snprintf(model, sizeof model, "%s", acd_test_src("tests/ref/small.safetensors"));
    snprintf(buf, size, "'%s' -o '%s' --model '%s' %s", tune, out, model, extra);
}

static void tmp_name(char *buf, size_t size, const char *what)
{
    snprintf(buf, size, "/tmp/acd_render_%d_%s", (int)getpid(), what);
}

START_TEST(test_end_to_end)
{
    char a[128], b[128], c[128], svg[128], args[4096];
    tmp_name(a, sizeof a, "a.mid");
    tmp_name(b, sizeof b, "b.mid");
    tmp_name(c, sizeof c, "c.mid");
    tmp_name(svg, sizeof svg, "roll.svg");
    char extra[512];
    snprintf(extra, sizeof extra, "--seed 4 --temperature 1 --channel 3 --roll '%s'", svg);
    tune_args(args, sizeof args, a, extra);
    ck_assert_int_eq(run_render("", args), 0);
    char *out = acd_test_slurp(out_path, NULL);
    ck_assert_ptr_nonnull(strstr(out, "melody: track 1 'Melody' (name 'Melody'), 62 notes"));
    ck_assert_ptr_nonnull(strstr(out, "Accompaniment on channel 3"));
    free(out);
    tune_args(args, sizeof args, b, "--seed 4 --temperature 1 --channel 3");
    ck_assert_int_eq(run_render("", args), 0);
    tune_args(args, sizeof args, c, "--seed 5 --temperature 1 --channel 3");
    ck_assert_int_eq(run_render("", args), 0);
    size_t la, lb, lc;
    char *da = acd_test_slurp(a, &la), *db = acd_test_slurp(b, &lb), *dc = acd_test_slurp(c, &lc);
    ck_assert_uint_eq(la, lb);
    ck_assert_mem_eq(da, db, la);
    ck_assert(la != lc || memcmp(da, dc, la) != 0);
    free(da);
    free(db);
    free(dc);

    AcdMidiFile *mf = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_midifile_read(a, &mf, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_int_eq(mf->format, 1);
    ck_assert_uint_eq(mf->n_tracks, 3);
    ck_assert_str_eq(mf->tracks[1].name, "Melody");
    ck_assert_str_eq(mf->tracks[2].name, "Accompaniment");
    for (size_t t = 1; t < 3; t++)
        for (size_t i = 0; i < mf->tracks[t].n_events; i++)
            ck_assert_int_eq(mf->tracks[t].events[i].status & 0x0F, t == 1 ? 0 : 2);
    acd_midifile_free(mf);
    char *pic = acd_test_slurp(svg, NULL);
    ck_assert_ptr_nonnull(strstr(pic, ">ode_to_joy.mid</text>"));
    ck_assert_ptr_nonnull(strstr(pic, "</svg>"));
    free(pic);
    unlink(a);
    unlink(b);
    unlink(c);
    unlink(svg);
}
END_TEST

START_TEST(test_errors)
{
    char args[4096], out[128];
    tmp_name(out, sizeof out, "err.mid");
    char *err;
    snprintf(args, sizeof args, "/nonexistent/song.mid -o '%s' --model '%s'", out,
             acd_test_src("tests/ref/small.safetensors"));
    ck_assert_int_eq(run_render("", args), 1);
    err = acd_test_slurp(err_path, NULL);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/song.mid"));
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    free(err);

    static const char *const files[][2] = {
        {"tests/data/render/drums_only.mid", "drums only"},
        {"tests/data/render/chords_only.mid", "choose one with --melody-track N"},
        {"tests/data/render/no_notes.mid", "no notes"},
    };
    for (size_t i = 0; i < 3; i++) {
        char in[1024];
        snprintf(in, sizeof in, "%s", acd_test_src(files[i][0]));
        snprintf(args, sizeof args, "'%s' -o '%s' --model '%s'", in, out,
                 acd_test_src("tests/ref/small.safetensors"));
        ck_assert_int_eq(run_render("", args), 1);
        err = acd_test_slurp(err_path, NULL);
        ck_assert_msg(strstr(err, files[i][1]) != NULL, "%s: '%s'", files[i][0], err);
        free(err);
        ck_assert_int_ne(access(out, F_OK), 0); /* nothing written */
    }
    /* No model given, and none in the working directory. */
    char in[1024];
    snprintf(in, sizeof in, "%s", acd_test_src("tests/data/demo/ode_to_joy.mid"));
    snprintf(args, sizeof args, "'%s' -o '%s'", in, out);
    ck_assert_int_eq(run_render("cd / &&", args), 1);
    err = acd_test_slurp(err_path, NULL);
    ck_assert_ptr_nonnull(strstr(err, "models/default.safetensors does not exist"));
    free(err);
    ck_assert_int_eq(run_render("", ""), 2);
    ck_assert_int_eq(run_render("", "--bogus x.mid -o y.mid"), 2);
    ck_assert_int_eq(run_render("", "--help"), 0);
    ck_assert_int_eq(run_render("", "x.mid -o y.mid --channel 17"), 2);
}
END_TEST

/* --tempo scales the tempo map: the output says 150 BPM and lasts 100/150 as long. */
START_TEST(test_tempo)
{
    char mid[128], args[4096];
    tmp_name(mid, sizeof mid, "tempo.mid");
    tune_args(args, sizeof args, mid, "--tempo 150");
    ck_assert_int_eq(run_render("", args), 0);
    AcdMidiFile *mf = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_midifile_read(mid, &mf, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_uint_eq(mf->n_tempos, 1);
    ck_assert_uint_eq(mf->tempos[0].us_per_beat, 400000);
    AcdNote *notes;
    size_t n;
    ck_assert(acd_midifile_track_notes(mf, 1, &notes, &n) == ACD_OK);
    ck_assert_uint_eq(n, 62);
    ck_assert_double_eq_tol(acd_midifile_tick_to_sec(mf, notes[n - 1].start_tick), 62.0 * 0.4,
                            1e-3);
    free(notes);
    acd_midifile_free(mf);
    unlink(mid);
}
END_TEST

/* RMS of a 16-bit PCM WAV file, read independently of accomp. */
static double wav_rms(const char *path)
{
    size_t len;
    char *buf = acd_test_slurp(path, &len);
    ck_assert(len > 44 && !memcmp(buf, "RIFF", 4) && !memcmp(buf + 8, "WAVE", 4));
    size_t pos = 12;
    double sum = 0.0;
    size_t n = 0;
    while (pos + 8 <= len) {
        const uint8_t *p = (const uint8_t *)buf + pos;
        size_t size = (size_t)p[4] | (size_t)p[5] << 8 | (size_t)p[6] << 16 | (size_t)p[7] << 24;
        if (!memcmp(p, "data", 4)) {
            for (size_t i = pos + 8; i + 1 < len && i + 1 < pos + 8 + size; i += 2) {
                int16_t s =
                    (int16_t)((uint16_t)(uint8_t)buf[i] | (uint16_t)(uint8_t)buf[i + 1] << 8);
                sum += (double)s * s;
                n++;
            }
            break;
        }
        pos += 8 + size + (size & 1);
    }
    free(buf);
    ck_assert_uint_gt(n, 44100); /* at least half a second of stereo */
    return sqrt(sum / (double)n) / 32768.0;
}

static int have_fluidsynth(void)
{
    return system("command -v fluidsynth >/dev/null 2>&1") == 0 &&
           access("/usr/share/sounds/sf2/FluidR3_GM.sf2", R_OK) == 0;
}

START_TEST(test_wav)
{
    if (!have_fluidsynth()) {
        fprintf(stderr, "test_wav: skipped: fluidsynth or fluid-soundfont-gm not installed\n");
        return;
    }
    char mid[128], wav[128], args[4096], extra[256];
    tmp_name(mid, sizeof mid, "w.mid");
    tmp_name(wav, sizeof wav, "w.wav");
    snprintf(extra, sizeof extra, "--temperature 1 --wav '%s'", wav);
    tune_args(args, sizeof args, mid, extra);
    ck_assert_int_eq(run_render("", args), 0);
    double rms = wav_rms(wav);
    ck_assert_msg(rms > 1e-3, "the WAV is silent (RMS %g)", rms);
    char *out = acd_test_slurp(out_path, NULL);
    ck_assert_ptr_nonnull(strstr(out, "dBFS"));
    free(out);
    unlink(mid);
    unlink(wav);
}
END_TEST

/* Without fluidsynth: the MIDI is still written, the message says how to
 * get it, and the exit status says --wav failed. */
START_TEST(test_wav_missing)
{
    char mid[128], wav[128], args[4096], extra[256];
    tmp_name(mid, sizeof mid, "m.mid");
    tmp_name(wav, sizeof wav, "m.wav");
    snprintf(extra, sizeof extra, "--wav '%s'", wav);
    tune_args(args, sizeof args, mid, extra);
    ck_assert_int_eq(run_render("PATH=/nonexistent", args), 1);
    char *err = acd_test_slurp(err_path, NULL);
    ck_assert_msg(strstr(err, "apt-get install fluidsynth fluid-soundfont-gm") != NULL, "%s", err);
    free(err);
    struct stat sb;
    ck_assert_int_eq(stat(mid, &sb), 0);
    ck_assert_int_gt(sb.st_size, 100);
    snprintf(extra, sizeof extra, "--wav '%s' --soundfont /nonexistent.sf2", wav);
    tune_args(args, sizeof args, mid, extra);
    ck_assert_int_eq(run_render("", args), 1);
    err = acd_test_slurp(err_path, NULL);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.sf2"));
    ck_assert_ptr_nonnull(strstr(err, "fluid-soundfont-gm"));
    free(err);
    unlink(mid);
    unlink(wav);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("render_cli");
    TCase *tc = tcase_create("render_cli");
    tcase_add_test(tc, test_end_to_end);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_tempo);
    tcase_add_test(tc, test_wav);
    tcase_add_test(tc, test_wav_missing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return acd_test_run(make_suite());
}
