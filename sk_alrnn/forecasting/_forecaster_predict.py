"""ALRNNForecaster's forecasting: ``forecast``, its future inputs and intervals.

The forecasting contract (see :meth:`ForecastMixin.forecast`): ``X`` is the
table up to the forecast origin; ``X=None`` continues after the training table.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import validate_data

from sk_alrnn._core._validation import check_columns, check_finite, check_is_fitted
from sk_alrnn._estimators._param_table import DTYPES as _DTYPES
from sk_alrnn.forecasting import _forecaster_train as _ft
from sk_alrnn.forecasting._forecaster_table import _as_frame
from sk_alrnn.forecasting._index import wrap_like

EXPLODED = 1e3  # a forecast this many training stds from the mean has diverged


class ForecastMixin:
    """Forecasts of a fitted ALRNNForecaster (the estimator holds the params)."""

    def forecast(self, n_steps, X=None, *, X_future=None, interval=None):
        """Forecast the ``n_steps`` rows after the last row of ``X``.

        The forecasting contract: ``X`` is the table up to the forecast origin
        (all of it, or at least its last ``window_`` rows, which are all the model
        reads, from the zero state; the ``context`` rule does not apply);
        ``X=None`` forecasts the rows after the training table. The forecasts of
        the target columns are fed back; covariates (columns of X that are not
        targets, or all of X when fitted with y) come from ``X_future``.

        Parameters
        ----------
        n_steps : int
            Number of future rows (>= 1).
        X : array-like or DataFrame of shape (n_timesteps, n_features), optional
            History up to the origin; None: the training table.
        X_future : array-like or DataFrame of shape (n_steps, n_features), optional
            The rows being forecast, for their covariates (target columns are not
            read and may be NaN). Required with covariates and ``n_steps > 1``;
            its last row is not read (no forecast follows it).
        interval : float in (0, 1), optional
            Also return split-conformal prediction intervals of this coverage per
            step, from the absolute errors of the validation origins
            (``calibration_residuals_``); needs ``n_steps <= horizon_``.

        Returns
        -------
        y_future : ndarray of shape (n_steps, n_outputs) or (n_steps,), or pandas
            Row i forecasts the targets i + 1 rows after the origin. A DataFrame
            (Series for a Series fit or y) with the future index when the
            forecaster was fitted on pandas: a DatetimeIndex continued at its
            frequency, a RangeIndex continued.
        lower, upper : same type as y_future
            Only with ``interval``: the interval bounds.
        """
        check_is_fitted(self)
        name = type(self).__name__
        if (
            not isinstance(n_steps, Integral)
            or isinstance(n_steps, bool)
            or n_steps < 1
        ):
            raise ValueError(f"{name}: n_steps must be an int >= 1; got {n_steps!r}.")
        if X is None:
            history, index = self._tail, self._index
        else:
            history = self._standardised(X)
            index = getattr(X, "index", None)
            if len(history) < self.window_:
                raise ValueError(
                    f"{name}: X has {len(history)} rows, but each forecast reads the "
                    f"last window_={self.window_} rows up to its origin. Pass at "
                    "least that many rows of history."
                )
        history = history[-self.window_ :]
        future = self._future_inputs(X_future, n_steps)
        out = _ft.forecast_from(self.module_, self._layout(), history, future, n_steps)
        self._warn_if_exploding(out)
        mean = self._unscale(out)  # (n_steps, O)
        results = [mean]
        if interval is not None:
            results += list(self._interval(mean, interval))
        wrapped = [
            wrap_like(r, index, n_steps, self._target_names, self._single_output)
            for r in results
        ]
        return wrapped[0] if interval is None else tuple(wrapped)

    def _future_inputs(self, X_future, n_steps: int) -> np.ndarray:
        name = type(self).__name__
        cols = self.target_columns_
        has_covariates = cols is None or len(cols) < self.n_features_in_
        np_dtype = _DTYPES[self.dtype][0]
        if not has_covariates:
            if X_future is not None:
                raise ValueError(
                    f"{name} forecasts every column of X and feeds its forecasts "
                    "back; it takes no X_future. Drop X_future."
                )
            return np.zeros((n_steps - 1, self.n_features_in_), dtype=np_dtype)
        if X_future is None:
            if n_steps == 1:
                return np.zeros((0, self.n_features_in_), dtype=np_dtype)
            raise ValueError(
                f"{name} has covariates (columns of X that are not forecast), so "
                f"forecasting n_steps={n_steps} rows needs their future values: "
                f"pass X_future with {n_steps} rows (the rows being forecast)."
            )
        if cols is not None:  # target columns are not read: NaN is fine there
            X_future = _fill_targets(X_future, cols)
        Xf = self._standardised(X_future, "X_future")
        if len(Xf) != n_steps:
            raise ValueError(
                f"{name}: X_future has {len(Xf)} rows; n_steps={n_steps} needs "
                f"{n_steps} (one per forecast row)."
            )
        return Xf[:-1]

    def _interval(self, mean: np.ndarray, level) -> tuple[np.ndarray, np.ndarray]:
        name = type(self).__name__
        if not isinstance(level, Real) or not 0 < level < 1:
            raise ValueError(f"{name}: interval must be in (0, 1); got {level!r}.")
        res = self.calibration_residuals_
        if res is None:
            raise ValueError(
                f"{name}: intervals are calibrated on the validation origins, and "
                "this fit had none (early_stopping was off or the table too short). "
                "Refit with early_stopping='auto' or True on a longer table."
            )
        n_steps = len(mean)
        if n_steps > res.shape[1]:
            raise ValueError(
                f"{name}: intervals are calibrated for up to horizon_="
                f"{res.shape[1]} steps; got n_steps={n_steps}. Refit with "
                f"horizon={n_steps}, or forecast fewer steps."
            )
        n = len(res)
        rank = math.ceil((n + 1) * level)
        if rank > n:
            warnings.warn(
                f"{name}: {n} validation origins cannot calibrate a {level:.0%} "
                "interval (that needs at least "
                f"{math.ceil(level / (1 - level))}); its bounds are infinite. Use "
                "a longer table or a lower level.",
                UserWarning,
                stacklevel=3,
            )
            q = np.full(mean.shape, np.inf)
        else:
            q = np.sort(res[:, :n_steps], axis=0)[rank - 1]  # (n_steps, O)
        return mean - q, mean + q

    def _standardised(self, X, what="X"):
        check_is_fitted(self)
        name = type(self).__name__
        X = _as_frame(X)
        check_columns(X, name, what)
        Xv = validate_data(
            self, X, reset=False, dtype=[np.float64, np.float32],
            ensure_all_finite=False,
        )  # fmt: skip
        check_finite(Xv, name, what, like=X)
        np_dtype = _DTYPES[self.dtype][0]
        return ((np.asarray(Xv, np.float64) - self._x_mean) / self._x_scale).astype(
            np_dtype
        )

    def _unscale(self, out):
        return out.astype(np.float64) * self._y_scale + self._y_mean

    def _warn_if_exploding(self, out, free_run: bool = True):
        """Warn when forecasts (standardised, (n, O)) leave all bounds."""
        bad = ~np.isfinite(out).all(axis=1) | (np.abs(out) >= EXPLODED).any(axis=1)
        if not bad.any():
            return
        step = int(np.argmax(bad)) + 1
        name = type(self).__name__
        where = f"from step {step}" if free_run else f"at row {step - 1}"
        if free_run and step > self.horizon_:
            advice = (
                f"The model was trained to forecast horizon_={self.horizon_} steps "
                "and its free run is not kept bounded beyond that. For long free "
                "runs (e.g. reconstructing dynamics), fit with a longer horizon "
                "and more ReLU units (e.g. horizon=4 * horizon_, "
                "n_nonlinear=n_hidden // 2), or forecast fewer steps."
            )
        else:
            advice = (
                "Check that X resembles the training table (scale, columns), or "
                "refit with a lower learning_rate_init."
            )
        warnings.warn(
            f"{name}: the forecasts diverge {where} on (beyond "
            f"{EXPLODED:g} training standard deviations, or non-finite). " + advice,
            RuntimeWarning,
            stacklevel=3,
        )


def _fill_targets(X_future, cols):
    """X_future with its target columns set to 0 (they are not read)."""
    if hasattr(X_future, "iloc"):
        X_future = X_future.copy()
        X_future.iloc[:, list(cols)] = 0.0
        return X_future
    X_future = np.array(X_future, dtype=np.float64)
    if X_future.ndim == 2 and X_future.shape[1] > max(cols):
        X_future[:, list(cols)] = 0.0
    return X_future
