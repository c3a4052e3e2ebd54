"""What the command line's ``sweep`` shows: the table, the JSON file, the figure.

Private: only :mod:`sk_alrnn.cli` imports it. The data side (X, y, splits,
the task or CSV description) comes in as :class:`sk_alrnn._cli_data.Data`.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
import torch

from sk_alrnn import __version__
from sk_alrnn._cli_data import Data

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


def print_report(args: argparse.Namespace, data: Data, result) -> None:
    """Print the table, the reference models and the conclusion (or why none)."""
    print(flush=True)
    task = data.task
    name = task.score_name
    folds = data.n_folds is not None or args.n_repeats > 1
    header = ["n_nonlinear", f"test {name}", "train", "epochs", "fit [s]"]
    if folds:
        header[1:2] = [f"mean test {name}", "std"]
    widths = [max(len(h), 5) for h in header]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in result.rows:
        epochs = [n for n in r["n_iter"] if n is not None]
        cells = [f"{r['n_nonlinear']:d}", f"{r['mean_score']:.3f}"]
        if folds:
            cells.append(f"{r['std_score']:.3f}")
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
    print(f"Trivial: {task.trivial_note}")
    refs = [
        f"{key} {b['mean_score']:.3f}"
        for key, b in result.baselines.items()
        if "mean_score" in b
    ]
    if refs:
        print(
            f"Reference models on the same split(s): {', '.join(refs)} (constant "
            "prediction; linear model of the last steps)"
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


def write_json(args, data: Data, settings, result) -> None:
    """Write the settings, every row, the reference models and the conclusion."""
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
    baselines = {
        key: {k: v for k, v in b.items() if k != "scores"}
        for key, b in result.baselines.items()
    }
    document = {
        "task": data.task.name,
        "score": data.task.score_name,
        "trivial_score": data.task.trivial_score,
        "settings": {
            **settings,
            "n_nonlinear": list(args.n_nonlinear),
            "n_samples": len(data.y),
            "n_timesteps": data.n_timesteps,
            "cv": data.n_folds,
            "test_size": data.test_size,
            "n_train": len(data.splits[0][0]),
            "n_test": len(data.splits[0][1]),
            "n_repeats": args.n_repeats,
            "tolerance": args.tolerance,
            "random_state": args.random_state,
            "device": args.device,
            "threads": args.threads,
            "n_jobs": args.n_jobs,
        },
        "results": rows,
        "baselines": baselines,
        "best_n_nonlinear": result.best_n_nonlinear,
        "chosen_n_nonlinear": result.needed_n_nonlinear,
        "rule": (
            "smallest n_nonlinear not credibly worse than the best: paired "
            f"difference + 1 sem >= -{result.margin:.6g} (tolerance "
            f"{args.tolerance:g} of the best score's gain over a constant "
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
    if args.json.parent != Path():
        args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def save_plot(args, data: Data, rows) -> None:
    """Save the test (and train) score against P to ``args.plot`` (PNG)."""
    # matplotlib.figure.Figure needs no pyplot and no GUI backend.
    from matplotlib.figure import Figure

    ps = [r["n_nonlinear"] for r in rows]
    fig = Figure(figsize=(5.0, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar(
        ps,
        [r["mean_score"] for r in rows],
        yerr=[r["std_score"] for r in rows],
        fmt="o-",
        capsize=3,
        label="test",
    )
    ax.plot(ps, [r["mean_train_score"] for r in rows], "s--", alpha=0.6, label="train")
    ax.axhline(data.task.trivial_score, color="gray", ls=":", label="trivial")
    ax.set_xlabel("n_nonlinear (P, ReLU units)")
    ax.set_ylabel(data.task.score_name)
    ax.set_xticks(ps)
    ax.set_title(data.plot_title, fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    if args.plot.parent != Path():
        args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot, dpi=120)
