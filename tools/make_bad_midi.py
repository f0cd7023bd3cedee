#!/usr/bin/env python3
"""Write the MIDI file fixtures: malformed files (tests/data/bad/) and small
valid ones (tests/data/good/). Plain Python, no dependencies, deterministic:
run it again and `git diff` shows nothing. tests/test_midifile.c holds the
exact error the reader must give for each bad file."""

import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def chunk(kind, data, length=None):
    return kind + struct.pack(">I", len(data) if length is None else length) + data


def header(fmt=1, ntrks=1, division=480):
    return chunk(b"MThd", struct.pack(">HHH", fmt, ntrks, division))


EOT = b"\x00\xff\x2f\x00"


def meta(delta, kind, data):
    return vlq(delta) + bytes([0xFF, kind]) + vlq(len(data)) + data


def track(body, eot=True):
    return chunk(b"MTrk", body + (EOT if eot else b""))


def tempo(delta, us):
    return meta(delta, 0x51, us.to_bytes(3, "big"))


def name(text):
    return meta(0, 0x03, text.encode())


# A small valid track: two notes, one ended by a note-on of velocity 0.
NOTES = bytes([0x00, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 64, 0x00, 0x90, 64, 90,
               0x83, 0x60, 64, 0])


def bad_files():
    f = {}
    f["empty"] = b""
    f["truncated_header"] = b"MThd\x00\x00\x00\x06\x00\x01"
    f["not_midi"] = b"RIFF\x24\x00\x00\x00RMIDdata"
    f["header_too_short"] = chunk(b"MThd", b"\x00\x01\x00\x01")
    f["truncated_track"] = header() + b"MTr"
    f["length_past_eof"] = header() + chunk(b"MTrk", NOTES + EOT, length=1000)
    f["truncated_event"] = header() + chunk(b"MTrk", b"\x00\x90\x3c")
    f["missing_tracks"] = header(ntrks=3) + track(NOTES)
    f["bad_vlq"] = header() + track(b"\x00\x90\x3c\x40" + b"\xff\xff\xff\xff\x7f\x3c\x00")
    # 4097 deltas of the largest 4-byte quantity pass ACD_MIDI_MAX_TICK (2^40).
    f["huge_delta"] = header() + track(b"\x00\x90\x3c\x40" + (vlq(0x0FFFFFFF) + b"\x3c\x40") * 4097)
    f["too_many_tracks"] = header(ntrks=300) + track(NOTES) * 2
    f["running_status_none"] = header() + track(b"\x00\x3c\x40")
    f["running_status_after_meta_none"] = header() + track(name("x") + b"\x00\x3c\x40")
    f["format2"] = header(fmt=2, ntrks=2) + track(NOTES) * 2
    f["format3"] = header(fmt=3) + track(NOTES)
    f["format0_two_tracks"] = header(fmt=0, ntrks=2) + track(NOTES) * 2
    f["smpte"] = header(division=0xE728) + track(NOTES)
    f["zero_division"] = header(division=0) + track(NOTES)
    f["data_byte_range"] = header() + track(b"\x00\x90\x3c\x90")
    f["system_common"] = header() + track(b"\x00\xf3\x01")
    f["meta_past_chunk"] = header() + track(b"\x00\xff\x01\x40abc", eot=False)
    f["sysex_past_chunk"] = header() + track(b"\x00\xf0\x10\x7e\x7f", eot=False)
    f["meta_no_type"] = header() + track(b"\x00\xff", eot=False)
    f["delta_at_end"] = header() + track(b"\x00\x90\x3c\x40\x10", eot=False)
    f["tempo_short"] = header() + track(meta(0, 0x51, b"\x07\xa1"))
    f["tempo_zero"] = header() + track(tempo(0, 0))
    f["timesig_bad_den"] = header() + track(meta(0, 0x58, b"\x04\x09\x18\x08"))
    f["keysig_short"] = header() + track(meta(0, 0x59, b"\x02"))
    return f


def good_files():
    f = {}
    # Format 0: everything in one track, running status, note-on velocity 0.
    f["format0"] = header(fmt=0, division=96) + track(
        name("solo")
        + tempo(0, 600000)
        + meta(0, 0x58, b"\x03\x02\x18\x08")
        + meta(0, 0x59, b"\xfe\x01")  # 2 flats, minor
        + bytes([0x00, 0xC0, 5])
        + bytes([0x00, 0x91, 60, 80, 0x60, 60, 0, 0x00, 62, 81, 0x60, 62, 0])
        + bytes([0x00, 0xB1, 64, 127, 0x30, 64, 0]))
    # Running status across meta and sysex events, as mido accepts.
    f["running_status_meta"] = header(ntrks=2) + track(name("tempo") + tempo(0, 500000)) + track(
        name("lead")
        + bytes([0x00, 0x90, 60, 100])
        + meta(0, 0x01, b"marker")
        + bytes([0x40, 60, 0])          # running status after a meta event
        + bytes([0x00, 0xF0, 0x03, 0x7E, 0x01, 0xF7])
        + bytes([0x00, 67, 100])        # ... and after a sysex event
        + bytes([0x00, 0xF7, 0x02, 0x01, 0x02])
        + bytes([0x40, 67, 0]))
    # Tempo map: 120 BPM, 240 BPM at beat 2, 60 BPM at beat 4, with 3/4 time.
    f["multi_tempo"] = header(ntrks=2) + track(
        tempo(0, 500000) + meta(0, 0x58, b"\x03\x02\x18\x08") + tempo(960, 250000)
        + tempo(960, 1000000) + meta(0, 0x58, b"\x06\x03\x18\x08")) + track(
        name("notes") + bytes([0x00, 0x90, 72, 64, 0x8F, 0x00, 72, 0]))
    # An unknown chunk to skip, a track without End of Track, trailing garbage.
    f["unknown_chunk"] = (header(ntrks=1) + chunk(b"XFIH", b"\x00\x01\x02\x03")
                          + track(bytes([0x00, 0x90, 48, 70, 0x10, 0x80, 48, 0]), eot=False)
                          + b"\x00\x00garbage")
    # FIFO pairing of overlapping notes of one pitch, and a note never ended.
    f["overlap"] = header(ntrks=1) + track(
        bytes([0x00, 0x90, 60, 10, 0x0A, 60, 20, 0x0A, 0x80, 60, 0, 0x0A, 60, 0,
               0x00, 0x92, 60, 30, 0x00, 0x90, 40, 50])
        + meta(0x64, 0x2F, b""), eot=False)
    return f


def main():
    for sub, files in (("bad", bad_files()), ("good", good_files())):
        d = os.path.join(ROOT, "tests", "data", sub)
        os.makedirs(d, exist_ok=True)
        for stem, data in sorted(files.items()):
            with open(os.path.join(d, stem + ".mid"), "wb") as out:
                out.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
