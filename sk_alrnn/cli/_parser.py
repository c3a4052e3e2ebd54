"""The command line's argparse parser: flags, their types and their help.

Parsing only: :func:`build_parser` turns argv into an ``argparse.Namespace``,
which :func:`sk_alrnn.cli._request.request_from_args` turns into the typed
:class:`~sk_alrnn.cli._request.SweepRequest` that the rest of the command line
reads. Defaults shown in the help come from the estimators' signatures
(:func:`~sk_alrnn.cli._request.estimator_default`), not restated numbers;
where the command line's own default differs, the help says so and why.

Private: only :mod:`sk_alrnn.cli` imports it.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from sk_alrnn import __version__
from sk_alrnn._task_suite import TASKS
from sk_alrnn.cli._data import CSV_FOLDS, DEFAULT_TASK, DEFAULT_TEST_SIZE
from sk_alrnn.cli._request import (
    CLI_DEFAULTS,
    DEFAULT_P,
    PLOT_HINT,
    estimator_default,
)


class Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (no usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _int_at_least(low: int):
    def parse(text: str) -> int:
        value = _integer(text)
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


def _real(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _fraction(text: str) -> float:
    value = _real(text)
    if not (math.isfinite(value) and 0 < value < 1):
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {value}")
    return value


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


def build_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The top-level parser and its ``sweep`` subparser."""
    parser = Parser(
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
            "Fit one AL-RNN per n_nonlinear (P) on one of the papers' tasks or on "
            "a CSV table of time series, score each on held-out data (one split, "
            "or --cv folds; --n-repeats seeds each) and report the smallest P that "
            "is not credibly worse than the best, with the evidence, or no answer "
            "when the deciding fits look under-trained. Options left out take the "
            "estimators' defaults, except where the help says why not."
        ),
    )
    _add_source_options(sweep)
    _add_csv_options(sweep)
    _add_model_options(sweep)
    _add_scoring_options(sweep)
    _add_run_options(sweep)
    return parser, sweep


def _add_defaulted(add, name: str, what: str, *, note: str = "", **kwargs) -> None:
    """``add("--NAME", ...)`` for the parameter ``name``, its help ``what`` ending
    with the default it takes when left out: the command line's own and why
    (``CLI_DEFAULTS``), or else the estimators' (their signature)."""
    if name in CLI_DEFAULTS:
        value, why = CLI_DEFAULTS[name]
        default = f"{value}; {why}"
    else:
        value = estimator_default(name)
        shown = f"{value:g}" if isinstance(value, float) else value
        default = f"the estimators' {shown}"
    flag = "--" + name.replace("_", "-")
    add(flag, help=f"{what} (default: {default}{note})", **kwargs)


def _add_source_options(sweep: argparse.ArgumentParser) -> None:
    tasks = ", ".join(f"{t.name} ({t.title})" for t in TASKS.values())
    source = sweep.add_mutually_exclusive_group()
    source.add_argument(
        "--task",
        choices=sorted(TASKS),
        help=f"the task: {tasks} (default: {DEFAULT_TASK})",
    )
    source.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="instead of a task, forecast a column of this CSV file (UTF-8; a "
        "header row of distinct names, then one row per time step in time order; "
        "comma-separated, or semicolons, tabs or bars; may be gzip-, bzip2-, xz- "
        "or zip-compressed); see 'CSV data' below",
    )


def _add_model_options(sweep: argparse.ArgumentParser) -> None:
    add = sweep.add_argument
    _add_defaulted(add, "n_hidden", "M, latent units", type=_integer)
    add(
        "--n-nonlinear",
        type=_int_list,
        nargs="+",
        action=_Flatten,
        default=list(DEFAULT_P),
        metavar="P",
        help="ReLU unit counts to compare, space- or comma-separated (0 1 2 or "
        "0,1,2), each <= --n-hidden (default: 0 1 2 4 8; the estimators' single "
        f"default is {estimator_default('n_nonlinear')}, a sweep compares several)",
    )
    _add_defaulted(
        add,
        "max_iter",
        "epochs per fit at most",
        note="; fits stop earlier once the validation loss stops improving",
        type=_integer,
    )
    _add_defaulted(
        add,
        "learning_rate_init",
        "Adam's initial learning rate",
        note=", decayed along a cosine",
        type=_real,
    )
    add(
        "--device",
        default=estimator_default("device"),
        help="torch device: auto, cpu, cuda, cuda:1, ... (default: the "
        "estimators' %(default)s)",
    )


def _add_scoring_options(sweep: argparse.ArgumentParser) -> None:
    add = sweep.add_argument
    add(
        "--n-samples",
        type=_int_at_least(10),
        help="tasks only: sequences in total, train + test (task default: 1500; "
        "digits: all 1797 images)",
    )
    add(
        "--test-size",
        type=_fraction,
        help="tasks only: share of the sequences held out for scoring when --cv "
        f"is not given (default: {DEFAULT_TEST_SIZE})",
    )
    add(
        "--cv",
        type=_int_at_least(2),
        metavar="K",
        help="score by K-fold cross-validation (tasks: shuffled, stratified for "
        "labels, instead of one hold-out split; --csv: K time-series folds, "
        f"default {CSV_FOLDS}); gives the paired comparisons standard errors",
    )
    add(
        "--n-timesteps",
        type=_int_at_least(2),
        help="tasks only: T, sequence length (task defaults: addition 20, context "
        "20, copy 12; digits always 8)",
    )
    add(
        "--n-repeats",
        type=_int_at_least(1),
        default=1,
        metavar="R",
        help="seeds per split: every P is fitted R times on every split, and the "
        "comparisons pair them (default: %(default)s)",
    )
    add(
        "--tolerance",
        type=_fraction,
        default=0.02,
        help="score differences below this share of the best score's gain over "
        "a constant prediction count as none (default: %(default)s)",
    )


def _add_run_options(sweep: argparse.ArgumentParser) -> None:
    add = sweep.add_argument
    _add_defaulted(
        add, "random_state", "seed of the data, the split and every fit", type=_integer
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
        help=f"also save a score-vs-P figure (PNG; needs {PLOT_HINT})",
    )


def _add_csv_options(sweep: argparse.ArgumentParser) -> None:
    group = sweep.add_argument_group(
        "CSV data",
        "With --csv FILE, window i of W rows (all input columns) forecasts the "
        "--target column at the next H rows; one ALRNNRegressor (output='last', "
        "H outputs) predicts every step ahead. Windows are scored in time order "
        f"by TimeSeriesSplit(n_splits=--cv or {CSV_FOLDS}, gap=H-1), so no training "
        "target lies in a test period, with R^2 (averaged over the H steps) and "
        "the mean absolute error of each step ahead h=1..H in the target's own "
        "units (mean over the test folds; the table shows h=1, (H+1)//2 and H "
        "when H > 4); inputs are standardised with the rows of the first "
        "training fold. A baselines block scores, on the same test windows: "
        "naive (last value), seasonal naive (season inferred from each fold's "
        "training rows; left out when none is found), the training targets' "
        "mean, ridge regression on the window and, with statsmodels installed, "
        "ETS and ARIMA of the target alone. --json holds every number, with "
        "per-fold scores and one MAE per step ahead (lists of length H). "
        "Missing values, non-numeric inputs and files too short for the folds "
        "are refused with a one-line message.",
    )
    add = group.add_argument
    add("--target", metavar="COLUMN", help="the column to forecast (required)")
    _add_defaulted(
        add,
        "window",
        "rows each forecast reads, up to its origin",
        type=_int_at_least(1),
        metavar="W",
    )
    _add_defaulted(
        add,
        "horizon",
        "steps ahead to forecast, 1..H",
        type=_int_at_least(1),
        metavar="H",
    )
    add(
        "--features",
        nargs="+",
        metavar="COLUMN",
        help="input columns (default: every column but --time-column); the "
        "target's own past is always an input",
    )
    add(
        "--time-column",
        metavar="COLUMN",
        help="a date/time (or other label) column to drop; rows must already be "
        "in time order",
    )
    add(
        "--no-statsmodels",
        action="store_true",
        default=None,  # None: not given (the flag is refused without --csv)
        help="leave the ETS and ARIMA baselines out (their statsmodels fits are "
        "the slow part of the baselines on long or seasonal series)",
    )
