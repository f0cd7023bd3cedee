/* libFuzzer target for the MIDI file reader, with a write-and-read-back oracle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/midifile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than return: libFuzzer records any abort as a crash with its reproducer. */
static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "round trip: %s\n", what);
        abort();
    }
}

static int same_notes(const AcdMidiFile *a, size_t ta, const AcdMidiFile *b, size_t tb)
{
    AcdNote *na = NULL, *nb = NULL;
    size_t n = 0, m = 0;
    int ok = acd_midifile_track_notes(a, ta, &na, &n) == ACD_OK &&
             acd_midifile_track_notes(b, tb, &nb, &m) == ACD_OK && n == m;
    /* Field by field: the track index differs by the conductor, and padding is undefined. */
    for (size_t i = 0; ok && i < n; i++)
        ok = na[i].start_tick == nb[i].start_tick && na[i].end_tick == nb[i].end_tick &&
             na[i].pitch == nb[i].pitch && na[i].velocity == nb[i].velocity &&
             na[i].channel == nb[i].channel;
    free(na);
    free(nb);
    return ok;
}

static int same_track(const AcdMidiTrack *a, const AcdMidiTrack *b)
{
    if (strcmp(a->name, b->name) != 0 || a->n_events != b->n_events || a->end_tick != b->end_tick)
        return 0;
    for (size_t i = 0; i < a->n_events; i++)
        if (a->events[i].tick != b->events[i].tick || a->events[i].status != b->events[i].status ||
            a->events[i].data1 != b->events[i].data1 || a->events[i].data2 != b->events[i].data2)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    AcdMidiFile *mf = NULL, *back = NULL;
    AcdError err = {0};
    if (acd_midifile_parse(data, size, "fuzz.mid", &mf, &err) != ACD_OK) {
        check(mf == NULL, "failed parse left a file");
        check(strncmp(err.msg, "fuzz.mid: ", 10) == 0, "error message does not name the file");
        return 0;
    }
    /* Exercise the tempo map on whatever the file holds. */
    for (size_t t = 0; t < mf->n_tracks; t++) {
        uint64_t end = mf->tracks[t].end_tick;
        double sec = acd_midifile_tick_to_sec(mf, end);
        check(sec >= 0.0, "negative time");
        uint64_t tick = acd_midifile_sec_to_tick(mf, sec);
        check(tick <= ACD_MIDI_MAX_TICK, "tick past the limit");
    }

    uint8_t *buf = NULL;
    size_t len = 0;
    AcdStatus st = acd_midifile_serialize(mf, &buf, &len, &err);
    if (st == ACD_ERR_LIMIT && mf->n_tracks + 1 > ACD_MIDI_MAX_TRACKS)
        goto done; /* no room for the conductor track: refused, as documented */
    check(st == ACD_OK, "serialize failed");
    check(acd_midifile_parse(buf, len, "back.mid", &back, &err) == ACD_OK,
          "written file unreadable");
    check(back->n_tracks == mf->n_tracks + 1, "track count");
    check(back->ticks_per_beat == mf->ticks_per_beat, "ticks per beat");
    check(back->tracks[0].n_events == 0, "conductor track has events");
    for (size_t t = 0; t < mf->n_tracks; t++) {
        check(same_track(&mf->tracks[t], &back->tracks[t + 1]), "track differs");
        check(same_notes(mf, t, back, t + 1), "notes differ");
    }
    check(back->n_tempos == mf->n_tempos && back->n_timesigs == mf->n_timesigs &&
              back->n_keysigs == mf->n_keysigs,
          "tempo map or signature counts");
    for (size_t i = 0; i < mf->n_tempos; i++)
        check(back->tempos[i].tick == mf->tempos[i].tick &&
                  back->tempos[i].us_per_beat == mf->tempos[i].us_per_beat,
              "tempo differs");
    for (size_t i = 0; i < mf->n_timesigs; i++)
        check(back->timesigs[i].tick == mf->timesigs[i].tick &&
                  back->timesigs[i].num == mf->timesigs[i].num &&
                  back->timesigs[i].den == mf->timesigs[i].den,
              "time signature differs");
    for (size_t i = 0; i < mf->n_keysigs; i++)
        check(back->keysigs[i].tick == mf->keysigs[i].tick &&
                  back->keysigs[i].sharps == mf->keysigs[i].sharps &&
                  back->keysigs[i].minor == mf->keysigs[i].minor,
              "key signature differs");

done:
    free(buf);
    acd_midifile_free(back);
    acd_midifile_free(mf);
    return 0;
}
