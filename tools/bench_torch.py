#!/usr/bin/python3
"""PyTorch's CPU LSTM on an accompd weights file, streamed one step at a time.

The same per-step work as `accomp bench` measures, in PyTorch eager mode on
one thread: encoder step, decoder step on [e_t ; y_{t-1}], output layer,
sigmoid, and a Bernoulli draw for y_t (fed back next step). The features
x_t are computed beforehand and not timed (accomp bench does time its own).
With --windowed, the window scheme's staggered states run as one batch of
window/hop copies (the cheapest way to do it in PyTorch), copy j restarting
from zero as in tools/accomp_ref.py's stream().

  bench_torch.py --model FILE [--steps N] [--warmup N] [--seed N] [--windowed]

The last line, RESULT key=value ..., is for tools/bench-side-by-side.
Set OPENBLAS_CORETYPE before starting it: OpenBLAS reads it only at load.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accomp_ref  # noqa: E402  (after the path, on purpose)


def quantile(v, q):
    """Nearest rank, as accomp bench computes it."""
    v = sorted(v)
    k = max(1, min(len(v), int(q * len(v) + 0.999999)))
    return v[k - 1]


@torch.inference_mode()
def run(m, c, x, steps, warmup, seed, windowed):
    copies = c["window"] // c["hop"] if windowed else 1
    L_e, L_d = c["enc_layers"], c["dec_layers"]
    H_e, H_d = c["enc_hidden"], c["dec_hidden"]
    gen = torch.Generator().manual_seed(seed)
    z_e = lambda: torch.zeros(L_e, copies, H_e)  # noqa: E731
    z_d = lambda: torch.zeros(L_d, copies, H_d)  # noqa: E731
    se, sd = (z_e(), z_e()), (z_d(), z_d())
    y = torch.zeros(copies, 1, c["n_out"])
    xs = [torch.from_numpy(x[t]).view(1, 1, -1).expand(copies, 1, -1).contiguous()
          for t in range(x.shape[0])]
    times = []
    for t in range(warmup + steps):
        t0 = time.perf_counter_ns()
        if windowed and t > 0 and (t % c["window"]) % c["hop"] == 0:
            j = (t % c["window"]) // c["hop"]
            for s in (se[0], se[1], sd[0], sd[1]):
                s[:, j].zero_()
        e, se = m.encoder(xs[t], se)
        d, sd = m.decoder(torch.cat([e, y], -1), sd)
        active = (t // c["hop"] + 1) % copies if windowed else 0
        p = torch.sigmoid(m.output(d[active:active + 1]))
        y = torch.bernoulli(p, generator=gen).expand(copies, 1, -1)
        t1 = time.perf_counter_ns()
        if t >= warmup:
            times.append((t1 - t0) * 1e-3)
    return quantile(times, 0.5), quantile(times, 0.99), max(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="accompd safetensors file")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--windowed", action="store_true", help="also time the window scheme")
    a = ap.parse_args()

    torch.set_num_threads(1)
    m, meta = accomp_ref.load_model(a.model)
    m.eval()
    c = accomp_ref.config(meta)
    rng = np.random.default_rng(a.seed)
    n = a.warmup + a.steps
    onset, hold, sib, bib, _ = accomp_ref.random_song(c, n, rng)
    x = accomp_ref.features(c, onset, hold, sib, bib)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    med, p99, mx = run(m, c, x, a.steps, a.warmup, a.seed, False)
    print(f"  plain:    median {med:8.2f} us  p99 {p99:8.2f} us  max {mx:8.2f} us")
    res = f"torch_plain_median_us={med:.3f} torch_plain_p99_us={p99:.3f}"
    if a.windowed:
        wmed, wp99, wmx = run(m, c, x, a.steps, a.warmup, a.seed, True)
        print(f"  windowed: median {wmed:8.2f} us  p99 {wp99:8.2f} us  max {wmx:8.2f} us")
        res += f" torch_windowed_median_us={wmed:.3f} torch_windowed_p99_us={wp99:.3f}"
    print("RESULT " + res)


if __name__ == "__main__":
    main()
