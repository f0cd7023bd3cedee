#!/usr/bin/env python3
"""Cut POP909 chord_midi.txt files to the test excerpts in tests/data/pop909.

Each excerpt (made by make_fixtures.py) keeps the beats before a cut time;
the cut is the first beat of the original beat_midi.txt that the excerpt
dropped. Chord spans starting before it are kept, their ends clipped to it.
Usage: tools/make_chord_fixtures.py [POP909_ROOT]  (default ../shared/data/pop909)
"""
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/pop909"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "pop909",
                   "POP909")


def times(path):
    with open(path) as f:
        return [float(line.split()[0]) for line in f if line.strip()]


def main():
    for song in sorted(os.listdir(OUT)):
        dst = os.path.join(OUT, song)
        if not os.path.isdir(dst):
            continue
        src = os.path.join(ROOT, "POP909", song)
        kept = times(os.path.join(dst, "beat_midi.txt"))
        full = times(os.path.join(src, "beat_midi.txt"))
        cut = full[len(kept)] if len(full) > len(kept) else float("inf")
        lines = []
        with open(os.path.join(src, "chord_midi.txt")) as f:
            for line in f:
                fields = line.split()
                if len(fields) != 3 or float(fields[0]) >= cut:
                    continue
                if float(fields[1]) > cut:
                    fields[1] = "%.6f" % cut
                lines.append("\t".join(fields) + "\n")
        with open(os.path.join(dst, "chord_midi.txt"), "w") as f:
            f.writelines(lines)
        print("%s: %d chord spans up to %.3f s" % (song, len(lines), cut))


if __name__ == "__main__":
    main()
