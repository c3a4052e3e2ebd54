"""Forecasting baselines on the ``--csv`` windows, and the sweep's MAE scorer.

:func:`forecast_baselines` scores the classical forecasts (naive, seasonal
naive, ETS, ARIMA) on the sweep's test windows; :func:`mae_per_horizon` is
the per-step error that the report shows next to R^2.

Private: only :mod:`sk_alrnn.cli` imports it.

Shapes: R rows of the CSV, L = ``--window`` rows per window, H =
``--horizon`` steps ahead, n windows.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import r2_score

from sk_alrnn.forecasting import (
    NaiveForecaster,
    SeasonalNaiveForecaster,
    StatsmodelsForecaster,
    infer_season,
)

if TYPE_CHECKING:
    from sk_alrnn.cli._data import Data

MIN_STATSMODELS_ROWS = 20  # ETS / ARIMA need this many training rows per fold


@dataclass(frozen=True)
class Series:
    """The ``--csv`` target column and how the windows were cut from it."""

    target: str  # the column's name
    values: np.ndarray  # (R,) in the file's units
    window: int  # L: window i reads rows i .. i + L - 1 (its origin is the last)
    horizon: int  # H: and forecasts rows i + L .. i + L + H - 1
    statsmodels: bool = True  # False: --no-statsmodels (no ETS / ARIMA)


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
    name, the entry of :func:`forecaster_scores` plus ``description``, or
    ``description`` and ``omitted`` (why) for a row that was skipped.
    """
    series, y, splits = data.series, data.y, data.splits
    ends = [_train_end(series, train) for train, _ in splits]  # rows per fold
    seasons = [infer_season(series.values[:end]) for end in ends]
    out = {
        "naive": {
            "description": "naive: the last observed value (persistence)",
            **forecaster_scores(NaiveForecaster, series, y, splits),
        }
    }
    seasonal = out["seasonal_naive"] = {"description": "seasonal naive"}
    if any(seasons):  # a fold without a season repeats the last value (naive)
        seasonal["description"] += f", {season_text(seasons)} (-: none, naive)"
        seasonal["seasons"] = seasons
        seasonal.update(
            forecaster_scores(SeasonalNaiveForecaster, series, y, splits, seasons)
        )
    else:
        seasonal["omitted"] = "no season found (infer_season) in the training rows"
    why = _statsmodels_unusable(series, ends)
    for model, name in {"ets": "ETS", "arima": "ARIMA"}.items():
        entry = {"description": f"{name} (statsmodels) of {series.target!r} alone"}
        if why is None:
            try:
                scores = forecaster_scores(
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


def forecaster_scores(make, series: Series, y, splits, season=None, **params):
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
