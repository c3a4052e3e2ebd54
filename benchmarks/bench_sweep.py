"""Wall time of what users run first: a default sweep and the main job.

Usage::

    python benchmarks/bench_sweep.py            # about a minute on 2 cores
    python benchmarks/bench_sweep.py --n-jobs 1 --out /tmp/sweep

1. ``sweep_nonlinearity(ALRNNClassifier(random_state=0), X, y, cv=3,
   n_jobs=2)`` with every other setting at its default (5 values of P, cv=3:
   15 AL-RNN fits plus the reference models) on 500 ragged trials of 20-50
   steps (contextual integration: a cue says which of two noisy streams to
   integrate). Budget: 2 minutes on 2 cores.
2. ``python -m sk_alrnn`` (the README's main job), in a fresh process.
   Budget: about 60 s on 2 cores.

Prints the CPU model, a table and the sweep's own report; writes
``bench_sweep.json`` under ``--out`` (default ``benchmarks/results/``). Times
are only comparable within one run on a quiet machine. Never imported by the
package.

Shapes: N sequences, T time steps (20-50), K = 5 features per step.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _machine import cpu_model

from sk_alrnn import ALRNNClassifier, __version__
from sk_alrnn.model_selection import InconclusiveSweepWarning, sweep_nonlinearity

DEFAULT_OUT = Path(__file__).parent / "results"
BUDGETS = {"sweep": 120.0, "main job": 60.0}  # seconds on 2 cores


def trials(n: int, seed: int = 0, shortest: int = 20, longest: int = 50):
    """Contextual integration trials, (T_i, 5) each, and their labels."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n):
        steps = rng.randint(shortest, longest + 1)
        x = np.zeros((steps, 5))
        cue = rng.randint(2)
        x[:, :2] = 0.1 * rng.choice([-1.0, 1.0], 2) + rng.normal(size=(steps, 2))
        x[:, 2 + cue] = 1.0
        x[-1, 4] = 1.0
        X.append(x)
        y.append(int(x[:, cue].sum() > 0))
    return X, np.array(y)


def time_sweep(n_jobs: int):
    X, y = trials(500)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconclusiveSweepWarning)
        result = sweep_nonlinearity(
            ALRNNClassifier(random_state=0), X, y, cv=3, n_jobs=n_jobs
        )
    return time.perf_counter() - start, result


def time_main_job():
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sk_alrnn", "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - start, done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-jobs", type=int, default=2, help="sweep processes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--skip-main-job", action="store_true", help="time the sweep only"
    )
    args = parser.parse_args(argv)
    print(
        f"CPU: {cpu_model()}; python {platform.python_version()}, sk_alrnn "
        f"{__version__}",
        flush=True,
    )
    sweep_s, result = time_sweep(args.n_jobs)
    rows = [
        (
            "default sweep, 500 trials x 20-50 steps, 5 P x 3 folds",
            sweep_s,
            BUDGETS["sweep"],
        )
    ]
    main_out = None
    if not args.skip_main_job:
        main_s, done = time_main_job()
        main_out = done.stdout
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        rows.append(("python -m sk_alrnn", main_s, BUDGETS["main job"]))
    print(f"\n{'what':58s} {'seconds':>8s} {'budget':>7s}  status")
    for what, seconds, budget in rows:
        status = "PASS" if seconds <= budget else "MISS"
        print(f"{what:58s} {seconds:8.1f} {budget:7.0f}  {status}")
    print("\nThe sweep's report:\n" + str(result))
    if main_out:
        print("\nThe main job's output:\n" + main_out)
    doc = {
        "benchmark": "bench_sweep",
        "cpu": cpu_model(),
        "n_jobs": args.n_jobs,
        "results": [
            {"what": w, "seconds": s, "budget_seconds": b, "pass": s <= b}
            for w, s, b in rows
        ],
        "needed_n_nonlinear": result.needed_n_nonlinear,
        "mean_fit_seconds": float(np.mean([r["mean_fit_time"] for r in result.rows])),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "bench_sweep.json"
    path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"Results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
