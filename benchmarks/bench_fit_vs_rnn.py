"""Whole ``ALRNNRegressor.fit`` against a plain PyTorch ``nn.RNN`` training loop.

Usage::

    python benchmarks/bench_fit_vs_rnn.py              # a few minutes, 1 thread
    python benchmarks/bench_fit_vs_rnn.py --quick      # seconds (smoke run)

For each size (N sequences, T steps, M latent units, P ReLU units, batch), on
the adding problem (K = 2 features, one output):

- ``ours``: ``ALRNNRegressor(...).fit`` with its defaults except a fixed budget
  (``max_iter`` epochs, ``n_iter_no_change=inf``, no validation split): data
  checks, scaling, tensor building, the kernels and the fused Adam, the whole
  call as a user makes it;
- ``rnn``: what a user writes in plain PyTorch for the same work:
  ``nn.RNN(nonlinearity="relu", batch_first=True)`` + ``nn.Linear`` readout of
  the last step, ``torch.optim.Adam(fused=True)``, shuffled mini-batches of the
  same size, the same number of epochs, mean squared error;
- ``rnn+ftz``: the same loop with ``torch.set_flush_denormal(True)`` (subnormal
  floats flushed to zero, as ``fit`` does), the fair reference, since any user
  can switch that on.

Repeats are interleaved (every round times every variant once, in an order
rotated from round to round); the table gives medians and the ratios
``ours / rnn`` and ``ours / rnn+ftz`` (below 1: ours is faster), measured in one
run. Targets (issue 12): ours <= 0.4x rnn and <= 0.6x rnn+ftz. The CPU model and
its vector flags are printed, since ratios differ between CPUs. Writes JSON to
``--out``. This script is never imported by the package.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _machine import cpu_flags, cpu_model
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn.datasets import make_addition_problem

DEFAULT_OUT = Path(__file__).parent / "results" / "bench_fit_vs_rnn.json"
# (N sequences, T steps, M latent units, P ReLU units, batch)
SIZES = [
    (256, 100, 32, 4, 32),
    (256, 500, 64, 8, 32),
    (256, 392, 64, 8, 64),
    (512, 200, 100, 10, 32),
    (512, 100, 128, 16, 128),
]
QUICK_SIZES = [(64, 20, 16, 2, 32), (64, 20, 64, 8, 32)]
TARGETS = {"rnn": 0.4, "rnn+ftz": 0.6}


def cpu_info() -> dict:
    """CPU model and the vector flags that matter for these kernels."""
    return {"model": cpu_model(), "flags": cpu_flags()}


def _ours(X, y, m, p, batch, epochs):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ALRNNRegressor(
                n_hidden=m,
                n_nonlinear=p,
                batch_size=batch,
                max_iter=epochs,
                n_iter_no_change=np.inf,
                early_stopping=False,
                random_state=0,
                device="cpu",
            ).fit(X, y)

    return run


def _rnn(X, y, m, batch, epochs, ftz):
    def run():
        torch.set_flush_denormal(ftz)
        try:
            gen = torch.Generator().manual_seed(0)
            Xt = torch.as_tensor(X, dtype=torch.float32)  # (N, T, K)
            yt = torch.as_tensor(y, dtype=torch.float32)[:, None]  # (N, 1)
            rnn = nn.RNN(X.shape[2], m, nonlinearity="relu", batch_first=True)
            readout = nn.Linear(m, 1)
            params = [*rnn.parameters(), *readout.parameters()]
            opt = torch.optim.Adam(params, lr=5e-3, fused=True)
            for _ in range(epochs):
                for idx in torch.randperm(len(Xt), generator=gen).split(batch):
                    states, _ = rnn(Xt[idx])  # (b, T, M)
                    loss = ((readout(states[:, -1]) - yt[idx]) ** 2).mean()
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
        finally:
            torch.set_flush_denormal(False)

    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_flush_denormal(False)
    sizes = QUICK_SIZES if args.quick else SIZES
    repeats = 1 if args.quick else args.repeats
    epochs = 1 if args.quick else args.epochs
    cpu = cpu_info()
    print(
        f"CPU: {cpu['model']} ({' '.join(cpu['flags'])}); torch {torch.__version__}, "
        f"1 thread; sk_alrnn {__version__}; {epochs} epochs per fit, "
        f"medians of {repeats} interleaved repeats"
    )
    cases = {}
    for n, t, m, p, batch in sizes:
        X, y = make_addition_problem(n_samples=n, n_timesteps=t, random_state=0)
        X = X.astype(np.float32)
        key = (n, t, m, p, batch)
        cases[key] = {
            "ours": _ours(X, y, m, p, batch, epochs),
            "rnn": _rnn(X, y, m, batch, epochs, ftz=False),
            "rnn+ftz": _rnn(X, y, m, batch, epochs, ftz=True),
        }
        for run in cases[key].values():  # warm up (and compile the kernels)
            run()
    times = {key: {name: [] for name in runs} for key, runs in cases.items()}
    for r in range(repeats):
        for key, runs in cases.items():
            names = list(runs)
            for name in names[r % len(names) :] + names[: r % len(names)]:
                start = time.perf_counter()
                runs[name]()
                times[key][name].append(time.perf_counter() - start)
    rows = []
    head = (
        "(N, T, M, P, batch)        ours [s]  rnn [s]  rnn+ftz [s]  ours/rnn  "
        "ours/rnn+ftz"
    )
    print(head)
    print("-" * len(head))
    for key, by_name in times.items():
        med = {name: statistics.median(v) for name, v in by_name.items()}
        ratios = {ref: med["ours"] / med[ref] for ref in TARGETS}
        passed = {ref: ratios[ref] <= TARGETS[ref] for ref in TARGETS}
        rows.append({"size": key, "seconds": med, "ratios": ratios, "pass": passed})
        print(
            f"{key!s:<26} {med['ours']:8.3f} {med['rnn']:8.3f} "
            f"{med['rnn+ftz']:12.3f} {ratios['rnn']:9.2f}"
            f"{'' if passed['rnn'] else '!':1} {ratios['rnn+ftz']:12.2f}"
            f"{'' if passed['rnn+ftz'] else '!':1}"
        )
    print(
        f"! misses the target (ours <= {TARGETS['rnn']}x rnn, "
        f"<= {TARGETS['rnn+ftz']}x rnn+ftz)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "bench_fit_vs_rnn",
        "cpu": cpu,
        "torch": torch.__version__,
        "sk_alrnn": __version__,
        "epochs": epochs,
        "repeats": repeats,
        "targets": TARGETS,
        "results": rows,
    }
    args.out.write_text(json.dumps(payload, indent=1, default=str))
    print(f"Results written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
