"""The baselines a forecaster is judged by, as forecasters of their own.

Each has ALRNNForecaster's forecasting contract: ``fit(X)`` on a table whose
columns are all forecast, ``forecast(n_steps, X=history)`` the rows after the
last row of ``history`` (``X=None``: after the training table), so
:func:`~sk_alrnn.forecasting.backtest` evaluates them alike.

Shapes: n rows (time steps), O columns (all forecast), H = ``horizon``,
L = lags.
"""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import RidgeCV
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_alrnn._core._validation import Interval, StrOptions, check_columns, check_finite

__all__ = [
    "LagRidgeForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "StatsmodelsForecaster",
    "infer_season",
]

_FREQ_SEASONS = {"Q": 4, "M": 12, "W": 52, "D": 7, "B": 5, "H": 24, "h": 24}
ACF_THRESHOLD = 0.3  # a season's autocorrelation (of the differences) must exceed


def infer_season(X, *, index=None, max_season=None) -> int | None:
    """The season length of a table: from its index frequency, else its ACF.

    A DatetimeIndex or PeriodIndex with a frequency gives the calendar season
    (quarterly 4, monthly 12, weekly 52, daily 7, business daily 5, hourly 24;
    annual and others: none). Otherwise the season is the lag in
    ``2 .. max_season`` (default a third of the rows) whose autocorrelation of
    the first differences, averaged over the columns, is the largest local
    peak above 0.3; None when no lag qualifies.

    Examples
    --------
    >>> t = np.arange(240)
    >>> infer_season(np.sin(2 * np.pi * t / 12) + 0.01 * t)
    12
    >>> infer_season(np.random.default_rng(0).normal(size=200)) is None
    True
    """
    index = getattr(X, "index", None) if index is None else index
    freq = getattr(index, "freqstr", None)
    if freq:
        base = freq.split("-")[0].lstrip("0123456789").upper()[:1]
        base = "B" if freq.lstrip("0123456789").startswith("B") else base
        return _FREQ_SEASONS.get(base)
    values = np.asarray(X, dtype=np.float64)
    values = values.reshape(len(values), -1)
    d = np.diff(values, axis=0)
    d = d - d.mean(axis=0)
    n = len(d)
    top = min(max_season or n // 3, n - 2)
    if top < 2:
        return None
    spectrum = np.fft.rfft(d, n=2 * n, axis=0)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=0)[: top + 2]
    var = acf[0]
    if not np.any(var > 0):
        return None  # constant differences: no season to find
    acf = (acf[:, var > 0] / var[var > 0]).mean(axis=1)
    lags = np.arange(2, top + 1)
    peaks = lags[(acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1])]
    peaks = peaks[acf[peaks] > ACF_THRESHOLD]
    return int(peaks[np.argmax(acf[peaks])]) if len(peaks) else None


class _TableForecaster(BaseEstimator):
    """Shared plumbing: validate the table, keep its tail, check forecasts' X."""

    def _table(self, X, reset: bool) -> np.ndarray:
        name = type(self).__name__
        if hasattr(X, "to_frame") and getattr(X, "ndim", 2) == 1:  # a Series
            X = X.to_frame()
        check_columns(X, name)
        values = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite=False
        )
        check_finite(values, name, like=X)
        return np.asarray(values, dtype=np.float64)

    def fit(self, X, y=None):
        """Fit on a table whose columns are all forecast.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            Rows are consecutive time steps.
        y : None
            Ignored: every column of X is forecast.

        Returns
        -------
        self : object
        """
        self._validate_params()
        values = self._table(X, reset=True)
        self.target_columns_ = None
        self._fit_values(values, X)
        self._tail = values
        return self

    def forecast(self, n_steps, X=None, *, X_future=None):
        """Forecast the ``n_steps`` rows after the last row of ``X``.

        Parameters
        ----------
        n_steps : int
            Number of future rows (>= 1).
        X : array-like of shape (n_timesteps, n_features), optional
            History up to the origin; None: the training table.
        X_future : None
            Not used (these baselines take no covariates).

        Returns
        -------
        y_future : ndarray of shape (n_steps, n_features)
        """
        check_is_fitted(self)
        if not isinstance(n_steps, Integral) or n_steps < 1:
            raise ValueError(
                f"{type(self).__name__}: n_steps must be an int >= 1; got {n_steps!r}."
            )
        if X_future is not None:
            raise ValueError(
                f"{type(self).__name__} takes no covariates; drop X_future."
            )
        history = self._tail if X is None else self._table(X, reset=False)
        return self._forecast_values(history, int(n_steps))

    def predict(self, X):
        """One-step forecasts: row t forecasts row t + 1 from ``X[: t + 1]``.

        Rows too early for a full history see it padded at the front (with the
        first row, or the training mean for :class:`LagRidgeForecaster`).

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_timesteps, n_features)
        """
        check_is_fitted(self)
        values = self._table(X, reset=False)
        need = self._min_rows()
        pad = np.repeat(self._pad_row(values), max(need - 1, 0), axis=0)
        values = np.concatenate([pad, values])
        return np.concatenate(
            [
                self._forecast_values(values[: t + 1], 1)
                for t in range(len(pad), len(values))
            ]
        )

    def _min_rows(self) -> int:
        return 1

    def _pad_row(self, values):
        return values[:1]

    def score(self, X, y=None, sample_weight=None):
        """R^2 of the one-step forecasts of X's rows 1..n-1."""
        from sklearn.metrics import r2_score

        values = self._table(X, reset=False)
        return r2_score(values[1:], self.predict(values)[:-1])


class NaiveForecaster(_TableForecaster):
    """The last observed row, repeated: the random-walk forecast.

    Examples
    --------
    >>> NaiveForecaster().fit(np.arange(5.0)[:, None]).forecast(2).ravel().tolist()
    [4.0, 4.0]
    """

    _parameter_constraints: ClassVar[dict] = {}

    def _fit_values(self, values, X):
        pass

    def _forecast_values(self, history, n_steps):
        return np.repeat(history[-1:], n_steps, axis=0)


class SeasonalNaiveForecaster(_TableForecaster):
    """Each row's value one season earlier.

    Parameters
    ----------
    season : int or None, default=None
        Season length in rows; None infers it at fit (:func:`infer_season`) and
        falls back to 1 (the naive forecast) when none is found.

    Attributes
    ----------
    season_ : int
        The season used.

    Examples
    --------
    >>> f = SeasonalNaiveForecaster(season=3).fit(np.arange(6.0)[:, None])
    >>> f.forecast(4).ravel().tolist()
    [3.0, 4.0, 5.0, 3.0]
    """

    _parameter_constraints: ClassVar[dict] = {
        "season": [Interval(Integral, 1, None, closed="left"), None]
    }

    def __init__(self, season=None):
        self.season = season

    def _fit_values(self, values, X):
        season = self.season or infer_season(X) or 1
        if season > len(values):
            raise ValueError(
                f"{type(self).__name__}: season={season} exceeds the {len(values)} "
                "rows of X. Pass a longer table or a shorter season."
            )
        self.season_ = int(season)

    def _min_rows(self) -> int:
        return self.season_

    def _forecast_values(self, history, n_steps):
        s = self.season_
        if len(history) < s:
            raise ValueError(
                f"{type(self).__name__}: X has {len(history)} rows; a season of "
                f"{s} needs at least {s}."
            )
        return history[len(history) - s + np.arange(n_steps) % s]


class LagRidgeForecaster(_TableForecaster):
    """Direct multi-step ridge regression on the last ``n_lags`` rows.

    One :class:`~sklearn.linear_model.RidgeCV` maps the standardised last
    ``n_lags`` rows (all columns) to the next ``horizon`` rows at once;
    forecasts beyond ``horizon`` repeat it on its own forecasts.

    Parameters
    ----------
    n_lags : int or "auto", default="auto"
        Rows read per forecast; "auto": ``max(8, 2 * season)`` with the inferred
        season (:func:`infer_season`), at most a quarter of the rows.
    horizon : int, default=12
        Rows forecast by one regression.
    alphas : array-like, default=None
        Ridge penalties tried by leave-one-out cross-validation; None:
        ``np.logspace(-3, 3, 13)``.

    Attributes
    ----------
    n_lags_ : int
        The lags used.

    Examples
    --------
    >>> t = np.arange(300.0)
    >>> f = LagRidgeForecaster(horizon=3).fit(np.sin(0.3 * t)[:, None])
    >>> np.allclose(f.forecast(3).ravel(), np.sin(0.3 * np.arange(300, 303)), atol=1e-2)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_lags": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "alphas": ["array-like", None],
    }

    def __init__(self, n_lags="auto", horizon=12, alphas=None):
        self.n_lags = n_lags
        self.horizon = horizon
        self.alphas = alphas

    def _fit_values(self, values, X):
        n, H = len(values), self.horizon
        if self.n_lags == "auto":
            L = min(max(8, 2 * (infer_season(X) or 1)), max(1, n // 4))
        else:
            L = self.n_lags
        if n < L + H + 1:
            raise ValueError(
                f"{type(self).__name__}: got n_samples={n} rows, but n_lags={L} and "
                f"horizon={H} need at least {L + H + 1}. Pass a longer table, or "
                "lower n_lags or horizon."
            )
        self.n_lags_ = L
        self._mean = values.mean(axis=0)
        std = values.std(axis=0)
        self._scale = np.where(std > 0, std, 1.0)
        z = (values - self._mean) / self._scale
        # row i of the windows: rows i .. i + L + H - 1 (L lags, then H targets)
        win = np.lib.stride_tricks.sliding_window_view(z, L + H, axis=0)  # (N, O, L+H)
        win = win.transpose(0, 2, 1)  # (N, L + H, O)
        alphas = np.logspace(-3, 3, 13) if self.alphas is None else self.alphas
        self.ridge_ = RidgeCV(alphas=alphas).fit(
            win[:, :L].reshape(len(win), -1), win[:, L:].reshape(len(win), -1)
        )

    def _min_rows(self) -> int:
        return self.n_lags_

    def _pad_row(self, values):
        return self._mean[None]

    def _forecast_values(self, history, n_steps):
        L, n_out = self.n_lags_, history.shape[1]
        if len(history) < L:
            raise ValueError(
                f"{type(self).__name__}: X has {len(history)} rows; each forecast "
                f"reads the last n_lags_={L}."
            )
        z = list((history[-L:] - self._mean) / self._scale)
        while len(z) < L + n_steps:
            lags = np.asarray(z[-L:]).reshape(1, -1)
            z.extend(self.ridge_.predict(lags).reshape(self.horizon, n_out))
        out = np.asarray(z[L : L + n_steps])
        return out * self._scale + self._mean


class StatsmodelsForecaster(_TableForecaster):
    """ETS or ARIMA from statsmodels (an optional dependency), one per column.

    Parameters
    ----------
    model : {"ets", "arima"}, default="ets"
        "ets": damped additive-trend exponential smoothing, additive season when
        there is one (statsmodels' state-space ``ExponentialSmoothing``).
        "arima": the ``ARIMA(p, d, q)`` with p in {1, 2}, d in {0, 1}, q in
        {0, 1} and the lowest AIC, with a seasonal AR term when there is a
        season.
    season : int or None, default=None
        Season length; None infers it (:func:`infer_season`), 1 means none.

    Attributes
    ----------
    season_ : int
        The season used (1: none).
    results_ : list of statsmodels results
        One fitted model per column; forecasts re-run its filter on the history
        with the fitted parameters.
    """

    _parameter_constraints: ClassVar[dict] = {
        "model": [StrOptions({"ets", "arima"})],
        "season": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, model="ets", season=None):
        self.model = model
        self.season = season

    def _fit_values(self, values, X):
        try:
            import statsmodels  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                f"{type(self).__name__} needs statsmodels: pip install statsmodels"
            ) from exc
        season = self.season or infer_season(X) or 1
        self.season_ = int(season) if 2 * season < len(values) else 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels' convergence chatter
            self.results_ = [self._fit_column(col) for col in values.T]

    def _fit_column(self, y):
        s = self.season_
        if self.model == "ets":
            from statsmodels.tsa.statespace.exponential_smoothing import (
                ExponentialSmoothing,
            )

            model = ExponentialSmoothing(
                y, trend=True, damped_trend=True, seasonal=s if s > 1 else None
            )
            return model.fit(disp=False)
        from statsmodels.tsa.arima.model import ARIMA

        best = None
        for p in (1, 2):
            for d in (0, 1):
                for q in (0, 1):
                    seasonal = (1, 0, 0, s) if s > 1 else (0, 0, 0, 0)
                    trend = "c" if d == 0 else "t"
                    res = ARIMA(
                        y, order=(p, d, q), seasonal_order=seasonal, trend=trend
                    ).fit()
                    if np.isfinite(res.aic) and (best is None or res.aic < best.aic):
                        best = res
        return best

    def _forecast_values(self, history, n_steps):
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for res, col in zip(self.results_, history.T, strict=True):
                out.append(np.asarray(res.apply(col).forecast(n_steps)))
        return np.stack(out, axis=1)
