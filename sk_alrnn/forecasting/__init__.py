"""Forecasting tables of time series (rows = consecutive time steps).

Two routes:

- :class:`ALRNNForecaster` reads the table as one trajectory and forecasts the
  rows after any origin (multi-step training, autoregressive start, conformal
  intervals); :func:`backtest` evaluates it from rolling origins;
- :class:`NaiveForecaster`, :class:`SeasonalNaiveForecaster`,
  :class:`LagRidgeForecaster` and :class:`StatsmodelsForecaster` (ETS/ARIMA) are
  the baselines, with the same ``fit``/``forecast`` contract;
- :func:`make_windows` / :class:`SequenceWindower` cut a table into windows for
  direct forecasting with the sequence estimators (``ALRNNRegressor``).
"""

from sk_alrnn.forecasting._backtest import (
    backtest,
    forecast_errors,
    naive_forecast,
    seasonal_naive_forecast,
)
from sk_alrnn.forecasting._baselines import (
    LagRidgeForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    StatsmodelsForecaster,
    infer_season,
)
from sk_alrnn.forecasting._forecaster import ALRNNForecaster
from sk_alrnn.forecasting._windows import SequenceWindower, make_windows

__all__ = [
    "ALRNNForecaster",
    "LagRidgeForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "SequenceWindower",
    "StatsmodelsForecaster",
    "backtest",
    "forecast_errors",
    "infer_season",
    "make_windows",
    "naive_forecast",
    "seasonal_naive_forecast",
]
