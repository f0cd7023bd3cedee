/* Offline render's files: a song from a MIDI file with a chosen melody track, and the output file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accompd/render.h"
#include "accompd/roles.h"
#include "song_build.h"

/* Why no track is a melody, for the error message: drums only, or a list
 * of tracks with the role each got. */
static AcdStatus no_melody_error(const AcdMidiFile *mf, const AcdTrackRole *roles, AcdError *err)
{
    const char *path = mf->path ? mf->path : "(memory)";
    size_t pitched = 0, drums = 0;
    for (size_t i = 0; i < mf->n_tracks; i++) {
        pitched += roles[i].stats.n_notes;
        drums += roles[i].stats.n_drum_notes;
    }
    if (pitched == 0 && drums > 0)
        return acd_error_set(err, ACD_ERR_NO_MELODY,
                             "%s: drums only (%zu notes, all on channel 10): no melody to "
                             "accompany",
                             path, drums);
    if (pitched == 0)
        return acd_error_set(err, ACD_ERR_NO_MELODY, "%s: no notes: no melody to accompany", path);
    char list[320] = "";
    size_t len = 0;
    for (size_t i = 0; i < mf->n_tracks && len < sizeof list - 1; i++) {
        if (roles[i].stats.n_notes == 0)
            continue;
        int w = snprintf(list + len, sizeof list - len, "%s%zu '%.24s' %s", len ? ", " : "", i,
                         mf->tracks[i].name, acd_role_name(roles[i].role));
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return acd_error_set(err, ACD_ERR_NO_MELODY,
                         "%s: no track looks like a melody (tracks: %s); choose one with "
                         "--melody-track N",
                         path, list);
}

AcdStatus acd_render_song_from_midifile(const AcdMidiFile *mf, int melody_track, AcdSong **out,
                                        AcdError *err)
{
    *out = NULL;
    const char *path = mf->path ? mf->path : "(memory)";
    AcdNote **notes = NULL;
    size_t *counts = NULL;
    AcdTrackRole *roles = NULL;
    if (melody_track >= 0 && (size_t)melody_track >= mf->n_tracks)
        return acd_error_set(err, ACD_ERR_RANGE,
                             "%s: --melody-track %d: the file has tracks 0..%zu", path,
                             melody_track, mf->n_tracks ? mf->n_tracks - 1 : 0);
    AcdStatus st = acd_song_track_notes(mf, &notes, &counts, err);
    if (st != ACD_OK)
        return st;
    roles = calloc(mf->n_tracks ? mf->n_tracks : 1, sizeof *roles);
    if (!roles) {
        st = acd_error_set(err, ACD_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    acd_roles_detect(mf, notes, counts, roles);
    if (melody_track >= 0) {
        AcdTrackRole *r = &roles[melody_track];
        if (r->stats.n_notes == 0) {
            st = acd_error_set(err, ACD_ERR_RANGE, "%s: --melody-track %d has no %snotes", path,
                               melody_track, r->stats.n_drum_notes ? "non-drum " : "");
            goto done;
        }
        for (size_t i = 0; i < mf->n_tracks; i++)
            if (roles[i].role == ACD_ROLE_MELODY)
                roles[i].role = ACD_ROLE_ACCOMP;
        r->role = ACD_ROLE_MELODY;
        snprintf(r->reason, sizeof r->reason, "chosen with --melody-track");
    }
    size_t melody_notes = 0;
    for (size_t i = 0; i < mf->n_tracks; i++)
        if (roles[i].role == ACD_ROLE_MELODY)
            melody_notes += roles[i].stats.n_notes;
    if (melody_notes == 0) {
        st = no_melody_error(mf, roles, err);
        goto done;
    }
    st = acd_song_build_midi(mf, notes, counts, roles, out, err);
done:
    free(roles);
    acd_song_free_track_notes(notes, counts, mf->n_tracks);
    return st;
}

void acd_render_midi_options_default(AcdRenderMidiOptions *o)
{
    o->melody_channel = 0;
    o->melody_program = 73; /* Flute: a melody that stands apart from the piano */
    o->accomp_program = 0;  /* Acoustic Grand Piano */
}

static int cmp_event(const void *a, const void *b)
{
    const AcdMidiEvent *x = a, *y = b;
    if (x->tick != y->tick)
        return x->tick < y->tick ? -1 : 1;
    /* Note-offs (0x80) before note-ons (0x90) at one tick: a repeated note
     * is released before it is struck again. Program changes (0xC0) are
     * written apart, first. */
    if ((x->status & 0xF0) != (y->status & 0xF0))
        return (x->status & 0xF0) < (y->status & 0xF0) ? -1 : 1;
    return (int)x->data1 - (int)y->data1;
}

/* One track of notes: an optional program change, then ons and offs by tick. */
static AcdStatus add_note_track(AcdMidiFile *mf, const AcdMidiFile *tempo_src, const char *name,
                                const AcdSongNote *notes, size_t n, int channel, int program,
                                AcdError *err)
{
    size_t track;
    AcdStatus st = acd_midifile_add_track(mf, name, &track);
    if (st != ACD_OK)
        return acd_error_set(err, st, "render: cannot add track '%s'", name);
    if (program >= 0 &&
        (st = acd_midifile_add_event(
             mf, track, (AcdMidiEvent){0, (uint8_t)(0xC0 | channel), (uint8_t)program, 0})) !=
            ACD_OK)
        return acd_error_set(err, st, "render: cannot add a program change");
    if (n == 0)
        return ACD_OK;
    AcdMidiEvent *ev = malloc(2 * n * sizeof *ev);
    if (!ev)
        return acd_error_set(err, ACD_ERR_NOMEM, "render: out of memory");
    for (size_t i = 0; i < n; i++) {
        double s0 = notes[i].start_sec < 0.0 ? 0.0 : notes[i].start_sec;
        uint64_t t0 = acd_midifile_sec_to_tick(tempo_src, s0);
        uint64_t t1 = acd_midifile_sec_to_tick(tempo_src, notes[i].end_sec);
        if (t1 <= t0) /* rounded to nothing: keep the note, a tick long */
            t1 = t0 + 1;
        uint8_t vel = notes[i].velocity ? notes[i].velocity : 64;
        ev[2 * i] = (AcdMidiEvent){t0, (uint8_t)(0x90 | channel), notes[i].pitch, vel};
        ev[2 * i + 1] = (AcdMidiEvent){t1, (uint8_t)(0x80 | channel), notes[i].pitch, 0};
    }
    qsort(ev, 2 * n, sizeof *ev, cmp_event);
    for (size_t i = 0; i < 2 * n && st == ACD_OK; i++)
        st = acd_midifile_add_event(mf, track, ev[i]);
    free(ev);
    if (st != ACD_OK)
        return acd_error_set(err, st, "render: cannot add the notes of '%s'", name);
    return ACD_OK;
}

AcdStatus acd_render_to_midifile(const AcdMidiFile *tempo_src, const AcdSong *song,
                                 const AcdRender *r, const AcdRenderMidiOptions *o,
                                 AcdMidiFile **out, AcdError *err)
{
    *out = NULL;
    if (o->melody_channel > 15 || o->melody_program > 127 || o->accomp_program > 127)
        return acd_error_set(err, ACD_ERR_RANGE, "render: melody channel or program out of range");
    AcdMidiFile *mf = acd_midifile_new(tempo_src->ticks_per_beat);
    if (!mf)
        return acd_error_set(err, ACD_ERR_NOMEM, "render: out of memory");
    AcdStatus st = ACD_OK;
    for (size_t i = 0; i < tempo_src->n_tempos && st == ACD_OK; i++)
        st = acd_midifile_add_tempo(mf, tempo_src->tempos[i]);
    for (size_t i = 0; i < tempo_src->n_timesigs && st == ACD_OK; i++)
        st = acd_midifile_add_timesig(mf, tempo_src->timesigs[i]);
    for (size_t i = 0; i < tempo_src->n_keysigs && st == ACD_OK; i++)
        st = acd_midifile_add_keysig(mf, tempo_src->keysigs[i]);
    if (st != ACD_OK) {
        st = acd_error_set(err, st, "render: cannot copy the tempo map");
        goto fail;
    }
    if ((st = add_note_track(mf, tempo_src, "Melody", song->melody, song->n_melody,
                             o->melody_channel, o->melody_program, err)) != ACD_OK ||
        (st = add_note_track(mf, tempo_src, "Accompaniment", r->notes, r->n_notes,
                             r->channel & 0x0F, o->accomp_program, err)) != ACD_OK)
        goto fail;
    *out = mf;
    return ACD_OK;
fail:
    acd_midifile_free(mf);
    return st;
}
