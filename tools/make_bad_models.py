#!/usr/bin/python3
"""Write tests/data/bad_models/: broken model files, one fault each, and
expected.tsv with the status and exact message the C loader must give
(after "<path>: "). Deterministic: the same files on every run. Also writes
the fuzzer's seeds to tests/fuzz/seeds/model/."""
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accomp_ref  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "data", "bad_models")
SEEDS = os.path.join(ROOT, "tests", "fuzz", "seeds", "model")

# The smallest useful model: 12 melody and 12 accompaniment pitches, no
# extra features, hidden size 2, one layer each.
META = dict(accomp_ref.DEFAULT, mel_lo="60", mel_hi="71", acc_lo="60", acc_hi="71",
            features="", enc_hidden="2", dec_hidden="2", window="8", hop="4")


def base_tensors(meta=META):
    c = accomp_ref.config(meta)
    rng = np.random.default_rng(7)
    shapes = {}
    for stack, h, inp in (("encoder", c["enc_hidden"], c["n_in"]),
                          ("decoder", c["dec_hidden"], c["enc_hidden"] + c["n_out"])):
        shapes[f"{stack}.weight_ih_l0"] = (4 * h, inp)
        shapes[f"{stack}.weight_hh_l0"] = (4 * h, h)
        shapes[f"{stack}.bias_ih_l0"] = (4 * h,)
        shapes[f"{stack}.bias_hh_l0"] = (4 * h,)
    shapes["output.weight"] = (c["n_out"], c["dec_hidden"])
    shapes["output.bias"] = (c["n_out"],)
    return {k: rng.uniform(-0.5, 0.5, s).astype(np.float32) for k, s in shapes.items()}


def layout(tensors, dtype="F32"):
    """header dict and data bytes, tiled in order."""
    header, blobs, pos = {}, [], 0
    for k, a in tensors.items():
        b = accomp_ref.to_bytes(a, dtype)
        header[k] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    return header, b"".join(blobs)


def assemble(meta, header, data, raw_header=None):
    h = dict(header)
    if meta is not None:
        h = {"__metadata__": meta, **h}
    hb = raw_header if raw_header is not None else json.dumps(h, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    return struct.pack("<Q", len(hb)) + hb + data, 8 + len(hb)


cases = []  # (name, bytes, status, message)


def case(name, status, message, meta=META, header=None, data=None, raw_header=None,
         tensors=None):
    if header is None:
        header, data = layout(tensors or base_tensors())
    blob, start = assemble(meta, header, data, raw_header)
    msg = message(start, len(blob)) if callable(message) else message
    cases.append((name, blob, status, msg))


def make():
    good_header, good_data = layout(base_tensors())
    good, start = assemble(META, good_header, good_data)
    n_data = len(good_data)

    cases.append(("short_file", good[:5], "ACD_ERR_FORMAT",
                  "5 bytes, too short for the 8-byte header length"))
    big = bytearray(good)
    big[0:8] = struct.pack("<Q", len(good))
    cases.append(("header_length_past_end", bytes(big), "ACD_ERR_FORMAT",
                  f"byte 0: header length {len(good)} runs past the end of the file "
                  f"({len(good)} bytes)"))
    cut = len(good) - 10
    ob = good_header["output.bias"]["data_offsets"]
    n_ob = ob[1] - ob[0]
    cases.append(("truncated", good[:cut], "ACD_ERR_FORMAT",
                  f"tensor 'output.bias': bytes {start + ob[0]}..{start + ob[1]} run past the "
                  f"end of the file ({cut} bytes)"))
    case("bad_json", "ACD_ERR_FORMAT",
         "byte 39 (header line 1, column 31): bad JSON: '}' expected near '\"roll\"'",
         raw_header=b'{"__metadata__":{"a":"1" "roll":"onoff"}}')
    case("header_not_object", "ACD_ERR_FORMAT", "byte 8: the header is not a JSON object",
         raw_header=b"[1,2,3]")
    case("duplicate_key", "ACD_ERR_FORMAT",
         "byte 36 (header line 1, column 28): bad JSON: duplicate object key near '\"a\"'",
         raw_header=b'{"__metadata__":{"a":"1","a":"2"}}')
    case("no_metadata", "ACD_ERR_FORMAT", "header has no __metadata__ (the hyper-parameters)",
         meta=None)

    h = json.loads(json.dumps(good_header))
    h["encoder.weight_hh_l0"]["dtype"] = "I64"
    case("wrong_dtype", "ACD_ERR_UNSUPPORTED",
         "tensor 'encoder.weight_hh_l0': dtype 'I64' is not supported (F32, F16, BF16)",
         header=h, data=good_data)

    h = json.loads(json.dumps(good_header))
    h["encoder.weight_hh_l0"]["shape"] = [8, 3]
    b0 = h["encoder.weight_hh_l0"]["data_offsets"][0]
    case("wrong_shape", "ACD_ERR_FORMAT",
         lambda s, n: f"tensor 'encoder.weight_hh_l0' at byte {s + b0}: shape [8, 3], "
                      f"the config needs [8, 2]", header=h, data=good_data)

    h = json.loads(json.dumps(good_header))
    h["output.bias"]["data_offsets"] = [ob[0], ob[1] + 4]
    case("wrong_size", "ACD_ERR_FORMAT",
         lambda s, n: f"tensor 'output.bias' at byte {s + ob[0]}: data_offsets hold "
                      f"{n_ob + 4} bytes, F32 [{n_ob // 4}] needs {n_ob}", header=h,
         data=good_data)

    h = json.loads(json.dumps(good_header))
    h["output.bias"]["data_offsets"] = [n_data + 100, n_data + 100 + n_ob]
    case("offsets_out_of_bounds", "ACD_ERR_FORMAT",
         lambda s, n: f"tensor 'output.bias': bytes {s + n_data + 100}..{s + n_data + 100 + n_ob} "
                      f"run past the end of the file ({n} bytes)", header=h, data=good_data)

    h = json.loads(json.dumps(good_header))
    h["encoder.bias_hh_l0"]["data_offsets"] = list(h["encoder.bias_ih_l0"]["data_offsets"])
    bi = h["encoder.bias_ih_l0"]["data_offsets"]
    case("overlapping", "ACD_ERR_FORMAT",
         lambda s, n: f"tensor 'encoder.bias_hh_l0' at bytes {s + bi[0]}..{s + bi[1]} overlaps "
                      f"tensor 'encoder.bias_ih_l0' at bytes {s + bi[0]}..{s + bi[1]}",
         header=h, data=good_data)

    h = json.loads(json.dumps(good_header))
    for k in h:
        h[k]["data_offsets"] = [o + 16 for o in h[k]["data_offsets"]]
    case("gap", "ACD_ERR_FORMAT",
         lambda s, n: f"bytes {s}..{s + 16} before tensor 'encoder.weight_ih_l0' belong to "
                      f"no tensor", header=h, data=bytes(16) + good_data)
    case("trailing_bytes", "ACD_ERR_FORMAT",
         lambda s, n: f"bytes {s + n_data}..{s + n_data + 8} after the last tensor belong to "
                      f"no tensor", header=good_header, data=good_data + bytes(8))

    t = base_tensors()
    del t["output.bias"]
    case("missing_tensor", "ACD_ERR_FORMAT", "tensor 'output.bias' is missing", tensors=t)
    t = base_tensors()
    t["output.extra"] = np.zeros(2, np.float32)
    case("extra_tensor", "ACD_ERR_FORMAT",
         "unexpected tensor 'output.extra' (not in a model with this config)", tensors=t)

    t = base_tensors()
    t["decoder.bias_hh_l0"][3] = np.nan
    off = good_header["decoder.bias_hh_l0"]["data_offsets"][0] + 12
    case("nan_value", "ACD_ERR_FORMAT",
         lambda s, n: f"tensor 'decoder.bias_hh_l0' element 3 at byte {s + off} is NaN",
         tensors=t)
    t = base_tensors()
    t["output.weight"][1, 1] = np.inf
    off = good_header["output.weight"]["data_offsets"][0] + 4 * 3
    case("inf_value", "ACD_ERR_FORMAT",
         lambda s, n: f"tensor 'output.weight' element 3 at byte {s + off} is infinite",
         tensors=t)
    t = base_tensors()
    hf, df = layout(t, "F16")
    df = bytearray(df)
    o = hf["encoder.weight_ih_l0"]["data_offsets"][0] + 2 * 5
    df[o:o + 2] = b"\x00\x7c"  # F16 +inf
    case("inf_value_f16", "ACD_ERR_FORMAT",
         lambda s, n: f"tensor 'encoder.weight_ih_l0' element 5 at byte {s + o} is infinite",
         header=hf, data=bytes(df))

    h = json.loads(json.dumps(good_header))
    h["encoder.bias_ih_l0"]["data_offsets"] = [-4, 28]
    case("negative_offset", "ACD_ERR_FORMAT",
         "tensor 'encoder.bias_ih_l0': data_offsets must be [begin, end], 0 <= begin <= end",
         header=h, data=good_data)

    def meta_case(name, status, msg, **changes):
        m = dict(META)
        for k, v in changes.items():
            k = k.replace("__", ".")
            if v is None:
                del m[k]
            else:
                m[k] = v
        case(name, status, msg, meta=m)

    meta_case("meta_missing_key", "ACD_ERR_FORMAT", "metadata key 'dec_hidden' is missing",
              dec_hidden=None)
    meta_case("meta_not_integer", "ACD_ERR_FORMAT",
              "metadata 'enc_hidden': expected an integer, found '2.5'", enc_hidden="2.5")
    meta_case("meta_out_of_range", "ACD_ERR_RANGE",
              "metadata 'mel_hi': 200 is outside [0, 127]", mel_hi="200")
    meta_case("meta_hop", "ACD_ERR_RANGE", "metadata: hop = 3 must divide window = 8", hop="3")
    meta_case("meta_version", "ACD_ERR_UNSUPPORTED",
              "metadata: accompd.version = 2, this build reads version 1", accompd__version="2")
    meta_case("meta_roll", "ACD_ERR_FORMAT",
              "metadata 'roll': expected onset_hold or onoff, found 'chords'", roll="chords")
    meta_case("meta_feature", "ACD_ERR_FORMAT",
              "metadata 'features': unknown block 'key' (expected step_in_beat, beat_in_bar, "
              "pc_hist)", features="pc_hist,key")
    meta_case("meta_decay", "ACD_ERR_FORMAT",
              "metadata 'pc_decay': expected a finite number, found 'nan'", pc_decay="nan")
    meta_case("meta_half_play", "ACD_ERR_FORMAT",
              "metadata key 'max_poly' is missing (its group is present)", temperature="0.9")
    meta_case("meta_temperature", "ACD_ERR_RANGE", "metadata: temperature = 12 is outside [0, 10]",
              temperature="12", max_poly="5")
    meta_case("meta_max_poly", "ACD_ERR_RANGE", "metadata 'max_poly': 200 is outside [0, 128]",
              temperature="1", max_poly="200")
    case("meta_not_string", "ACD_ERR_FORMAT",
         "metadata 'window' is not a string (safetensors metadata values are strings)",
         meta=dict(META, window=8))

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with open(os.path.join(OUT, "expected.tsv"), "w") as f:
        f.write("# file\tstatus\tmessage after '<path>: ' (written by tools/make_bad_models.py)\n")
        for name, blob, status, msg in cases:
            with open(os.path.join(OUT, name + ".safetensors"), "wb") as g:
                g.write(blob)
            f.write(f"{name}.safetensors\t{status}\t{msg}\n")

    shutil.rmtree(SEEDS, ignore_errors=True)
    os.makedirs(SEEDS)
    with open(os.path.join(SEEDS, "good.safetensors"), "wb") as g:
        g.write(good)
    t = base_tensors()
    hf, df = layout(t, "BF16")
    with open(os.path.join(SEEDS, "good_bf16.safetensors"), "wb") as g:
        g.write(assemble(META, hf, df)[0])
    for name, blob, _, _ in cases:
        if name in ("overlapping", "gap", "wrong_shape", "meta_hop", "nan_value", "bad_json"):
            with open(os.path.join(SEEDS, name + ".safetensors"), "wb") as g:
                g.write(blob)
    print(f"{len(cases)} bad models in {OUT}")


if __name__ == "__main__":
    make()
