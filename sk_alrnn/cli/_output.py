"""What the command line's ``sweep`` shows: the table and the JSON file.

The figure is :mod:`sk_alrnn.cli._figure`; :func:`check_outputs` checks both
output paths before any training.

Private: only :mod:`sk_alrnn.cli` imports it. The data side (X, y, splits,
the task or CSV description) comes in as :class:`sk_alrnn.cli._data.Data`,
the options as :class:`sk_alrnn.cli._request.SweepRequest`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
from pathlib import Path

import numpy as np
import torch

from sk_alrnn import __version__
from sk_alrnn.cli._baselines import season_text
from sk_alrnn.cli._data import Data
from sk_alrnn.cli._request import PLOT_HINT, SweepRequest

# what the sweep's advice calls a parameter, as a command-line flag
_FLAGS = {
    "max_iter": "--max-iter",
    "n_repeats": "--n-repeats",
    "n_iter_no_change": "--max-iter",
    "learning_rate_init": "--learning-rate-init",
}


def _as_flags(text: str) -> str:
    for name, flag in _FLAGS.items():
        text = text.replace(name, flag)
    return text.replace("n_init (restarts)", "more --n-repeats").replace(
        "n_repeats=3", "--n-repeats 3"
    )


def output_path_problem(path: Path) -> str | None:
    """Why the sweep could not write ``path`` at the end, or None.

    Checked before any training, so a bad ``--json`` or ``--plot`` path costs
    no results: an existing folder, a parent path that is a file, a folder
    that cannot be written to. Missing parent folders are fine (they are
    created when the file is written), as long as the nearest existing one is
    writable.
    """
    if path.is_dir():
        return f"is a folder; expected a file name, such as {path / 'sweep.json'}"
    if path.exists():
        if not os.access(path, os.W_OK):
            return "the file exists and is not writable; pick another name"
        return None
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return (
            f"{parent} is a file, not a folder, so {path.name} cannot be written "
            "under it; pick a path in a folder"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        return (
            f"permission denied: cannot write in the folder {parent}; pick a "
            "folder you can write to"
        )
    return None


def check_outputs(request: SweepRequest) -> None:
    """Refuse output paths that could not be written once the sweep is done.

    Raises ValueError (one line, naming the flag) before any training, so a
    bad ``--json`` or ``--plot`` costs no results.
    """
    outputs = {
        f: p for f, p in (("--json", request.json), ("--plot", request.plot)) if p
    }
    for flag, path in outputs.items():
        problem = output_path_problem(path)
        if problem is not None:
            raise ValueError(f"{flag} {path}: {problem}")
    if len(outputs) == 2 and request.json.absolute() == request.plot.absolute():
        raise ValueError(
            f"--json and --plot both name {request.json}; the figure would "
            "overwrite the results: give them different file names"
        )
    if request.plot is not None:
        if importlib.util.find_spec("matplotlib") is None:
            raise ValueError(
                f"--plot needs matplotlib, which is not installed. Install it "
                f"with: {PLOT_HINT}"
            )
        problem = plot_format_problem(request.plot)
        if problem is not None:
            raise ValueError(f"--plot {request.plot}: {problem}")


def plot_format_problem(path: Path) -> str | None:
    """An unsupported figure format (told by the suffix), or None."""
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = path.suffix.lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        return (
            f"matplotlib cannot save .{suffix} figures; use one of "
            f"{', '.join('.' + f for f in sorted(formats))} (e.g. {path.stem}.png)"
        )
    return None


def shown_horizons(horizon: int) -> list[int]:
    """The steps ahead whose MAE the table shows: all up to 4, else 1, mid, H."""
    if horizon <= 4:
        return list(range(1, horizon + 1))
    return [1, (horizon + 1) // 2, horizon]


def _mae_cells(mae, steps: list[int], decimals: int) -> list[str]:
    mae = np.atleast_1d(np.asarray(mae, dtype=np.float64))  # (H,), or NaN
    if mae.size == 1 and len(steps) > 1:
        mae = np.full(max(steps), mae[0])
    return [f"{mae[h - 1]:.{decimals}f}" for h in steps]


def _decimals(values: np.ndarray) -> int:
    """Decimals that give the target's typical size (its std) 3-4 digits."""
    scale = float(np.std(values))
    if not (np.isfinite(scale) and scale > 0):
        return 3
    return int(np.clip(3 - np.floor(np.log10(scale)), 0, 8))


def print_report(request: SweepRequest, data: Data, result, forecasts=None) -> None:
    """Print the table, the baselines and the conclusion (or why none).

    ``forecasts``: for ``--csv``, :func:`sk_alrnn.cli._baselines.forecast_baselines`;
    the table then has MAE columns and the baselines block replaces the
    "Trivial" and "Reference models" lines.
    """
    print(flush=True)
    task = data.scoring
    name = task.score_name
    folds = data.n_folds is not None or request.n_repeats > 1
    steps, decimals = [], 3
    if data.series is not None:
        steps = shown_horizons(data.series.horizon)
        decimals = _decimals(data.series.values)
    header = ["n_nonlinear", f"test {name}", "train", "epochs", "fit [s]"]
    if folds:
        header[1:2] = [f"mean test {name}", "std"]
    at = header.index("train")
    header[at:at] = [f"MAE h={h}" for h in steps]
    widths = [max(len(h), 5) for h in header]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in result.rows:
        epochs = [n for n in r["n_iter"] if n is not None]
        cells = [f"{r['n_nonlinear']:d}", f"{r['mean_score']:.3f}"]
        if folds:
            cells.append(f"{r['std_score']:.3f}")
        if steps:
            cells += _mae_cells(r["mean_extra_scores"]["mae"], steps, decimals)
        mark = "" if r["converged"] else "*"
        if r["under_trained"] and r["converged"]:
            mark = "!"  # mostly plateaus or failures
        cells += [
            f"{r['mean_train_score']:.3f}",
            (f"{np.mean(epochs):.0f}" if epochs else "-") + mark,
            f"{r['mean_fit_time']:.1f}",
        ]
        print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    print()
    if not all(r["converged"] for r in result.rows):
        print("* stopped at --max-iter while still improving (raise --max-iter)")
    if any(r["under_trained"] and r["converged"] for r in result.rows):
        print(
            "! most fits stopped near a constant prediction's loss (a plateau, or "
            "a model that cannot represent the task) or failed"
        )
    if forecasts is not None:
        _print_baselines(data, result, forecasts, steps, decimals)
    else:
        print(f"Trivial: {task.trivial_note}")
        refs = [
            f"{key} {b['mean_score']:.3f}"
            for key, b in result.baselines.items()
            if "mean_score" in b
        ]
        if refs:
            print(
                f"Reference models on the same split(s): {', '.join(refs)} "
                "(constant prediction; linear model of the last steps)"
            )
    pairs = f"{result.n_repeats} seed(s) x {result.n_splits} split(s)"
    if result.needed_n_nonlinear is None:
        print(f"No conclusion: {result.withheld}")
        for advice in result.advice:
            print(f"  - {_as_flags(advice)}")
        return
    print(
        f"Conclusion: P={result.needed_n_nonlinear} is the smallest n_nonlinear not "
        f"credibly worse than the best {name} (paired over {pairs}, differences "
        f"within {result.margin:.3g} count as none): {result.evidence}."
    )
    if result.n_repeats * result.n_splits < 3:
        print(
            "  - one split gives no standard errors: --cv 3 (or --n-repeats 3) "
            "firms up the comparison."
        )


def baseline_entries(data: Data, result, forecasts) -> dict[str, dict]:
    """--csv: every baseline row, in report order, as name -> entry.

    An entry has ``label`` (the table's), ``description`` and either
    ``mean_score``, ``std_score``, ``scores`` (per fold), ``mae`` ((H,), mean
    over the folds) and ``fold_mae`` ((n_folds, H)), or ``omitted`` (why).
    """
    series = data.series
    refs = {}
    # "Ridge on lags" is the sweep's linear reference (ReferenceRegressor):
    # RidgeCV on the standardised last W rows of every input column, flattened,
    # all H steps at once -- on exactly the windows (and folds) the AL-RNN reads,
    # which is LagRidgeForecaster's direct multi-step ridge with n_lags=W.
    # LagRidgeForecaster itself would pick its own lag count and be refitted on
    # the table, so it would not score these windows; nothing is refitted here.
    # (ReferenceRegressor reads at most 2048 values per window: W * F beyond
    # that, it takes the most recent rows only.)
    for key, label in (("trivial", "mean"), ("linear", "Ridge on lags")):
        b = result.baselines.get(key)
        if b is None:
            continue
        entry = {"label": label, "description": b["description"]}
        if "error" in b:
            entry["omitted"] = f"failed ({b['error']})"
        else:
            entry.update(
                {k: b[k] for k in ("mean_score", "std_score", "scores")},
                mae=np.asarray(b["mean_extra_scores"]["mae"]),
                fold_mae=np.array(b["extra_scores"]["mae"], dtype=float),
            )
        refs[key] = entry
    labels = {
        "naive": "naive (last value)",
        "seasonal_naive": "seasonal naive",
        "ets": f"ETS ({series.target} alone)",
        "arima": f"ARIMA ({series.target} alone)",
    }
    own = {k: {"label": labels[k], **v} for k, v in forecasts.items()}
    if "seasons" in own["seasonal_naive"]:
        own["seasonal_naive"]["label"] += (
            f" ({season_text(own['seasonal_naive']['seasons'])})"
        )
    order = ("naive", "seasonal_naive", "trivial", "linear", "ets", "arima")
    entries = {**own, **refs}
    return {k: entries[k] for k in order if k in entries}


def _print_baselines(data: Data, result, forecasts, steps, decimals) -> None:
    series = data.series
    entries = baseline_entries(data, result, forecasts)
    print(
        f"Baselines on the same test windows ({data.n_folds} folds; MAE of "
        f"{series.target!r} in its own units):"
    )
    header = ["baseline", "mean test R^2", "std", *(f"MAE h={h}" for h in steps)]
    rows = [
        [
            e["label"],
            f"{e['mean_score']:.3f}",
            f"{e['std_score']:.3f}",
            *_mae_cells(e["mae"], steps, decimals),
        ]
        for e in entries.values()
        if "omitted" not in e
    ]
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=True)]
    line = [header[0].ljust(widths[0])]
    line += [h.rjust(w) for h, w in zip(header[1:], widths[1:], strict=True)]
    print("  ".join(line))
    print("  ".join("-" * w for w in widths))
    for cells in rows:
        line = [cells[0].ljust(widths[0])]
        line += [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        print("  ".join(line))
    if None in entries.get("seasonal_naive", {}).get("seasons", ()):
        print("  seasonal naive: -: no season found in that fold's training rows, so")
        print("    the last value is repeated there (the naive forecast)")
    print(
        f"  Ridge on lags: RidgeCV on the window's {data.n_timesteps} rows of every "
        "input column, all\n    steps at once (the sweep's linear reference); mean: "
        "the training targets' mean"
    )
    if any("scores" in entries.get(k, {}) for k in ("ets", "arima")):
        print(
            f"  ETS, ARIMA: statsmodels, fitted per fold on {series.target!r} alone, "
            "forecasting\n    from each test window's origin"
        )
    for e in entries.values():
        if "omitted" in e:
            print(f"  {e['label'].split(' (')[0]}: omitted, {e['omitted']}")
    print()


def _json_baseline(entry: dict) -> dict:
    out = {k: v for k, v in entry.items() if k not in ("scores", "mae", "fold_mae")}
    if "scores" in entry:
        out["fold_scores"] = [float(s) for s in entry["scores"]]
        out["mae_per_horizon"] = [float(v) for v in entry["mae"]]
        out["fold_mae_per_horizon"] = np.asarray(entry["fold_mae"]).tolist()
    return out


def _json_rows(data: Data, result, per_horizon: bool) -> list[dict]:
    """One JSON entry per P; ``per_horizon`` (--csv): with the MAE per step."""
    rows = [
        {
            "n_nonlinear": r["n_nonlinear"],
            "test_score": r["mean_score"],
            "test_score_std": r["std_score"],
            "test_score_sem": r["sem_score"],
            "train_score": r["mean_train_score"],
            "fold_test_scores": [float(s) for s in r["scores"]],
            "diff_to_best": r["diff_to_best"],
            "diff_sem": r["diff_sem"],
            "worse_than_best": r["worse_than_best"],
            "n_iter": r["n_iter"],
            "stop_reasons": r["stop_reasons"],
            "converged": r["converged"],
            "under_trained": r["under_trained"],
            "fit_seconds": r["mean_fit_time"],
        }
        for r in result.rows
    ]
    if per_horizon:  # --csv: the MAE per step ahead of every fit
        H = data.series.horizon
        for row, r in zip(rows, result.rows, strict=True):
            row["test_mae_per_horizon"] = _floats(r["mean_extra_scores"]["mae"], H)
            row["fold_test_mae_per_horizon"] = [
                _floats(m, H) for m in r["extra_scores"]["mae"]
            ]
    return rows


def write_json(
    request: SweepRequest, data: Data, settings, result, forecasts=None
) -> None:
    """Write the settings, every row, the reference models and the conclusion."""
    rows = _json_rows(data, result, per_horizon=forecasts is not None)
    if forecasts is not None:
        entries = baseline_entries(data, result, forecasts)
        baselines = {key: _json_baseline(e) for key, e in entries.items()}
    else:
        baselines = {
            key: {k: v for k, v in b.items() if k != "scores"}
            for key, b in result.baselines.items()
        }
    document = {
        "task": data.scoring.name,
        "score": data.scoring.score_name,
        "trivial_score": data.scoring.trivial_score,
        "settings": {
            **settings,
            "n_nonlinear": list(request.n_nonlinear),
            "n_samples": len(data.y),
            "n_timesteps": data.n_timesteps,
            "cv": data.n_folds,
            "test_size": data.test_size,
            "n_train": len(data.splits[0][0]),
            "n_test": len(data.splits[0][1]),
            "n_repeats": request.n_repeats,
            "tolerance": request.tolerance,
            "random_state": request.random_state,
            "device": request.device,
            "threads": request.threads,
            "n_jobs": request.n_jobs,
        },
        "results": rows,
        "baselines": baselines,
        "best_n_nonlinear": result.best_n_nonlinear,
        "chosen_n_nonlinear": result.needed_n_nonlinear,
        "rule": (
            "smallest n_nonlinear not credibly worse than the best: paired "
            f"difference + 1 sem >= -{result.margin:.6g} (tolerance "
            f"{request.tolerance:g} of the best score's gain over a constant "
            "prediction)"
        ),
        "evidence": result.evidence,
        "withheld": result.withheld,
        "advice": [_as_flags(a) for a in result.advice],
        "versions": {
            "sk_alrnn": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    }
    if data.source:
        document["data"] = data.source
    if forecasts is not None:
        document["mae"] = {
            "horizons": list(range(1, data.series.horizon + 1)),
            "units": f"those of the target column {data.series.target!r}",
            "mean_over": "the test folds (and seeds)",
        }
    if request.json.parent != Path():
        request.json.parent.mkdir(parents=True, exist_ok=True)
    request.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _floats(values, horizon: int) -> list | None:
    """A per-horizon array as H floats (None for a failed fit; NaN: no fit)."""
    if values is None:
        return None
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))  # (H,) or (1,)
    return [float(v) for v in np.broadcast_to(values, (horizon,))]
