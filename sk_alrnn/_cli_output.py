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


def print_report(args: argparse.Namespace, data: Data, result) -> tuple[int, str]:
    """Print the table and the conclusion; return the chosen P and the rule."""
    print(flush=True)
    task = data.task
    name = task.score_name
    folds = data.n_folds is not None
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
        cells += [
            f"{r['mean_train_score']:.3f}",
            (f"{np.mean(epochs):.0f}" if epochs else "-")
            + ("" if r["converged"] else "*"),
            f"{r['mean_fit_time']:.1f}",
        ]
        print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    print()
    if not all(r["converged"] for r in result.rows):
        print("* stopped at --max-iter while still improving (raise --max-iter)")
    print(f"Trivial: {task.trivial_note}")
    best = max(result.rows, key=lambda r: r["mean_score"])
    if folds:
        chosen = result.needed_n_nonlinear
        rule = "one standard error of the best mean score"
    else:
        chosen = next(
            r["n_nonlinear"]
            for r in result.rows
            if r["mean_score"] >= best["mean_score"] - args.within
        )
        rule = f"{args.within:g} of the best test score"
    print(
        f"Conclusion: P={chosen} is the smallest n_nonlinear within "
        f"{rule.replace('score', name)} ({best['mean_score']:.3f} at "
        f"P={best['n_nonlinear']})."
    )
    return chosen, rule


def write_json(args, data: Data, settings, result, chosen, rule) -> None:
    """Write the settings, every row and the conclusion to ``args.json``."""
    rows = [
        {
            "n_nonlinear": r["n_nonlinear"],
            "test_score": r["mean_score"],
            "test_score_std": r["std_score"],
            "test_score_sem": r["sem_score"],
            "train_score": r["mean_train_score"],
            "fold_test_scores": [float(s) for s in r["scores"]],
            "n_iter": r["n_iter"],
            "converged": r["converged"],
            "fit_seconds": r["mean_fit_time"],
        }
        for r in result.rows
    ]
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
            "random_state": args.random_state,
            "device": args.device,
            "threads": args.threads,
            "n_jobs": args.n_jobs,
            "within": None if data.n_folds else args.within,
        },
        "results": rows,
        "best_n_nonlinear": result.best_n_nonlinear,
        "chosen_n_nonlinear": chosen,
        "rule": f"smallest n_nonlinear within {rule}",
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
