"""Forecasting tables of time series (rows = consecutive time steps).

Two routes:

- :func:`make_windows` / :class:`SequenceWindower` cut a table into windows for
  direct forecasting with the sequence estimators (``ALRNNRegressor``);
- :class:`ALRNNForecaster` reads the whole table as one trajectory, predicts one
  step ahead and runs free for multi-step forecasts.
"""

from sk_alrnn.forecasting._forecaster import ALRNNForecaster
from sk_alrnn.forecasting._windows import SequenceWindower, make_windows

__all__ = ["ALRNNForecaster", "SequenceWindower", "make_windows"]
