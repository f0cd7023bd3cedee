#!/usr/bin/python3
"""Cross-check accompd's MIDI file reader against Python mido.

For each file, compares format, ticks per beat, track names, note counts and
note checksums (notes paired first-in first-out per channel and pitch, as
acd_midifile_track_notes does), tempo changes, time and key signatures, and
the length in seconds (mido's MidiFile.length vs the tempo map at the last
End of Track). Compiles a small dumper from src/ with cc; needs python3-mido.

    tools/crosscheck_mido.py [--every N] [FILE_OR_DIR ...]

Default: every 10th .mid under ../shared/data. Prints one line per mismatch
and a summary; exits 1 on any mismatch.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from collections import defaultdict, deque

import mido

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

DUMPER = r"""
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "accompd/midifile.h"
int main(int argc, char **argv)
{
    for (int a = 1; a < argc; a++) {
        AcdMidiFile *mf;
        AcdError err = {0};
        if (acd_midifile_read(argv[a], &mf, &err) != ACD_OK) {
            printf("ERROR\t%s\n", acd_error_text(&err));
            continue;
        }
        uint64_t end = 0;
        printf("FILE\t%d\t%d\t%zu\n", mf->format, mf->ticks_per_beat, mf->n_tracks);
        for (size_t t = 0; t < mf->n_tracks; t++) {
            AcdNote *n;
            size_t nn;
            acd_midifile_track_notes(mf, t, &n, &nn);
            uint64_t s1 = 0, s2 = 0;
            for (size_t i = 0; i < nn; i++) {
                s1 += n[i].start_tick * (n[i].pitch + 1u);
                s2 += (n[i].end_tick - n[i].start_tick) * (n[i].channel + 1u);
            }
            free(n);
            printf("TRACK\t%s\t%zu\t%" PRIu64 "\t%" PRIu64 "\n", mf->tracks[t].name, nn, s1, s2);
            if (mf->tracks[t].end_tick > end)
                end = mf->tracks[t].end_tick;
        }
        for (size_t i = 0; i < mf->n_tempos; i++)
            printf("TEMPO\t%" PRIu64 "\t%u\n", mf->tempos[i].tick, (unsigned)mf->tempos[i].us_per_beat);
        for (size_t i = 0; i < mf->n_timesigs; i++)
            printf("TIMESIG\t%" PRIu64 "\t%u/%u\n", mf->timesigs[i].tick, mf->timesigs[i].num,
                   mf->timesigs[i].den);
        printf("KEYSIGS\t%zu\n", mf->n_keysigs);
        printf("LENGTH\t%.9f\n", acd_midifile_tick_to_sec(mf, end));
        printf("END\n");
        acd_midifile_free(mf);
    }
    return 0;
}
"""


def build_dumper(tmp):
    src = os.path.join(tmp, "dump.c")
    with open(src, "w") as f:
        f.write(DUMPER)
    exe = os.path.join(tmp, "dump")
    sources = [os.path.join(ROOT, "src", s) for s in sorted(os.listdir(os.path.join(ROOT, "src")))
               if s.startswith("midifile_") and s.endswith(".c")]
    subprocess.run(["cc", "-std=gnu11", "-O2", "-I" + os.path.join(ROOT, "include"),
                    "-I" + os.path.join(ROOT, "src"), src, os.path.join(ROOT, "src", "status.c")]
                   + sources + ["-lm", "-o", exe], check=True)
    return exe


def mido_figures(path):
    """The same figures as the dumper prints, computed with mido."""
    m = mido.MidiFile(path)
    lines = ["FILE\t%d\t%d\t%d" % (m.type, m.ticks_per_beat, len(m.tracks))]
    tempos, timesigs, nkeys = [], [], 0
    for ti, track in enumerate(m.tracks):
        tick, open_notes, notes = 0, defaultdict(deque), []
        for msg in track:
            tick += msg.time
            if msg.type == "end_of_track":
                break
            if msg.type == "note_on" and msg.velocity > 0:
                rec = [tick, None, msg.note, msg.channel]
                open_notes[(msg.channel, msg.note)].append(rec)
                notes.append(rec)
            elif msg.type in ("note_off", "note_on"):
                q = open_notes[(msg.channel, msg.note)]
                if q:
                    q.popleft()[1] = tick
            elif msg.type == "set_tempo":
                tempos.append((tick, ti, msg.tempo))
            elif msg.type == "time_signature":
                timesigs.append((tick, ti, "%d/%d" % (msg.numerator, msg.denominator)))
            elif msg.type == "key_signature":
                nkeys += 1
        s1 = s2 = 0
        for start, end, pitch, ch in notes:
            end = tick if end is None else end
            s1 += start * (pitch + 1)
            s2 += (max(end, start) - start) * (ch + 1)
        lines.append("TRACK\t%s\t%d\t%d\t%d" % (track.name, len(notes), s1, s2))
    lines += ["TEMPO\t%d\t%d" % (t, v) for t, _, v in sorted(tempos, key=lambda x: x[:2])]
    lines += ["TIMESIG\t%d\t%s" % (t, v) for t, _, v in sorted(timesigs, key=lambda x: x[:2])]
    lines.append("KEYSIGS\t%d" % nkeys)
    return lines, m.length


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "..", "shared", "data")])
    ap.add_argument("--every", type=int, default=10, help="check every Nth file found in folders")
    args = ap.parse_args()

    files = []
    for p in args.paths:
        if os.path.isdir(p):
            found = sorted(os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs
                           if f.lower().endswith((".mid", ".midi")))
            files += found[::args.every]
        else:
            files.append(p)

    with tempfile.TemporaryDirectory() as tmp:
        exe = build_dumper(tmp)
        out = subprocess.run([exe] + files, check=True, capture_output=True,
                             text=True, errors="replace").stdout
    ours = out.split("END\n")
    bad = notes = 0
    max_dt = 0.0
    for path, block in zip(files, ours):
        lines = block.strip("\n").split("\n")
        if lines[0].startswith("ERROR"):
            print("MISMATCH %s: our reader refused it: %s" % (path, lines[0]))
            bad += 1
            continue
        want, length = mido_figures(path)
        got_len = float(lines[-1].split("\t")[1])
        if lines[:-1] != want:
            bad += 1
            diff = [(a, b) for a, b in zip(lines[:-1], want) if a != b][:3]
            print("MISMATCH %s: ours vs mido %s" % (path, diff))
        max_dt = max(max_dt, abs(got_len - length))
        notes += sum(int(l.split("\t")[2]) for l in lines if l.startswith("TRACK"))
    print("%d files, %d notes compared with mido %s: %d mismatches; "
          "largest length difference %.3g s" % (len(files), notes, mido.__version__, bad, max_dt))
    return 1 if bad or max_dt > 1e-6 else 0


if __name__ == "__main__":
    sys.exit(main())
