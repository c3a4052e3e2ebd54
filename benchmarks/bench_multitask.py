"""Cognitive multi-task suite: accuracy and shared linear regions against P (M = 64).

Usage::

    python benchmarks/bench_multitask.py --quick        # about a minute on 2 cores
    python benchmarks/bench_multitask.py                # full: 5 seeds, 300 epochs
    python benchmarks/bench_multitask.py --difficulty hard --seeds 0,1,2

For every P in {0, 1, 2, 4, 8, 16, 64} (``--p-values``) and every seed, this
script draws training and test trials of all eleven tasks of
:func:`sk_alrnn.datasets.make_cognitive_tasks` (each seed its own data and
initial weights), fits ``ALRNNRegressor(n_hidden=64, n_nonlinear=P)`` (the
estimator's default training otherwise) on the (fixation, cos, sin) target at
the last step, and reports on the test trials

* the accuracy of :func:`sk_alrnn.datasets.cognitive_accuracy` (angular error
  below pi/6 and the right fixation decision; chance about 1/6), overall and per
  task (per task in the JSON);
* :func:`sk_alrnn.analysis.region_sharing` with the tasks as groups: the number
  of linear regions visited, the share of used regions that at least two tasks
  use and the share of time steps spent in such regions. A task uses a region
  when more than ``--min-fraction`` of its steps fall there. With P = 0 there
  is one region, trivially shared.

The paper (arXiv 2506.07919) trains on 5000 trials for 300 epochs, 5 runs per
P; the full mode follows those sizes, ``--quick`` is a smoke run with small
sizes. Settings were not tuned to reproduce the paper. Prints a table (mean ±
standard deviation over seeds) and writes JSON to ``--out``. This script is
never imported by the package.

Shapes: N trials, T_i steps (variable), K = 18 inputs, M latent units, P ReLU
units, O = 3 outputs.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _machine import cpu_model

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn.analysis import region_sharing
from sk_alrnn.datasets import COGNITIVE_TASKS, cognitive_accuracy, make_cognitive_tasks

DEFAULT_OUT = Path(__file__).parent / "results" / "bench_multitask.json"
P_VALUES = (0, 1, 2, 4, 8, 16, 64)
SUMMARY_KEYS = ("accuracy", "shared_fraction", "weighted_shared_fraction")
MODES = {
    "full": dict(n_train=5000, n_test=1000, max_iter=300, seeds="0,1,2,3,4"),
    "quick": dict(n_train=1100, n_test=440, max_iter=30, seeds="0,1"),
}


def run_one(p: int, seed: int, args) -> dict:
    """Fit one model and score it on fresh test trials."""
    X, y, _ = make_cognitive_tasks(
        args.n_train, difficulty=args.difficulty, random_state=2 * seed
    )
    X_test, y_test, task = make_cognitive_tasks(
        args.n_test, difficulty=args.difficulty, random_state=2 * seed + 1
    )
    reg = ALRNNRegressor(
        n_hidden=args.n_hidden,
        n_nonlinear=p,
        max_iter=args.max_iter,
        random_state=seed,
        device="cpu",
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of small P / few epochs
        reg.fit(X, y)
    fit_s = time.perf_counter() - start
    pred = reg.predict(X_test)  # (N, 3)
    share = region_sharing(reg, X_test, task, min_fraction=args.min_fraction)
    return {
        "n_nonlinear": p,
        "seed": seed,
        "accuracy": cognitive_accuracy(y_test, pred),
        "accuracy_per_task": {
            t: cognitive_accuracy(y_test[task == t], pred[task == t])
            for t in COGNITIVE_TASKS
        },
        "n_regions": share.n_regions,
        "shared_fraction": share.shared_fraction,
        "weighted_shared_fraction": share.weighted_shared_fraction,
        "epochs": int(reg.n_iter_),
        "fit_seconds": fit_s,
    }


def _mean_std(rows, key) -> str:
    values = np.array([r[key] for r in rows], dtype=float)
    return f"{values.mean():.3f} ± {values.std():.3f}"


def print_table(results, p_values) -> list[dict]:
    head = (
        f"{'P':>3}  {'accuracy':>13}  {'regions':>7}  {'shared regions':>14}  "
        f"{'steps in shared':>15}  {'fit [s]':>7}"
    )
    print(head)
    print("-" * len(head))
    summary = []
    for p in p_values:
        rows = [r for r in results if r["n_nonlinear"] == p]
        n_regions = np.mean([r["n_regions"] for r in rows])
        fit_s = np.mean([r["fit_seconds"] for r in rows])
        print(
            f"{p:>3}  {_mean_std(rows, 'accuracy'):>13}  {n_regions:7.1f}  "
            f"{_mean_std(rows, 'shared_fraction'):>14}  "
            f"{_mean_std(rows, 'weighted_shared_fraction'):>15}  {fit_s:7.1f}"
        )
        summary.append(
            {
                "n_nonlinear": p,
                **{
                    f"{key}_{stat}": float(fn([r[key] for r in rows]))
                    for key in (
                        "accuracy",
                        "shared_fraction",
                        "weighted_shared_fraction",
                    )
                    for stat, fn in (("mean", np.mean), ("std", np.std))
                },
                "n_regions_mean": float(n_regions),
                "fit_seconds_mean": float(fit_s),
            }
        )
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, small sizes")
    parser.add_argument("--n-train", type=int, help="training trials per seed")
    parser.add_argument("--n-test", type=int, help="test trials per seed")
    parser.add_argument("--max-iter", type=int, help="epochs per fit")
    parser.add_argument("--seeds", help="comma-separated random_state values")
    parser.add_argument("--n-hidden", type=int, default=64, help="M")
    parser.add_argument(
        "--p-values",
        default=",".join(map(str, P_VALUES)),
        help="comma-separated P values (numbers of ReLU units)",
    )
    parser.add_argument("--difficulty", choices=("simple", "hard"), default="simple")
    parser.add_argument(
        "--min-fraction",
        type=float,
        default=0.01,
        help="a task uses a region when more than this share of its steps is there",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file")
    args = parser.parse_args(argv)
    mode = MODES["quick" if args.quick else "full"]
    for key, value in mode.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    seeds = [int(s) for s in args.seeds.split(",")]
    p_values = [int(p) for p in args.p_values.split(",")]
    if max(p_values) > args.n_hidden:
        parser.error(f"every P must be <= --n-hidden={args.n_hidden}")
    torch.set_num_threads(args.threads)
    print(
        f"CPU: {cpu_model()}; python {platform.python_version()}, torch "
        f"{torch.__version__} ({args.threads} thread(s)), sk_alrnn {__version__}\n"
        f"{args.difficulty} suite, {len(COGNITIVE_TASKS)} tasks, M={args.n_hidden}, "
        f"{args.n_train} training / {args.n_test} test trials, {args.max_iter} "
        f"epochs, seeds {seeds}; mean ± std over seeds\n",
        flush=True,
    )
    results = []
    for p in p_values:
        for seed in seeds:
            results.append(run_one(p, seed, args))
    summary = print_table(results, p_values)
    print(
        "\naccuracy: angular error < pi/6 and the right fixation decision (chance "
        "about 1/6); shared regions: share of used regions used by >= 2 tasks; "
        "steps in shared: share of test steps in such regions"
    )
    doc = {
        "benchmark": "bench_multitask",
        "cpu": cpu_model(),
        "torch": torch.__version__,
        "sk_alrnn": __version__,
        "settings": {
            k: getattr(args, k)
            for k in (
                "quick",
                "n_train",
                "n_test",
                "max_iter",
                "n_hidden",
                "difficulty",
                "min_fraction",
                "threads",
            )
        }
        | {"seeds": seeds, "p_values": p_values},
        "summary": summary,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"Results written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
