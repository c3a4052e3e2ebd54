"""Where the command line's sequences come from: a registered task or a CSV file.

:func:`load_data` is the one place that decides X, y, the splits that score
each fit and what a trivial predictor scores. Two sources:

- ``--task NAME``: one of the papers' tasks (:mod:`sk_alrnn._task_suite`),
  scored on a shuffled hold-out share (``--test-size``) or by ``--cv`` folds;
- ``--csv FILE``: a table whose rows are consecutive time steps, cut into
  windows by :func:`sk_alrnn.forecasting.make_windows` and scored in time
  order by ``TimeSeriesSplit(n_splits=--cv or 3, gap=horizon - 1)``, so every
  training target precedes every test target.

Private: only :mod:`sk_alrnn.cli` imports it.

Shapes: R rows of the CSV, F input columns, L = ``--window`` rows per window,
H = ``--horizon`` steps ahead, n windows.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import r2_score
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from sk_alrnn._task_suite import Task, get_task
from sk_alrnn.forecasting import make_windows

DEFAULT_TASK = "addition"
DEFAULT_TEST_SIZE = 0.2
CSV_FOLDS = 3  # TimeSeriesSplit folds when --csv is given without --cv
MIN_TEST_WINDOWS = 2  # R^2 needs at least two test targets per fold
MIN_TRAIN_WINDOWS = 2
_PANDAS_HINT = 'pip install pandas (or pip install "sk-alrnn[test]")'


@dataclass
class Data:
    """Sequences, targets and how to score them, for one sweep."""

    X: np.ndarray  # (N, T, K)
    y: np.ndarray  # (N,) or (N, O) or (N, T)
    task: Task
    description: str  # first line of the report
    n_timesteps: int
    splits: list[tuple[np.ndarray, np.ndarray]]
    scheme: str  # how the scores were obtained, for the report's second line
    n_folds: int | None  # None: one hold-out split
    test_size: float | None  # the hold-out share (None with folds)
    plot_title: str
    source: dict = field(default_factory=dict)  # extra JSON fields ("data")


def load_data(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Data:
    """X, y and splits from ``--csv`` or ``--task``; bad input: ``parser.error``."""
    if args.csv is not None:
        return _csv_data(args, parser)
    for flag in ("target", "window", "horizon", "time_column", "features"):
        if getattr(args, flag) is not None:
            parser.error(
                f"--{flag.replace('_', '-')} applies to --csv data only; drop it or "
                "pass --csv FILE"
            )
    return _task_data(args, parser)


# -- the papers' tasks ---------------------------------------------------------------
def _task_data(args, parser) -> Data:
    task = get_task(args.task or DEFAULT_TASK)
    try:
        X, y = task.load(
            args.n_samples, args.random_state, n_timesteps=args.n_timesteps
        )  # X (N, T, K); y (N,) or (N, T)
    except ValueError as exc:
        parser.error(f"--task {task.name}: {exc}")
    n = len(y)
    test_size = DEFAULT_TEST_SIZE if args.test_size is None else args.test_size
    if args.cv is not None:
        if args.cv > n:
            parser.error(f"--cv {args.cv} needs at least {args.cv} sequences; got {n}")
        stratify = task.classification and task.output == "last"
        kind = StratifiedKFold if stratify else KFold
        folds = kind(args.cv, shuffle=True, random_state=args.random_state)
        try:
            splits = list(folds.split(X, y))
        except ValueError as exc:
            parser.error(f"--cv {args.cv}: {exc}")
        scheme = f"{args.cv}-fold cross-validation on {n} sequences"
    else:
        n_test = math.ceil(n * test_size)
        if n_test < 2 or n - n_test < 2:
            parser.error(
                f"{n} sequences with --test-size {test_size} leaves {n - n_test} "
                f"train / {n_test} test sequences; both need at least 2. Raise "
                "--n-samples."
            )
        train, test = train_test_split(
            np.arange(n), test_size=test_size, random_state=args.random_state
        )
        splits = [(train, test)]
        scheme = f"{len(train)} train / {len(test)} test sequences"
    return Data(
        X,
        y,
        task,
        task.title,
        X.shape[1],
        splits,
        scheme,
        n_folds=args.cv,
        test_size=None if args.cv else test_size,
        plot_title=f"{task.name}, T={X.shape[1]}",
    )


# -- a CSV table -----------------------------------------------------------------------
_TASK_ONLY = {
    "--task": "",
    "--n-samples": "",
    "--n-timesteps": " (--window sets the window length)",
    "--test-size": " (CSV data is scored by --cv time-series folds)",
}


def _csv_data(args, parser) -> Data:
    for flag, hint in _TASK_ONLY.items():
        if getattr(args, flag[2:].replace("-", "_")) is not None:
            parser.error(f"{flag} does not apply to --csv data{hint}; drop it")
    window = 10 if args.window is None else args.window
    horizon = 1 if args.horizon is None else args.horizon
    n_folds = CSV_FOLDS if args.cv is None else args.cv
    path = args.csv
    frame = _read_csv(path, parser)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if args.target is None:
        parser.error(f"--csv needs --target COLUMN, one of the columns {columns}")
    inputs = _input_columns(args, columns, parser)
    table = frame[inputs]
    _check_values(path, table, parser)
    n_rows = len(table)
    n_windows = n_rows - window - horizon + 1
    needed = _min_windows(n_folds, horizon)
    if n_windows < needed:
        parser.error(
            f"{path} has {n_rows} data rows, too few for --window {window}, "
            f"--horizon {horizon} and {n_folds} time-series folds: that needs at "
            f"least {needed + window + horizon - 1} rows ({needed} windows). Use a "
            "longer file, a shorter --window or fewer --cv folds"
        )
    folds = TimeSeriesSplit(n_splits=n_folds, gap=horizon - 1)
    splits = list(folds.split(np.arange(n_windows)))
    X, y = _standardised_windows(table, args.target, window, horizon, splits[0][0])
    persistence = _persistence_r2(table[args.target], window, y, splits)
    task = Task(
        name="csv",
        title=path.name,
        classification=False,
        output="last",
        scoring="r2",
        score_name="R^2",
        trivial_score=persistence,
        trivial_note=(
            f"repeating the last observed {args.target!r} (persistence) scores "
            f"R^2 = {persistence:.3f}; a constant scores at most 0"
        ),
        n_samples=len(y),
        n_timesteps=window,
        _loader=None,
    )
    steps = "1 step" if horizon == 1 else f"{horizon} steps"
    dropped = f"; time column {args.time_column!r} dropped" if args.time_column else ""
    description = (
        f"{path.name}: forecast {args.target!r} {steps} ahead from the last "
        f"{window} rows of {len(inputs)} column(s) ({', '.join(inputs)}{dropped})"
    )
    gap = f" (gap {horizon - 1})" if horizon > 1 else ""
    return Data(
        X,
        y,
        task,
        description,
        window,
        splits,
        scheme=f"{n_folds}-fold time-series cross-validation{gap} on {len(y)} "
        f"windows ({n_rows} rows)",
        n_folds=n_folds,
        test_size=None,
        plot_title=f"{path.name}: {args.target}, window={window}, horizon={horizon}",
        source={
            "csv": str(path),
            "n_rows": n_rows,
            "target": args.target,
            "inputs": inputs,
            "time_column": args.time_column,
            "window": window,
            "horizon": horizon,
            "cv": f"TimeSeriesSplit(n_splits={n_folds}, gap={horizon - 1})",
        },
    )


def _read_csv(path: Path, parser):
    try:
        import pandas as pd
    except ImportError:
        parser.error(
            f"--csv needs pandas, which is not installed. Install it: {_PANDAS_HINT}"
        )
    if not path.exists():
        parser.error(f"--csv {path}: no such file")
    if path.is_dir():
        parser.error(f"--csv {path}: is a folder; expected a CSV file")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        parser.error(
            f"--csv {path}: the file is empty; expected a header row and data rows"
        )
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())  # one line
        parser.error(f"--csv {path}: could not read it as CSV ({reason})")
    header = str(frame.columns[0])
    sep = next((c for c in ";\t|" if c in header), None)
    if frame.shape[1] == 1 and sep is not None:  # not comma-separated after all
        try:
            frame = pd.read_csv(path, sep=sep)
        except (pd.errors.ParserError, ValueError) as exc:
            reason = " ".join(str(exc).split())
            parser.error(
                f"--csv {path}: could not read it as {sep!r}-separated "
                f"values ({reason})"
            )
    if len(frame) == 0:
        parser.error(f"--csv {path}: the file has a header but no data rows")
    return frame


def _input_columns(args, columns: list[str], parser) -> list[str]:
    """The columns fed to the model: --features (or all but --time-column)."""
    for flag, names in (
        ("--target", [args.target]),
        ("--time-column", [args.time_column] if args.time_column else []),
        ("--features", args.features or []),
    ):
        unknown = [n for n in names if n not in columns]
        if unknown:
            parser.error(
                f"{flag}: no column {unknown[0]!r} in {args.csv}; the columns are "
                f"{columns}"
            )
    if args.time_column is not None and args.time_column in (
        args.target,
        *(args.features or []),
    ):
        parser.error(
            f"--time-column {args.time_column!r} is also the target or a feature; "
            "the time column is dropped, so pick another"
        )
    if args.features is not None:
        inputs = list(dict.fromkeys(args.features))
        if args.target not in inputs:
            inputs.append(args.target)  # the target's past is always an input
    else:
        inputs = [c for c in columns if c != args.time_column]
    return inputs


def _check_values(path: Path, table, parser) -> None:
    """Non-numeric columns and missing values: one-line errors with the fix."""
    bad = {c: str(d) for c, d in table.dtypes.items() if d.kind not in "biuf"}
    if bad:
        import pandas as pd

        column = next(iter(bad))
        values = table[column]
        odd = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        row = int(np.argmax(odd.to_numpy())) if odd.any() else 0
        parser.error(
            f"--csv {path}: column(s) {list(bad)} are not numeric ({column!r} holds "
            f"{values.iloc[row]!r} at data row {row}); pass --time-column NAME for "
            "a date/time column (it is dropped; rows must be in time order), choose "
            "the inputs with "
            "--features, or encode them as numbers"
        )
    missing = table.isna() | ~np.isfinite(table.to_numpy(dtype=np.float64))
    counts = missing.sum()
    if counts.any():
        where = ", ".join(
            f"{c!r}: {n} (first at data row {int(np.argmax(missing[c].to_numpy()))})"
            for c, n in counts.items()
            if n
        )
        parser.error(
            f"--csv {path}: {int(counts.sum())} missing or infinite value(s) "
            f"({where}; data rows count from 0 after the header); fill them first, "
            "e.g. with pandas DataFrame.interpolate() or ffill(), or drop those rows"
        )


def _min_windows(n_folds: int, horizon: int) -> int:
    """Fewest windows for ``n_folds`` time-series folds of >= 2 test windows each."""
    n = 1
    while True:
        test = n // (n_folds + 1)  # TimeSeriesSplit's default test size
        if (
            test >= MIN_TEST_WINDOWS
            and n - (horizon - 1) - n_folds * test >= MIN_TRAIN_WINDOWS
        ):
            return n
        n += 1


def _standardised_windows(table, target, window, horizon, first_train):
    """Windows of the standardised table (float32) and the targets (float64).

    Every column is standardised with the rows that the first training fold's
    windows read: they precede every test target, so nothing about the test
    periods leaks into the scale. The targets stay in the file's units.
    """
    values = table.to_numpy(dtype=np.float64)  # (R, F)
    seen = values[: first_train[-1] + window]  # (r, F)
    mean, std = seen.mean(axis=0), seen.std(axis=0)  # (F,)
    std = np.where(std > 0, std, 1.0)
    scaled = ((values - mean) / std).astype(np.float32)  # (R, F)
    position = list(table.columns).index(target)
    X, _ = make_windows(scaled, window, horizon, target=position)  # (n, L, F)
    _, y = make_windows(values[:, position], window, horizon)  # (n,) or (n, H)
    return X, y


def _persistence_r2(series, window, y, splits) -> float:
    """Mean test R^2 of repeating the target's last value in each window.

    ``y`` holds the windows' targets as :func:`make_windows` cut them.
    """
    ahead = np.asarray(y).reshape(len(y), -1)  # (n, H)
    series = series.to_numpy(dtype=np.float64)  # (R,)
    last = series[window - 1 : window - 1 + len(ahead)]  # (n,): value at each origin
    scores = [
        r2_score(ahead[test], np.repeat(last[test, None], ahead.shape[1], axis=1))
        for _, test in splits
    ]
    return float(np.mean(scores))
