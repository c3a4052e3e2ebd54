"""Where the command line's sequences come from: a registered task or a CSV file.

:func:`load_data` is the one place that decides X, y, the splits that score
each fit and what a trivial predictor scores. Two sources:

- ``--task NAME``: one of the papers' tasks (:mod:`sk_alrnn._task_suite`),
  scored on a shuffled hold-out share (``--test-size``) or by ``--cv`` folds;
- ``--csv FILE``: a table whose rows are consecutive time steps, cut into
  windows by :func:`sk_alrnn.forecasting.make_windows` and scored in time
  order by ``TimeSeriesSplit(n_splits=--cv or 3, gap=horizon - 1)``, so every
  training target precedes every test target; :func:`forecast_baselines`
  scores the classical forecasts (naive, seasonal naive, ETS, ARIMA) on the
  same test windows, and :func:`mae_per_horizon` is the per-step error that
  the report shows next to R^2.

Private: only :mod:`sk_alrnn.cli` imports it.

Shapes: R rows of the CSV, F input columns, L = ``--window`` rows per window,
H = ``--horizon`` steps ahead, n windows.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import importlib.util
import io
import lzma
import math
import zipfile
import zlib
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
from sk_alrnn.forecasting import (
    NaiveForecaster,
    SeasonalNaiveForecaster,
    StatsmodelsForecaster,
    infer_season,
    make_windows,
)

DEFAULT_TASK = "addition"
DEFAULT_TEST_SIZE = 0.2
CSV_FOLDS = 3  # TimeSeriesSplit folds when --csv is given without --cv
MIN_TEST_WINDOWS = 2  # R^2 needs at least two test targets per fold
MIN_TRAIN_WINDOWS = 2
MIN_STATSMODELS_ROWS = 20  # ETS / ARIMA need this many training rows per fold
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
    series: Series | None = None  # --csv: the target's time axis (baselines)


@dataclass(frozen=True)
class Series:
    """The ``--csv`` target column and how the windows were cut from it."""

    target: str  # the column's name
    values: np.ndarray  # (R,) in the file's units
    window: int  # L: window i reads rows i .. i + L - 1 (its origin is the last)
    horizon: int  # H: and forecasts rows i + L .. i + L + H - 1
    statsmodels: bool = True  # False: --no-statsmodels (no ETS / ARIMA)


def load_data(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Data:
    """X, y and splits from ``--csv`` or ``--task``; bad input: ``parser.error``."""
    if args.csv is not None:
        return _csv_data(args, parser)
    csv_only = ("target", "window", "horizon", "time_column", "features")
    for flag in (*csv_only, "no_statsmodels"):
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
    series = Series(
        args.target,
        table[args.target].to_numpy(dtype=np.float64),
        window,
        horizon,
        statsmodels=not args.no_statsmodels,
    )
    # persistence: the naive row of the baselines block, computed the same way
    persistence = _forecaster_scores(NaiveForecaster, series, y, splits)["mean_score"]
    task = Task(
        name="csv",
        title=path.name,
        classification=False,
        output="last",
        scoring="r2",
        score_name="R^2",
        trivial_score=persistence,
        trivial_note=(
            f"repeating the last observed {args.target!r} (persistence, the "
            f"naive baseline) scores R^2 = {persistence:.3f}; a constant scores "
            "at most 0"
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
        series=series,
    )


def _read_csv(path: Path, parser):
    """The ``--csv`` table; any file it cannot read: one-line ``parser.error``."""
    try:
        import pandas as pd
    except ImportError:
        parser.error(
            f"--csv needs pandas, which is not installed. Install it: {_PANDAS_HINT}"
        )
    try:
        text = read_text(path)
        sep, names = _header(text)
    except CsvFileError as exc:
        parser.error(f"--csv {path}: {exc}")
    # pandas < 3 parses floats with a fast routine that can be one ulp off;
    # pandas 3 round-trips by default and deprecates the option
    major = int(pd.__version__.split(".")[0])
    exact = {"float_precision": "round_trip"} if major < 3 else {}
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, **exact)
    except pd.errors.EmptyDataError:
        parser.error(
            f"--csv {path}: the file is empty; expected a header row and data rows"
        )
    except (pd.errors.ParserError, ValueError) as exc:
        reason = " ".join(str(exc).split())  # one line
        parser.error(
            f"--csv {path}: could not read it as CSV ({reason}); every row needs "
            f"one value per header column ({len(names)}), separated by {sep!r}"
        )
    if len(frame) == 0:
        parser.error(
            f"--csv {path}: the file has a header but no data rows; expected one "
            "row per time step below the header"
        )
    return frame


class CsvFileError(ValueError):
    """A ``--csv`` file that cannot be read: the message says why and the fix."""


# compressed formats, told by their first bytes (not the file name)
_MAGIC = {
    b"\x1f\x8b": ("gzip", gzip.open, "gzip -t"),
    b"BZh": ("bzip2", bz2.open, "bzip2 -t"),
    b"\xfd7zXZ\x00": ("xz", lzma.open, "xz -t"),
    b"PK\x03\x04": ("zip", None, "unzip -t"),
}
_ZSTD = b"\x28\xb5\x2f\xfd"


def read_text(path: Path) -> str:
    """The text of a UTF-8 file, decompressed if gzip, bzip2, xz or zip.

    Raises :class:`CsvFileError` saying what went wrong and the fix: a missing
    file, a folder, no read permission, truncated or corrupt compressed data, a
    zip archive with other than one file, bytes that are not UTF-8, or no text.
    """
    try:
        with open(path, "rb") as f:
            start = f.read(8)
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
        raise CsvFileError(f"no such file{where}; check the name and folder") from None
    except IsADirectoryError:
        raise CsvFileError(
            "is a folder; expected a CSV file: pass a file inside it"
        ) from None
    except PermissionError:
        raise CsvFileError(
            "permission denied: this user may not read it; make it readable "
            "(chmod u+r) or copy it somewhere readable"
        ) from None
    except OSError as exc:
        raise CsvFileError(f"could not open it ({_one_line(exc)})") from None
    if start.startswith(_ZSTD):
        raise CsvFileError(
            "is zstandard-compressed, which --csv does not read; decompress it "
            "first (zstd -d), or compress it with gzip, bzip2, xz or zip"
        )
    kind = next((v for k, v in _MAGIC.items() if start.startswith(k)), None)
    try:
        if kind is None:
            data = path.read_bytes()
        elif kind[1] is None:
            data = _zip_member(path)
        else:
            with kind[1](path, "rb") as f:
                data = f.read()
    except CsvFileError:
        raise
    except (EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, OSError) as exc:
        if kind is None:  # an I/O error on a plain file
            raise CsvFileError(f"could not read it ({_one_line(exc)})") from None
        name, _, check = kind
        raise CsvFileError(
            f"the {name} data is truncated or corrupt ({_one_line(exc)}); the file "
            f"was probably cut short while copying or downloading: get it again "
            f"(`{check} {path}` checks a copy)"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        inside = f" (inside the {kind[0]} data)" if kind else ""
        raise CsvFileError(
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}{inside}; save it as UTF-8 (e.g. `iconv -f latin1 -t "
            f"utf-8 {path} > {path.stem}-utf8.csv`, or 'CSV UTF-8' in a "
            "spreadsheet program)"
        ) from None
    if not text.strip():
        raise CsvFileError("the file is empty; expected a header row and data rows")
    return text


def _zip_member(path: Path) -> bytes:
    """The one file in a zip archive (what pandas reads from a .zip)."""
    with zipfile.ZipFile(path) as archive:
        files = [i for i in archive.infolist() if not i.is_dir()]
        if len(files) != 1:
            shown = ", ".join(i.filename for i in files[:3])
            more = ", ..." if len(files) > 3 else ""
            raise CsvFileError(
                f"the zip archive holds {len(files)} files ({shown}{more}); "
                "expected exactly one CSV file: extract the one to use and pass it"
            )
        return archive.read(files[0])


def _header(text: str) -> tuple[str, list[str]]:
    """The separator (``,`` or else ``;``, tab, ``|``) and the header's names.

    Duplicate names raise :class:`CsvFileError`: pandas would rename the second
    ``a`` to ``a.1`` without a word.
    """
    sep = ","
    try:
        names = _first_row(text, sep)
        if len(names) == 1:  # not comma-separated, perhaps
            sep = next((c for c in ";\t|" if c in names[0]), ",")
            names = _first_row(text, sep)
    except csv.Error as exc:
        raise CsvFileError(
            f"could not read its header row ({_one_line(exc)}); expected column "
            "names separated by commas (or semicolons, tabs or bars)"
        ) from None
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen and name.strip():
            twice = [n for n in dict.fromkeys(names) if names.count(n) > 1 and n]
            raise CsvFileError(
                f"the header names column {name!r} twice (columns {seen[name]} and "
                f"{i}, counting from 0; duplicated: {twice}); every column needs a "
                "name of its own: rename or drop the copies"
            )
        seen.setdefault(name, i)
    blank = [i for i, name in enumerate(names) if not name.strip()]
    if blank:
        index = " (a pandas index saved by DataFrame.to_csv: save with index=False)"
        raise CsvFileError(
            f"the header gives column(s) {blank} (counting from 0) no name; name "
            f"every column, or drop the unnamed ones{index if blank[0] == 0 else ''}"
        )
    return sep, names


def _first_row(text: str, sep: str) -> list[str]:
    return next(r for r in csv.reader(io.StringIO(text), delimiter=sep) if r)


def _one_line(exc: BaseException) -> str:
    reason = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


def _input_columns(args, columns: list[str], parser) -> list[str]:
    """The columns fed to the model: --features (or all but --time-column)."""
    for flag, names in (
        ("--target", [args.target]),
        ("--time-column", [args.time_column] if args.time_column else []),
        ("--features", args.features or []),
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
            parser.error(
                f"{flag}: no column {unknown[0]!r} in {args.csv}; the columns are "
                f"{columns}{hint}"
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
        value = values.iloc[row]
        comma = isinstance(value, str) and _is_number(value.replace(",", ".", 1))
        fix = (
            "; it looks like a decimal comma: save the file with '.' as the "
            "decimal separator"
            if comma
            else ""
        )
        parser.error(
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
        parser.error(
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


# -- forecasting baselines on the CSV windows ------------------------------------
def mae_per_horizon(estimator, X, y) -> np.ndarray:
    """Scorer: mean absolute error of each step ahead h = 1..H, shape (H,).

    In the target's own units: the ``--csv`` targets ``y`` are never
    standardised (only the inputs are), so the predictions are in them too.
    """
    truth = np.asarray(y, dtype=np.float64).reshape(len(y), -1)  # (n, H)
    pred = np.asarray(estimator.predict(X), dtype=np.float64).reshape(truth.shape)
    return np.abs(pred - truth).mean(axis=0)


def forecast_baselines(data: Data) -> dict[str, dict]:
    """Naive, seasonal naive, ETS and ARIMA on the sweep's test windows.

    Each fold's model is fitted on the target's rows up to the fold's last
    training target (``gap=H-1`` puts it at or before the first test origin)
    and forecasts, from every test window's origin, its H steps with
    ``forecast(H, X=history)`` (the rows up to the origin), as
    :func:`sk_alrnn.forecasting.backtest` does; they are scored against the
    same targets as the AL-RNN rows. The season is inferred per fold from those
    training rows (:func:`~sk_alrnn.forecasting.infer_season`). Returns, per
    name, the entry of :func:`_forecaster_scores` plus ``description``, or
    ``description`` and ``omitted`` (why) for a row that was skipped.
    """
    series, y, splits = data.series, data.y, data.splits
    ends = [_train_end(series, train) for train, _ in splits]  # rows per fold
    seasons = [infer_season(series.values[:end]) for end in ends]
    out = {
        "naive": {
            "description": "naive: the last observed value (persistence)",
            **_forecaster_scores(NaiveForecaster, series, y, splits),
        }
    }
    seasonal = out["seasonal_naive"] = {"description": "seasonal naive"}
    if any(seasons):  # a fold without a season repeats the last value (naive)
        seasonal["description"] += f", {season_text(seasons)} (-: none, naive)"
        seasonal["seasons"] = seasons
        seasonal.update(
            _forecaster_scores(SeasonalNaiveForecaster, series, y, splits, seasons)
        )
    else:
        seasonal["omitted"] = "no season found (infer_season) in the training rows"
    why = _statsmodels_unusable(series, ends)
    for model, name in {"ets": "ETS", "arima": "ARIMA"}.items():
        entry = {"description": f"{name} (statsmodels) of {series.target!r} alone"}
        if why is None:
            try:
                scores = _forecaster_scores(
                    StatsmodelsForecaster, series, y, splits, seasons, model=model
                )
            except Exception as exc:  # a baseline that fails to fit is left out
                reason = " ".join(str(exc).split())  # one line
                entry["omitted"] = f"failed ({type(exc).__name__}: {reason})"
            else:
                entry.update(seasons=seasons, **scores)
        else:
            entry["omitted"] = why
        out[model] = entry
    return out


def _train_end(series: Series, train) -> int:
    """Rows up to a fold's last training target: window train[-1]'s last one."""
    return int(train[-1]) + series.window + series.horizon


def season_text(seasons: list) -> str:
    """``season 12``, or per fold ``seasons 12/-/12`` (-: none found)."""
    if len(set(seasons)) == 1:
        return f"season {seasons[0]}"
    return "seasons " + "/".join(str(s or "-") for s in seasons)


def _statsmodels_unusable(series: Series, ends: list[int]) -> str | None:
    """Why ETS / ARIMA cannot run on the target alone, or None."""
    if not series.statsmodels:
        return "--no-statsmodels"
    if importlib.util.find_spec("statsmodels") is None:
        return "statsmodels is not installed (pip install statsmodels)"
    # Imported here, outside any catch_warnings block: statsmodels adds its
    # "always" warning filters on import, which would otherwise override the
    # forecaster's silencing of its convergence chatter during the first fit.
    importlib.import_module("statsmodels.tsa.arima.model")
    importlib.import_module("statsmodels.tsa.statespace.exponential_smoothing")
    if ends[0] < MIN_STATSMODELS_ROWS:
        return (
            f"the first fold trains on {ends[0]} rows of {series.target!r}; a "
            f"univariate model needs at least {MIN_STATSMODELS_ROWS}"
        )
    if any(np.ptp(series.values[:end]) == 0 for end in ends):
        return f"{series.target!r} is constant in a fold's training rows"
    return None


def _forecaster_scores(make, series: Series, y, splits, season=None, **params):
    """Fit ``make(**params)`` per fold on the target alone; score the test windows.

    ``season``: one season per fold (None: 1). Returns ``mean_score`` and
    ``std_score`` (R^2 averaged over the H steps, as the sweep scores), per-fold
    ``scores``, ``mae`` (per step ahead, mean over the folds; (H,)) and per-fold
    ``fold_mae`` ((n_folds, H)).
    """
    ahead = np.asarray(y, dtype=np.float64).reshape(len(y), -1)  # (n, H)
    column = series.values[:, None]  # (R, 1): the forecasters take tables
    scores, maes = [], []
    for k, (train, test) in enumerate(splits):
        if season is not None:
            params["season"] = season[k] or 1
        model = make(**params).fit(column[: _train_end(series, train)])
        origins = test + series.window - 1  # (n_test,): each window's last row
        pred = np.stack(
            [model.forecast(series.horizon, X=column[: o + 1])[:, 0] for o in origins]
        )  # (n_test, H)
        scores.append(r2_score(ahead[test], pred))
        maes.append(np.abs(pred - ahead[test]).mean(axis=0))
    scores = np.array(scores)
    return {
        "mean_score": float(scores.mean()),
        "std_score": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
        "scores": scores,
        "mae": np.mean(maes, axis=0),
        "fold_mae": np.array(maes),
    }
