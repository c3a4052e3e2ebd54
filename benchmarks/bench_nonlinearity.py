"""How much nonlinearity do the papers' tasks need? Does sparse P help with little data?

Usage::

    python benchmarks/bench_nonlinearity.py --quick            # < 5 min on 2 cores
    python benchmarks/bench_nonlinearity.py --n-jobs 2         # full: ~25 min, quiet
    python benchmarks/bench_nonlinearity.py --quick --out /tmp/nl

For the adding problem, contextual integration, the copy task and sequential
digits (the registry in ``sk_alrnn._task_suite``), this script

1. fits an AL-RNN for every P in {0, 1, 2, 4, 8, 16, M} and the GRU and LSTM
   baselines (same M, same training) over several seeds, and scores each on a
   held-out test set;
2. draws learning curves (test score against training-set size, smallest
   <= 100 sequences) for P = 0, the sparse P (the smallest P > 0 not credibly
   worse than the best in step 1), P = M and the GRU.

Every seed draws its own data (for the digits, its own split) and its own
initial weights. Every fit uses the estimators' default training (M = 32, the
memory initialisation, cosine schedule, validation-loss stopping, automatic
batch size), as a Python user gets it; the largest learning-curve size is the
sweep of step 1 itself. The "needed" P is the sweep's rule (the smallest P not
credibly worse than the best, paired over seeds; see
``sk_alrnn.model_selection``). Settings are fixed in advance (see ``MODES``)
and were not tuned to reproduce the papers. Each fit runs with one torch
thread; ``--n-jobs`` runs fits in parallel processes (joblib).

Writes ``bench_nonlinearity.json``, ``bench_nonlinearity.md`` (tables) and
``nonlinearity_sweep.png`` / ``learning_curves.png`` under ``--out``
(default ``benchmarks/results/``, git-ignored). This script is never imported
by the package.

Shapes: N sequences, T time steps, K features, M latent units, P ReLU units.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from joblib import Parallel, delayed, parallel_config
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).parent))  # benchmarks/_*.py helpers

from _nonlinearity_fits import BASELINES, run_fit
from _nonlinearity_report import markdown_report, save_plots

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn._task_suite import TASKS, get_task
from sk_alrnn.model_selection._stats import compare

DEFAULT_M = ALRNNRegressor().n_hidden
TOLERANCE = 0.02  # as sweep_nonlinearity's default

DEFAULT_OUT = Path(__file__).parent / "results"

# n_train / n_test: sequences per seed (the digits have 1797 in all);
# lc_sizes: learning-curve sizes below n_train; n_hidden None = task default.
MODES = {
    "full": dict(
        seeds=5, lc_seeds=5, n_train=1200, n_test=597, lc_sizes=(50, 100, 200, 400)
    ),
    "quick": dict(
        seeds=2, lc_seeds=1, n_train=500, n_test=250, lc_sizes=(50, 100, 200)
    ),
    # a few seconds; for the tests only
    "smoke": dict(
        seeds=1,
        lc_seeds=1,
        n_train=40,
        n_test=20,
        lc_sizes=(10, 20),
        n_hidden=4,
        max_iter=2,
        tasks=("addition", "copy"),
    ),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="fewer seeds and sequences (< 5 min)"
    )
    size.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=sorted(TASKS),
        help="tasks to run (default: all four)",
    )
    parser.add_argument(
        "--n-jobs", type=int, default=1, help="fits in parallel (joblib; -1: all)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder for the results"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNGs")
    return parser.parse_args(argv)


def run_jobs(jobs, settings, n_jobs: int, desc: str) -> list[dict]:
    rows = []
    with (
        parallel_config(backend="loky", inner_max_num_threads=1),
        tqdm(total=len(jobs), desc=desc, unit="fit", file=sys.stderr) as bar,
    ):
        for row in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(run_fit)(job, settings) for job in jobs
        ):
            rows.append(row)
            bar.update()
    return sorted(
        rows,
        key=lambda r: (
            r["task"],
            r["n_train"],
            r["model"],
            -1 if r["n_nonlinear"] is None else r["n_nonlinear"],
            r["seed"],
        ),
    )


# -- the two steps ------------------------------------------------------------------
def model_label(model: str, p, m: int) -> str:
    if model in BASELINES:
        return model.upper()
    return f"P={p}" + (" (=M)" if p == m else "")


def sweep_jobs(tasks, settings) -> list[dict]:
    jobs = []
    for name in tasks:
        m = settings.get("n_hidden") or DEFAULT_M
        ps = sorted({p for p in (0, 1, 2, 4, 8, 16) if p < m} | {m})
        for seed in range(settings["seeds"]):
            for p in ps:
                jobs.append(_job(name, "alrnn", p, seed, settings["n_train"], m))
            for cell in BASELINES:
                jobs.append(_job(name, cell, None, seed, settings["n_train"], m))
    return jobs


def _job(task, model, p, seed, n_train, m) -> dict:
    return {
        "task": task,
        "model": model,
        "n_nonlinear": p,
        "label": model_label(model, p, m),
        "seed": seed,
        "n_train": n_train,
    }


def summarize(rows) -> dict:
    """label -> mean/std/sem of the test score over seeds (plus train, time)."""
    by_label = {}
    for r in rows:
        by_label.setdefault(r["label"], []).append(r)
    summary = {}
    for label, group in by_label.items():
        scores = np.array([r["test_score"] for r in group])
        std = float(scores.std(ddof=1)) if len(scores) > 1 else 0.0
        summary[label] = {
            "model": group[0]["model"],
            "n_nonlinear": group[0]["n_nonlinear"],
            "mean": float(scores.mean()),
            "std": std,
            "sem": std / math.sqrt(len(scores)),
            "train_mean": float(np.mean([r["train_score"] for r in group])),
            "fit_seconds": float(np.mean([r["fit_time"] for r in group])),
            "n_runs": len(scores),
            "converged": all(r["converged"] for r in group),
        }
    return summary


def choose(summary: dict, rows, m: int, trivial: float) -> tuple[int, int]:
    """(the sparse P of the learning curves, the needed P).

    Needed: sweep_nonlinearity's rule (the smallest P not credibly worse than the
    best AL-RNN), with the seeds as the pairs. Sparse: the same rule among P > 0
    only (the smallest number of ReLU units that does as well as the best), so
    that the learning curves compare a sparse model, P = 0 and P = M.
    """
    alrnn = {s["n_nonlinear"]: s for s in summary.values() if s["model"] == "alrnn"}
    scores = {
        p: np.array(
            [
                r["test_score"]
                for r in sorted(rows, key=lambda r: r["seed"])
                if r["model"] == "alrnn" and r["n_nonlinear"] == p
            ]
        )
        for p in alrnn
    }
    best_mean = max(s["mean"] for s in alrnn.values())
    margin = TOLERANCE * max(best_mean - trivial, 0.0)
    _, _, needed = compare(scores, margin)
    nonlinear = {p: s for p, s in scores.items() if p > 0} or scores
    _, _, sparse = compare(nonlinear, margin)
    if sparse == m and len(nonlinear) > 1:  # P = M is drawn anyway: the best P < M
        sparse = max((p for p in nonlinear if p < m), key=lambda p: alrnn[p]["mean"])
    return sparse, needed


def curve_jobs(tasks, settings, choices) -> list[dict]:
    jobs = []
    for name in tasks:
        m = settings.get("n_hidden") or DEFAULT_M
        models = [("alrnn", p) for p in sorted({0, choices[name], m})]
        models.append(("gru", None))
        for seed in range(settings["lc_seeds"]):
            for n in settings["lc_sizes"]:
                for model, p in models:
                    jobs.append(_job(name, model, p, seed, n, m))
    return jobs


def main(argv=None) -> int:
    args = parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    settings = dict(MODES[mode])
    tasks = args.tasks or list(settings.pop("tasks", TASKS))
    settings.pop("tasks", None)
    start = time.perf_counter()
    print(
        f"bench_nonlinearity ({mode}): tasks {', '.join(tasks)}; "
        f"{settings['seeds']} seeds x {settings['n_train']} train / "
        f"{settings['n_test']} test sequences; learning curves at "
        f"{list(settings['lc_sizes'])} + {settings['n_train']} "
        f"({settings['lc_seeds']} seeds); n_jobs={args.n_jobs}",
        flush=True,
    )
    sweep_rows = run_jobs(
        sweep_jobs(tasks, settings), settings, args.n_jobs, "sweep fits"
    )
    results = {}
    choices = {}
    for name in tasks:
        task = get_task(name)
        m = settings.get("n_hidden") or DEFAULT_M
        rows = [r for r in sweep_rows if r["task"] == name]
        summary = summarize(rows)
        choices[name], needed = choose(summary, rows, m, task.trivial_score)
        results[name] = {
            "title": task.title,
            "score_name": task.score_name,
            "trivial_score": task.trivial_score,
            "trivial_note": task.trivial_note,
            "n_hidden": m,
            "sparse_n_nonlinear": choices[name],
            "needed_n_nonlinear": needed,
            "summary": summary,
            "runs": rows,
        }
    curve_rows = run_jobs(
        curve_jobs(tasks, settings, choices), settings, args.n_jobs, "curve fits"
    )
    for name in tasks:
        m = results[name]["n_hidden"]
        labels = {model_label("alrnn", p, m) for p in (0, choices[name], m)} | {"GRU"}
        full_size = [
            r for r in results[name]["runs"] if r["label"] in labels
        ]  # the sweep's fits are the largest size
        full_size = [r for r in full_size if r["seed"] < settings["lc_seeds"]]
        runs = [r for r in curve_rows if r["task"] == name] + full_size
        results[name]["learning_curve"] = {
            label: {
                str(n): summarize(
                    [r for r in runs if r["label"] == label and r["n_train"] == n]
                )[label]
                for n in (*settings["lc_sizes"], settings["n_train"])
            }
            for label in sorted(labels)
        }
        results[name]["learning_curve_runs"] = [
            r for r in curve_rows if r["task"] == name
        ]
    wall = time.perf_counter() - start
    doc = {
        "benchmark": "bench_nonlinearity",
        "mode": mode,
        "settings": {**settings, "tasks": tasks, "n_jobs": args.n_jobs},
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sklearn": sklearn.__version__,
            "sk_alrnn": __version__,
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
        },
        "wall_seconds": wall,
        "tasks": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "bench_nonlinearity.json"
    json_path.write_text(json.dumps(doc, indent=2, default=_jsonable) + "\n")
    table = markdown_report(doc)
    (args.out / "bench_nonlinearity.md").write_text(table + "\n")
    print(table)
    if not args.no_plots:
        for path in save_plots(doc, args.out):
            print(f"Figure saved to {path}")
    print(f"Results written to {json_path} (wall time {wall:.0f} s)")
    return 0


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


if __name__ == "__main__":
    raise SystemExit(main())
