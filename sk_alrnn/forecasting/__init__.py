"""Forecasting tables of time series (rows = consecutive time steps).

Two routes:

- :class:`ALRNNForecaster` reads the table as one trajectory and forecasts the
  rows after any origin (multi-step training, autoregressive start, conformal
  intervals); :func:`backtest` evaluates it from rolling origins;
- :func:`make_windows` / :class:`SequenceWindower` cut a table into windows for
  direct forecasting with the sequence estimators (``ALRNNRegressor``).
"""

from sk_alrnn.forecasting._backtest import (
    backtest,
    forecast_errors,
    naive_forecast,
    seasonal_naive_forecast,
)
from sk_alrnn.forecasting._forecaster import ALRNNForecaster
from sk_alrnn.forecasting._windows import SequenceWindower, make_windows

__all__ = [
    "ALRNNForecaster",
    "SequenceWindower",
    "backtest",
    "forecast_errors",
    "make_windows",
    "naive_forecast",
    "seasonal_naive_forecast",
]
