"""Command line: ``python -m sk_alrnn [sweep] [options]``.

``sweep`` (the default) answers the package's question on one of the papers'
tasks (``--task``: the adding problem by default, the copy task, contextual
integration or sequential digits): how many ReLU units P does an AL-RNN need?
It fits one AL-RNN per value of ``--n-nonlinear`` and scores each on held-out
sequences (one split, or ``--cv`` folds), shows a progress bar over the fits,
prints a table and a one-line conclusion and, on request, writes a JSON file and
a score-vs-P plot. The tasks and their default settings live in
:mod:`sk_alrnn._task_suite`.

Shapes: N sequences, T time steps, K features per step, M latent units,
P nonlinear (ReLU) units.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from joblib import parallel_config
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from tqdm.auto import tqdm

from sk_alrnn import __version__
from sk_alrnn._task_suite import TASKS, Task, get_task
from sk_alrnn.model_selection import fit_and_score, sweep_nonlinearity

_TOP_LEVEL_FLAGS = ("-h", "--help", "--version")  # everything else: a sweep option
_PLOT_HINT = 'pip install "sk-alrnn[plot]"'
_DEFAULT_P = [0, 1, 2, 4, 8]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sk_alrnn`` command line.

    Without a subcommand (or with options only) ``sweep`` runs: one AL-RNN per
    value of ``--n-nonlinear`` on ``--task`` (default: the adding problem), each
    scored on the held-out share ``--test-size`` of the sequences, or by
    ``--cv``-fold cross-validation. ``python -m sk_alrnn sweep --help`` lists
    the options.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 if training diverged. Bad arguments raise
        ``SystemExit(2)`` after a one-line message on stderr.

    Examples
    --------
    A tiny sweep (one epoch on 32 sequences, about a second); the table's
    numbers depend on the platform, so they are elided here:

    >>> main(["sweep", "--n-nonlinear", "0", "2", "--n-hidden", "4",
    ...       "--max-iter", "1", "--n-samples", "40"])  # doctest: +ELLIPSIS
    AL-RNN nonlinearity sweep: adding problem (gating): sum of the 2 marked values
    T=20, 32 train / 8 test sequences, n_hidden=4, max_iter=1, ...
    <BLANKLINE>
    n_nonlinear  test R^2  train  epochs  fit [s]
    -----------  --------  -----  ------  -------
              0  ...      1*  ...
              2  ...      1*  ...
    <BLANKLINE>
    * stopped at --max-iter while still improving (raise --max-iter)
    Trivial: predicting the mean scores R^2 = 0
    Conclusion: P=... is the smallest n_nonlinear within 0.02 of the best test R^2 ...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in _TOP_LEVEL_FLAGS):
        argv = ["sweep", *argv]  # sweep is the default command
    parser = _build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


# -- argument parsing ------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (no usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {value}"
            )
        return value

    return parse


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < -1 or value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or -1 (all cores), got {text!r}"
        )
    return value


def _number(text: str, ok, expected: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
    return value


def _fraction(text: str) -> float:
    return _number(text, lambda v: 0 < v < 1, "a number in (0, 1)")


def _positive_float(text: str) -> float:
    return _number(text, lambda v: v > 0, "a positive number")


def _nonnegative_float(text: str) -> float:
    return _number(text, lambda v: v >= 0, "a number >= 0")


def _int_list(text: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]`` (one token of ``--n-nonlinear``)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected integers, space- or comma-separated, such as 0 1 2 or 0,1,2; "
            f"got {text!r}"
        ) from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(
            f"n_nonlinear values must be >= 0; got {min(values)}"
        )
    return values


class _Flatten(argparse.Action):
    """Collect ``--n-nonlinear 0 1 2`` and ``--n-nonlinear 0,1,2`` alike."""

    def __call__(self, parser, namespace, values, option_string=None):
        flat = sorted({v for chunk in values for v in chunk})
        if not flat:
            parser.error(f"argument {option_string}: expected at least one integer")
        setattr(namespace, self.dest, flat)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m sk_alrnn",
        description=(
            "Almost-linear RNNs as scikit-learn estimators. Without a command, "
            "runs 'sweep'."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"sk_alrnn {__version__}"
    )
    commands = parser.add_subparsers(title="commands", dest="command")
    sweep = commands.add_parser(
        "sweep",
        help="how many ReLU units does a task need? (default)",
        description=(
            "Fit one AL-RNN per n_nonlinear (P) on one of the papers' tasks, score "
            "each on held-out sequences (one split, or --cv folds) and report the "
            "smallest P that comes close to the best score. Options left out take "
            "the task's defaults."
        ),
    )
    tasks = ", ".join(f"{t.name} ({t.title})" for t in TASKS.values())
    sweep.add_argument(
        "--task",
        choices=sorted(TASKS),
        default="addition",
        help=f"the task: {tasks} (default: %(default)s)",
    )
    add = sweep.add_argument
    add("--n-hidden", type=_int_at_least(1), help="M, latent units (task default: 16)")
    add(
        "--n-nonlinear",
        type=_int_list,
        nargs="+",
        action=_Flatten,
        default=_DEFAULT_P,
        metavar="P",
        help="ReLU unit counts to compare, space- or comma-separated (0 1 2 or "
        "0,1,2), each <= --n-hidden (default: 0 1 2 4 8)",
    )
    add(
        "--n-samples",
        type=_int_at_least(10),
        help="sequences in total, train + test (task default: 1500; digits: all "
        "1797 images)",
    )
    add(
        "--test-size",
        type=_fraction,
        default=0.2,
        help="share of the sequences held out for scoring when --cv is not given "
        "(default: %(default)s)",
    )
    add(
        "--cv",
        type=_int_at_least(2),
        metavar="K",
        help="score by K-fold cross-validation (shuffled; stratified for labels) "
        "instead of one hold-out split; the conclusion then uses the one-standard-"
        "error rule",
    )
    add(
        "--n-timesteps",
        type=_int_at_least(2),
        help="T, sequence length (task defaults: addition 20, context 20, copy 12; "
        "digits always 8)",
    )
    add(
        "--max-iter",
        type=_int_at_least(1),
        help="epochs per fit (task defaults: 40; copy 100)",
    )
    add(
        "--learning-rate-init",
        type=_positive_float,
        help="Adam learning rate (task default: 0.01)",
    )
    add(
        "--within",
        type=_nonnegative_float,
        default=0.02,
        help="without --cv, the conclusion names the smallest P whose test score "
        "is within this of the best (default: %(default)s)",
    )
    add(
        "--random-state",
        type=_int_at_least(0),
        default=0,
        help="seed of the data, the split and every fit (default: %(default)s)",
    )
    add(
        "--device",
        default="auto",
        help="torch device: auto, cpu, cuda, cuda:1, ... (default: %(default)s)",
    )
    add(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        help="fits run in parallel processes (joblib; -1: one per core), each "
        "with --threads torch threads (default: %(default)s)",
    )
    add(
        "--threads",
        type=_int_at_least(1),
        default=1,
        help="torch CPU threads per fit, restored afterwards; an AL-RNN's small "
        "matrix products gain little from more, and extra threads slow down badly "
        "on a busy machine (default: %(default)s)",
    )
    add("--no-progress", action="store_true", help="hide the progress bar")
    add("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    add(
        "--plot",
        type=Path,
        metavar="PATH",
        help=f"also save a score-vs-P figure (PNG; needs {_PLOT_HINT})",
    )
    sweep.set_defaults(func=lambda args: _run_sweep(args, sweep))
    return parser


# -- data: the one place that decides where X and y come from ---------------------
@dataclass
class _Data:
    X: np.ndarray
    y: np.ndarray
    task: Task
    description: str  # first line of the report
    n_timesteps: int


def _load_data(args: argparse.Namespace, parser: argparse.ArgumentParser) -> _Data:
    task = get_task(args.task)
    try:
        X, y = task.load(
            args.n_samples, args.random_state, n_timesteps=args.n_timesteps
        )  # X (N, T, K); y (N,) or (N, T)
    except ValueError as exc:
        parser.error(f"--task {task.name}: {exc}")
    return _Data(X, y, task, task.title, X.shape[1])


# -- sweep -------------------------------------------------------------------------
def _run_sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        with parallel_config(backend="loky", inner_max_num_threads=args.threads):
            return _sweep(args, parser)
    finally:
        torch.set_num_threads(threads)  # leave the process as we found it


def _splits(args, data: _Data, parser) -> list[tuple[np.ndarray, np.ndarray]]:
    n = len(data.y)
    if args.cv is not None:
        if args.cv > n:
            parser.error(f"--cv {args.cv} needs at least {args.cv} sequences; got {n}")
        stratify = data.task.classification and data.task.output == "last"
        kind = StratifiedKFold if stratify else KFold
        folds = kind(args.cv, shuffle=True, random_state=args.random_state)
        try:
            return list(folds.split(data.X, data.y))
        except ValueError as exc:
            parser.error(f"--cv {args.cv}: {exc}")
    n_test = math.ceil(n * args.test_size)
    if n_test < 2 or n - n_test < 2:
        parser.error(
            f"{n} sequences with --test-size {args.test_size} leaves {n - n_test} "
            f"train / {n_test} test sequences; both need at least 2. Raise "
            "--n-samples."
        )
    train, test = train_test_split(
        np.arange(n), test_size=args.test_size, random_state=args.random_state
    )
    return [(train, test)]


def _sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    data = _load_data(args, parser)
    task = data.task
    settings = task.settings(
        n_hidden=args.n_hidden,
        max_iter=args.max_iter,
        learning_rate_init=args.learning_rate_init,
    )
    too_big = [p for p in args.n_nonlinear if p > settings["n_hidden"]]
    if too_big:
        parser.error(
            f"--n-nonlinear {too_big} exceeds --n-hidden {settings['n_hidden']}; "
            "every value must lie in [0, n_hidden]. Drop them or raise --n-hidden."
        )
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        parser.error(
            f"--plot needs matplotlib, which is not installed. Install it "
            f"with: {_PLOT_HINT}"
        )
    splits = _splits(args, data, parser)
    estimator = task.make_estimator(
        args.n_nonlinear[0],
        **settings,
        random_state=args.random_state,
        device=args.device,
    )
    # One throw-away epoch first: checks --device, and keeps one-off start-up
    # costs (lazy torch initialisation, kernel compilation) out of the first row.
    probe = task.make_estimator(
        args.n_nonlinear[0],
        **{**settings, "max_iter": 1},
        random_state=args.random_state,
        device=args.device,
    )
    try:
        fit_and_score(probe, data.X, data.y, splits[0][0][:8], splits[0][1][:2], _none)
    except ValueError as exc:
        parser.error(str(exc))

    n_train, n_test = len(splits[0][0]), len(splits[0][1])
    scheme = (
        f"{args.cv}-fold cross-validation on {len(data.y)} sequences"
        if args.cv
        else f"{n_train} train / {n_test} test sequences"
    )
    print(
        f"AL-RNN nonlinearity sweep: {data.description}\n"
        f"T={data.n_timesteps}, {scheme}, n_hidden={settings['n_hidden']}, "
        f"max_iter={settings['max_iter']}, "
        f"learning_rate_init={settings['learning_rate_init']:g}, "
        f"random_state={args.random_state}",
        flush=True,
    )
    with tqdm(
        total=len(args.n_nonlinear) * len(splits),
        desc="fits",
        unit="fit",
        file=sys.stderr,
        disable=True if args.no_progress else None,  # None: off when not a TTY
        leave=False,
    ) as bar:
        result = sweep_nonlinearity(
            estimator,
            data.X,
            data.y,
            args.n_nonlinear,
            cv=splits,
            scoring=task.scoring,
            n_jobs=args.n_jobs,
            return_train_score=True,
            callback=lambda p, fold, out: bar.update(),
        )
    rows = result.rows
    bad = [r["n_nonlinear"] for r in rows if not np.isfinite(r["mean_score"])]
    if bad:
        print(
            f"error: n_nonlinear={bad[0]}: training diverged (non-finite score). "
            f"Lower --learning-rate-init (now {settings['learning_rate_init']:g}).",
            file=sys.stderr,
        )
        return 1
    chosen, rule = _report(args, task, result)
    if args.json is not None:
        _write_json(args, data, settings, result, chosen, rule, n_train, n_test)
        print(f"Results written to {args.json}")
    if args.plot is not None:
        _save_plot(args, data, rows)
        print(f"Figure saved to {args.plot}")
    return 0


def _none(estimator, X, y) -> float:
    return 0.0


def _report(args, task: Task, result) -> tuple[int, str]:
    """Print the table and the conclusion; return the chosen P and the rule."""
    print(flush=True)
    name = task.score_name
    header = ["n_nonlinear", f"test {name}", "train", "epochs", "fit [s]"]
    if args.cv:
        header[1:2] = [f"mean test {name}", "std"]
    widths = [max(len(h), 5) for h in header]
    print("  ".join(header))
    print("  ".join("-" * w for w in widths))
    for r in result.rows:
        epochs = [n for n in r["n_iter"] if n is not None]
        cells = [f"{r['n_nonlinear']:d}", f"{r['mean_score']:.3f}"]
        if args.cv:
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
    if args.cv:
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


def _write_json(args, data, settings, result, chosen, rule, n_train, n_test) -> None:
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
            **{k: v for k, v in settings.items()},
            "n_nonlinear": list(args.n_nonlinear),
            "n_samples": len(data.y),
            "n_timesteps": data.n_timesteps,
            "cv": args.cv,
            "test_size": None if args.cv else args.test_size,
            "n_train": n_train,
            "n_test": n_test,
            "random_state": args.random_state,
            "device": args.device,
            "threads": args.threads,
            "n_jobs": args.n_jobs,
            "within": None if args.cv else args.within,
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
    if args.json.parent != Path():
        args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _save_plot(args, data: _Data, rows) -> None:
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
    ax.set_title(f"{data.task.name}, T={data.n_timesteps}", fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    if args.plot.parent != Path():
        args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot, dpi=120)
