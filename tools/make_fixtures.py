#!/usr/bin/python3
"""Make the song/roll/info test fixtures under tests/data/ (run from the repository root).

POP909 excerpts: the first 16 bars of a few real songs, with their
beat_midi.txt, key_audio.txt and index.csv lines cut to match.
Nottingham layout: small tunes written here (NOT Nottingham files), in its
layout: MIDI/melody/X.mid + MIDI/chords/X.mid, one unnamed track each,
1024 ticks per beat, no tempo, first bar padded, chords from bar 2.
JSB layout: a tiny SATB CSV written here. Roles: small multi-track files.
Needs python3-mido (Debian). Usage: tools/make_fixtures.py [POP909_ROOT]
"""
import os
import sys

import mido

POP_ROOT = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/pop909"
OUT = "tests/data"
POP_SONGS = [("001", "train"), ("034", "valid"), ("003", "train")]
BARS = 16


def pop_excerpt(song, split):
    src = os.path.join(POP_ROOT, "POP909", song)
    meter = None
    with open(os.path.join(POP_ROOT, "POP909", "index.csv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith(song + ","):
                meter = int(line.split(",")[4])
                index_line = line
    beats = []
    with open(os.path.join(src, "beat_midi.txt")) as f:
        for line in f:
            t, a, b = line.split()
            beats.append((float(t), float(a), float(b), line))
    col = 1 if meter == 3 else 2
    bars = [i for i, b in enumerate(beats) if b[col] == 1.0]
    cut_sec = beats[bars[BARS]][0]  # the 17th bar line
    mid = mido.MidiFile(os.path.join(src, song + ".mid"))
    # Seconds to ticks through the tempo map (POP909 has one tempo track).
    tempos = [(0, 500000)]
    tick = 0
    for msg in mid.tracks[0]:
        tick += msg.time
        if msg.type == "set_tempo":
            tempos.append((tick, msg.tempo))
    tempos.sort()

    def sec_to_tick(sec):
        t0, s0, tempo = 0, 0.0, tempos[0][1]
        for tk, tp in tempos[1:]:
            s1 = s0 + (tk - t0) * tempo / 1e6 / mid.ticks_per_beat
            if s1 > sec:
                break
            t0, s0, tempo = tk, s1, tp
        return t0 + round((sec - s0) * 1e6 / tempo * mid.ticks_per_beat)

    cut = sec_to_tick(cut_sec)
    out = mido.MidiFile(type=1, ticks_per_beat=mid.ticks_per_beat)
    for tr in mid.tracks:
        nt = mido.MidiTrack()
        abs_t, last, sounding = 0, 0, {}
        for msg in tr:
            abs_t += msg.time
            if msg.type == "end_of_track":
                continue
            if abs_t >= cut:
                break
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[(msg.channel, msg.note)] = sounding.get((msg.channel, msg.note), 0) + 1
            elif msg.type in ("note_on", "note_off"):
                k = (msg.channel, msg.note)
                if sounding.get(k):
                    sounding[k] -= 1
            nt.append(msg.copy(time=abs_t - last))
            last = abs_t
        for (ch, note), cnt in sorted(sounding.items()):
            for _ in range(cnt):
                nt.append(mido.Message("note_off", channel=ch, note=note, velocity=0,
                                       time=cut - last))
                last = cut
        nt.append(mido.MetaMessage("end_of_track", time=max(0, cut - last)))
        out.tracks.append(nt)
    dst = os.path.join(OUT, "pop909", "POP909", song)
    os.makedirs(dst, exist_ok=True)
    out.save(os.path.join(dst, song + ".mid"))
    with open(os.path.join(dst, "beat_midi.txt"), "w") as f:
        f.writelines(b[3] for b in beats if b[0] < cut_sec)
    key = os.path.join(src, "key_audio.txt")
    if os.path.exists(key):
        with open(key) as f, open(os.path.join(dst, "key_audio.txt"), "w") as g:
            first = f.readline().split("\t")
            g.write("%s\t%.6f\t%s" % (first[0], min(float(first[1]), cut_sec), first[2]))
    return index_line, "%s,%s\n" % (song, split)


def tune(name, num, den, key, melody, chords, flag=None):
    """melody: [(start_beat, beats, pitch)], chords: [(start_beat, beats, [pitches])]."""
    tpb = 1024
    for kind, notes in (("melody", melody), ("chords", chords)):
        if notes is None:
            continue
        events = []
        for start, length, pitches in notes:
            for p in (pitches if isinstance(pitches, list) else [pitches]):
                events.append((round(start * tpb), 1, p))
                events.append((round((start + length) * tpb), 0, p))
        events.sort()
        tr = mido.MidiTrack()
        tr.append(mido.MetaMessage("track_name", name="", time=0))
        tr.append(mido.MetaMessage("key_signature", key=key, time=0))
        tr.append(mido.MetaMessage("time_signature", numerator=num, denominator=den, time=0))
        last = 0
        for t, on, p in events:
            tr.append(mido.Message("note_on", note=p, velocity=90 if on else 0, time=t - last))
            last = t
        tr.append(mido.MetaMessage("end_of_track", time=0))
        m = mido.MidiFile(type=1, ticks_per_beat=tpb)
        m.tracks.append(tr)
        d = os.path.join(OUT, "nottingham", "MIDI", kind)
        os.makedirs(d, exist_ok=True)
        m.save(os.path.join(d, name + ".mid"))


def nottingham():
    # tunea: 4/4 in G, a pickup quarter at the end of the padded first bar.
    mel = [(3, 1, 62)]
    line = [67, 71, 74, 71, 72, 76, 74, 72, 71, 74, 79, 74, 72, 69, 67, 67]
    for i, p in enumerate(line):
        mel.append((4 + i, 1, p))
    mel.append((20, 2, 71))
    mel.append((22, 1, 69))
    mel.append((22, 1, 72))  # a double stop
    mel.append((23, 1, 67))
    chd = [(4, 4, [43, 47, 50]), (8, 4, [48, 52, 55]), (12, 4, [43, 47, 50]),
           (16, 4, [50, 54, 57]), (20, 4, [43, 47, 50])]
    tune("tunea", 4, 4, "G", mel, chd)
    # tuneb: a 3/4 waltz in D, eighth notes and a tied half.
    mel = [(2, 1, 69)]
    seq = [(74, 1), (73, .5), (71, .5), (69, 1), (66, 2), (69, 1), (71, 1.5), (73, .5),
           (74, 1), (76, 3), (74, 3)]
    t = 3
    for p, ln in seq:
        mel.append((t, ln, p))
        t += ln
    chd = [(3, 3, [38, 42, 45]), (6, 3, [38, 42, 45]), (9, 3, [45, 49, 52]),
           (12, 3, [43, 47, 50]), (15, 3, [38, 42, 45])]
    tune("tuneb", 3, 4, "D", mel, chd)
    # tunec: 6/8 with no chords file: splits.csv flags it.
    mel = [(i * 0.5, 0.5, p) for i, p in enumerate([64, 67, 69, 71, 69, 67, 64, 62, 64, 67])]
    tune("tunec", 6, 8, "Em", mel, None)
    with open(os.path.join(OUT, "nottingham", "splits.csv"), "w") as f:
        f.write("tune,split,note\ntunea,train,\ntuneb,valid,\ntunec,train,no_chords_file\n")


def jsb():
    d = os.path.join(OUT, "jsb")
    os.makedirs(d, exist_ok=True)
    rows = ["split,piece,step16th,soprano,alto,tenor,bass"]
    # piece 0: half note, repeated quarter (merged: the CSV cannot tell), rest.
    sop = [72] * 8 + [74] * 4 + [74] * 4 + [-1] * 4 + [71] * 4
    for i, s in enumerate(sop):
        rows.append("train,0,%d,%d,%d,%d,%d" % (i, s, 67 if i < 12 else 65, 64, 48 if i < 16 else 43))
    for i in range(8):
        rows.append("valid,0,%d,%d,64,60,45" % (i, 69 if i < 4 else 71))
    with open(os.path.join(d, "jsb16th_satb.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")


def roles():
    d = os.path.join(OUT, "roles")
    os.makedirs(d, exist_ok=True)
    tpb = 480

    def track(name, channel, notes):
        tr = mido.MidiTrack()
        if name is not None:
            tr.append(mido.MetaMessage("track_name", name=name, time=0))
        ev = []
        for start, ln, p in notes:
            ev.append((round(start * tpb), 1, p))
            ev.append((round((start + ln) * tpb), 0, p))
        ev.sort()
        last = 0
        for t, on, p in ev:
            tr.append(mido.Message("note_on", channel=channel, note=p,
                                   velocity=80 if on else 0, time=t - last))
            last = t
        return tr

    melody = [(i * 0.5, 0.5, 72 + (i * 5) % 12) for i in range(32)]
    chords = [(i * 2.0, 2.0, p) for i in range(8) for p in (48, 52, 55)]
    bass = [(i * 1.0, 1.0, 36 + (i % 3)) for i in range(16)]
    drums = [(i * 0.5, 0.25, 36 if i % 2 == 0 else 38) for i in range(32)]
    # Unnamed tracks: statistics decide (the melody is the high monophonic one).
    m = mido.MidiFile(type=1, ticks_per_beat=tpb)
    tempo = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=600000, time=0),
                            mido.MetaMessage("time_signature", numerator=3, denominator=4,
                                             time=0)])
    m.tracks += [tempo, track(None, 0, chords), track(None, 1, melody), track(None, 2, bass),
                 track(None, 9, drums)]
    m.save(os.path.join(d, "unnamed.mid"))
    # Named tracks: names win over statistics (the vocal is lower than the pad).
    m = mido.MidiFile(type=1, ticks_per_beat=tpb)
    low_vocal = [(s, ln, p - 24) for s, ln, p in melody]
    high_pad = [(s, ln, p + 24) for s, ln, p in chords]
    m.tracks += [track("Lead Vocal", 0, low_vocal), track("Strings pad", 1, high_pad),
                 track("Drums", 9, drums)]
    m.save(os.path.join(d, "named.mid"))
    with open(os.path.join(d, "not_midi.mid"), "w") as f:
        f.write("this is not a MIDI file\n")


def main():
    index, splits = ["song_id,name,artist,modify_times,num_beats_per_measure,"
                     "num_quavers_per_beat\n"], ["song_id,split\n"]
    for song, split in POP_SONGS:
        i, s = pop_excerpt(song, split)
        index.append(i)
        splits.append(s)
    with open(os.path.join(OUT, "pop909", "POP909", "index.csv"), "w", encoding="utf-8") as f:
        f.writelines(index)
    with open(os.path.join(OUT, "pop909", "splits.csv"), "w") as f:
        f.writelines(splits)
    nottingham()
    jsb()
    roles()


if __name__ == "__main__":
    main()
