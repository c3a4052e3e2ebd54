"""Command line: ``python -m sk_alrnn [sweep] [options]``.

``sweep`` (the default) answers the package's question on Hochreiter's adding
problem: how many ReLU units P does an AL-RNN need? It fits one
:class:`~sk_alrnn.ALRNNRegressor` per value of ``n_nonlinear`` on the same
training sequences, scores each on held-out sequences and prints a table, a
one-line conclusion and, on request, a JSON file and a score-vs-P plot.

Shapes: N sequences, T time steps, K = 2 features per step, M latent units,
P nonlinear (ReLU) units.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn.datasets import make_addition_problem

_TOP_LEVEL_FLAGS = ("-h", "--help", "--version")  # everything else: a sweep option
_PLOT_HINT = 'pip install "sk-alrnn[plot]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sk_alrnn`` command line.

    Without a subcommand (or with options only) ``sweep`` runs: one AL-RNN per
    value of ``--n-nonlinear`` on the adding problem, each scored by R^2 on the
    held-out share ``--test-size`` of the ``--n-samples`` sequences.
    ``python -m sk_alrnn --help`` and ``python -m sk_alrnn sweep --help`` list
    the options.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success. Bad arguments raise ``SystemExit(2)`` (from
        argparse) after printing a usage message to stderr.

    Examples
    --------
    A tiny sweep (one epoch on 32 sequences, about a second); the table's
    numbers depend on the platform, so they are elided here:

    >>> main(["sweep", "--n-nonlinear", "0,2", "--n-hidden", "4",
    ...       "--max-iter", "1", "--n-samples", "40"])  # doctest: +ELLIPSIS
    AL-RNN nonlinearity sweep on the adding problem: T=20, 32 train / 8 test sequences
    n_hidden=4, max_iter=1, learning_rate_init=0.01, random_state=0
    <BLANKLINE>
    n_nonlinear  test R^2  epochs  fit [s]
    -----------  --------  ------  -------
              0  ...      1*  ...
              2  ...      1*  ...
    <BLANKLINE>
    * stopped at --max-iter while still improving (raise --max-iter)
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


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, 1), got {text!r}"
        ) from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, got {text!r}"
        ) from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number >= 0, got {text!r}"
        ) from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _int_list(text: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]`` (sorted, duplicates dropped)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = sorted({int(p) for p in parts})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of integers such as 0,1,2,4; got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer, got none")
    if values[0] < 0:
        raise argparse.ArgumentTypeError(
            f"n_nonlinear values must be >= 0; got {values[0]}"
        )
    return values


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        help="how many ReLU units does the adding problem need? (default)",
        description=(
            "Fit one ALRNNRegressor per n_nonlinear (P) on Hochreiter's adding "
            "problem, score each by R^2 on held-out sequences and report the "
            "smallest P that comes close to the best score."
        ),
    )
    sweep.add_argument(
        "--n-hidden",
        type=_int_at_least(1),
        default=16,
        help="M, latent units (default: %(default)s)",
    )
    sweep.add_argument(
        "--n-nonlinear",
        type=_int_list,
        default="0,1,2,4,8",
        metavar="P[,P...]",
        help="comma-separated ReLU unit counts to compare, each <= --n-hidden "
        "(default: %(default)s)",
    )
    sweep.add_argument(
        "--n-samples",
        type=_int_at_least(10),
        default=1500,
        help="sequences in total, train + test (default: %(default)s)",
    )
    sweep.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        help="share of the sequences held out for scoring (default: %(default)s)",
    )
    sweep.add_argument(
        "--n-timesteps",
        type=_int_at_least(2),
        default=20,
        help="T, sequence length (default: %(default)s)",
    )
    sweep.add_argument(
        "--max-iter",
        type=_int_at_least(1),
        default=40,
        help="epochs per fit (default: %(default)s)",
    )
    sweep.add_argument(
        "--learning-rate-init",
        type=_positive_float,
        default=1e-2,
        help="Adam learning rate (default: %(default)s)",
    )
    sweep.add_argument(
        "--within",
        type=_nonnegative_float,
        default=0.02,
        help="the conclusion names the smallest P whose test R^2 is within this of "
        "the best (default: %(default)s)",
    )
    sweep.add_argument(
        "--random-state",
        type=_int_at_least(0),
        default=0,
        help="seed of the data, the split and every fit (default: %(default)s)",
    )
    sweep.add_argument(
        "--device",
        default="auto",
        help="torch device: auto, cpu, cuda, cuda:1, ... (default: %(default)s)",
    )
    sweep.add_argument(
        "--threads",
        type=_int_at_least(1),
        default=1,
        help="torch CPU threads during the sweep, restored afterwards; an AL-RNN's "
        "small matrix products gain little from more, and extra threads slow "
        "down badly on a busy machine (default: %(default)s)",
    )
    sweep.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the results as JSON"
    )
    sweep.add_argument(
        "--plot",
        type=Path,
        metavar="PATH",
        help=f"also save a score-vs-P figure (PNG; needs {_PLOT_HINT})",
    )
    sweep.set_defaults(func=lambda args: _run_sweep(args, sweep))
    return parser


# -- sweep -------------------------------------------------------------------------
def _run_sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return _sweep(args, parser)
    finally:
        torch.set_num_threads(threads)  # leave the process as we found it


def _sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    too_big = [p for p in args.n_nonlinear if p > args.n_hidden]
    if too_big:
        parser.error(
            f"--n-nonlinear {too_big} exceeds --n-hidden {args.n_hidden}; "
            "every value must lie in [0, n_hidden]. Drop them or raise --n-hidden."
        )
    n_test = math.ceil(args.n_samples * args.test_size)
    if n_test < 2 or args.n_samples - n_test < 2:
        parser.error(
            f"--n-samples {args.n_samples} with --test-size "
            f"{args.test_size} leaves {args.n_samples - n_test} train / {n_test} "
            "test sequences; both need at least 2. Raise --n-samples."
        )
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        parser.error(
            f"--plot needs matplotlib, which is not installed. Install it "
            f"with: {_PLOT_HINT}"
        )

    X, y = make_addition_problem(
        args.n_samples, args.n_timesteps, random_state=args.random_state
    )  # X (N, T, 2), y (N,)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=args.random_state
    )

    def make_model(p: int, max_iter: int) -> ALRNNRegressor:
        return ALRNNRegressor(
            n_hidden=args.n_hidden,
            n_nonlinear=p,
            max_iter=max_iter,
            learning_rate_init=args.learning_rate_init,
            random_state=args.random_state,
            device=args.device,
        )

    # One throw-away epoch first: checks --device, and keeps one-off start-up
    # costs (lazy torch initialisation, device warm-up) out of the first row.
    try:
        _fit_quietly(make_model(args.n_nonlinear[0], 1), X_train[:8], y_train[:8])
    except ValueError as exc:
        parser.error(str(exc))

    print(
        f"AL-RNN nonlinearity sweep on the adding problem: T={args.n_timesteps}, "
        f"{len(y_train)} train / {len(y_test)} test sequences\n"
        f"n_hidden={args.n_hidden}, max_iter={args.max_iter}, "
        f"learning_rate_init={args.learning_rate_init:g}, "
        f"random_state={args.random_state}",
        flush=True,
    )
    print(flush=True)
    header = ("n_nonlinear", "test R^2", "epochs", "fit [s]")
    widths = [len(h) for h in header]
    print("  ".join(header), flush=True)
    print("  ".join("-" * w for w in widths), flush=True)

    rows = []
    for p in args.n_nonlinear:
        model = make_model(p, args.max_iter)
        try:
            seconds, converged = _fit_quietly(model, X_train, y_train)
            pred_test, pred_train = model.predict(X_test), model.predict(X_train)
            if not (np.isfinite(pred_test).all() and np.isfinite(pred_train).all()):
                raise FloatingPointError(
                    "training diverged: the fitted model predicts non-finite "
                    f"values. Lower --learning-rate-init (now "
                    f"{args.learning_rate_init:g})."
                )
        except FloatingPointError as exc:  # say so, without a traceback
            print(f"error: n_nonlinear={p}: {exc}", file=sys.stderr)
            return 1
        row = {
            "n_nonlinear": p,
            "test_r2": float(r2_score(y_test, pred_test)),
            "train_r2": float(r2_score(y_train, pred_train)),
            "n_iter": int(model.n_iter_),
            "converged": converged,
            "fit_seconds": seconds,
        }
        rows.append(row)
        cells = (
            f"{p:d}",
            f"{row['test_r2']:.3f}",
            f"{row['n_iter']:d}" + ("" if converged else "*"),
            f"{seconds:.1f}",
        )
        print(
            "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)),
            flush=True,
        )

    best = max(rows, key=lambda r: r["test_r2"])
    chosen = next(r for r in rows if r["test_r2"] >= best["test_r2"] - args.within)
    print()
    if not all(r["converged"] for r in rows):
        print("* stopped at --max-iter while still improving (raise --max-iter)")
    print(
        f"Conclusion: P={chosen['n_nonlinear']} is the smallest n_nonlinear within "
        f"{args.within:g} of the best test R^2 ({best['test_r2']:.3f} at "
        f"P={best['n_nonlinear']})."
    )

    if args.json is not None:
        _write_json(args, rows, best, chosen, n_train=len(y_train), n_test=len(y_test))
        print(f"Results written to {args.json}")
    if args.plot is not None:
        _save_plot(args, rows)
        print(f"Figure saved to {args.plot}")
    return 0


def _write_json(args, rows, best, chosen, *, n_train: int, n_test: int) -> None:
    document = {
        "task": "addition",
        "settings": {
            "n_hidden": args.n_hidden,
            "n_nonlinear": list(args.n_nonlinear),
            "n_samples": args.n_samples,
            "n_train": n_train,
            "n_test": n_test,
            "n_timesteps": args.n_timesteps,
            "max_iter": args.max_iter,
            "learning_rate_init": args.learning_rate_init,
            "random_state": args.random_state,
            "device": args.device,
            "threads": args.threads,
            "within": args.within,
        },
        "results": rows,
        "best_n_nonlinear": best["n_nonlinear"],
        "smallest_n_nonlinear_within": chosen["n_nonlinear"],
        "versions": {
            "sk_alrnn": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    }
    if args.json.parent != Path():
        args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _save_plot(args, rows) -> None:
    # matplotlib.figure.Figure needs no pyplot and no GUI backend.
    from matplotlib.figure import Figure

    ps = [r["n_nonlinear"] for r in rows]
    fig = Figure(figsize=(5.0, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(ps, [r["test_r2"] for r in rows], "o-", label="test")
    ax.plot(ps, [r["train_r2"] for r in rows], "s--", alpha=0.6, label="train")
    ax.set_xlabel("n_nonlinear (P, ReLU units)")
    ax.set_ylabel("R$^2$")
    ax.set_xticks(ps)
    ax.set_title(
        f"Adding problem, T={args.n_timesteps}, n_hidden={args.n_hidden}",
        fontsize="medium",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    if args.plot.parent != Path():
        args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot, dpi=120)


def _fit_quietly(model, X, y) -> tuple[float, bool]:
    """Fit; return (seconds, converged). ConvergenceWarnings are swallowed."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - start
    converged = True
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            converged = False  # reached max_iter: shown as a * in the table
        else:  # anything unexpected is passed on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return seconds, converged
