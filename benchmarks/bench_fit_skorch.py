"""Time a whole ``fit`` of ALRNNRegressor against skorch training an ``nn.RNN``.

Usage::

    python benchmarks/bench_fit_skorch.py               # about half a minute on 2 cores
    python benchmarks/bench_fit_skorch.py --quick       # smoke run, seconds
    python benchmarks/bench_fit_skorch.py --sizes large --repeats 7 --out /tmp/s.json

Three ways to train a recurrent regressor on the same data (the adding problem,
N sequences of T steps with K = 2 features, target of shape (N,)):

- ``sk_alrnn``: ``ALRNNRegressor(n_hidden=M, n_nonlinear=P)``, everything it does
  inside ``fit`` included (input validation, target scaling, the final check of the
  outputs), gradient clipping off;
- ``skorch``: ``skorch.NeuralNetRegressor`` around ``nn.RNN(nonlinearity="relu",
  batch_first=True)`` with M hidden units and a ``Linear(M, 1)`` readout of the last
  step; MSE loss, ``torch.optim.Adam``, shuffled batches, ``train_split=None`` (no
  validation split) and ``verbose=0``. X and y are cast to the model's dtype
  (y reshaped to (N, 1)) before the clock starts;
- ``torch loop``: the same ``nn.RNN`` network trained by a minimal hand-written
  loop (random permutation, batches, Adam), the floor for a framework around
  ``nn.RNN``.

All use the same epochs (``--max-iter``, every fit runs all of them), batch size,
hidden size and learning rate. Repeats are interleaved (each round fits every
configuration once, in a rotated order) and the table reports medians and the
ratio to skorch; the target is sk_alrnn <= 0.5x skorch. Without skorch installed
(``pip install skorch``, part of the ``dev`` extra) the comparison is skipped with
a message and the other variants are still timed.

Shapes: N sequences, T time steps, K features, M latent units, P ReLU units.
Results go to ``--out`` as JSON. This script is never imported by the package.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sklearn
import torch
from _machine import cpu_model
from sklearn.exceptions import ConvergenceWarning
from torch import Tensor, nn

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn._nn._kernels import select_kernel
from sk_alrnn.datasets import make_addition_problem

try:
    import skorch
    from skorch import NeuralNetRegressor
except ImportError:  # optional: the comparison is skipped
    skorch = None

DEFAULT_OUT = Path(__file__).parent / "results" / "bench_fit_skorch.json"
# (N sequences, T time steps, M latent units)
SIZES = {
    "small": (256, 20, 16),
    "medium": (256, 50, 32),
    "large": (512, 50, 64),
}
VARIANTS = ("sk_alrnn", "skorch", "torch_loop")
TARGET_RATIO = 0.5


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults in --help, except for flags and mode-dependent (None) ones."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: the small size, 2 epochs, 2 repeats",
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help=f"comma-separated sizes out of {', '.join(SIZES)} "
        f"({'; '.join(f'{k}: N,T,M={v}' for k, v in SIZES.items())}) "
        "(default: all; --quick: small)",
    )
    parser.add_argument("--n-nonlinear", type=int, default=4, help="P (capped at M)")
    parser.add_argument(
        "--max-iter", type=int, default=None, help="epochs (default: 10; --quick: 2)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="sequences")
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="Adam")
    parser.add_argument(
        "--repeats", type=int, default=None, help="rounds (default: 7; --quick: 2)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (0: torch's default)"
    )
    parser.add_argument(
        "--dtype", default="float32", choices=["float32", "float64"], help="precision"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = "small" if args.quick else ",".join(SIZES)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        parser.error(f"--sizes: unknown {unknown}; choose from {list(SIZES)}")
    if args.max_iter is None:
        args.max_iter = 2 if args.quick else 10
    if args.repeats is None:
        args.repeats = 2 if args.quick else 7
    if min(args.max_iter, args.batch_size, args.repeats) < 1 or args.threads < 0:
        parser.error(
            "--max-iter, --batch-size and --repeats must be >= 1, --threads >= 0"
        )
    if args.n_nonlinear < 0 or args.learning_rate <= 0:
        parser.error("--n-nonlinear must be >= 0 and --learning-rate > 0")
    return args


class RNNRegressorModule(nn.Module):
    """``nn.RNN`` with ReLU and a linear readout of the last step.

    Parameters
    ----------
    n_features, n_hidden : int
        K and M.
    dtype : torch.dtype, default=torch.float32
    """

    def __init__(
        self, n_features: int, n_hidden: int, dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        self.rnn = nn.RNN(
            n_features, n_hidden, nonlinearity="relu", batch_first=True, dtype=dtype
        )
        self.readout = nn.Linear(n_hidden, 1, dtype=dtype)

    def forward(self, X: Tensor) -> Tensor:
        """Outputs (B, 1) at the last step of X (B, T, K)."""
        states, _ = self.rnn(X)  # (B, T, M)
        return self.readout(states[:, -1])  # (B, 1)


# -- one fit of each variant: returns seconds ----------------------------------------
def fit_sk_alrnn(X: np.ndarray, y: np.ndarray, n_hidden: int, args) -> float:
    """Seconds for ``ALRNNRegressor.fit`` on X (N, T, K) float64, y (N,)."""
    model = ALRNNRegressor(
        n_hidden=n_hidden,
        n_nonlinear=min(args.n_nonlinear, n_hidden),
        max_iter=args.max_iter,
        batch_size=args.batch_size,
        learning_rate_init=args.learning_rate,
        clip_grad_norm=None,  # skorch and the torch loop do not clip either
        n_iter_no_change=np.inf,  # always exactly max_iter epochs
        tol=0.0,
        random_state=0,
        device="cpu",
        dtype=args.dtype,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - start
    assert model.n_iter_ == args.max_iter, model.n_iter_
    return seconds


def fit_skorch(X: np.ndarray, y: np.ndarray, n_hidden: int, args) -> float:
    """Seconds for ``NeuralNetRegressor.fit``; X (N, T, K), y (N, 1) cast already."""
    torch.manual_seed(0)  # skorch initialises the module from the global generator
    net = NeuralNetRegressor(
        module=RNNRegressorModule,
        module__n_features=X.shape[2],
        module__n_hidden=n_hidden,
        module__dtype=getattr(torch, args.dtype),
        criterion=nn.MSELoss,
        optimizer=torch.optim.Adam,
        lr=args.learning_rate,
        max_epochs=args.max_iter,
        batch_size=args.batch_size,
        iterator_train__shuffle=True,
        train_split=None,
        verbose=0,
        device="cpu",
    )
    start = time.perf_counter()
    net.fit(X, y)
    seconds = time.perf_counter() - start
    assert len(net.history) == args.max_iter, len(net.history)
    return seconds


def fit_torch_loop(X: np.ndarray, y: np.ndarray, n_hidden: int, args) -> float:
    """Seconds for a minimal hand-written training loop of the same network."""
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = RNNRegressorModule(X.shape[2], n_hidden, getattr(torch, args.dtype))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)  # (N, T, K), (N, 1)
    for _ in range(args.max_iter):
        order = torch.randperm(len(X_t), generator=generator)
        for begin in range(0, len(X_t), args.batch_size):
            idx = order[begin : begin + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(model(X_t[idx]), y_t[idx])
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    np_dtype = np.dtype(args.dtype)
    fits: dict[str, Callable[..., float]] = {
        "sk_alrnn": fit_sk_alrnn,
        "skorch": fit_skorch,
        "torch_loop": fit_torch_loop,
    }
    if skorch is None:
        print(
            "skorch is not installed (pip install skorch, or the dev extra): "
            "skipping the skorch comparison."
        )
        del fits["skorch"]
    kernel = select_kernel(torch.zeros(1, 1, 1, dtype=getattr(torch, args.dtype)))

    data = {}  # size -> variant -> (X, y) in the form that variant takes
    for name in args.sizes:
        n, t, _ = SIZES[name]
        X, y = make_addition_problem(n, t, random_state=0)  # (N, T, 2), (N,)
        cast = (X.astype(np_dtype), y.astype(np_dtype)[:, None])  # (N, T, 2), (N, 1)
        data[name] = {"sk_alrnn": (X, y), "skorch": cast, "torch_loop": cast}

    configs = [(name, variant) for name in args.sizes for variant in fits]
    warm_args = argparse.Namespace(**{**vars(args), "max_iter": 1})
    for name, variant in configs:  # warm-up: lazy initialisation, kernel compile
        X, y = data[name][variant]
        fits[variant](X[:64], y[:64], SIZES[name][2], warm_args)

    times: dict[tuple[str, str], list[float]] = {c: [] for c in configs}
    start = time.perf_counter()
    for r in range(args.repeats):
        shift = r % len(configs)
        for name, variant in configs[shift:] + configs[:shift]:
            X, y = data[name][variant]
            times[name, variant].append(fits[variant](X, y, SIZES[name][2], args))
    total = time.perf_counter() - start

    rows = []
    for name in args.sizes:
        n, t, m = SIZES[name]
        medians = {v: statistics.median(times[name, v]) for v in fits}
        skorch_median = medians.get("skorch")
        ratio = None if skorch_median is None else medians["sk_alrnn"] / skorch_median
        rows.append(
            {
                "size": name,
                "n_sequences": n,
                "n_timesteps": t,
                "n_features": 2,
                "n_hidden": m,
                "n_nonlinear": min(args.n_nonlinear, m),
                "median_s": {v: medians.get(v) for v in VARIANTS},
                "times_s": {v: times.get((name, v)) for v in VARIANTS},
                "ratio_to_skorch": {
                    v: None
                    if v not in medians or skorch_median is None
                    else medians[v] / skorch_median
                    for v in VARIANTS
                },
                "target": {
                    "limit": TARGET_RATIO,
                    "status": "n/a"
                    if ratio is None
                    else ("PASS" if ratio <= TARGET_RATIO else "MISS"),
                },
            }
        )

    print(
        f"fit of {args.max_iter} epochs, batch_size={args.batch_size}, "
        f"lr={args.learning_rate}, Adam, {args.dtype}, torch threads="
        f"{torch.get_num_threads()}, sk_alrnn kernel {kernel!r}, median of "
        f"{args.repeats} interleaved repeats; ratio to skorch (lower is faster)"
    )
    header = ["size", "N", "T", "M", "P", "sk_alrnn [s]", "skorch [s]"]
    header += ["torch loop [s]", "sk_alrnn/skorch", "loop/skorch", "target <=0.5x"]
    widths = [max(len(h), 6) for h in header]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:

        def seconds(v: str, row: dict = row) -> str:
            value = row["median_s"][v]
            return "n/a" if value is None else f"{value:.3f}"

        def ratio(v: str, row: dict = row) -> str:
            value = row["ratio_to_skorch"][v]
            return "n/a" if value is None else f"{value:.2f}x"

        cells = [row["size"], str(row["n_sequences"]), str(row["n_timesteps"])]
        cells += [str(row["n_hidden"]), str(row["n_nonlinear"])]
        cells += [seconds("sk_alrnn"), seconds("skorch"), seconds("torch_loop")]
        cells += [ratio("sk_alrnn"), ratio("torch_loop"), row["target"]["status"]]
        print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    print(f"total timed: {total:.1f} s")

    document = {
        "benchmark": "bench_fit_skorch",
        "settings": {
            "sizes": {name: SIZES[name] for name in args.sizes},
            "n_nonlinear": args.n_nonlinear,
            "max_iter": args.max_iter,
            "batch_size": args.batch_size,
            "learning_rate": args.learning_rate,
            "repeats": args.repeats,
            "dtype": args.dtype,
            "torch_threads": torch.get_num_threads(),
            "quick": args.quick,
            "sk_alrnn_kernel": kernel,
            "skorch_available": skorch is not None,
        },
        "environment": {
            "sk_alrnn": __version__,
            "torch": torch.__version__,
            "skorch": None if skorch is None else skorch.__version__,
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_model": cpu_model(),
            "cpu_count": os.cpu_count(),
        },
        "results": rows,
        "total_timed_s": total,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
