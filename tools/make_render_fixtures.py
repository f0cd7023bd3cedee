#!/usr/bin/python3
"""Write the files accomp render must refuse, under tests/data/render/ (run from the repository root).

drums_only.mid: one track of drum hits on channel 10 and nothing else.
chords_only.mid: one track of block chords (no melody-like track).
no_notes.mid: a tempo and a meter, no notes at all.
Needs python3-mido (Debian).
"""
import os

import mido

OUT = "tests/data/render"
TPB = 480


def save(name, tracks):
    mf = mido.MidiFile(type=1, ticks_per_beat=TPB)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(110)),
                           mido.MetaMessage("time_signature", numerator=4, denominator=4)])
    mf.tracks.append(meta)
    for track_name, notes, channel in tracks:
        tr = mido.MidiTrack([mido.MetaMessage("track_name", name=track_name)])
        ev = []
        for beat, beats, pitches in notes:
            for p in pitches:
                ev.append((round(beat * TPB), 1, p))
                ev.append((round((beat + beats) * TPB), 0, p))
        ev.sort(key=lambda e: (e[0], e[1], e[2]))
        now = 0
        for tick, on, p in ev:
            tr.append(mido.Message("note_on" if on else "note_off", note=p,
                                   velocity=90 if on else 0, channel=channel, time=tick - now))
            now = tick
        mf.tracks.append(tr)
    mf.save(os.path.join(OUT, name))


def main():
    os.makedirs(OUT, exist_ok=True)
    # Kick on 1 and 3, snare on 2 and 4, closed hi-hat on every eighth: 4 bars.
    drums = []
    for bar in range(4):
        for beat in range(4):
            t = bar * 4 + beat
            drums.append((t, 0.25, [36 if beat % 2 == 0 else 38]))
            drums.append((t, 0.25, [42]))
            drums.append((t + 0.5, 0.25, [42]))
    save("drums_only.mid", [("", drums, 9)])
    # I-IV-V-I in C, whole-note triads: no single line to call a melody.
    chords = [(0, 4, [60, 64, 67]), (4, 4, [60, 65, 69]), (8, 4, [59, 62, 67]),
              (12, 4, [60, 64, 67])]
    save("chords_only.mid", [("", chords, 0)])
    save("no_notes.mid", [])
    print(f"{OUT}: drums_only.mid, chords_only.mid, no_notes.mid")


if __name__ == "__main__":
    main()
