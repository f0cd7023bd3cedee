/* Song loaders for the collections' layouts: POP909 folders, melody/chords pairs, notes in beats.
 */
#include "accompd/song.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "song_build.h"
#include "textfile.h"

AcdStatus acd_song_pop909_meter(const char *index_csv, const char *song_id, int *beats,
                                AcdError *err)
{
    AcdTextFile tf;
    AcdStatus st = acd_text_open(&tf, index_csv, err);
    if (st != ACD_OK)
        return st;
    char *line = acd_text_next_line(&tf), *f[8];
    size_t col = 0, nf;
    /* Find the column by its header name rather than trusting its position. */
    if (line) {
        nf = acd_text_split_csv(line, f, 8);
        for (col = 0; col < nf && col < 8; col++)
            if (!strcmp(f[col], "num_beats_per_measure"))
                break;
    }
    if (!line || col >= 8 || col >= nf) {
        st = acd_error_set(err, ACD_ERR_FORMAT, "%s:1: no num_beats_per_measure column", index_csv);
        goto done;
    }
    st = acd_error_set(err, ACD_ERR_FORMAT, "%s: no line for song '%s'", index_csv, song_id);
    while ((line = acd_text_next_line(&tf))) {
        if (!*line)
            continue;
        nf = acd_text_split_csv(line, f, 8);
        if (strcmp(f[0], song_id))
            continue;
        long v;
        if (col >= nf || nf > 8) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: expected 6 fields", index_csv,
                               tf.line_no);
        } else if ((st = acd_text_parse_long(&tf, f[col], "num_beats_per_measure", &v, err)) ==
                   ACD_OK) {
            if (v < 1 || v > 16)
                st = acd_error_set(err, ACD_ERR_RANGE, "%s:%zu: %ld beats per measure", index_csv,
                                   tf.line_no, v);
            else
                *beats = (int)v;
        }
        break;
    }
done:
    acd_text_close(&tf);
    return st;
}

/* POP909's beat_midi.txt: "time_sec a b" a line. a == 1 marks downbeats of
 * 2-beat groups (and of 3-beat bars in triple songs), b == 1 every second
 * such group in duple songs: the data README's bar rule takes bar lines at
 * b == 1 for duple songs and a == 1 for triple ones. */
static AcdStatus read_beats(const char *path, int meter, AcdBeatGrid *grid, AcdError *err)
{
    AcdTextFile tf;
    AcdStatus st = acd_text_open(&tf, path, err);
    if (st != ACD_OK)
        return st;
    double *sec = NULL;
    uint8_t *bar = NULL;
    size_t n = 0, cap = 0;
    char *line;
    while ((line = acd_text_next_line(&tf))) {
        char *tok[4], *save = NULL;
        size_t nt = 0;
        for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
            if (nt < 4)
                tok[nt++] = t;
            else
                nt = 5;
        if (nt == 0)
            continue;
        if (nt != 3) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: expected 'time_sec a b'", path,
                               tf.line_no);
            goto done;
        }
        double t, a, b;
        if ((st = acd_text_parse_double(&tf, tok[0], "time_sec", &t, err)) != ACD_OK ||
            (st = acd_text_parse_double(&tf, tok[1], "a", &a, err)) != ACD_OK ||
            (st = acd_text_parse_double(&tf, tok[2], "b", &b, err)) != ACD_OK)
            goto done;
        if (n > 0 && !(t > sec[n - 1])) {
            st = acd_error_set(err, ACD_ERR_FORMAT, "%s:%zu: beat at %.6f s is not after %.6f s",
                               path, tf.line_no, t, sec[n - 1]);
            goto done;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 512;
            double *ns = realloc(sec, ncap * sizeof *ns);
            if (ns)
                sec = ns;
            uint8_t *nb = ns ? realloc(bar, ncap) : NULL;
            if (!nb) {
                st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
                goto done;
            }
            bar = nb;
            cap = ncap;
        }
        sec[n] = t;
        bar[n] = (uint8_t)((meter == 3 ? a : b) == 1.0);
        n++;
    }
    if (n < 2) {
        st = acd_error_set(err, ACD_ERR_FORMAT, "%s: fewer than two beats", path);
        goto done;
    }
    st = acd_beatgrid_init_times(grid, sec, bar, n, meter == 3 ? 3 : 4, err);
    if (st != ACD_OK)
        acd_error_prefix(err, "%s: ", path);
done:
    free(sec);
    free(bar);
    acd_text_close(&tf);
    return st;
}

/* key_audio.txt: "start end Tonic:maj|min"; only the first key is kept. An
 * unreadable label leaves the key unknown: it is optional information. */
static void read_key(const char *path, AcdSong *song)
{
    AcdTextFile tf;
    if (acd_text_open(&tf, path, NULL) != ACD_OK)
        return;
    char *line = acd_text_next_line(&tf);
    char *label = line ? strrchr(line, '\t') : NULL;
    if (!label && line)
        label = strrchr(line, ' ');
    if (label) {
        static const int base[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
        const char *p = label + 1;
        int c = toupper((unsigned char)p[0]);
        if (c >= 'A' && c <= 'G') {
            int pc = base[c - 'A'];
            p++;
            if (*p == 'b')
                pc += 11, p++;
            else if (*p == '#')
                pc += 1, p++;
            if (!strcmp(p, ":maj") || !strcmp(p, ":min")) {
                song->has_key = true;
                song->key_tonic = pc % 12;
                song->key_minor = p[2] == 'i';
            }
        }
    }
    acd_text_close(&tf);
}

static char *join(const char *dir, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

AcdStatus acd_song_load_pop909(const char *song_dir, int beats_per_measure, AcdSong **out,
                               AcdError *err)
{
    *out = NULL;
    char dir[4096], id[256], path[4352];
    snprintf(dir, sizeof dir, "%s", song_dir);
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dir[--dl] = '\0';
    const char *slash = strrchr(dir, '/');
    snprintf(id, sizeof id, "%s", slash ? slash + 1 : dir);
    AcdStatus st;
    if (beats_per_measure == 0) {
        char index[4352];
        if (slash)
            snprintf(index, sizeof index, "%.*s/index.csv", (int)(slash - dir), dir);
        else
            snprintf(index, sizeof index, "index.csv");
        st = acd_song_pop909_meter(index, id, &beats_per_measure, err);
        if (st != ACD_OK)
            return st;
    }
    char file[300];
    snprintf(file, sizeof file, "%s.mid", id);
    AcdMidiFile *mf = NULL;
    AcdNote **notes = NULL;
    size_t *counts = NULL;
    AcdTrackRole *roles = NULL;
    AcdSong *song = NULL;
    st = acd_midifile_read(join(dir, file, path, sizeof path), &mf, err);
    if (st != ACD_OK)
        return st;
    st = acd_song_track_notes(mf, &notes, &counts, err);
    if (st != ACD_OK)
        goto done;
    roles = calloc(mf->n_tracks ? mf->n_tracks : 1, sizeof *roles);
    if (!roles) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    acd_roles_detect(mf, notes, counts, roles);
    if ((st = acd_song_new(id, path, &song, err)) != ACD_OK)
        goto done;
    st = read_beats(join(dir, "beat_midi.txt", path, sizeof path), beats_per_measure, &song->grid,
                    err);
    if (st != ACD_OK)
        goto done;
    if ((st = acd_song_add_tracks(song, mf, notes, counts, roles, err)) != ACD_OK)
        goto done;
    acd_song_sort(song);
    /* POP909 melodies overlap the next note slightly in about 15% of notes:
     * a sung line is monophonic, so the overlap is an artefact. */
    acd_song_cut_overlaps(song->melody, &song->n_melody);
    read_key(join(dir, "key_audio.txt", path, sizeof path), song);
    if (!song->has_key && mf->n_keysigs)
        acd_song_set_keysig(song, mf->keysigs[0].sharps, mf->keysigs[0].minor);
    *out = song;
    song = NULL;
done:
    acd_song_free(song);
    free(roles);
    if (mf)
        acd_song_free_track_notes(notes, counts, mf->n_tracks);
    acd_midifile_free(mf);
    return st;
}

/* Add every track of a one-role file (a Nottingham melody or chords file). */
static AcdStatus add_whole_file(AcdSong *song, const AcdMidiFile *mf, AcdNote **notes,
                                const size_t *counts, AcdRole role, const char *what, AcdError *err)
{
    for (size_t i = 0; i < mf->n_tracks; i++) {
        AcdTrackRole r = {.role = role};
        acd_roles_track_stats(notes[i], counts[i], mf->ticks_per_beat, &r.stats);
        if (r.stats.n_notes == 0 && r.stats.n_drum_notes == 0)
            continue;
        snprintf(r.reason, sizeof r.reason, "file pair: the %s file", what);
        char label[64];
        const char *base = strrchr(mf->path, '/');
        snprintf(label, sizeof label, "%s track %zu", base ? base + 1 : mf->path, i);
        AcdStatus st = acd_song_add_part(song, label, &r, err);
        if (st == ACD_OK)
            st = acd_song_add_midi_notes(song, mf, notes[i], counts[i], role, err);
        if (st != ACD_OK)
            return st;
    }
    return ACD_OK;
}

AcdStatus acd_song_load_pair(const char *melody_path, const char *chords_path, AcdSong **out,
                             AcdError *err)
{
    *out = NULL;
    AcdMidiFile *mel = NULL, *chd = NULL;
    AcdNote **mn = NULL, **cn = NULL;
    size_t *mc = NULL, *cc = NULL;
    AcdSong *song = NULL;
    AcdStatus st;
    if ((st = acd_midifile_read(melody_path, &mel, err)) != ACD_OK)
        goto done;
    if ((st = acd_midifile_read(chords_path, &chd, err)) != ACD_OK)
        goto done;
    if ((st = acd_song_track_notes(mel, &mn, &mc, err)) != ACD_OK)
        goto done;
    if ((st = acd_song_track_notes(chd, &cn, &cc, err)) != ACD_OK)
        goto done;
    const char *base = strrchr(melody_path, '/');
    char name[256];
    snprintf(name, sizeof name, "%s", base ? base + 1 : melody_path);
    char *dot = strrchr(name, '.');
    if (dot)
        *dot = '\0';
    if ((st = acd_song_new(name, melody_path, &song, err)) != ACD_OK)
        goto done;
    /* Both files share one clock (no tempo: 120 BPM); the grid is the
     * melody's, long enough for the later of the two. */
    uint64_t last = acd_song_last_tick(mn, mc, mel->n_tracks);
    double chords_end = acd_midifile_tick_to_sec(chd, acd_song_last_tick(cn, cc, chd->n_tracks));
    uint64_t chords_last = acd_midifile_sec_to_tick(mel, chords_end);
    if (chords_last > last)
        last = chords_last;
    if ((st = acd_beatgrid_init_midi(&song->grid, mel, last, err)) != ACD_OK) {
        acd_error_prefix(err, "%s: ", melody_path);
        goto done;
    }
    if ((st = add_whole_file(song, mel, mn, mc, ACD_ROLE_MELODY, "melody", err)) != ACD_OK ||
        (st = add_whole_file(song, chd, cn, cc, ACD_ROLE_ACCOMP, "chords", err)) != ACD_OK)
        goto done;
    if (mel->n_keysigs)
        acd_song_set_keysig(song, mel->keysigs[0].sharps, mel->keysigs[0].minor);
    acd_song_sort(song);
    *out = song;
    song = NULL;
done:
    acd_song_free(song);
    if (mel)
        acd_song_free_track_notes(mn, mc, mel->n_tracks);
    if (chd)
        acd_song_free_track_notes(cn, cc, chd->n_tracks);
    acd_midifile_free(mel);
    acd_midifile_free(chd);
    return st;
}

AcdStatus acd_song_from_beats(const char *name, const AcdSongNote *melody, size_t n_melody,
                              const AcdSongNote *accomp, size_t n_accomp, double sec_per_beat,
                              int beats_per_bar, AcdSong **out, AcdError *err)
{
    *out = NULL;
    AcdSong *song = NULL;
    AcdStatus st = acd_song_new(name, NULL, &song, err);
    if (st != ACD_OK)
        return st;
    double last = 0;
    for (size_t i = 0; i < n_melody; i++)
        last = fmax(last, melody[i].end_beat);
    for (size_t i = 0; i < n_accomp; i++)
        last = fmax(last, accomp[i].end_beat);
    if (!(last < (double)ACD_BEATGRID_MAX_BEATS)) {
        st = acd_error_set(err, ACD_ERR_LIMIT, "%s: notes end at beat %g", name, last);
        goto fail;
    }
    double beats = ceil(last) + 1;
    st =
        acd_beatgrid_init_steady(&song->grid, 0.0, sec_per_beat, (size_t)beats, beats_per_bar, err);
    for (size_t k = 0; st == ACD_OK && k < 2; k++) {
        const AcdSongNote *src = k ? accomp : melody;
        size_t n = k ? n_accomp : n_melody;
        for (size_t i = 0; st == ACD_OK && i < n; i++) {
            AcdSongNote nt = src[i];
            nt.start_sec = acd_beatgrid_beat_to_sec(&song->grid, nt.start_beat);
            nt.end_sec = acd_beatgrid_beat_to_sec(&song->grid, nt.end_beat);
            st = acd_song_add_note(song, k ? ACD_ROLE_ACCOMP : ACD_ROLE_MELODY, &nt, err);
        }
    }
    if (st != ACD_OK)
        goto fail;
    acd_song_sort(song);
    *out = song;
    return ACD_OK;
fail:
    acd_song_free(song);
    return st;
}
