/* accomp info: describe MIDI files: format, tempo, meter, key, and each track with its role. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/midifile.h"
#include "accompd/roles.h"
#include "commands.h"

/* Beyond this many tempo or meter changes, print the first few and a count. */
#define SHOW_MAX 4

static void usage(FILE *out)
{
    fprintf(out, "usage: accomp info [--help] FILE.mid...\n\n"
                 "For each MIDI file: format, ticks per beat, tempo(s), meter(s), key, and per\n"
                 "track its index, name, channels, note count, pitch range, and the role\n"
                 "accompd assigns it (melody, accompaniment, drums, ignore) with the reason.\n"
                 "Exits 1 if any file cannot be read (the others are still described).\n");
}

static const char *const pc_names[12] = {"C",  "C#", "D",  "Eb", "E",  "F",
                                         "F#", "G",  "Ab", "A",  "Bb", "B"};

static void print_tempos(const AcdMidiFile *mf)
{
    printf("  tempo: ");
    if (mf->n_tempos == 0 || mf->tempos[0].tick > 0)
        printf("120.00 BPM (default)%s", mf->n_tempos ? ", " : "");
    for (size_t i = 0; i < mf->n_tempos && i < SHOW_MAX; i++) {
        double bpm = mf->tempos[i].us_per_beat ? 60e6 / mf->tempos[i].us_per_beat : 0.0;
        printf("%s%.2f BPM", i ? ", " : "", bpm);
        if (mf->tempos[i].tick)
            printf(" @%.2fs", acd_midifile_tick_to_sec(mf, mf->tempos[i].tick));
    }
    if (mf->n_tempos > SHOW_MAX)
        printf(", ... (%zu tempo events)", mf->n_tempos);
    printf("\n");
}

static void print_meters(const AcdMidiFile *mf)
{
    printf("  meter: ");
    if (mf->n_timesigs == 0 || mf->timesigs[0].tick > 0)
        printf("4/4 (default)%s", mf->n_timesigs ? ", " : "");
    for (size_t i = 0, shown = 0; i < mf->n_timesigs && shown < SHOW_MAX; i++) {
        /* Format-1 files often repeat the signature in every track. */
        const AcdTimeSig *p = i ? &mf->timesigs[i - 1] : NULL;
        if (p && p->tick == mf->timesigs[i].tick && p->num == mf->timesigs[i].num &&
            p->den == mf->timesigs[i].den)
            continue;
        printf("%s%u/%u", shown++ ? ", " : "", mf->timesigs[i].num, mf->timesigs[i].den);
        if (mf->timesigs[i].tick)
            printf(" @beat %.2f", (double)mf->timesigs[i].tick / mf->ticks_per_beat);
    }
    if (mf->n_timesigs > SHOW_MAX)
        printf(", ... (%zu time signatures)", mf->n_timesigs);
    printf("\n");
}

static void print_keys(const AcdMidiFile *mf)
{
    printf("  key: ");
    if (mf->n_keysigs == 0)
        printf("none");
    for (size_t i = 0, shown = 0; i < mf->n_keysigs && shown < SHOW_MAX; i++) {
        const AcdKeySig *p = i ? &mf->keysigs[i - 1] : NULL;
        if (p && p->tick == mf->keysigs[i].tick && p->sharps == mf->keysigs[i].sharps &&
            p->minor == mf->keysigs[i].minor)
            continue;
        int sh = mf->keysigs[i].sharps, minor = mf->keysigs[i].minor != 0;
        int pc = (((sh * 7) % 12 + 12) % 12 + (minor ? 9 : 0)) % 12;
        printf("%s%s %s", shown++ ? ", " : "", pc_names[pc], minor ? "minor" : "major");
    }
    if (mf->n_keysigs > SHOW_MAX)
        printf(", ... (%zu key signatures)", mf->n_keysigs);
    printf("\n");
}

static void print_channels(uint16_t mask)
{
    if (!mask) {
        printf("-");
        return;
    }
    int first = 1;
    for (int c = 0; c < 16; c++)
        if (mask & (1u << c)) {
            printf("%s%d", first ? "" : ",", c + 1);
            first = 0;
        }
}

/* Describe one file; 0 on success, 1 (after a message naming the file on
 * stderr) when it cannot be read. */
static int describe(const char *path)
{
    AcdError err = {0};
    AcdMidiFile *mf = NULL;
    AcdNote **notes = NULL;
    size_t *counts = NULL;
    AcdTrackRole *roles = NULL;
    int rc = 1;
    if (acd_midifile_read(path, &mf, &err) != ACD_OK) {
        fprintf(stderr, "accomp info: %s\n", acd_error_text(&err));
        return 1;
    }
    size_t nt = mf->n_tracks;
    notes = calloc(nt ? nt : 1, sizeof *notes);
    counts = calloc(nt ? nt : 1, sizeof *counts);
    roles = calloc(nt ? nt : 1, sizeof *roles);
    if (!notes || !counts || !roles) {
        fprintf(stderr, "accomp info: %s: out of memory\n", path);
        goto done;
    }
    uint64_t last = 0;
    for (size_t i = 0; i < nt; i++) {
        AcdStatus st = acd_midifile_track_notes(mf, i, &notes[i], &counts[i]);
        if (st != ACD_OK) {
            fprintf(stderr, "accomp info: %s: track %zu: %s\n", path, i, acd_strerror(st));
            goto done;
        }
        for (size_t k = 0; k < counts[i]; k++)
            if (notes[i][k].end_tick > last)
                last = notes[i][k].end_tick;
    }
    acd_roles_detect(mf, notes, counts, roles);
    printf("%s\n", path);
    printf("  format %d, %d ticks per beat, %zu track%s, %.2f s\n", mf->format, mf->ticks_per_beat,
           nt, nt == 1 ? "" : "s", acd_midifile_tick_to_sec(mf, last));
    print_tempos(mf);
    print_meters(mf);
    print_keys(mf);
    for (size_t i = 0; i < nt; i++) {
        const AcdTrackStats *s = &roles[i].stats;
        printf("  track %zu '%s': channels ", i, mf->tracks[i].name ? mf->tracks[i].name : "");
        print_channels(s->channels);
        printf(", %zu notes", s->n_notes + s->n_drum_notes);
        if (s->n_notes)
            printf(", pitches %u-%u", s->pitch_lo, s->pitch_hi);
        printf(" -> %s (%s)\n", acd_role_name(roles[i].role), roles[i].reason);
    }
    rc = 0;
done:
    if (notes)
        for (size_t i = 0; i < nt; i++)
            free(notes[i]);
    free(notes);
    free(counts);
    free(roles);
    acd_midifile_free(mf);
    return rc;
}

int acd_cmd_info(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--"))
        first = 2;
    else if (argc > 1 && argv[1][0] == '-' && argv[1][1]) {
        fprintf(stderr, "accomp info: unknown option '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    int rc = 0;
    for (int i = first; i < argc; i++) {
        if (i > first)
            printf("\n");
        if (describe(argv[i]) != 0)
            rc = 1;
    }
    return rc;
}
