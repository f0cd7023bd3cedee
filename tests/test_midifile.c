/* Tests of the Standard MIDI File reader, writer, note pairing and tempo map. */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accompd/midifile.h"
#include "testutil.h"

/* Load a file under the source tree into memory (fixtures are small). */
static uint8_t *load(const char *rel, size_t *len)
{
    FILE *f = fopen(acd_test_src(rel), "rb");
    ck_assert_msg(f != NULL, "cannot open %s", rel);
    uint8_t *buf = malloc(1 << 16);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, 1 << 16, f);
    ck_assert(feof(f));
    fclose(f);
    return buf;
}

/* Parse a fixture under the name of its path relative to the source tree, so
 * that messages do not depend on where the tree is. */
static AcdStatus parse_fixture(const char *rel, AcdMidiFile **mf, AcdError *err)
{
    size_t len;
    uint8_t *buf = load(rel, &len);
    AcdStatus st = acd_midifile_parse(buf, len, rel, mf, err);
    free(buf);
    return st;
}

static AcdMidiFile *good(const char *stem)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/good/%s.mid", stem);
    AcdMidiFile *mf = NULL;
    AcdError err = {0};
    AcdStatus st = parse_fixture(rel, &mf, &err);
    ck_assert_msg(st == ACD_OK, "%s", acd_error_text(&err));
    return mf;
}

/* Every malformed fixture made by tools/make_bad_midi.py, and its exact error. */
static const struct {
    const char *stem;
    AcdStatus status;
    const char *msg; /* after "tests/data/bad/<stem>.mid: " */
} bad_cases[] = {
    {"empty", ACD_ERR_FORMAT, "byte 0: empty file; expected an 'MThd' header chunk"},
    {"truncated_header", ACD_ERR_FORMAT,
     "byte 8: header chunk truncated: length 6, the file has 2 bytes left"},
    {"not_midi", ACD_ERR_FORMAT, "byte 0: expected an 'MThd' header chunk, found 'RIFF'"},
    {"header_too_short", ACD_ERR_FORMAT, "byte 4: header chunk length 4; expected at least 6"},
    {"truncated_track", ACD_ERR_FORMAT,
     "byte 14: chunk header truncated: expected 8 bytes, the file has 3 left"},
    {"length_past_eof", ACD_ERR_FORMAT,
     "byte 18: chunk length 1000 runs past the end of the file (21 bytes left)"},
    {"truncated_event", ACD_ERR_FORMAT,
     "byte 23: event 0x90 needs 2 data bytes, the track chunk ends after 1"},
    {"missing_tracks", ACD_ERR_FORMAT,
     "byte 43: expected track 2 of 3 (an 'MTrk' chunk), found the end of the file"},
    {"bad_vlq", ACD_ERR_FORMAT, "byte 26: variable-length quantity longer than 4 bytes"},
    {"huge_delta", ACD_ERR_LIMIT,
     "byte 24602: event at tick 1099780059135 is past the limit of 1099511627776 ticks"},
    {"too_many_tracks", ACD_ERR_LIMIT, "byte 10: file declares 300 tracks; the limit is 256"},
    {"running_status_none", ACD_ERR_FORMAT,
     "byte 23: data byte 0x3C with no running status; expected a status byte"},
    {"running_status_after_meta_none", ACD_ERR_FORMAT,
     "byte 28: data byte 0x3C with no running status; expected a status byte"},
    {"format2", ACD_ERR_UNSUPPORTED,
     "byte 8: format 2 (independent sequences) is not supported; expected format 0 or 1"},
    {"format3", ACD_ERR_FORMAT, "byte 8: unknown format 3; expected format 0 or 1"},
    {"format0_two_tracks", ACD_ERR_FORMAT, "byte 10: format 0 file declares 2 tracks; expected 1"},
    {"smpte", ACD_ERR_UNSUPPORTED,
     "byte 12: SMPTE time division 0xE728 is not supported; expected ticks per beat"},
    {"zero_division", ACD_ERR_FORMAT, "byte 12: 0 ticks per beat; expected at least 1"},
    {"data_byte_range", ACD_ERR_FORMAT,
     "byte 25: data byte 0x90 out of range; expected 0x00 to 0x7F"},
    {"system_common", ACD_ERR_FORMAT,
     "byte 23: status byte 0xF3 is not allowed in a MIDI file; expected a channel, meta or "
     "sysex event"},
    {"meta_past_chunk", ACD_ERR_FORMAT,
     "byte 25: meta event length 64 runs past the end of the track chunk (3 bytes left)"},
    {"sysex_past_chunk", ACD_ERR_FORMAT,
     "byte 24: sysex event length 16 runs past the end of the track chunk (2 bytes left)"},
    {"meta_no_type", ACD_ERR_FORMAT,
     "byte 24: expected a meta event type, found the end of the track chunk"},
    {"delta_at_end", ACD_ERR_FORMAT,
     "byte 27: expected an event after the delta time, found the end of the track chunk"},
    {"tempo_short", ACD_ERR_FORMAT, "byte 26: tempo meta event of length 2; expected 3"},
    {"tempo_zero", ACD_ERR_FORMAT,
     "byte 26: tempo of 0 microseconds per beat; expected at least 1"},
    {"timesig_bad_den", ACD_ERR_FORMAT,
     "byte 27: time signature denominator 2^9; expected 2^0 to 2^7"},
    {"keysig_short", ACD_ERR_FORMAT, "byte 26: key signature meta event of length 1; expected 2"},
};

#define N_BAD (sizeof bad_cases / sizeof bad_cases[0])

START_TEST(bad_file_errors)
{
    char rel[256], want[512];
    snprintf(rel, sizeof rel, "tests/data/bad/%s.mid", bad_cases[_i].stem);
    snprintf(want, sizeof want, "%s: %s", rel, bad_cases[_i].msg);
    AcdMidiFile *mf = (AcdMidiFile *)1;
    AcdError err = {0};
    AcdStatus st = parse_fixture(rel, &mf, &err);
    ck_assert_ptr_null(mf);
    ck_assert_str_eq(acd_error_text(&err), want);
    ck_assert_int_eq(st, bad_cases[_i].status);
    ck_assert_int_eq(err.status, bad_cases[_i].status);
}
END_TEST

/* Every file in tests/data/bad has a row in the table, so none goes untested. */
START_TEST(bad_table_complete)
{
    DIR *d = opendir(acd_test_src("tests/data/bad"));
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".mid") != 0)
            continue;
        n++;
        int found = 0;
        for (size_t i = 0; i < N_BAD; i++)
            found |= strlen(bad_cases[i].stem) == l - 4 &&
                     strncmp(bad_cases[i].stem, e->d_name, l - 4) == 0;
        ck_assert_msg(found, "%s has no expected error in the table", e->d_name);
    }
    closedir(d);
    ck_assert_uint_eq(n, N_BAD);
}
END_TEST

START_TEST(read_names_path)
{
    AcdMidiFile *mf = NULL;
    AcdError err = {0};
    const char *path = acd_test_src("tests/data/bad/bad_vlq.mid");
    char want[4200];
    snprintf(want, sizeof want, "%s: byte 26: variable-length quantity longer than 4 bytes", path);
    ck_assert_int_eq(acd_midifile_read(path, &mf, &err), ACD_ERR_FORMAT);
    ck_assert_str_eq(acd_error_text(&err), want);

    ck_assert_int_eq(acd_midifile_read("/nonexistent/x.mid", &mf, &err), ACD_ERR_IO);
    ck_assert_ptr_null(mf);
    ck_assert_str_eq(acd_error_text(&err),
                     "/nonexistent/x.mid: cannot open: No such file or directory");

    ck_assert_int_eq(acd_midifile_read(acd_test_src("tests/data/good/format0.mid"), &mf, &err),
                     ACD_OK);
    ck_assert_str_eq(mf->path, acd_test_src("tests/data/good/format0.mid"));
    acd_midifile_free(mf);
}
END_TEST

START_TEST(size_limit)
{
    /* The length is checked before a byte is read, so a small buffer will do. */
    static const uint8_t b[1];
    AcdMidiFile *mf = NULL;
    AcdError err = {0};
    ck_assert_int_eq(
        acd_midifile_parse(b, (size_t)ACD_MIDI_MAX_FILE_BYTES + 1, "big.mid", &mf, &err),
        ACD_ERR_LIMIT);
    ck_assert_str_eq(acd_error_text(&err),
                     "big.mid: file of 67108865 bytes; the limit is 67108864 bytes");
}
END_TEST

/* Every prefix and every single-byte change of a good file: an answer, never a crash. */
START_TEST(mutations_never_crash)
{
    static const char *const stems[] = {"format0", "running_status_meta", "multi_tempo"};
    for (size_t s = 0; s < 3; s++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/data/good/%s.mid", stems[s]);
        size_t len;
        uint8_t *buf = load(rel, &len);
        for (size_t cut = 0; cut <= len; cut++) {
            AcdMidiFile *mf = NULL;
            AcdError err = {0};
            /* A copy of exactly cut bytes, so ASan sees any read past the end. */
            uint8_t *copy = malloc(cut + 1);
            memcpy(copy, buf, cut);
            AcdStatus st = acd_midifile_parse(copy, cut, "cut.mid", &mf, &err);
            if (st != ACD_OK && strncmp(err.msg, "cut.mid: byte ", 14) != 0)
                ck_abort_msg("%s", err.msg);
            acd_midifile_free(mf);
            free(copy);
        }
        for (size_t i = 0; i < len; i++) {
            static const uint8_t vals[] = {0x00, 0x7F, 0x80, 0xFF};
            for (size_t v = 0; v < 4; v++) {
                uint8_t old = buf[i];
                buf[i] = vals[v];
                AcdMidiFile *mf = NULL;
                AcdError err = {0};
                if (acd_midifile_parse(buf, len, "m.mid", &mf, &err) != ACD_OK &&
                    strncmp(err.msg, "m.mid: byte ", 12) != 0)
                    ck_abort_msg("%s", err.msg);
                acd_midifile_free(mf);
                buf[i] = old;
            }
        }
        free(buf);
    }
}
END_TEST

START_TEST(format0_parse)
{
    AcdMidiFile *mf = good("format0");
    ck_assert_int_eq(mf->format, 0);
    ck_assert_int_eq(mf->ticks_per_beat, 96);
    ck_assert_uint_eq(mf->n_tracks, 1);
    ck_assert_str_eq(mf->tracks[0].name, "solo");
    ck_assert_uint_eq(mf->n_tempos, 1);
    ck_assert_uint_eq(mf->tempos[0].us_per_beat, 600000);
    ck_assert_uint_eq(mf->n_timesigs, 1);
    ck_assert_uint_eq(mf->timesigs[0].num, 3);
    ck_assert_uint_eq(mf->timesigs[0].den, 4);
    ck_assert_uint_eq(mf->n_keysigs, 1);
    ck_assert_int_eq(mf->keysigs[0].sharps, -2);
    ck_assert_uint_eq(mf->keysigs[0].minor, 1);

    /* program change, 2 notes with note-on velocity 0 as note-off, 2 controllers */
    const AcdMidiTrack *tr = &mf->tracks[0];
    ck_assert_uint_eq(tr->n_events, 7);
    ck_assert_uint_eq(tr->events[0].status, 0xC0);
    ck_assert_uint_eq(tr->events[0].data1, 5);
    ck_assert_uint_eq(tr->events[0].data2, 0);
    ck_assert_uint_eq(tr->events[2].status, 0x81);
    ck_assert_uint_eq(tr->events[2].tick, 96);
    ck_assert_uint_eq(tr->events[2].data2, 0);
    ck_assert_uint_eq(tr->events[6].status, 0xB1);
    ck_assert_uint_eq(tr->events[6].tick, 240);
    ck_assert_uint_eq(tr->end_tick, 240);

    AcdNote *notes;
    size_t n;
    ck_assert_int_eq(acd_midifile_track_notes(mf, 0, &notes, &n), ACD_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(notes[0].start_tick, 0);
    ck_assert_uint_eq(notes[0].end_tick, 96);
    ck_assert_uint_eq(notes[0].pitch, 60);
    ck_assert_uint_eq(notes[0].velocity, 80);
    ck_assert_uint_eq(notes[0].channel, 1);
    ck_assert_uint_eq(notes[1].start_tick, 96);
    ck_assert_uint_eq(notes[1].end_tick, 192);
    ck_assert_uint_eq(notes[1].pitch, 62);
    free(notes);
    acd_midifile_free(mf);
}
END_TEST

START_TEST(running_status_after_meta_and_sysex)
{
    AcdMidiFile *mf = good("running_status_meta");
    ck_assert_uint_eq(mf->n_tracks, 2);
    ck_assert_str_eq(mf->tracks[0].name, "tempo");
    ck_assert_str_eq(mf->tracks[1].name, "lead");
    const AcdMidiTrack *tr = &mf->tracks[1];
    ck_assert_uint_eq(tr->n_events, 4);
    static const uint8_t want[4][3] = {
        {0x90, 60, 100}, {0x80, 60, 0}, {0x90, 67, 100}, {0x80, 67, 0}};
    static const uint64_t ticks[4] = {0, 64, 64, 128};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(tr->events[i].tick, ticks[i]);
        ck_assert_uint_eq(tr->events[i].status, want[i][0]);
        ck_assert_uint_eq(tr->events[i].data1, want[i][1]);
        ck_assert_uint_eq(tr->events[i].data2, want[i][2]);
    }
    acd_midifile_free(mf);
}
END_TEST

START_TEST(unknown_chunk_and_trailing_bytes)
{
    AcdMidiFile *mf = good("unknown_chunk");
    ck_assert_uint_eq(mf->n_tracks, 1);
    ck_assert_uint_eq(mf->tracks[0].n_events, 2);
    ck_assert_uint_eq(mf->tracks[0].end_tick, 16); /* no End of Track: the last event */
    acd_midifile_free(mf);
}
END_TEST

START_TEST(notes_fifo)
{
    AcdMidiFile *mf = good("overlap");
    AcdNote *notes;
    size_t n;
    ck_assert_int_eq(acd_midifile_track_notes(mf, 0, &notes, &n), ACD_OK);
    ck_assert_uint_eq(n, 4);
    /* Two overlapping 60s: the first note-off ends the first note-on. */
    ck_assert_uint_eq(notes[0].start_tick, 0);
    ck_assert_uint_eq(notes[0].end_tick, 20);
    ck_assert_uint_eq(notes[0].velocity, 10);
    ck_assert_uint_eq(notes[1].start_tick, 10);
    ck_assert_uint_eq(notes[1].end_tick, 30);
    ck_assert_uint_eq(notes[1].velocity, 20);
    /* Never ended: at End of Track; sorted by start, then pitch. */
    ck_assert_uint_eq(notes[2].pitch, 40);
    ck_assert_uint_eq(notes[2].end_tick, 130);
    ck_assert_uint_eq(notes[3].pitch, 60);
    ck_assert_uint_eq(notes[3].channel, 2);
    ck_assert_uint_eq(notes[3].end_tick, 130);
    free(notes);
    ck_assert_int_eq(acd_midifile_track_notes(mf, 1, &notes, &n), ACD_ERR_INVALID);
    acd_midifile_free(mf);
}
END_TEST

START_TEST(tempo_map)
{
    AcdMidiFile *mf = good("multi_tempo");
    ck_assert_uint_eq(mf->n_tempos, 3);
    ck_assert_uint_eq(mf->n_timesigs, 2);
    ck_assert_uint_eq(mf->timesigs[1].tick, 1920);
    ck_assert_uint_eq(mf->timesigs[1].num, 6);
    ck_assert_uint_eq(mf->timesigs[1].den, 8);
    /* 480 ticks per beat: 2 beats at 0.5 s, 2 at 0.25 s, then 1 s a beat. */
    static const struct {
        uint64_t tick;
        double sec;
    } pts[] = {{0, 0.0},    {240, 0.25}, {960, 1.0}, {1440, 1.25},
               {1920, 1.5}, {2400, 2.5}, {4800, 7.5}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        ck_assert_double_eq_tol(acd_midifile_tick_to_sec(mf, pts[i].tick), pts[i].sec, 1e-12);
        ck_assert_uint_eq(acd_midifile_sec_to_tick(mf, pts[i].sec), pts[i].tick);
    }
    for (uint64_t t = 0; t < 6000; t += 7)
        if (acd_midifile_sec_to_tick(mf, acd_midifile_tick_to_sec(mf, t)) != t)
            ck_abort_msg("tick %" PRIu64 " does not come back", t);
    ck_assert_uint_eq(acd_midifile_sec_to_tick(mf, 1.0 + 0.25 / 480 * 0.4), 960); /* rounds */
    ck_assert_uint_eq(acd_midifile_sec_to_tick(mf, 1.0 + 0.25 / 480 * 0.6), 961);
    ck_assert_uint_eq(acd_midifile_sec_to_tick(mf, -1.0), 0);
    ck_assert_uint_eq(acd_midifile_sec_to_tick(mf, (double)NAN), 0);
    ck_assert_uint_eq(acd_midifile_sec_to_tick(mf, 1e300), ACD_MIDI_MAX_TICK);
    acd_midifile_free(mf);

    /* No tempo event: 120 BPM. */
    mf = good("overlap");
    ck_assert_double_eq_tol(acd_midifile_tick_to_sec(mf, 960), 1.0, 1e-12);
    ck_assert_uint_eq(acd_midifile_sec_to_tick(mf, 1.0), 960);
    acd_midifile_free(mf);
}
END_TEST

/* Plain comparisons with one assertion on failure: every ck_assert costs a
 * message to the parent process, too slow for thousands of events. */
static void assert_same_track(const AcdMidiTrack *a, const AcdMidiTrack *b)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_uint_eq(a->n_events, b->n_events);
    ck_assert_uint_eq(a->end_tick, b->end_tick);
    for (size_t i = 0; i < a->n_events; i++) {
        const AcdMidiEvent *x = &a->events[i], *y = &b->events[i];
        if (x->tick != y->tick || x->status != y->status || x->data1 != y->data1 ||
            x->data2 != y->data2)
            ck_abort_msg("event %zu differs", i);
    }
}

static void assert_same_notes(const AcdMidiFile *a, size_t ta, const AcdMidiFile *b, size_t tb)
{
    AcdNote *na, *nb;
    size_t n, m;
    ck_assert_int_eq(acd_midifile_track_notes(a, ta, &na, &n), ACD_OK);
    ck_assert_int_eq(acd_midifile_track_notes(b, tb, &nb, &m), ACD_OK);
    ck_assert_uint_eq(n, m);
    for (size_t i = 0; i < n; i++) {
        if (na[i].start_tick != nb[i].start_tick || na[i].end_tick != nb[i].end_tick ||
            na[i].pitch != nb[i].pitch || na[i].velocity != nb[i].velocity ||
            na[i].channel != nb[i].channel)
            ck_abort_msg("note %zu differs", i);
    }
    free(na);
    free(nb);
}

/* Write mf, read it back, and check that everything but the added conductor
 * track survived; then check that writing again gives the same bytes. */
static void check_round_trip(const AcdMidiFile *mf)
{
    uint8_t *buf, *buf2;
    size_t len, len2;
    AcdError err = {0};
    AcdMidiFile *back = NULL, *again = NULL;
    ck_assert_msg(acd_midifile_serialize(mf, &buf, &len, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    ck_assert_msg(acd_midifile_parse(buf, len, "rt.mid", &back, &err) == ACD_OK, "%s",
                  acd_error_text(&err));
    ck_assert_int_eq(back->format, 1);
    ck_assert_int_eq(back->ticks_per_beat, mf->ticks_per_beat);
    ck_assert_uint_eq(back->n_tracks, mf->n_tracks + 1);
    ck_assert_uint_eq(back->tracks[0].n_events, 0);
    ck_assert_str_eq(back->tracks[0].name, "");
    for (size_t t = 0; t < mf->n_tracks; t++) {
        assert_same_track(&mf->tracks[t], &back->tracks[t + 1]);
        assert_same_notes(mf, t, back, t + 1);
    }
    ck_assert_uint_eq(back->n_tempos, mf->n_tempos);
    for (size_t i = 0; i < mf->n_tempos; i++)
        if (back->tempos[i].tick != mf->tempos[i].tick ||
            back->tempos[i].us_per_beat != mf->tempos[i].us_per_beat)
            ck_abort_msg("tempo %zu differs", i);
    ck_assert_uint_eq(back->n_timesigs, mf->n_timesigs);
    for (size_t i = 0; i < mf->n_timesigs; i++)
        if (back->timesigs[i].tick != mf->timesigs[i].tick ||
            back->timesigs[i].num != mf->timesigs[i].num ||
            back->timesigs[i].den != mf->timesigs[i].den)
            ck_abort_msg("time signature %zu differs", i);
    ck_assert_uint_eq(back->n_keysigs, mf->n_keysigs);
    for (size_t i = 0; i < mf->n_keysigs; i++)
        if (back->keysigs[i].tick != mf->keysigs[i].tick ||
            back->keysigs[i].sharps != mf->keysigs[i].sharps ||
            back->keysigs[i].minor != mf->keysigs[i].minor)
            ck_abort_msg("key signature %zu differs", i);
    /* Deterministic: the same file gives the same bytes. */
    ck_assert_int_eq(acd_midifile_serialize(mf, &buf2, &len2, &err), ACD_OK);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(buf, buf2, len) == 0);
    free(buf2);
    /* A second trip adds another empty conductor and changes nothing else. */
    ck_assert_int_eq(acd_midifile_serialize(back, &buf2, &len2, &err), ACD_OK);
    ck_assert_int_eq(acd_midifile_parse(buf2, len2, "rt2.mid", &again, &err), ACD_OK);
    ck_assert_uint_eq(again->n_tracks, back->n_tracks + 1);
    for (size_t t = 0; t < back->n_tracks; t++)
        assert_same_track(&back->tracks[t], &again->tracks[t + 1]);
    free(buf2);
    acd_midifile_free(again);
    acd_midifile_free(back);
    free(buf);
}

START_TEST(round_trip_good_files)
{
    static const char *const stems[] = {"format0", "running_status_meta", "multi_tempo",
                                        "unknown_chunk", "overlap"};
    for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++) {
        AcdMidiFile *mf = good(stems[i]);
        check_round_trip(mf);
        acd_midifile_free(mf);
    }
}
END_TEST

START_TEST(write_to_file)
{
    AcdMidiFile *mf = good("multi_tempo"), *back = NULL;
    AcdError err = {0};
    char path[] = "/tmp/acd_midifile_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(acd_midifile_write(mf, path, &err), ACD_OK);
    ck_assert_int_eq(acd_midifile_read(path, &back, &err), ACD_OK);
    ck_assert_uint_eq(back->n_tracks, 3);
    assert_same_notes(mf, 1, back, 2);
    acd_midifile_free(back);
    unlink(path);
    ck_assert_int_eq(acd_midifile_write(mf, "/nonexistent/dir/x.mid", &err), ACD_ERR_IO);
    ck_assert_str_eq(acd_error_text(&err),
                     "/nonexistent/dir/x.mid: cannot create: No such file or directory");
    acd_midifile_free(mf);
}
END_TEST

START_TEST(build_in_memory)
{
    AcdMidiFile *mf = acd_midifile_new(480);
    ck_assert_ptr_nonnull(mf);
    size_t t = 99;
    ck_assert_int_eq(acd_midifile_add_track(mf, "melody", &t), ACD_OK);
    ck_assert_uint_eq(t, 0);
    ck_assert_int_eq(acd_midifile_add_track(mf, NULL, &t), ACD_OK);
    ck_assert_str_eq(mf->tracks[1].name, "");
    for (uint64_t i = 0; i < 100; i++) {
        AcdMidiEvent on = {
            .tick = i * 120, .status = 0x90, .data1 = (uint8_t)(48 + i % 24), .data2 = 90};
        AcdMidiEvent off = {.tick = i * 120 + 100, .status = 0x90, .data1 = on.data1};
        ck_assert_int_eq(acd_midifile_add_event(mf, 0, on), ACD_OK);
        ck_assert_int_eq(acd_midifile_add_event(mf, 0, off), ACD_OK);
    }
    ck_assert_uint_eq(mf->tracks[0].events[1].status, 0x80); /* velocity 0 is a note-off */
    ck_assert_uint_eq(mf->tracks[0].end_tick, 99 * 120 + 100);
    AcdMidiEvent early = {.tick = 5, .status = 0x90, .data1 = 60, .data2 = 1};
    ck_assert_int_eq(acd_midifile_add_event(mf, 0, early), ACD_ERR_INVALID);
    AcdMidiEvent bad = {.tick = 20000, .status = 0xF0};
    ck_assert_int_eq(acd_midifile_add_event(mf, 0, bad), ACD_ERR_INVALID);
    ck_assert_int_eq(acd_midifile_add_event(mf, 2, early), ACD_ERR_INVALID);
    AcdMidiEvent far = {.tick = (uint64_t)3 << 28, .status = 0xB3, .data1 = 7, .data2 = 100};
    ck_assert_int_eq(acd_midifile_add_event(mf, 1, far), ACD_OK); /* delta past 4 VLQ bytes */
    ck_assert_int_eq(acd_midifile_add_tempo(mf, (AcdTempo){.tick = 0, .us_per_beat = 400000}),
                     ACD_OK);
    ck_assert_int_eq(acd_midifile_add_tempo(mf, (AcdTempo){.tick = 10, .us_per_beat = 0}),
                     ACD_ERR_RANGE);
    ck_assert_int_eq(acd_midifile_add_timesig(mf, (AcdTimeSig){.tick = 0, .num = 7, .den = 8}),
                     ACD_OK);
    ck_assert_int_eq(acd_midifile_add_timesig(mf, (AcdTimeSig){.tick = 0, .num = 7, .den = 6}),
                     ACD_ERR_RANGE);
    ck_assert_int_eq(acd_midifile_add_keysig(mf, (AcdKeySig){.tick = 960, .sharps = 3}), ACD_OK);
    ck_assert_int_eq(acd_midifile_add_keysig(mf, (AcdKeySig){.tick = 0, .sharps = 3}),
                     ACD_ERR_INVALID);
    check_round_trip(mf);

    mf->ticks_per_beat = 0;
    uint8_t *buf;
    size_t len;
    AcdError err = {0};
    ck_assert_int_eq(acd_midifile_serialize(mf, &buf, &len, &err), ACD_ERR_INVALID);
    ck_assert_str_eq(acd_error_text(&err), "0 ticks per beat; expected 1 to 32767");
    acd_midifile_free(mf);
    acd_midifile_free(NULL);
}
END_TEST

/* A real POP909 song: figures from mido (tools/crosscheck_mido.py), then a round trip. */
START_TEST(pop909_001)
{
    const char *path = acd_test_data("pop909/POP909/001/001.mid");
    if (!path) {
        fprintf(stderr, "pop909_001: no shared data, skipped\n");
        return;
    }
    AcdMidiFile *mf = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_midifile_read(path, &mf, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_int_eq(mf->format, 1);
    ck_assert_int_eq(mf->ticks_per_beat, 480);
    ck_assert_uint_eq(mf->n_tracks, 4);
    static const char *const names[] = {"", "MELODY", "BRIDGE", "PIANO"};
    static const size_t counts[] = {0, 264, 307, 985};
    uint64_t end = 0;
    for (size_t t = 0; t < 4; t++) {
        AcdNote *notes;
        size_t n;
        ck_assert_str_eq(mf->tracks[t].name, names[t]);
        ck_assert_int_eq(acd_midifile_track_notes(mf, t, &notes, &n), ACD_OK);
        ck_assert_uint_eq(n, counts[t]);
        free(notes);
        end = mf->tracks[t].end_tick > end ? mf->tracks[t].end_tick : end;
    }
    ck_assert_uint_eq(mf->n_tempos, 1);
    ck_assert_uint_eq(mf->tempos[0].us_per_beat, 666665);
    ck_assert_uint_eq(mf->timesigs[0].num, 2);
    ck_assert_uint_eq(mf->timesigs[0].den, 4);
    /* mido's MidiFile.length: the time of the last End of Track. */
    ck_assert_double_eq_tol(acd_midifile_tick_to_sec(mf, end), 196.0036766562515, 1e-9);
    check_round_trip(mf);
    acd_midifile_free(mf);
}
END_TEST

START_TEST(nottingham_excerpt)
{
    const char *path = acd_test_data("nottingham/MIDI/melody/ashover10.mid");
    if (!path) {
        fprintf(stderr, "nottingham_excerpt: no shared data, skipped\n");
        return;
    }
    AcdMidiFile *mf = NULL;
    AcdError err = {0};
    ck_assert_msg(acd_midifile_read(path, &mf, &err) == ACD_OK, "%s", acd_error_text(&err));
    ck_assert_int_eq(mf->ticks_per_beat, 1024);
    ck_assert_uint_eq(mf->n_tempos, 0);
    ck_assert_uint_eq(mf->n_keysigs, 3);
    ck_assert_int_eq(mf->keysigs[0].sharps, 1);  /* G */
    ck_assert_int_eq(mf->keysigs[1].sharps, -3); /* Eb */
    AcdNote *notes;
    size_t n;
    ck_assert_int_eq(acd_midifile_track_notes(mf, 0, &notes, &n), ACD_OK);
    ck_assert_uint_eq(n, 423);
    free(notes);
    ck_assert_double_eq_tol(acd_midifile_tick_to_sec(mf, mf->tracks[0].end_tick), 130.0, 1e-9);
    check_round_trip(mf);
    acd_midifile_free(mf);
}
END_TEST

/* Every POP909 song (909 files, well under a second): all parse and round-trip. */
START_TEST(pop909_all)
{
    if (!acd_test_data("pop909/POP909")) {
        fprintf(stderr, "pop909_all: no shared data, skipped\n");
        return;
    }
    size_t found = 0;
    for (int i = 1; i <= 909; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "pop909/POP909/%03d/%03d.mid", i, i);
        const char *path = acd_test_data(rel);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        found++;
        AcdMidiFile *mf = NULL;
        AcdError err = {0};
        ck_assert_msg(acd_midifile_read(path, &mf, &err) == ACD_OK, "%s", acd_error_text(&err));
        check_round_trip(mf);
        acd_midifile_free(mf);
    }
    ck_assert_uint_gt(found, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("midifile");
    TCase *tc = tcase_create("read");
    tcase_add_loop_test(tc, bad_file_errors, 0, (int)N_BAD);
    tcase_add_test(tc, bad_table_complete);
    tcase_add_test(tc, read_names_path);
    tcase_add_test(tc, size_limit);
    tcase_add_test(tc, mutations_never_crash);
    tcase_add_test(tc, format0_parse);
    tcase_add_test(tc, running_status_after_meta_and_sysex);
    tcase_add_test(tc, unknown_chunk_and_trailing_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("notes");
    tcase_add_test(tc, notes_fifo);
    tcase_add_test(tc, tempo_map);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_test(tc, round_trip_good_files);
    tcase_add_test(tc, write_to_file);
    tcase_add_test(tc, build_in_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("real");
    tcase_add_test(tc, pop909_001);
    tcase_add_test(tc, nottingham_excerpt);
    tcase_add_test(tc, pop909_all);
    suite_add_tcase(s, tc);
    return acd_test_run(s);
}
