#!/usr/bin/python3
"""accompd's network in PyTorch: the reference the C engine is tested against.

The class Accomp is the one in models/README.md. This file also reads and
writes accompd's safetensors files by hand (struct + json: the safetensors
package is not in Debian), computes the encoder features x_t exactly as
src/model_features.c, runs the run-time window scheme step by step, and
writes the committed references under tests/ref/.

  accomp_ref.py make-ref [--out tests/ref]       write the C tests' references
  accomp_ref.py info MODEL                       print metadata and tensors
  accomp_ref.py run MODEL X Y OUT [--windowed]   logits for raw float32 inputs
  accomp_ref.py to-pt MODEL OUT.pt               state_dict + config for torch.load
  accomp_ref.py from-pt IN.pt OUT.safetensors    the reverse

Python users import it: `m, cfg = accomp_ref.load_model(path)`;
`accomp_ref.save_model(m, cfg, path)`.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch


class Accomp(torch.nn.Module):
    def __init__(s, n_in, n_out, h_enc, l_enc, h_dec, l_dec):
        super().__init__()
        s.encoder = torch.nn.LSTM(n_in, h_enc, l_enc, batch_first=True)
        s.decoder = torch.nn.LSTM(h_enc + n_out, h_dec, l_dec, batch_first=True)
        s.output = torch.nn.Linear(h_dec, n_out)

    def forward(s, x, y_prev):           # x: [B,T,n_in], y_prev: [B,T,n_out]
        e, _ = s.encoder(x)              # zero initial state
        d, _ = s.decoder(torch.cat([e, y_prev], -1))
        return s.output(d)               # logits z: [B,T,n_out]


# ---- hyper-parameters --------------------------------------------------------

INT_KEYS = ["accompd.version", "mel_lo", "mel_hi", "acc_lo", "acc_hi", "steps_per_beat",
            "beats_per_bar_max", "enc_hidden", "enc_layers", "dec_hidden", "dec_layers",
            "window", "hop"]
FEATURES = ["step_in_beat", "beat_in_bar", "pc_hist"]

DEFAULT = {
    "accompd.version": "1", "roll": "onset_hold", "mel_lo": "48", "mel_hi": "95",
    "acc_lo": "28", "acc_hi": "91", "steps_per_beat": "4", "beats_per_bar_max": "8",
    "features": "step_in_beat,beat_in_bar,pc_hist", "pc_decay": "0.98",
    "enc_hidden": "128", "enc_layers": "1", "dec_hidden": "128", "dec_layers": "1",
    "window": "100", "hop": "50",
}


def config(meta):
    """Typed config with derived sizes from string metadata."""
    c = {k: int(meta[k]) for k in INT_KEYS}
    c["roll"] = meta["roll"]
    c["features"] = [f for f in meta["features"].split(",") if f]
    c["pc_decay"] = float(meta["pc_decay"])
    bits = 2 if c["roll"] == "onset_hold" else 1
    c["p_mel"] = c["mel_hi"] - c["mel_lo"] + 1
    c["p_acc"] = c["acc_hi"] - c["acc_lo"] + 1
    c["n_out"] = bits * c["p_acc"]
    c["n_in"] = (bits * c["p_mel"]
                 + (c["steps_per_beat"] if "step_in_beat" in c["features"] else 0)
                 + (c["beats_per_bar_max"] if "beat_in_bar" in c["features"] else 0)
                 + (12 if "pc_hist" in c["features"] else 0))
    return c


def tensor_names(c):
    """Tensor names in accompd's file order."""
    names = []
    for stack, layers in (("encoder", c["enc_layers"]), ("decoder", c["dec_layers"])):
        for k in range(layers):
            names += [f"{stack}.{w}_l{k}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    return names + ["output.weight", "output.bias"]


def new_model(meta):
    c = config(meta)
    return Accomp(c["n_in"], c["n_out"], c["enc_hidden"], c["enc_layers"],
                  c["dec_hidden"], c["dec_layers"])


# ---- safetensors, by hand ------------------------------------------------------

DTYPES = {"F32": (np.float32, 4), "F16": (np.float16, 2), "BF16": (None, 2)}


def to_bytes(a, dtype):
    a = np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    # BF16: round to nearest even on the top 16 bits.
    u = a.view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype("<u2").tobytes()


def from_bytes(b, dtype, shape):
    if dtype == "F32":
        a = np.frombuffer(b, "<f4")
    elif dtype == "F16":
        a = np.frombuffer(b, "<f2").astype(np.float32)
    elif dtype == "BF16":
        a = (np.frombuffer(b, "<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        raise ValueError(f"dtype {dtype} is not supported")
    return a.reshape(shape).astype(np.float32)


def write_safetensors(path, tensors, meta, dtype="F32", order=None):
    """tensors: name -> array. Header padded with spaces to 8 bytes, data
    tiled in order, as the safetensors writers do."""
    header = {"__metadata__": dict(meta)}
    blobs, pos = [], 0
    for name in order or list(tensors):
        a = np.asarray(tensors[name])
        b = to_bytes(a, dtype)
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    """(metadata, {name: float32 array}). Trusts the file less than the C
    loader does; meant for files accompd or PyTorch wrote."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = from_bytes(data[base + b:base + end], e["dtype"], e["shape"])
    return meta, out


def load_model(path):
    """An Accomp with the file's weights, and its metadata."""
    meta, t = read_safetensors(path)
    m = new_model(meta)
    m.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in t.items()}, strict=True)
    return m, meta


def save_model(m, meta, path, dtype="F32"):
    c = config(meta)
    sd = {k: v.detach().float().cpu().numpy() for k, v in m.state_dict().items()}
    write_safetensors(path, sd, meta, dtype, tensor_names(c))


# ---- features and the window scheme -------------------------------------------

def features(c, onset, hold, step_in_beat, beat_in_bar):
    """x [T, n_in] float32 from melody bits [T, p_mel] (hold ignored for
    onoff), as acd_features_step() computes them, float32 throughout."""
    T = onset.shape[0]
    x = np.zeros((T, c["n_in"]), np.float32)
    hist = np.zeros(12, np.float32)
    decay = np.float32(c["pc_decay"])
    two = c["roll"] == "onset_hold"
    pc = (np.arange(c["p_mel"]) + c["mel_lo"]) % 12
    for t in range(T):
        col = 0
        x[t, :c["p_mel"]] = onset[t] != 0
        col = c["p_mel"]
        if two:
            x[t, col:col + c["p_mel"]] = hold[t] != 0
            col += c["p_mel"]
        if "step_in_beat" in c["features"]:
            x[t, col + step_in_beat[t]] = 1
            col += c["steps_per_beat"]
        if "beat_in_bar" in c["features"]:
            x[t, col + min(beat_in_bar[t], c["beats_per_bar_max"] - 1)] = 1
            col += c["beats_per_bar_max"]
        sounding = (onset[t] != 0) | ((hold[t] != 0) if two else False)
        count = np.bincount(pc[sounding], minlength=12).astype(np.float32)
        hist = (decay * hist + count).astype(np.float32)
        if "pc_hist" in c["features"]:
            x[t, col:col + 12] = hist / max(np.float32(1), hist.max())
            col += 12
        assert col == c["n_in"]
    return x


@torch.no_grad()
def stream(m, c, x, y_prev, windowed):
    """Logits [T, n_out] step by step. windowed: window/hop copies, copy j
    restarts from zero before every step t > 0 with t % window == j * hop;
    the logits come from copy ((t // hop) + 1) % copies, the oldest."""
    copies = c["window"] // c["hop"] if windowed else 1
    L_e, L_d = c["enc_layers"], c["dec_layers"]
    H_e, H_d = c["enc_hidden"], c["dec_hidden"]
    dt = next(m.parameters()).dtype

    def zero():
        return ((torch.zeros(L_e, 1, H_e, dtype=dt), torch.zeros(L_e, 1, H_e, dtype=dt)),
                (torch.zeros(L_d, 1, H_d, dtype=dt), torch.zeros(L_d, 1, H_d, dtype=dt)))

    states = [zero() for _ in range(copies)]
    out = []
    for t in range(x.shape[0]):
        if windowed and t > 0 and (t % c["window"]) % c["hop"] == 0:
            states[(t % c["window"]) // c["hop"]] = zero()
        xt = torch.as_tensor(x[t], dtype=dt).view(1, 1, -1)
        yt = torch.as_tensor(y_prev[t], dtype=dt).view(1, 1, -1)
        active = (t // c["hop"] + 1) % copies if windowed else 0
        for j in range(copies):
            se, sd = states[j]
            e, se = m.encoder(xt, se)
            d, sd = m.decoder(torch.cat([e, yt], -1), sd)
            states[j] = (se, sd)
            if j == active:
                out.append(m.output(d)[0, 0])
    return torch.stack(out).numpy()


# ---- references for the C tests ----------------------------------------------

def random_song(c, T, rng):
    """Melody bits that obey the roll rules, positions in 4/4 or 3/4, and a
    sparse accompaniment y_prev (bits of the step before)."""
    P = c["p_mel"]
    onset = np.zeros((T, P), np.uint8)
    hold = np.zeros((T, P), np.uint8)
    t = 0
    while t < T:
        p, n = rng.integers(P), rng.integers(1, 6)
        onset[t, p] = 1
        hold[t + 1:t + n, p] = 1
        if rng.random() < 0.3 and t + 1 < T:   # a second voice
            q = rng.integers(P)
            if onset[t, q] == 0:
                onset[t + 1, q] = 1
        t += int(rng.integers(1, 4))
    hold[onset != 0] = 0
    if c["roll"] == "onoff":
        onset = onset | hold
        hold = np.zeros_like(hold)
    spb = c["steps_per_beat"]
    beats = 3 if T % 2 else 4
    sib = np.arange(T, dtype=np.int32) % spb
    bib = (np.arange(T, dtype=np.int32) // spb) % beats
    y = (rng.random((T, c["n_out"])) < 0.06).astype(np.float32)
    y[0] = 0
    return onset, hold, sib, bib, y


def random_model(meta, seed):
    torch.manual_seed(seed)
    m = new_model(meta)
    # PyTorch's init (uniform +-1/sqrt(H)) is kept; biases a little larger
    # so that gates saturate somewhere.
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "bias" in n:
                p.mul_(2.0)
    return m


def write_raw(path, a):
    a = np.ascontiguousarray(a)
    a.astype(a.dtype.newbyteorder("<")).tofile(path)


def make_ref(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    specs = {
        # Two layers each, hidden sizes not multiples of 8 (padding paths),
        # window 12 hop 4 (3 copies, many restarts in 150 steps).
        "tiny": (dict(DEFAULT, mel_lo="60", mel_hi="71", acc_lo="48", acc_hi="59",
                      steps_per_beat="4", beats_per_bar_max="4", pc_decay="0.9",
                      enc_hidden="6", enc_layers="2", dec_hidden="10", dec_layers="2",
                      window="12", hop="4"), 150),
        # The seed "onoff" roll, two feature blocks, window 100 hop 50.
        "small": (dict(DEFAULT, roll="onoff", mel_lo="55", mel_hi="78", acc_lo="36",
                       acc_hi="71", features="step_in_beat,pc_hist", enc_hidden="32",
                       dec_hidden="20", window="100", hop="50"), 260),
    }
    # |C - truth| <= 1e-5 + 1e-5 |z|: float32 products of a few hundred terms
    # summed in another order, and approximations of sigmoid and tanh good to
    # 1e-6 relative, give errors near 1e-7 on these models; 1e-5 leaves room
    # for deeper models and other CPUs while catching any real mistake (a
    # wrong gate, bias or index moves logits by 1e-2 or more).
    manifest = {"tolerance_abs": 1e-5, "tolerance_rel": 1e-5, "models": {}}
    for i, (name, (meta, T)) in enumerate(specs.items()):
        c = config(meta)
        m = random_model(meta, 1 + i)
        save_model(m, meta, f"{out}/{name}.safetensors")
        onset, hold, sib, bib, y = random_song(c, T, rng)
        x = features(c, onset, hold, sib, bib)
        # The truth in float64 from the float32 weights: the C error is then
        # its own, not PyTorch's.
        m64 = m.double()
        plain = stream(m64, c, x, y, False)
        with torch.no_grad():
            whole = m64(torch.from_numpy(x).double()[None], torch.from_numpy(y).double()[None])[0]
        assert np.abs(whole.numpy() - plain).max() < 1e-12
        win = stream(m64, c, x, y, True)
        write_raw(f"{out}/{name}_onset.u8", onset)
        write_raw(f"{out}/{name}_hold.u8", hold)
        write_raw(f"{out}/{name}_sib.i32", sib)
        write_raw(f"{out}/{name}_bib.i32", bib)
        write_raw(f"{out}/{name}_x.f32", x)
        write_raw(f"{out}/{name}_yprev.f32", y)
        write_raw(f"{out}/{name}_plain.f32", plain.astype(np.float32))
        write_raw(f"{out}/{name}_windowed.f32", win.astype(np.float32))
        # How far PyTorch's own float32 forward is from the float64 truth:
        # the scale the C tolerance must allow.
        m32 = m.float()
        with torch.no_grad():
            z32 = m32(torch.from_numpy(x)[None], torch.from_numpy(y)[None])[0].numpy()
        manifest["models"][name] = {
            "file": f"{name}.safetensors", "steps": T, "n_in": c["n_in"], "n_out": c["n_out"],
            "p_mel": c["p_mel"], "torch_f32_max_abs_err": float(np.abs(z32 - plain).max()),
            "max_abs_logit": float(np.abs(plain).max()),
        }
        if name == "tiny":
            # Half-precision copies, and the values they must widen to.
            sd = {k: v.detach().numpy() for k, v in m32.state_dict().items()}
            sd["encoder.weight_ih_l0"].flat[:4] = [6e-6, -0.0, 65504.0, -3e-7]  # f16 subnormals, max
            for dt in ("F16", "BF16"):
                write_safetensors(f"{out}/tiny_{dt.lower()}.safetensors", sd, meta, dt,
                                  tensor_names(c))
                widened = {k: from_bytes(to_bytes(v, dt), dt, v.shape) for k, v in sd.items()}
                write_safetensors(f"{out}/tiny_{dt.lower()}_as_f32.safetensors", widened, meta,
                                  "F32", tensor_names(c))
    with open(f"{out}/manifest.json", "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(manifest, indent=1, sort_keys=True))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("make-ref")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "ref"))
    p = sub.add_parser("info")
    p.add_argument("model")
    p = sub.add_parser("run")
    p.add_argument("model")
    p.add_argument("x", help="raw little-endian float32 [T, n_in]")
    p.add_argument("y_prev", help="raw little-endian float32 [T, n_out]")
    p.add_argument("out", help="logits, raw float32 [T, n_out]")
    p.add_argument("--windowed", action="store_true", help="the run-time window scheme")
    p = sub.add_parser("to-pt")
    p.add_argument("model")
    p.add_argument("out")
    p = sub.add_parser("from-pt")
    p.add_argument("pt", help="torch.save({'state_dict': ..., 'metadata': {...}})")
    p.add_argument("out")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.cmd == "make-ref":
        make_ref(a.out)
    elif a.cmd == "info":
        meta, t = read_safetensors(a.model)
        print(json.dumps(meta, indent=1, sort_keys=True))
        for k, v in t.items():
            print(f"{k:28s} {list(v.shape)}")
    elif a.cmd == "run":
        m, meta = load_model(a.model)
        c = config(meta)
        x = np.fromfile(a.x, "<f4").reshape(-1, c["n_in"])
        y = np.fromfile(a.y_prev, "<f4").reshape(-1, c["n_out"])
        write_raw(a.out, stream(m.double(), c, x, y, a.windowed).astype(np.float32))
    elif a.cmd == "to-pt":
        m, meta = load_model(a.model)
        torch.save({"state_dict": m.state_dict(), "metadata": meta}, a.out)
    elif a.cmd == "from-pt":
        d = torch.load(a.pt)
        meta = {k: str(v) for k, v in d["metadata"].items()}
        m = new_model(meta)
        m.load_state_dict(d["state_dict"], strict=True)
        save_model(m, meta, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
