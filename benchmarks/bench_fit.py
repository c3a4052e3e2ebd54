"""Time a whole ``ALRNNRegressor.fit`` for several n_nonlinear values and sizes.

Usage::

    python benchmarks/bench_fit.py                      # about a minute on 2 cores
    python benchmarks/bench_fit.py --repeats 5 --max-iter 10 --out /tmp/fit.json

Every fit trains exactly ``--max-iter`` epochs (``n_iter_no_change=inf``) on the
adding problem, so times compare like with like. Repeats are interleaved (each
round runs every configuration once, in a rotated order) so that slow drifts of
the machine spread over all configurations; the table reports medians, and each
time also as a ratio to P = 0 of the same size: the cost of the ReLU units.

Shapes: N sequences, T time steps, K = 2 features, M latent units, P ReLU units.
This script is never imported by the package.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn.datasets import make_addition_problem

DEFAULT_OUT = Path(__file__).parent / "results" / "bench_fit.json"
# (N sequences, T time steps, M latent units)
SIZES = {
    "small": (256, 20, 16),
    "medium": (256, 50, 32),
    "large": (512, 50, 64),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--n-nonlinear",
        default="0,2,8",
        help="comma-separated P values (each capped at the size's M)",
    )
    parser.add_argument(
        "--sizes",
        default="small,medium,large",
        help=f"comma-separated sizes out of {', '.join(SIZES)} "
        f"({'; '.join(f'{k}: N,T,M={v}' for k, v in SIZES.items())})",
    )
    parser.add_argument("--max-iter", type=int, default=10, help="epochs per fit")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (0: keep torch's default)",
    )
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output")
    args = parser.parse_args(argv)
    try:
        args.n_nonlinear = sorted({int(p) for p in args.n_nonlinear.split(",")})
    except ValueError:
        parser.error(
            f"--n-nonlinear: expected integers like 0,2,8, got {args.n_nonlinear!r}"
        )
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        parser.error(f"--sizes: unknown {unknown}; choose from {list(SIZES)}")
    if min(args.max_iter, args.batch_size, args.repeats) < 1 or args.threads < 0:
        parser.error(
            "--max-iter, --batch-size and --repeats must be >= 1, --threads >= 0"
        )
    return args


def fit_seconds(data, n_hidden, n_nonlinear, args) -> float:
    X, y = data
    model = ALRNNRegressor(
        n_hidden=n_hidden,
        n_nonlinear=n_nonlinear,
        max_iter=args.max_iter,
        batch_size=args.batch_size,
        learning_rate_init=1e-3,
        n_iter_no_change=np.inf,  # always exactly max_iter epochs
        tol=0.0,
        random_state=0,
        device=args.device,
        dtype=args.dtype,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - start
    assert model.n_iter_ == args.max_iter, model.n_iter_
    return seconds


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    configs = []  # (size name, N, T, M, P)
    for name in args.sizes:
        n, t, m = SIZES[name]
        for p in sorted({min(p, m) for p in args.n_nonlinear}):
            configs.append((name, n, t, m, p))
    data = {
        name: make_addition_problem(SIZES[name][0], SIZES[name][1], random_state=0)
        for name in args.sizes
    }  # X (N, T, 2), y (N,)

    for name in args.sizes:  # warm-up: lazy torch initialisation, caches
        fit_seconds((data[name][0][:32], data[name][1][:32]), SIZES[name][2], 0, args)

    times = {c: [] for c in configs}
    start = time.perf_counter()
    for r in range(args.repeats):
        shift = r % len(configs)
        for c in configs[shift:] + configs[:shift]:  # rotated order each round
            times[c].append(fit_seconds(data[c[0]], c[3], c[4], args))
    total = time.perf_counter() - start

    rows = []
    for c in configs:
        name, n, t, m, p = c
        median = statistics.median(times[c])
        base = statistics.median(times[min(x for x in configs if x[0] == name)])
        rows.append(
            {
                "size": name,
                "n_sequences": n,
                "n_timesteps": t,
                "n_hidden": m,
                "n_nonlinear": p,
                "median_s": median,
                "min_s": min(times[c]),
                "times_s": times[c],
                "ms_per_epoch": 1e3 * median / args.max_iter,
                "ratio_to_lowest_p": median / base,
            }
        )

    lowest = min(args.n_nonlinear)
    header = (
        "size",
        "N",
        "T",
        "M",
        "P",
        "median fit [s]",
        "ms/epoch",
        f"vs P={lowest}",
    )
    widths = [8, 5, 4, 4, 4, len(header[5]), 9, len(header[7])]
    print(
        f"ALRNNRegressor.fit, {args.max_iter} epochs, batch_size={args.batch_size}, "
        f"{args.dtype}, device={args.device}, torch threads={torch.get_num_threads()}, "
        f"median of {args.repeats} interleaved repeats"
    )
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        cells = (
            row["size"],
            str(row["n_sequences"]),
            str(row["n_timesteps"]),
            str(row["n_hidden"]),
            str(row["n_nonlinear"]),
            f"{row['median_s']:.3f}",
            f"{row['ms_per_epoch']:.1f}",
            f"{row['ratio_to_lowest_p']:.2f}x",
        )
        print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    print(f"total timed: {total:.1f} s")

    document = {
        "benchmark": "bench_fit",
        "settings": {
            "n_nonlinear": args.n_nonlinear,
            "sizes": {name: SIZES[name] for name in args.sizes},
            "max_iter": args.max_iter,
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "device": args.device,
            "dtype": args.dtype,
            "torch_threads": torch.get_num_threads(),
        },
        "environment": {
            "sk_alrnn": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        },
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
