"""ALRNNForecaster: one table whose rows are consecutive time steps.

Shapes: n rows (time steps), K input columns (of X), M latent units, P ReLU
units, O targets, L = ``window_`` context rows, H = ``horizon_`` steps.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import validate_data

from sk_alrnn._core._params import ALRNNParams
from sk_alrnn._core._validation import (
    _fit_context,
    check_is_fitted,
    check_table,
)
from sk_alrnn._estimators._fitting import guarded_fit
from sk_alrnn._estimators._param_table import constraints, fill_parameters
from sk_alrnn.forecasting import _forecaster_train as _ft
from sk_alrnn.forecasting._forecaster_fit import FitMixin
from sk_alrnn.forecasting._forecaster_params import FORECASTER_PARAMS
from sk_alrnn.forecasting._forecaster_predict import ForecastMixin


@fill_parameters
class ALRNNForecaster(ForecastMixin, FitMixin, RegressorMixin, BaseEstimator):
    """Almost-linear RNN that forecasts the next rows of a table of time steps.

    X is one multivariate time series: rows are consecutive time steps, columns
    are features. The model reads rows in order, ``z_t = A z_{t-1} +
    W phi(z_{t-1}) + C x_t + h``, and ``B z_t + b`` forecasts the targets of the
    next row. Targets: all columns of X (``y=None``, ``targets=None``), some of
    them (``targets``; the other columns are covariates whose future values
    ``forecast`` takes in ``X_future``), or a separate ``y`` (X holds inputs only).

    **One forecasting regime** for training, validation and prediction: a
    forecast made after row ``o`` (its *origin*) starts from the zero state,
    reads the ``window_`` rows up to ``o`` and then runs free, feeding back its
    own forecasts of the target columns (and the observed covariates). Training
    draws every origin of the table in each epoch (shuffled), with a loss over
    the ``horizon_`` free-running steps (multi-step training: the errors a
    forecast makes on its own outputs are what it learns from).

    **Start and stopping.** ``init="ar"`` (default) starts the network as a
    linear autoregression: ``lags * K`` linear units form a delay line of the
    last rows and the readout is a ridge regression on them, the lag count
    chosen by the validation error of its free runs; the other units (all P
    ReLU units included) start unread. Training then moves all weights on the
    multi-step loss, and validation (the last ``validation_fraction`` of the
    rows) keeps the best epoch, or the start itself unless an epoch beats it by
    5 % (then the start is refitted on all rows), so the forecaster is not worse
    on validation than its linear start. X (and y) are standardised per column
    internally; forecasts come back in the original units.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    module_ : ALRNN
        The fitted network (on the CPU), in standardised units.
    window_, horizon_ : int
        The context rows and loss steps used.
    ar_lags_ : int or None
        Lags of the autoregressive start (None without it).
    init_losses_ : list of float
        The monitored loss of each initialisation (lower is better).
    start_kept_ : bool
        True when no epoch beat the autoregressive start on validation, so the
        start (refitted on all rows) is the model.
    target_columns_ : ndarray of int or None
        Columns of X forecast (None when fitted with y).
    n_outputs_ : int
        Number of targets.
    calibration_residuals_ : ndarray of shape (n_origins, horizon_, n_outputs_) or None
        Absolute errors of the validation origins' forecasts, in the targets'
        units: the conformal intervals of ``forecast(..., interval=...)``.
    loss_curve_, validation_loss_curve_ : list of float
        Mean training / validation loss (standardised MSE) per epoch.
    n_iter_ : int
        Epochs trained.
    best_loss_ : float
        Lowest training loss.
    stop_reason_ : str
        "converged", "plateau", "max_iter", "interrupted", "diverged",
        "partial_fit", or "unvalidated" (too short to validate: the
        autoregressive start, untrained).
    n_features_in_ : int
        Columns of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a DataFrame X; set only then.

    See Also
    --------
    sk_alrnn.forecasting.backtest : Rolling-origin evaluation.
    sk_alrnn.forecasting.make_windows : Windows for direct forecasting with
        ALRNNRegressor.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.forecasting import ALRNNForecaster
    >>> t = np.arange(300)
    >>> X = np.c_[np.sin(0.1 * t), np.cos(0.1 * t)]
    >>> f = ALRNNForecaster(n_hidden=8, n_nonlinear=2, window=20, horizon=5,
    ...                     max_iter=5, random_state=0).fit(X[:250])
    >>> f.forecast(10).shape  # the 10 rows after the training table
    (10, 2)
    >>> f.forecast(3, X[:260]).shape  # the 3 rows after row 259
    (3, 2)
    >>> f.predict(X[250:]).shape  # row t forecasts row t + 1
    (50, 2)
    """

    # the parameters (defaults, constraints, docs) from the one table
    _param_table: ClassVar[dict] = FORECASTER_PARAMS
    _parameter_constraints: ClassVar[dict] = constraints(FORECASTER_PARAMS)

    def __init__(
        self,
        *,
        n_hidden=32,
        n_nonlinear=4,
        window="auto",
        horizon=12,
        targets=None,
        init="ar",
        context="carry",
        max_iter=200,
        batch_size="auto",
        learning_rate_init=1e-3,
        learning_rate="cosine",
        alpha=0.0,
        clip_grad_norm=5.0,
        early_stopping="auto",
        validation_fraction=0.15,
        n_iter_no_change="auto",
        tol=1e-5,
        n_init=1,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
        dtype="float32",
    ):
        self.n_hidden = n_hidden
        self.n_nonlinear = n_nonlinear
        self.window = window
        self.horizon = horizon
        self.targets = targets
        self.init = init
        self.context = context
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.n_init = n_init
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.dtype = dtype

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False  # y=None: forecast the columns of X
        tags.target_tags.multi_output = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "module_")

    # -- fitting -------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model to one table of consecutive time steps.

        Parameters
        ----------
        X : array-like, DataFrame or Series of shape (n_timesteps, n_features)
            Rows are consecutive time steps; at least ``window + horizon`` rows
            (with ``window="auto"``, ``horizon + 2``).
        y : array-like of shape (n_timesteps,) or (n_timesteps, n_outputs), optional
            Targets per row, forecast from the rows of X only. None (default):
            forecast the ``targets`` columns of X.

        Returns
        -------
        self : ALRNNForecaster

        Notes
        -----
        Faults follow the sequence estimators' policy: Ctrl-C or a divergence
        after completed epochs keeps the weights of the best (validation) or last
        completed epoch (fitted, with a warning for Ctrl-C) and re-raises; before
        the first epoch completes, the estimator is left as it was.
        """
        return self._guarded_fit(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One epoch over every origin of X, continuing the fitted model.

        The first call starts a model (the autoregressive start fitted on X,
        and the scaling of X); later calls continue its weights, scaling,
        optimizer and shuffling state at the constant ``learning_rate_init``,
        without validation (the intervals of an earlier ``fit`` are kept).
        ``forecast()`` then continues after the last table passed.

        Parameters
        ----------
        X : array-like, DataFrame or Series of shape (n_timesteps, n_features)
            A table of consecutive time steps (e.g. the next chunk of a stream),
            with the columns of the first call.
        y : array-like of shape (n_timesteps,) or (n_timesteps, n_outputs), optional
            Targets per row, as in ``fit``.

        Returns
        -------
        self : ALRNNForecaster

        Examples
        --------
        >>> import numpy as np
        >>> from sk_alrnn.forecasting import ALRNNForecaster
        >>> X = np.sin(0.2 * np.arange(400))[:, None]
        >>> f = ALRNNForecaster(n_hidden=8, n_nonlinear=1, window=20, horizon=4,
        ...                     random_state=0)
        >>> for chunk in (X[:200], X[200:]):
        ...     f = f.partial_fit(chunk)
        >>> f.n_iter_, f.forecast(2).shape
        (2, (2, 1))
        """
        return self._guarded_fit(X, y, incremental=True)

    def _guarded_fit(self, X, y, incremental: bool):
        return guarded_fit(self, self._fit_unsafe, X, y, incremental)

    def predict(self, X):
        """One-step-ahead forecasts: row t forecasts the targets of row t + 1.

        Each row's forecast reads the ``window_`` rows up to it (from the zero
        state), as ``forecast(1, X[:t + 1])`` would; what precedes the first rows
        of X is the ``context`` rule. The estimator is not changed.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            Consecutive time steps.

        Returns
        -------
        y_pred : ndarray of shape (n_timesteps,) or (n_timesteps, n_outputs)
            ``y_pred[t]`` forecasts the targets at row t + 1. With
            ``context="warmup"`` the first ``window_`` rows are NaN.
        """
        Xs = self._standardised(X)
        if self.context == "warmup" and len(Xs) <= self.window_:
            raise ValueError(
                f"{type(self).__name__}: context='warmup' spends the first "
                f"window_={self.window_} rows warming up, but X has only "
                f"{len(Xs)} rows. Pass more rows, or use context='reset' or 'carry'."
            )
        prefix = self._tail[1:] if self.context == "carry" else self._tail[:0]
        full = np.concatenate([prefix, Xs])
        out = _ft.one_step_outputs(self.module_, full, self.window_)[len(prefix) :]
        self._warn_if_exploding(out, free_run=False)
        y_pred = self._unscale(out)
        if self.context == "warmup":
            y_pred[: self.window_] = np.nan
        return y_pred[:, 0] if self._single_output else y_pred

    def score(self, X, y=None, sample_weight=None):
        """R^2 of the one-step-ahead forecasts ``predict(X)[:-1]`` on the next rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            Consecutive time steps (at least 2).
        y : array-like of shape (n_timesteps,) or (n_timesteps, n_outputs), optional
            Targets per row, compared from the second row on. None: the target
            columns of X (only for a forecaster fitted with y=None).
        sample_weight : array-like of shape (n_timesteps,), optional
            Weight of each row's target (the first row's weight is unused).

        Returns
        -------
        score : float
            ``r2_score`` averaged uniformly over the targets; warm-up rows
            (``context="warmup"``) are skipped.
        """
        y_pred = self.predict(X)
        if y is None:
            if self.target_columns_ is None:
                raise ValueError(
                    f"{type(self).__name__} was fitted with targets y; pass them to "
                    "score(X, y) as well."
                )
            values = validate_data(self, X, reset=False, dtype=np.float64)
            y = values[:, self.target_columns_]
            if self._single_output:
                y = y[:, 0]
        else:
            check_table(y, type(self).__name__, "y")  # dates, text, NaN: the fix
        y = np.asarray(y, dtype=np.float64)
        if len(y) != len(y_pred):
            raise ValueError(
                f"y has {len(y)} rows but X has {len(y_pred)}; pass one target row "
                "per row of X."
            )
        first = self.window_ if self.context == "warmup" else 0
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)[1:][first:]
        return r2_score(y[1:][first:], y_pred[:-1][first:], sample_weight=sample_weight)

    def get_alrnn_params(self) -> ALRNNParams:
        """Frozen numpy snapshot of the weights, in the units of X and y (float64).

        The input scaling is folded into C and h and the target scaling into B and
        b: running ``z_t = A*z_{t-1} + W phi(z_{t-1}) + C x_t + h`` from ``z = 0``
        over the last ``window_`` raw rows and reading ``B z_t + b`` gives
        ``forecast(1, X)``.

        Returns
        -------
        ALRNNParams

        Examples
        --------
        >>> import numpy as np
        >>> from sk_alrnn.forecasting import ALRNNForecaster
        >>> X = np.random.RandomState(0).normal(size=(60, 2))
        >>> f = ALRNNForecaster(n_hidden=4, n_nonlinear=1, window=10, horizon=2,
        ...                     max_iter=2, random_state=0).fit(X)
        >>> f.get_alrnn_params().C.shape
        (4, 2)
        """
        check_is_fitted(self)
        return self.module_.to_params(
            self._y_scale, self._y_mean, self._x_scale, self._x_mean
        )
