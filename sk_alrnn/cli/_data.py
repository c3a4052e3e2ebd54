"""Where the command line's sequences come from: a registered task or a CSV file.

:func:`load_data` is the one place that decides X, y, the splits that score
each fit and what a trivial predictor scores. Two sources:

- ``--task NAME``: one of the papers' tasks (:mod:`sk_alrnn._task_suite`),
  scored on a shuffled hold-out share (``--test-size``) or by ``--cv`` folds;
- ``--csv FILE``: a table whose rows are consecutive time steps, cut into
  windows by :func:`sk_alrnn.forecasting.make_windows` and scored in time
  order by ``TimeSeriesSplit(n_splits=--cv or 3, gap=horizon - 1)``, so every
  training target precedes every test target (the file is read by
  :mod:`sk_alrnn.cli._csv_file`; the baselines that score the same test
  windows live in :mod:`sk_alrnn.cli._baselines`).

Functions take the :class:`~sk_alrnn.cli._request.SweepRequest` (never
argparse) and raise ValueError with a one-line message naming the flag;
:func:`sk_alrnn.cli.main` turns it into the ``error:`` line and exit status 2.
Private: only :mod:`sk_alrnn.cli` imports it.

Shapes: R rows of the CSV, F input columns, L = ``--window`` rows per window,
H = ``--horizon`` steps ahead, n windows.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from sk_alrnn._task_suite import EstimatorSettings, get_task
from sk_alrnn.cli._baselines import Series, forecaster_scores
from sk_alrnn.cli._csv_file import CsvFileError, header, read_text
from sk_alrnn.cli._request import SweepRequest
from sk_alrnn.forecasting import NaiveForecaster, make_windows

DEFAULT_TASK = "addition"
DEFAULT_TEST_SIZE = 0.2
CSV_FOLDS = 3  # TimeSeriesSplit folds when --csv is given without --cv
MIN_TEST_WINDOWS = 2  # R^2 needs at least two test targets per fold
MIN_TRAIN_WINDOWS = 2
_PANDAS_HINT = 'pip install pandas (or pip install "sk-alrnn[test]")'


@dataclass(frozen=True)
class Scoring(EstimatorSettings):
    """What the sweep fits and how it scores it: a task's, or the CSV windows'."""

    name: str  # the task's name, or "csv" (the JSON file's "task")
    classification: bool  # ALRNNClassifier (True) or ALRNNRegressor
    output: str  # the estimators' ``output``
    scoring: object  # scikit-learn ``scoring``: a name or a scorer
    score_name: str  # for the table ("R^2", "accuracy", ...)
    trivial_score: float  # what a trivial predictor scores
    trivial_note: str  # which trivial predictor that is
    extra_params: dict = field(default_factory=dict)  # beyond the defaults

    def make_estimator(self, n_nonlinear: int, **params):
        """An unfitted AL-RNN with P = ``n_nonlinear`` and ``params``."""
        return self.estimator_class(n_nonlinear=n_nonlinear, **params)


@dataclass
class Data:
    """Sequences, targets and how to score them, for one sweep."""

    X: np.ndarray  # (N, T, K)
    y: np.ndarray  # (N,) or (N, O) or (N, T)
    scoring: Scoring
    description: str  # first line of the report
    n_timesteps: int
    splits: list[tuple[np.ndarray, np.ndarray]]
    scheme: str  # how the scores were obtained, for the report's second line
    n_folds: int | None  # None: one hold-out split
    test_size: float | None  # the hold-out share (None with folds)
    plot_title: str
    source: dict = field(default_factory=dict)  # extra JSON fields ("data")
    series: Series | None = None  # --csv: the target's time axis (baselines)


def load_data(request: SweepRequest) -> Data:
    """X, y and splits from ``--csv`` or ``--task``; bad input: ValueError."""
    if request.csv is not None:
        return _csv_data(request)
    return _task_data(request)


# -- the papers' tasks ---------------------------------------------------------------
def _task_data(request: SweepRequest) -> Data:
    task = get_task(request.task or DEFAULT_TASK)
    try:
        X, y = task.load(
            request.n_samples, request.random_state, n_timesteps=request.n_timesteps
        )  # X (N, T, K); y (N,) or (N, T)
    except ValueError as exc:
        raise ValueError(f"--task {task.name}: {exc}") from None
    n = len(y)
    test_size = DEFAULT_TEST_SIZE if request.test_size is None else request.test_size
    if request.cv is not None:
        if request.cv > n:
            raise ValueError(
                f"--cv {request.cv} needs at least {request.cv} sequences; got {n}"
            )
        stratify = task.classification and task.output == "last"
        kind = StratifiedKFold if stratify else KFold
        folds = kind(request.cv, shuffle=True, random_state=request.random_state)
        try:
            splits = list(folds.split(X, y))
        except ValueError as exc:
            raise ValueError(f"--cv {request.cv}: {exc}") from None
        scheme = f"{request.cv}-fold cross-validation on {n} sequences"
    else:
        n_test = math.ceil(n * test_size)
        if n_test < 2 or n - n_test < 2:
            raise ValueError(
                f"{n} sequences with --test-size {test_size} leaves {n - n_test} "
                f"train / {n_test} test sequences; both need at least 2. Raise "
                "--n-samples."
            )
        train, test = train_test_split(
            np.arange(n), test_size=test_size, random_state=request.random_state
        )
        splits = [(train, test)]
        scheme = f"{len(train)} train / {len(test)} test sequences"
    scoring = Scoring(
        task.name,
        task.classification,
        task.output,
        task.scoring,
        task.score_name,
        task.trivial_score,
        task.trivial_note,
        dict(task.extra_params),
    )
    return Data(
        X,
        y,
        scoring,
        task.title,
        X.shape[1],
        splits,
        scheme,
        n_folds=request.cv,
        test_size=None if request.cv else test_size,
        plot_title=f"{task.name}, T={X.shape[1]}",
    )


# -- a CSV table -----------------------------------------------------------------------
def _csv_data(request: SweepRequest) -> Data:
    window, horizon = request.window, request.horizon
    n_folds = CSV_FOLDS if request.cv is None else request.cv
    path = request.csv
    frame = _read_csv(path)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if request.target is None:
        raise ValueError(f"--csv needs --target COLUMN, one of the columns {columns}")
    inputs = _input_columns(request, columns)
    table = frame[inputs]
    _check_values(path, table)
    n_rows = len(table)
    n_windows = n_rows - window - horizon + 1
    needed = _min_windows(n_folds, horizon)
    if n_windows < needed:
        raise ValueError(
            f"{path} has {n_rows} data rows, too few for --window {window}, "
            f"--horizon {horizon} and {n_folds} time-series folds: that needs at "
            f"least {needed + window + horizon - 1} rows ({needed} windows). Use a "
            "longer file, a shorter --window or fewer --cv folds"
        )
    folds = TimeSeriesSplit(n_splits=n_folds, gap=horizon - 1)
    splits = list(folds.split(np.arange(n_windows)))
    X, y = _standardised_windows(table, request.target, window, horizon, splits[0][0])
    series = Series(
        request.target,
        table[request.target].to_numpy(dtype=np.float64),
        window,
        horizon,
        statsmodels=request.statsmodels,
    )
    # persistence: the naive row of the baselines block, computed the same way
    persistence = forecaster_scores(NaiveForecaster, series, y, splits)["mean_score"]
    scoring = _csv_scoring(request.target, persistence)
    steps = "1 step" if horizon == 1 else f"{horizon} steps"
    dropped = (
        f"; time column {request.time_column!r} dropped" if request.time_column else ""
    )
    description = (
        f"{path.name}: forecast {request.target!r} {steps} ahead from the last "
        f"{window} rows of {len(inputs)} column(s) ({', '.join(inputs)}{dropped})"
    )
    gap = f" (gap {horizon - 1})" if horizon > 1 else ""
    return Data(
        X,
        y,
        scoring,
        description,
        window,
        splits,
        scheme=f"{n_folds}-fold time-series cross-validation{gap} on {len(y)} "
        f"windows ({n_rows} rows)",
        n_folds=n_folds,
        test_size=None,
        plot_title=f"{path.name}: {request.target}, window={window}, horizon={horizon}",
        source={
            "csv": str(path),
            "n_rows": n_rows,
            "target": request.target,
            "inputs": inputs,
            "time_column": request.time_column,
            "window": window,
            "horizon": horizon,
            "cv": f"TimeSeriesSplit(n_splits={n_folds}, gap={horizon - 1})",
        },
        series=series,
    )


def _csv_scoring(target: str, persistence: float) -> Scoring:
    """An ALRNNRegressor scored by R^2; the trivial level is persistence's."""
    return Scoring(
        name="csv",
        classification=False,
        output="last",
        scoring="r2",
        score_name="R^2",
        trivial_score=persistence,
        trivial_note=(
            f"repeating the last observed {target!r} (persistence, the "
            f"naive baseline) scores R^2 = {persistence:.3f}; a constant scores "
            "at most 0"
        ),
    )


def _read_csv(path: Path):
    """The ``--csv`` table; any file it cannot read: a one-line ValueError."""
    try:
        import pandas as pd
    except ImportError:
        raise ValueError(
            f"--csv needs pandas, which is not installed. Install it: {_PANDAS_HINT}"
        ) from None
    try:
        text = read_text(path)
        sep, names = header(text)
    except CsvFileError as exc:
        raise ValueError(f"--csv {path}: {exc}") from None
    # pandas < 3 parses floats with a fast routine that can be one ulp off;
    # pandas 3 round-trips by default and deprecates the option
    major = int(pd.__version__.split(".")[0])
    exact = {"float_precision": "round_trip"} if major < 3 else {}
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, **exact)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"--csv {path}: the file is empty; expected a header row and data rows"
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        reason = " ".join(str(exc).split())  # one line
        raise ValueError(
            f"--csv {path}: could not read it as CSV ({reason}); every row needs "
            f"one value per header column ({len(names)}), separated by {sep!r}"
        ) from None
    if len(frame) == 0:
        raise ValueError(
            f"--csv {path}: the file has a header but no data rows; expected one "
            "row per time step below the header"
        )
    return frame


def _input_columns(request, columns: list[str]) -> list[str]:
    """The columns fed to the model: --features (or all but --time-column)."""
    for flag, names in (
        ("--target", [request.target]),
        ("--time-column", [request.time_column] if request.time_column else []),
        ("--features", request.features or []),
    ):
        unknown = [n for n in names if n not in columns]
        if unknown:
            numbers = all(_is_number(c) for c in columns)
            hint = (
                " (numbers: the file's first row is data, not names; add a header "
                "row of column names)"
                if numbers
                else f"; pass one of them as {flag}"
            )
            raise ValueError(
                f"{flag}: no column {unknown[0]!r} in {request.csv}; the columns are "
                f"{columns}{hint}"
            )
    if request.time_column is not None and request.time_column in (
        request.target,
        *(request.features or []),
    ):
        raise ValueError(
            f"--time-column {request.time_column!r} is also the target or a feature; "
            "the time column is dropped, so pick another"
        )
    if request.features is not None:
        inputs = list(dict.fromkeys(request.features))
        if request.target not in inputs:
            inputs.append(request.target)  # the target's past is always an input
    else:
        inputs = [c for c in columns if c != request.time_column]
    return inputs


def _check_values(path: Path, table) -> None:
    """Non-numeric columns and missing values: one-line errors with the fix."""
    bad = {c: str(d) for c, d in table.dtypes.items() if d.kind not in "biuf"}
    if bad:
        import pandas as pd

        column = next(iter(bad))
        values = table[column]
        odd = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        row = int(np.argmax(odd.to_numpy())) if odd.any() else 0
        value = values.iloc[row]
        comma = isinstance(value, str) and _is_number(value.replace(",", ".", 1))
        fix = (
            "; it looks like a decimal comma: save the file with '.' as the "
            "decimal separator"
            if comma
            else ""
        )
        raise ValueError(
            f"--csv {path}: column(s) {list(bad)} are not numeric ({column!r} holds "
            f"{value!r} at data row {row}){fix}; pass --time-column NAME for "
            "a date/time column (it is dropped; rows must be in time order), choose "
            "the inputs with --features, or encode them as numbers"
        )
    missing = table.isna() | ~np.isfinite(table.to_numpy(dtype=np.float64))
    counts = missing.sum()
    if counts.any():
        where = ", ".join(
            f"{c!r}: {n} (first at data row {int(np.argmax(missing[c].to_numpy()))})"
            for c, n in counts.items()
            if n
        )
        raise ValueError(
            f"--csv {path}: {int(counts.sum())} missing or infinite value(s) "
            f"({where}; data rows count from 0 after the header); fill them first, "
            "e.g. with pandas DataFrame.interpolate() or ffill(), or drop those rows"
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
