/* Track roles from drum channel, track names and pitch statistics, each with its reason. */
#include "accompd/roles.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define DRUM_CHANNEL 9 /* channel 10, counted from 1 */

/* A track chosen as melody by statistics needs enough notes to be a line,
 * not a fill: at least this many, and this share of the busiest track. */
#define STATS_MIN_NOTES 16
#define STATS_MIN_SHARE 0.1

const char *acd_role_name(AcdRole role)
{
    switch (role) {
    case ACD_ROLE_MELODY:
        return "melody";
    case ACD_ROLE_ACCOMP:
        return "accompaniment";
    case ACD_ROLE_DRUMS:
        return "drums";
    case ACD_ROLE_IGNORE:
        break;
    }
    return "ignore";
}

void acd_roles_track_stats(const AcdNote *notes, size_t n, int ticks_per_beat, AcdTrackStats *s)
{
    memset(s, 0, sizeof *s);
    /* Notes a 32nd apart still count as a line: legato playing overlaps
     * slightly (POP909 melodies often do). */
    uint64_t tol = ticks_per_beat > 8 ? (uint64_t)ticks_per_beat / 8 : 1;
    uint64_t max_end = 0;
    size_t n_mono = 0;
    double sum = 0;
    int have_prev = 0;
    s->pitch_lo = 127;
    for (size_t i = 0; i < n; i++) {
        const AcdNote *nt = &notes[i];
        s->channels |= (uint16_t)(1u << (nt->channel & 15));
        if (nt->channel == DRUM_CHANNEL) {
            s->n_drum_notes++;
            continue;
        }
        s->n_notes++;
        sum += nt->pitch;
        if (nt->pitch < s->pitch_lo)
            s->pitch_lo = nt->pitch;
        if (nt->pitch > s->pitch_hi)
            s->pitch_hi = nt->pitch;
        /* Notes arrive sorted by start: a note is monophonic when it starts
         * after everything before it has (nearly) ended. */
        if (!have_prev || nt->start_tick + tol >= max_end)
            n_mono++;
        if (!have_prev || nt->end_tick > max_end)
            max_end = nt->end_tick;
        have_prev = 1;
    }
    if (s->n_notes == 0) {
        s->pitch_lo = 0;
        return;
    }
    s->mean_pitch = sum / (double)s->n_notes;
    s->mono_frac = (double)n_mono / (double)s->n_notes;
}

/* Case-insensitive substring search. */
static int has_word(const char *name, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = name; *p; p++) {
        size_t k = 0;
        while (k < wl && p[k] && toupper((unsigned char)p[k]) == word[k])
            k++;
        if (k == wl)
            return 1;
    }
    return 0;
}

static const char *const melody_words[] = {"MELOD",   "VOCAL", "VOICE", "LEAD",
                                           "SOPRANO", "SING",  "SOLO"};
/* POP909's BRIDGE is a secondary melodic line of the arrangement (intros,
 * interludes, counter-melodies) played by the arranger, not by the singer.
 * The live player plays the main melody only, so BRIDGE belongs to what the
 * accompanist should play: it is accompaniment. */
static const char *const accomp_words[] = {"PIANO", "ACCOMP", "CHORD",  "BASS",  "BRIDGE", "GUITAR",
                                           "GTR",   "PAD",    "STRING", "HARM",  "ALTO",   "TENOR",
                                           "KEYS",  "ORGAN",  "RHODES", "SYNTH", "BRASS",  "COMP"};
static const char *const drum_words[] = {"DRUM", "PERC", "KIT"};

static const char *match(const char *name, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (has_word(name, words[i]))
            return words[i];
    return NULL;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The undecided track with the highest mean pitch among those at least
 * mono_min monophonic and busy enough; nt when there is none. */
static size_t pick_melody(const AcdTrackRole *roles, size_t nt, size_t busiest, double mono_min)
{
    size_t best = nt;
    for (size_t i = 0; i < nt; i++) {
        const AcdTrackRole *r = &roles[i];
        if (r->reason[0] || r->stats.n_notes == 0)
            continue;
        if (r->stats.mono_frac < mono_min)
            continue;
        if (r->stats.n_notes < STATS_MIN_NOTES && r->stats.n_notes < busiest)
            continue;
        if ((double)r->stats.n_notes < STATS_MIN_SHARE * (double)busiest)
            continue;
        if (best == nt || r->stats.mean_pitch > roles[best].stats.mean_pitch)
            best = i;
    }
    return best;
}

void acd_roles_detect(const AcdMidiFile *mf, AcdNote *const *notes, const size_t *n_notes,
                      AcdTrackRole *roles)
{
    size_t nt = mf->n_tracks;
    int melody_by_name = 0, undecided = 0;
    size_t busiest = 0;
    for (size_t i = 0; i < nt; i++) {
        AcdTrackRole *r = &roles[i];
        const char *name = mf->tracks[i].name ? mf->tracks[i].name : "";
        memset(r, 0, sizeof *r);
        acd_roles_track_stats(notes[i], n_notes[i], mf->ticks_per_beat, &r->stats);
        const AcdTrackStats *s = &r->stats;
        const char *w;
        r->role = ACD_ROLE_IGNORE;
        if (s->n_notes == 0 && s->n_drum_notes == 0) {
            snprintf(r->reason, sizeof r->reason, "no notes");
        } else if (s->n_notes == 0) {
            r->role = ACD_ROLE_DRUMS;
            snprintf(r->reason, sizeof r->reason, "channel 10");
        } else if ((w = match(name, drum_words, N_OF(drum_words)))) {
            r->role = ACD_ROLE_DRUMS;
            snprintf(r->reason, sizeof r->reason, "name '%.60s'", name);
        } else if ((w = match(name, melody_words, N_OF(melody_words)))) {
            r->role = ACD_ROLE_MELODY;
            melody_by_name++;
            snprintf(r->reason, sizeof r->reason, "name '%.60s'", name);
        } else if ((w = match(name, accomp_words, N_OF(accomp_words)))) {
            r->role = ACD_ROLE_ACCOMP;
            snprintf(r->reason, sizeof r->reason, "name '%.60s'", name);
        } else {
            undecided++;
            if (s->n_notes > busiest)
                busiest = s->n_notes;
        }
    }
    if (undecided == 0)
        return;
    /* The remaining tracks: with a named melody they accompany it; without
     * one, the highest mostly-monophonic track with enough notes is the
     * melody, unless it is the only pitched track at all and polyphonic. */
    size_t best = nt;
    double mono_min = ACD_ROLES_MONO_MIN;
    if (!melody_by_name)
        best = pick_melody(roles, nt, busiest, ACD_ROLES_MONO_MIN);
    /* Folk melodies with double stops (Nottingham) fall below the strict
     * threshold; a track that is still mostly single notes will do. */
    if (!melody_by_name && best == nt) {
        mono_min = ACD_ROLES_MONO_WEAK;
        best = pick_melody(roles, nt, busiest, ACD_ROLES_MONO_WEAK);
    }
    for (size_t i = 0; i < nt; i++) {
        AcdTrackRole *r = &roles[i];
        const AcdTrackStats *s = &r->stats;
        if (r->reason[0])
            continue;
        int pct = (int)(s->mono_frac * 100.0 + 0.5);
        if (melody_by_name) {
            r->role = ACD_ROLE_ACCOMP;
            snprintf(r->reason, sizeof r->reason, "not the named melody");
        } else if (i == best) {
            r->role = ACD_ROLE_MELODY;
            const char *weak = mono_min < ACD_ROLES_MONO_MIN ? " (best available)" : "";
            if (undecided == 1)
                snprintf(r->reason, sizeof r->reason, "sole candidate track, %d%% monophonic%s",
                         pct, weak);
            else
                snprintf(r->reason, sizeof r->reason, "highest mean pitch %.1f, %d%% monophonic%s",
                         s->mean_pitch, pct, weak);
        } else {
            r->role = ACD_ROLE_ACCOMP;
            if (best == nt)
                snprintf(r->reason, sizeof r->reason,
                         "no melody-like track (this one %d%% monophonic)", pct);
            else
                snprintf(r->reason, sizeof r->reason, "mean pitch %.1f, %d%% monophonic",
                         s->mean_pitch, pct);
        }
    }
}
