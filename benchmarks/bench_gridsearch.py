"""GridSearchCV(ALRNNRegressor) with n_jobs=1 and n_jobs=2: speed-up, equality, memory.

Usage::

    python benchmarks/bench_gridsearch.py           # mode A: 12-fit search, speed-up
    python benchmarks/bench_gridsearch.py --load    # mode B: 200-fit search, memory
    python benchmarks/bench_gridsearch.py --quick   # tiny settings (smoke test)

Mode A (default) runs a 12-fit search (4 values of n_nonlinear x 3 folds, fits of
about 1-3 s on one core) with ``n_jobs=1``, then with ``n_jobs=2`` twice: "cold"
(the loky workers start, import torch and load the numba kernels) and "warm"
(workers reused, as for every search after the first in a session). The target is a
warm speed-up of at least 1.6x on 2 cores.

Mode B (``--load``) runs a 200-fit search of tiny models (40 candidates x
TimeSeriesSplit(5)) with ``n_jobs=1`` and ``n_jobs=2``, while a thread samples the
memory of this process and all its children (the loky workers) with psutil. The
target is a peak below 1 GiB, counted as PSS (proportional set size: pages shared
between processes, such as the torch libraries, are split among them, so the sum
over processes is the memory they really take); the RSS sum, which counts shared
pages once per process, is reported too.

Both modes check that ``cv_results_`` scores are identical (bitwise) between the
runs, print a table and write JSON (default: ``benchmarks/results/``). Every fit
uses ``--threads`` torch threads (default 1): the parent calls
``torch.set_num_threads`` for ``n_jobs=1``, and the workers get it through
``joblib.parallel_config(inner_max_num_threads=...)``; a scorer reports the count
each fit actually saw. Exit status 1 when the scores differ or memory is over the
limit; a speed-up below target is only reported (timings on a busy machine are
noise).

Shapes: N sequences, T time steps, K = 2 features, M latent units, P ReLU units.
This script is never imported by the package.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import psutil
import sklearn
import torch
from joblib import Parallel, delayed, parallel_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, TimeSeriesSplit

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn.datasets import make_addition_problem

RESULTS = Path(__file__).parent / "results"
GIB = 2**30
TARGET_SPEEDUP = 1.6
MEMORY_LIMIT = GIB

# Mode A: (N, T, M, max_iter, folds, P grid). N * (folds - 1) / folds train per fit.
SEARCH = {
    "full": dict(n=576, t=50, m=32, max_iter=60, folds=3, grid=[0, 2, 4, 8]),
    "quick": dict(n=96, t=10, m=8, max_iter=3, folds=3, grid=[0, 2]),
}
# Mode B: 40 candidates x 5 splits = 200 fits (as reliability.md B3, L1).
LOAD = {
    "full": dict(
        n=200,
        t=16,
        max_iter=20,
        splits=5,
        grid={
            "n_hidden": [4, 8],
            "n_nonlinear": [0, 1, 2, 3],
            "learning_rate_init": [1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
        },
    ),
    "quick": dict(
        n=40,
        t=8,
        max_iter=2,
        splits=2,
        grid={"n_hidden": [4], "n_nonlinear": [0, 2], "learning_rate_init": [1e-2]},
    ),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--load", action="store_true", help="mode B: 200 tiny fits, memory"
    )
    parser.add_argument("--quick", action="store_true", help="tiny settings")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel workers")
    parser.add_argument("--threads", type=int, default=1, help="torch threads/fit")
    parser.add_argument(
        "--interval", type=float, default=0.1, help="memory sampling period [s]"
    )
    parser.add_argument(
        "--memory-limit-mib",
        type=float,
        default=MEMORY_LIMIT / 2**20,
        help="--load: peak PSS (parent + workers) that fails the run",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=None,
        help="mode A: epochs per fit (longer fits amortise worker start-up; "
        "default: the mode's setting)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON output")
    args = parser.parse_args(argv)
    if args.n_jobs < 2 or args.threads < 1 or args.interval <= 0:
        parser.error("--n-jobs must be >= 2, --threads >= 1, --interval > 0")
    if args.out is None:
        name = "bench_gridsearch_load.json" if args.load else "bench_gridsearch.json"
        args.out = RESULTS / name
    return args


def torch_threads_scorer(estimator, X, y) -> float:
    """A 'score': the torch intra-op threads of the process that ran the fit."""
    return float(torch.get_num_threads())


def _worker_info(n_hidden: int) -> dict:
    """Warm a worker up (imports, numba kernels) and describe its threads."""
    X, y = make_addition_problem(16, 5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ALRNNRegressor(n_hidden=n_hidden, max_iter=1, random_state=0).fit(X, y)
    return {
        "pid": os.getpid(),
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


class MemorySampler:
    """Peak memory of this process plus all its children, sampled in a thread."""

    def __init__(self, interval: float):
        self.interval = interval
        self.peak = {"pss_sum": 0, "rss_sum": 0, "parent_rss": 0, "processes": 0}
        self.at_peak: list[dict] = []  # PSS of each process when the sum peaked
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        me = psutil.Process()
        procs = [me, *me.children(recursive=True)]
        pss = rss = 0
        alive = []
        for proc in procs:
            try:
                info = proc.memory_full_info()  # pss: Linux only
                role = _role(proc, me)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            alive.append(
                {"process": role, "pss_mib": getattr(info, "pss", info.rss) / 2**20}
            )
        if pss > self.peak["pss_sum"]:
            self.at_peak = alive
        now = {
            "pss_sum": pss,
            "rss_sum": rss,
            "parent_rss": me.memory_info().rss,
            "processes": len(alive),
        }
        for key, value in now.items():
            self.peak[key] = max(self.peak[key], value)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()


def _role(proc, parent) -> str:
    """A short name for a process of the tree: parent, loky worker, tracker..."""
    if proc.pid == parent.pid:
        return "parent"
    cmd = " ".join(proc.cmdline())
    if "LokyProcess" in cmd:
        return "loky worker"
    if "resource_tracker" in cmd:
        return "resource tracker"
    return "other"


def run_search(estimator, grid, cv, X, y, n_jobs, threads):
    """Fit one GridSearchCV; return (seconds, cv_results_)."""
    search = GridSearchCV(
        estimator,
        grid,
        cv=cv,
        scoring={"r2": "r2", "torch_threads": torch_threads_scorer},
        refit=False,
        n_jobs=n_jobs,
        error_score="raise",
    )
    start = time.perf_counter()
    with parallel_config(backend="loky", inner_max_num_threads=threads):
        search.fit(X, y)
    return time.perf_counter() - start, search.cv_results_


def score_keys(results) -> list[str]:
    prefixes = ("split", "mean_test", "std_test", "rank")
    return sorted(k for k in results if k.startswith(prefixes))


def compare(reference, other) -> dict:
    """Bitwise equality of every score column (NaN equal to NaN)."""
    keys = [k for k in score_keys(reference) if "torch_threads" not in k]
    same = all(
        np.array_equal(reference[k], other[k], equal_nan=True)
        for k in keys
        if k in other
    ) and set(keys) <= set(other)
    r2 = "split0_test_r2"
    diffs = [
        np.nanmax(np.abs(np.asarray(reference[k]) - np.asarray(other[k])), initial=0)
        for k in keys
        if k.startswith("split") and k.endswith("_r2") and k in other
    ]
    return {
        "identical": bool(same),
        "max_abs_diff": float(max(diffs, default=0.0)),
        "columns": len(keys),
        "nan_scores": int(np.isnan(np.asarray(reference[r2], dtype=float)).sum()),
    }


def fit_seconds(results, n_splits) -> float:
    """Time spent inside fit, summed over all fits (whichever process ran them)."""
    return float(np.sum(results["mean_fit_time"]) * n_splits)


def fit_threads(results) -> list[float]:
    return sorted({float(v) for v in results["mean_test_torch_threads"]})


def environment() -> dict:
    return {
        "sk_alrnn": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "joblib_cpu_count": joblib.cpu_count(),
        "load_average": list(os.getloadavg()),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


def warm_up(args, n_hidden):
    """Start the loky workers and run a first fit in each (imports, kernels)."""
    with parallel_config(backend="loky", inner_max_num_threads=args.threads):
        infos = Parallel(n_jobs=args.n_jobs)(
            delayed(_worker_info)(n_hidden) for _ in range(2 * args.n_jobs)
        )
    return sorted({tuple(sorted(i.items())) for i in infos})


def mode_search(args) -> tuple[dict, bool]:
    cfg = dict(SEARCH["quick" if args.quick else "full"])
    if args.max_iter is not None:
        cfg["max_iter"] = args.max_iter
    X, y = make_addition_problem(cfg["n"], cfg["t"], random_state=0)  # (N, T, 2)
    est = ALRNNRegressor(
        n_hidden=cfg["m"],
        max_iter=cfg["max_iter"],
        n_iter_no_change=np.inf,  # every fit trains exactly max_iter epochs
        tol=0.0,
        random_state=0,
        device="cpu",
    )
    grid = {"n_nonlinear": cfg["grid"]}
    cv = KFold(cfg["folds"])
    n_fits = len(cfg["grid"]) * cfg["folds"]
    _worker_info(cfg["m"])  # parent warm-up: imports and numba kernels loaded

    runs = {}
    t1, res1 = run_search(est, grid, cv, X, y, 1, args.threads)
    runs["n_jobs=1"] = (t1, res1)
    runs[f"n_jobs={args.n_jobs} cold"] = run_search(
        est, grid, cv, X, y, args.n_jobs, args.threads
    )
    workers = warm_up(args, cfg["m"])
    runs[f"n_jobs={args.n_jobs} warm"] = run_search(
        est, grid, cv, X, y, args.n_jobs, args.threads
    )

    rows = []
    for name, (seconds, res) in runs.items():
        rows.append(
            {
                "run": name,
                "seconds": seconds,
                "speedup": t1 / seconds,
                "fit_seconds_sum": fit_seconds(res, cfg["folds"]),
                "fit_threads": fit_threads(res),
                **compare(res1, res),
            }
        )
    warm = rows[-1]["speedup"]
    ok = all(r["identical"] for r in rows)
    print(
        f"GridSearchCV(ALRNNRegressor), {n_fits} fits: n_nonlinear in {cfg['grid']} x "
        f"KFold({cfg['folds']}); N={cfg['n']}, T={cfg['t']}, M={cfg['m']}, "
        f"{cfg['max_iter']} epochs per fit; torch threads per fit={args.threads}"
    )
    columns = ["run", "seconds", "speedup", "fit_seconds_sum", "fit_threads"]
    print_table(rows, [*columns, "identical"])
    verdict = "met" if warm >= TARGET_SPEEDUP else "MISSED (busy machine?)"
    print(f"warm speed-up {warm:.2f}x (target >= {TARGET_SPEEDUP}x: {verdict})")
    print(f"cv_results_ scores identical to n_jobs=1: {ok}")
    doc = {
        "benchmark": "bench_gridsearch",
        "mode": "search",
        "settings": {**cfg, "n_fits": n_fits, "threads": args.threads},
        "workers": [dict(w) for w in workers],
        "results": rows,
        "speedup_warm": warm,
        "speedup_cold": rows[1]["speedup"],
        "target_speedup": TARGET_SPEEDUP,
        "identical": ok,
    }
    return doc, ok


def mode_load(args) -> tuple[dict, bool]:
    cfg = LOAD["quick" if args.quick else "full"]
    X, y = make_addition_problem(cfg["n"], cfg["t"], random_state=0)  # (N, T, 2)
    est = ALRNNRegressor(
        max_iter=cfg["max_iter"],
        n_iter_no_change=np.inf,
        tol=0.0,
        random_state=0,
        device="cpu",
    )
    cv = TimeSeriesSplit(cfg["splits"])
    n_fits = int(np.prod([len(v) for v in cfg["grid"].values()])) * cfg["splits"]
    _worker_info(4)

    rows = []
    reference = None
    for n_jobs in (1, args.n_jobs):
        with MemorySampler(args.interval) as mem:
            seconds, res = run_search(est, cfg["grid"], cv, X, y, n_jobs, args.threads)
        reference = res if reference is None else reference
        rows.append(
            {
                "run": f"n_jobs={n_jobs}",
                "seconds": seconds,
                "speedup": rows[0]["seconds"] / seconds if rows else 1.0,
                "fit_seconds_sum": fit_seconds(res, cfg["splits"]),
                "fit_threads": fit_threads(res),
                **{f"peak_{k}": v for k, v in mem.peak.items()},
                "peak_pss_sum_mib": mem.peak["pss_sum"] / 2**20,
                "peak_rss_sum_mib": mem.peak["rss_sum"] / 2**20,
                "peak_parent_rss_mib": mem.peak["parent_rss"] / 2**20,
                **compare(reference, res),
                "at_peak": mem.at_peak,
            }
        )
    peak = max(r["peak_pss_sum"] for r in rows)
    same = all(r["identical"] for r in rows)
    limit = args.memory_limit_mib * 2**20
    memory_ok = peak < limit
    print(
        f"GridSearchCV(ALRNNRegressor), {n_fits} fits: {n_fits // cfg['splits']} "
        f"candidates x TimeSeriesSplit({cfg['splits']}); N={cfg['n']}, T={cfg['t']}, "
        f"{cfg['max_iter']} epochs per fit; torch threads per fit={args.threads}"
    )
    print_table(
        rows,
        [
            "run",
            "seconds",
            "speedup",
            "fit_seconds_sum",
            "processes",
            "peak_pss_sum_mib",
            "peak_rss_sum_mib",
            "peak_parent_rss_mib",
            "identical",
        ],
    )
    print(
        f"peak memory (PSS, parent + workers) {peak / 2**20:.0f} MiB "
        f"(limit {limit / 2**20:.0f} MiB: {'met' if memory_ok else 'EXCEEDED'})"
    )
    for p in rows[-1]["at_peak"]:
        print(f"  at the peak: {p['process']:>16}  {p['pss_mib']:6.0f} MiB PSS")
    print(f"cv_results_ scores identical to n_jobs=1: {same}")
    for row in rows:
        row["processes"] = row.pop("peak_processes")
    doc = {
        "benchmark": "bench_gridsearch",
        "mode": "load",
        "settings": {**cfg, "n_fits": n_fits, "threads": args.threads},
        "results": rows,
        "peak_pss_sum_mib": peak / 2**20,
        "memory_limit_mib": args.memory_limit_mib,
        "memory_ok": memory_ok,
        "identical": same,
    }
    return doc, same and memory_ok


def print_table(rows, columns):
    def cell(value):
        if isinstance(value, float):
            return f"{value:.2f}"
        if isinstance(value, list):
            return ",".join(f"{v:g}" for v in value)
        return str(value)

    cells = [[cell(r.get(c, r.get(f"peak_{c}"))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)  # n_jobs=1 fits run in this process
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budgets
        doc, ok = mode_load(args) if args.load else mode_search(args)
    doc["quick"] = args.quick
    doc["total_seconds"] = time.perf_counter() - start
    doc["environment"] = environment()
    print(f"total: {doc['total_seconds']:.1f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
