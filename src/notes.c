/* Note tracker: which notes accompd has sounding, so every note-on gets its note-off. */
#include "accompd/notes.h"

#include <string.h>

#include "accompd/realtime.h"

ACD_REALTIME void acd_notes_init(AcdNotes *notes)
{
    memset(notes, 0, sizeof *notes);
}

ACD_REALTIME void acd_notes_track(AcdNotes *notes, const uint8_t *msg, unsigned len)
{
    if (len < 3 || msg[1] > 127)
        return;
    unsigned ch = msg[0] & 0x0F;
    if (acd_event_is_note_on(msg, len)) {
        if (!notes->on[ch][msg[1]]) {
            notes->on[ch][msg[1]] = 1;
            notes->n_on++;
        }
        notes->used |= (uint16_t)(1u << ch);
    } else if (acd_event_is_note_off(msg, len)) {
        if (notes->on[ch][msg[1]]) {
            notes->on[ch][msg[1]] = 0;
            notes->n_on--;
        }
    } else if ((msg[0] & 0xF0) == ACD_MIDI_CC &&
               (msg[1] == ACD_MIDI_CC_ALL_NOTES || msg[1] == ACD_MIDI_CC_ALL_SOUND)) {
        for (unsigned p = 0; p < 128; p++) {
            notes->n_on -= notes->on[ch][p];
            notes->on[ch][p] = 0;
        }
    }
}

ACD_REALTIME int acd_notes_is_on(const AcdNotes *notes, unsigned channel, unsigned pitch)
{
    return channel < 16 && pitch < 128 && notes->on[channel][pitch];
}

ACD_REALTIME unsigned acd_notes_count(const AcdNotes *notes)
{
    return notes->n_on;
}

ACD_REALTIME size_t acd_notes_release_count(const AcdNotes *notes, uint16_t channels)
{
    return notes->n_on + (size_t)__builtin_popcount(channels);
}

ACD_REALTIME size_t acd_notes_release_all(AcdNotes *notes, uint16_t channels, int64_t time,
                                          AcdEvent *out, size_t cap)
{
    size_t n = 0;
    /* Explicit note-offs first: not every synth honours CC123, and a
     * note-off that arrives is better than a controller that is ignored. */
    for (unsigned ch = 0; ch < 16 && notes->n_on > 0; ch++) {
        for (unsigned p = 0; p < 128; p++) {
            if (!notes->on[ch][p])
                continue;
            if (n == cap)
                return n;
            out[n] = acd_event_make(time, (uint8_t)(ACD_MIDI_NOTE_OFF | ch), (uint8_t)p, 0x40);
            out[n].flags = ACD_EVENT_RELEASE;
            n++;
            notes->on[ch][p] = 0;
            notes->n_on--;
        }
    }
    for (unsigned ch = 0; ch < 16; ch++) {
        if (!(channels & (1u << ch)))
            continue;
        if (n == cap)
            return n;
        out[n] = acd_event_make(time, (uint8_t)(ACD_MIDI_CC | ch), ACD_MIDI_CC_ALL_NOTES, 0);
        out[n].flags = ACD_EVENT_RELEASE;
        n++;
    }
    return n;
}
