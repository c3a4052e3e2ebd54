"""Rolling-origin evaluation of a forecaster, and the baselines it is judged by.

Shapes: n rows (time steps), O targets, H = ``horizon``, N origins.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from sk_alrnn._core._validation import take_rows

__all__ = ["backtest", "forecast_errors", "naive_forecast", "seasonal_naive_forecast"]


def naive_forecast(history: np.ndarray, horizon: int) -> np.ndarray:
    """The last row repeated: (H, O) from a history (n, O).

    Examples
    --------
    >>> naive_forecast(np.array([[1.0], [2.0]]), 3).ravel().tolist()
    [2.0, 2.0, 2.0]
    """
    return np.repeat(np.asarray(history)[-1:], horizon, axis=0)


def seasonal_naive_forecast(history: np.ndarray, horizon: int, season: int):
    """Each step's value one ``season`` earlier: (H, O) from a history (n, O).

    Examples
    --------
    >>> seasonal_naive_forecast(np.arange(6.0)[:, None], 4, 3).ravel().tolist()
    [3.0, 4.0, 5.0, 3.0]
    """
    history = np.asarray(history)
    steps = np.arange(horizon)
    return history[len(history) - season + steps % season]


def forecast_errors(truth, forecasts, scale=None):
    """Per-horizon MAE, RMSE, MASE and sMAPE of stacked forecasts.

    Parameters
    ----------
    truth, forecasts : ndarray of shape (N, H) or (N, H, O)
        Observed and forecast values per origin and step.
    scale : float or ndarray of shape (O,), optional
        MASE's denominator: the in-sample MAE of the (seasonal) naive one-step
        forecast. None: MASE is NaN.

    Returns
    -------
    errors : DataFrame
        One row per horizon (index ``horizon`` = 1..H) and the columns ``mae``,
        ``rmse``, ``mase`` and ``smape`` (in percent, 0-200), averaged over the
        origins and targets.
    """
    import pandas as pd

    truth = np.asarray(truth, dtype=np.float64)
    forecasts = np.asarray(forecasts, dtype=np.float64)
    if truth.ndim == 2:
        truth, forecasts = truth[..., None], forecasts[..., None]
    err = forecasts - truth  # (N, H, O)
    mae = np.abs(err).mean(axis=0)  # (H, O)
    denom = np.abs(truth) + np.abs(forecasts)
    ratio = np.divide(2 * np.abs(err), denom, out=np.zeros_like(err), where=denom > 0)
    mase = np.full(mae.shape, np.nan) if scale is None else mae / np.asarray(scale)
    frame = pd.DataFrame(
        {
            "mae": mae.mean(axis=1),
            "rmse": np.sqrt((err**2).mean(axis=0)).mean(axis=1),
            "mase": mase.mean(axis=1),
            "smape": 100 * ratio.mean(axis=0).mean(axis=1),
        },
        index=pd.RangeIndex(1, err.shape[1] + 1, name="horizon"),
    )
    return frame


def backtest(
    forecaster,
    X,
    *,
    test_size,
    horizon,
    step=1,
    refit=False,
    season=None,
    interval=None,
    return_forecasts=False,
):
    """Rolling-origin evaluation: forecast ``horizon`` rows from every origin.

    The forecaster is fitted on the rows before the test span (a clone; the one
    passed is not changed) and forecasts, from each origin ``o`` of the span
    (every ``step`` rows), the ``horizon`` rows after it with
    ``forecast(horizon, X[:o + 1], X_future=...)`` (the forecasting contract: the
    history up to the origin). Covariates of the forecast rows come from X
    itself (they are known in a backtest).

    Parameters
    ----------
    forecaster : ALRNNForecaster (or an estimator with its ``forecast``)
        Fitted with ``y=None``: its targets are columns of X.
    X : array-like or DataFrame of shape (n_timesteps, n_features)
        The whole table.
    test_size : int
        Rows of the test span (the last ``test_size`` rows); the first origin is
        the row before it, the last one ``horizon`` rows before the end.
    horizon : int
        Steps forecast from each origin.
    step : int, default=1
        Rows between origins.
    refit : bool or int, default=False
        False: fit once, before the first origin. An int k: refit on all rows
        up to the origin every k origins (True means 1).
    season : int, optional
        Season length for MASE's scale (seasonal naive); None: naive (1).
    interval : float in (0, 1), optional
        Also forecast intervals of this nominal coverage
        (``forecast(..., interval=interval)``) and report per horizon their
        ``coverage`` (the share of true values inside) and mean ``width``.
    return_forecasts : bool, default=False
        Also return the forecasts and the truth, each (N, H, O).

    Returns
    -------
    errors : DataFrame
        Per-horizon ``mae``, ``rmse``, ``mase``, ``smape``
        (:func:`forecast_errors`; with ``interval`` also ``coverage`` and
        ``width``), with ``attrs["origins"]`` the origin rows.
    forecasts, truth : ndarray of shape (N, H, O)
        Only with ``return_forecasts``.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.forecasting import ALRNNForecaster, backtest
    >>> X = np.sin(0.3 * np.arange(200))[:, None]
    >>> f = ALRNNForecaster(n_hidden=8, n_nonlinear=1, horizon=3, max_iter=3,
    ...                     random_state=0)
    >>> backtest(f, X, test_size=40, horizon=3).shape
    (3, 4)
    """
    values = np.asarray(X, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n = len(values)
    if not (0 < test_size < n) or horizon < 1 or horizon >= test_size or step < 1:
        raise ValueError(
            f"backtest: need 0 < test_size < n_rows ({n}), 1 <= horizon < "
            f"test_size and step >= 1; got test_size={test_size}, "
            f"horizon={horizon}, step={step}."
        )
    every = 1 if refit is True else int(refit)
    starts = np.arange(n - test_size - 1, n - horizon, step)
    model, forecasts, truth, bounds = None, [], [], []
    for i, o in enumerate(starts):
        history = take_rows(X, np.arange(o + 1))  # the table up to the origin
        if model is None or (every and i % every == 0):
            model = clone(forecaster).fit(history)
        cols = getattr(model, "target_columns_", None)
        cols = np.arange(values.shape[1]) if cols is None else cols
        future = None
        if len(cols) < values.shape[1]:
            future = take_rows(X, np.arange(o + 1, o + 1 + horizon))
        if interval is None:
            out = model.forecast(horizon, history, X_future=future)
        else:
            out, *band = model.forecast(
                horizon, history, X_future=future, interval=interval
            )
            bounds.append([np.asarray(b, dtype=np.float64) for b in band])
        forecasts.append(np.asarray(out, dtype=np.float64).reshape(horizon, -1))
        truth.append(values[o + 1 : o + 1 + horizon][:, cols])
    forecasts, truth = np.stack(forecasts), np.stack(truth)
    lag = season or 1
    train = values[: starts[0] + 1][:, cols]
    scale = (
        np.abs(train[lag:] - train[:-lag]).mean(axis=0) if len(train) > lag else None
    )
    errors = forecast_errors(truth, forecasts, scale)
    if interval is not None:
        lower = np.stack([b[0].reshape(horizon, -1) for b in bounds])
        upper = np.stack([b[1].reshape(horizon, -1) for b in bounds])
        inside = (lower <= truth) & (truth <= upper)  # (N, H, O)
        errors["coverage"] = inside.mean(axis=(0, 2))
        errors["width"] = (upper - lower).mean(axis=(0, 2))
    errors.attrs["origins"] = starts
    return (errors, forecasts, truth) if return_forecasts else errors
