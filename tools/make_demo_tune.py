#!/usr/bin/python3
"""Write the demo's bundled tune, tests/data/demo/ode_to_joy.mid (run from the repository root).

"Ode to Joy", the theme of the finale of Beethoven's Ninth Symphony (1824,
public domain), encoded note by note for accompd: 16 bars in D major, 4/4,
100 BPM, one track named "Melody" on channel 1, slightly detached notes.
Needs python3-mido (Debian).
"""
import os

import mido

TPB = 480
BPM = 100
# Each bar: note:beats, a note a name and an octave ("F#4"; C4 = MIDI 60).
BARS = [
    "F#4:1 F#4:1 G4:1 A4:1",
    "A4:1 G4:1 F#4:1 E4:1",
    "D4:1 D4:1 E4:1 F#4:1",
    "F#4:1.5 E4:0.5 E4:2",
    "F#4:1 F#4:1 G4:1 A4:1",
    "A4:1 G4:1 F#4:1 E4:1",
    "D4:1 D4:1 E4:1 F#4:1",
    "E4:1.5 D4:0.5 D4:2",
    "E4:1 E4:1 F#4:1 D4:1",
    "E4:1 F#4:0.5 G4:0.5 F#4:1 D4:1",
    "E4:1 F#4:0.5 G4:0.5 F#4:1 E4:1",
    "D4:1 E4:1 A3:2",
    "F#4:1 F#4:1 G4:1 A4:1",
    "A4:1 G4:1 F#4:1 E4:1",
    "D4:1 D4:1 E4:1 F#4:1",
    "E4:1.5 D4:0.5 D4:2",
]
STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def midi_note(name):
    pc = STEPS[name[0]] + name[1:-1].count("#") - name[1:-1].count("b")
    return 12 * (int(name[-1]) + 1) + pc


def main():
    notes, beat = [], 0.0
    for n, bar in enumerate(BARS):
        items = [tok.split(":") for tok in bar.split()]
        assert sum(float(d) for _, d in items) == 4.0, f"bar {n + 1} is not 4 beats"
        for name, dur in items:
            notes.append((beat, float(dur), midi_note(name)))
            beat += float(dur)

    mf = mido.MidiFile(type=1, ticks_per_beat=TPB)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("track_name", name="Ode to Joy (Beethoven), encoded for accompd"))
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM)))
    meta.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
    meta.append(mido.MetaMessage("key_signature", key="D"))
    meta.append(mido.MetaMessage("end_of_track", time=0))
    mel = mido.MidiTrack()
    mel.append(mido.MetaMessage("track_name", name="Melody"))
    events = []
    for start, dur, pitch in notes:
        on = round(start * TPB)
        off = round((start + dur * 0.92) * TPB)  # detached a little, as sung
        events.append((on, 1, pitch))
        events.append((off, 0, pitch))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    now = 0
    for tick, on, pitch in events:
        kind = "note_on" if on else "note_off"
        mel.append(mido.Message(kind, note=pitch, velocity=88 if on else 0, channel=0,
                                time=tick - now))
        now = tick
    mel.append(mido.MetaMessage("end_of_track", time=TPB))
    mf.tracks += [meta, mel]
    os.makedirs("tests/data/demo", exist_ok=True)
    mf.save("tests/data/demo/ode_to_joy.mid")
    print(f"tests/data/demo/ode_to_joy.mid: {len(notes)} notes, {len(BARS)} bars")


if __name__ == "__main__":
    main()
