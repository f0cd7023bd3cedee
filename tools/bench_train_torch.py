#!/usr/bin/python3
"""PyTorch's CPU LSTM training the same encoder-decoder as `accomp bench-train`.

tools/accomp_ref.py's Accomp (one layer each side), random 0/1 rolls with
about 5% of the bits set, teacher forcing (y_prev = y shifted by a step),
BCEWithLogitsLoss, clip_grad_norm_(1.0), Adam(lr=1e-3): the same update the
C trainer times. Prints time steps x batch per second.

  bench_train_torch.py [--hidden 128] [--n-in 88] [--n-out 88] [--window 100]
                       [--batch 64] [--threads 1] [--seconds 10]

The last line, RESULT key=value ..., is for tools/bench-train-side-by-side.
Set OPENBLAS_CORETYPE before starting it: OpenBLAS reads it only at load.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accomp_ref  # noqa: E402  (after the path, on purpose)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--n-in", type=int, default=88)
    ap.add_argument("--n-out", type=int, default=88)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    B, T = a.batch, a.window
    m = accomp_ref.Accomp(a.n_in, a.n_out, a.hidden, 1, a.hidden, 1)
    x = (torch.rand(B, T, a.n_in) < 0.05).float()
    y = (torch.rand(B, T, a.n_out) < 0.05).float()
    y_prev = torch.cat([torch.zeros(B, 1, a.n_out), y[:, :-1]], 1)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def update():
        opt.zero_grad()
        loss = loss_fn(m(x, y_prev), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(2):  # untimed, as in accomp bench-train
        update()
    n, t0 = 0, time.perf_counter()
    while True:
        loss = update()
        n += 1
        t1 = time.perf_counter()
        if t1 - t0 >= a.seconds:
            break
    rate = n * T * B / (t1 - t0)
    core = os.environ.get("OPENBLAS_CORETYPE", "(unset)")
    print(f"pytorch {torch.__version__}: H {a.hidden}, n_in {a.n_in}, n_out {a.n_out}, T {T}, "
          f"batch {B}, {a.threads} thread(s), OPENBLAS_CORETYPE={core}")
    print(f"  {n} updates in {t1 - t0:.2f} s: {1e3 * (t1 - t0) / n:.1f} ms per update, "
          f"{rate:.0f} time steps x batch per second (loss {loss:.4f})")
    print(f"RESULT steps_batch_per_s={rate:.1f} ms_per_update={1e3 * (t1 - t0) / n:.3f} "
          f"threads={a.threads}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
