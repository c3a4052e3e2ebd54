"""ALRNNForecaster: one table whose rows are consecutive time steps.

Shapes: n rows (time steps), K input columns (of X), M latent units, P ReLU
units, O targets, L = ``window_`` context rows, H = ``horizon_`` steps.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from sk_alrnn._base import _DTYPES, BaseALRNN, _adam
from sk_alrnn._model import ALRNN
from sk_alrnn._params import ALRNNParams
from sk_alrnn._training import (
    DivergenceError,
    History,
    SequenceData,
    TrainConfig,
    copy_state,
    predict_chunked,
    resolve_device,
    resolve_patience,
    train,
)
from sk_alrnn._validation import (
    Interval,
    StrOptions,
    _fit_context,
    check_columns,
    check_finite,
    check_is_fitted,
    check_table,
)
from sk_alrnn.forecasting import _forecaster_train as _ft
from sk_alrnn.forecasting._baselines import infer_season
from sk_alrnn.forecasting._index import wrap_like

# The sequence estimators' parameters that a single table has no use for.
_SEQUENCE_ONLY = {"output", "n_init", "init", "batch_size", "n_iter_no_change"}
MIN_ORIGINS = 5  # validation needs this many origins (and twice as many to train)
AUTO_WINDOW = 50  # window="auto": at most this many rows, ...
WINDOW_SHARE = 3  # ... and at most a third of the table
# Training replaces the autoregressive start only when its best epoch beats the
# start's validation loss by this share: a few validation origins are noisy.
START_MARGIN = 0.05
START_T = 2.0  # ... and by this many standard errors (see _beats_start)


class ALRNNForecaster(RegressorMixin, BaseEstimator):
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
    n_hidden : int, default=32
        M, the number of latent units.
    n_nonlinear : int, default=4
        P, how many of the M units are ReLU (the last P); ``0`` is a linear RNN.
    window : int or "auto", default="auto"
        L, the rows a forecast reads up to its origin. ``"auto"``: 50, at most a
        third of the table's rows.
    horizon : int, default=12
        H, the free-running steps of the training loss (and of the calibrated
        intervals). Forecasts may run longer; they are then untrained there.
    targets : list of int or str, or None, default=None
        With ``y=None``: the columns of X to forecast (positions, or names for a
        DataFrame); None: all. The others are covariates.
    init : {"ar", "memory", "paper"}, default="ar"
        ``"ar"``: the autoregressive start above (``"memory"`` where no linear
        unit is free for it, e.g. ``n_nonlinear=n_hidden``). ``"memory"`` and
        ``"paper"``: the sequence estimators' random starts.
    context : {"carry", "reset", "warmup"}, default="carry"
        What precedes X in ``predict`` and ``score``: ``"carry"``, the end of the
        training table (right when X directly follows it); ``"reset"``, nothing
        (the first rows read shorter windows); ``"warmup"``, nothing, and the first
        ``window_`` rows are NaN (``score`` skips them).
    max_iter : int, default=200
        Maximum number of epochs (passes over all training origins).
    batch_size : int, default=32
        Origins per mini-batch (clipped to the number of origins).
    learning_rate_init : float, default=1e-3
        Adam's learning rate (lower than the sequence estimators' 5e-3: training
        refines a fitted start).
    learning_rate : {"cosine", "constant", "adaptive"}, default="cosine"
        Schedule over the epochs, as in the sequence estimators.
    alpha : float, default=0.0
        L2 penalty ``0.5 * alpha * ||theta||^2 / batch_size`` on A, W, C and B.
    clip_grad_norm : float or None, default=5.0
        Maximum gradient norm per step; None disables clipping.
    early_stopping : bool or "auto", default="auto"
        Hold out the last ``validation_fraction`` of the rows: their origins
        monitor training and calibrate the intervals. ``"auto"``: when they give
        at least 5 origins and 10 remain for training.
    validation_fraction : float, default=0.15
        Share of the rows held out.
    n_iter_no_change : int or "auto", default="auto"
        Epochs without an improvement of ``tol`` in the monitored loss before
        training stops; ``"auto"`` = ``max(20, max_iter // 4)``.
    tol : float, default=1e-5
        Minimum improvement that counts.
    warm_start : bool, default=False
        Continue from the fitted weights (no new start) when fitted on a table
        of the same width.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights and the origin order through a local
        ``torch.Generator``; global seeds are never touched.
    verbose : int, default=0
        ``>= 1`` prints one line per epoch.
    device : str, default="auto"
        Torch device for training. The fitted module lives on the CPU.
    dtype : {"float32", "float64"}, default="float32"
        Floating point precision of weights and computation.

    Attributes
    ----------
    module_ : ALRNN
        The fitted network (on the CPU), in standardised units.
    window_, horizon_ : int
        The context rows and loss steps used.
    ar_lags_ : int or None
        Lags of the autoregressive start (None without it).
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
        "converged", "plateau", "max_iter", "interrupted", or "unvalidated"
        (too short to validate: the autoregressive start, untrained).
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

    _parameter_constraints: ClassVar[dict] = {
        **{
            k: v
            for k, v in BaseALRNN._parameter_constraints.items()
            if k not in _SEQUENCE_ONLY
        },
        "window": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "targets": [list, tuple, np.ndarray, None],
        "init": [StrOptions({"ar", "memory", "paper"})],
        "context": [StrOptions({"carry", "reset", "warmup"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

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
        batch_size=32,
        learning_rate_init=1e-3,
        learning_rate="cosine",
        alpha=0.0,
        clip_grad_norm=5.0,
        early_stopping="auto",
        validation_fraction=0.15,
        n_iter_no_change="auto",
        tol=1e-5,
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
        before = dict(self.__dict__)
        try:
            fault = self._fit(X, y)
        except BaseException:  # a fault before the first epoch ended included
            self.__dict__.clear()  # a failed fit leaves the estimator as it was
            self.__dict__.update(before)
            raise
        if fault is not None:  # Ctrl-C or divergence after completed epochs:
            raise fault  # the estimator keeps them (the README's fault policy)
        return self

    def _read_table(self, X, y):
        """Validated (n, K) inputs and (n, O) targets; sets the column bookkeeping."""
        name = type(self).__name__
        if self.n_nonlinear > self.n_hidden:
            raise ValueError(
                f"{name}: n_nonlinear={self.n_nonlinear} exceeds n_hidden="
                f"{self.n_hidden}; the number of ReLU units must lie in "
                "[0, n_hidden]. Lower n_nonlinear or raise n_hidden."
            )
        from_series = _is_series(X)
        X = _as_frame(X)
        check_columns(X, name)
        if y is not None:
            check_table(y, name, "y")
            if self.targets is not None:
                raise ValueError(
                    f"{name}: targets={self.targets!r} picks columns of X to "
                    "forecast, but y was given as well. Pass either y or targets."
                )
        table = X
        dtype = [np.float64, np.float32]
        if y is None:
            X = validate_data(self, X, dtype=dtype, ensure_all_finite=False)
        else:
            X, y = validate_data(
                self,
                X,
                y,
                dtype=dtype,
                ensure_all_finite=False,
                multi_output=True,
                y_numeric=True,
            )
        check_finite(X, name, like=table)
        X = np.asarray(X, dtype=np.float64)
        self._index = getattr(table, "index", None)
        if y is None:
            columns = self._target_positions(table, X.shape[1])
            self.target_columns_ = columns
            self._single_output = from_series
            self._target_names = _names(table, columns)
            return X, X[:, columns]
        self.target_columns_ = None
        self._single_output = np.ndim(y) == 1
        self._target_names = _names(y, None)
        y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        check_finite(y, name, "y")
        return X, y

    def _target_positions(self, table, n_columns: int) -> np.ndarray:
        if self.targets is None:
            return np.arange(n_columns)
        names = list(getattr(table, "columns", []))
        positions = []
        for t in self.targets:
            if isinstance(t, str) and t in names:
                positions.append(names.index(t))
            elif isinstance(t, Integral) and -n_columns <= t < n_columns:
                positions.append(int(t) % n_columns)
            else:
                raise ValueError(
                    f"{type(self).__name__}: targets entry {t!r} is not a column of "
                    f"X (columns: {names or list(range(n_columns))}). Pass column "
                    "positions, or names of a DataFrame's columns."
                )
        if len(set(positions)) != len(positions) or not positions:
            raise ValueError(
                f"{type(self).__name__}: targets={self.targets!r} must name distinct "
                "columns, at least one."
            )
        return np.array(positions)

    def _sizes(self, n_rows: int) -> tuple[int, int]:
        name = type(self).__name__
        H = self.horizon
        if self.window == "auto":
            L = max(1, min(AUTO_WINDOW, n_rows // WINDOW_SHARE))
        else:
            L = self.window
        if n_rows < L + H:
            raise ValueError(
                f"{name}: got n_samples={n_rows} rows (time steps), but window={L} "
                f"rows of context and horizon={H} steps need at least {L + H}. Pass "
                "a longer table, or lower window or horizon."
            )
        return L, H

    def _fit(self, X, y):
        """Validate, train and store the model; return the fault that ended training."""
        name = type(self).__name__
        np_dtype, torch_dtype = _DTYPES[self.dtype]
        width = getattr(self, "n_features_in_", None)
        X, Y = self._read_table(X, y)
        n, K = X.shape
        L, H = self._sizes(n)
        warm = self.warm_start and hasattr(self, "module_") and width == K
        self._x_mean, self._x_scale = _scaler(X)
        Xs = ((X - self._x_mean) / self._x_scale).astype(np_dtype)
        if self.target_columns_ is not None:
            cols = self.target_columns_
            self._y_mean, self._y_scale = self._x_mean[cols], self._x_scale[cols]
        else:
            self._y_mean, self._y_scale = _scaler(Y)
        Ys = ((Y - self._y_mean) / self._y_scale).astype(np_dtype)
        self.n_outputs_ = Ys.shape[1]
        self.window_, self.horizon_ = L, H
        layout = self._layout()
        fit_origins, val_origins, n_fit = self._split(n, L, H)
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(
            int(rng.randint(np.iinfo(np.int32).max))
        )
        if warm:
            net = self.module_
            lags = getattr(self, "ar_lags_", None)
        else:
            init = "memory" if self.init == "ar" else self.init
            net = ALRNN(
                K, self.n_hidden, self.n_nonlinear, self.n_outputs_,
                generator=generator, dtype=torch_dtype, init=init,
            )  # fmt: skip
            lags = None
            if self.init == "ar":
                season = infer_season(Ys[:n_fit])  # from the values, not the index
                lags = _ft.fit_ar_start(net, layout, Xs, Ys, n_fit, H, season=season)
        device = resolve_device(self.device)
        model = _ft.HorizonNet(net, layout, L, H).to(device)

        X_t = torch.as_tensor(Xs, device=device)
        Y_t = torch.as_tensor(Ys, device=device)

        def data(starts):  # origins starts[0] .. starts[-1], consecutive
            inputs, targets = _ft.windows(X_t, Y_t, int(starts[0]), len(starts), L, H)
            return SequenceData(X=inputs, lengths=None, y=targets, lengths_cpu=None)

        train_data = data(fit_origins)
        validation = data(val_origins) if val_origins is not None else None
        start_state = copy_state(model.state_dict())
        start_losses = None if validation is None else _origin_losses(model, validation)
        config = TrainConfig(
            max_iter=self.max_iter,
            batch_size=min(self.batch_size, len(fit_origins)),
            learning_rate_init=self.learning_rate_init,
            alpha=self.alpha,
            clip_grad_norm=self.clip_grad_norm,
            n_iter_no_change=resolve_patience(self.n_iter_no_change, self.max_iter),
            tol=self.tol,
            verbose=self.verbose,
            sequence=True,
            name=name,
            learning_rate=self.learning_rate,
        )
        # too short to validate, with a fitted start: training could only be
        # trusted blindly, so the start (fitted on all rows already) is the model
        unvalidated = (
            validation is None and self.early_stopping == "auto" and lags is not None
        )
        optimizer = _adam(model, self.learning_rate_init)
        if unvalidated and not warm:
            history = History(stop_reason="unvalidated")
            warnings.warn(
                f"{name}: the table's {n} rows leave too few origins to validate "
                f"training (window={L}, horizon={H}: at least "
                f"{2 * MIN_ORIGINS} training and {MIN_ORIGINS} validation origins "
                "are needed), so the model is the linear autoregressive start "
                "(start_kept_=True), untrained. Pass early_stopping=False to "
                "train without validation, or lower window or horizon.",
                UserWarning,
                stacklevel=3,
            )
        else:
            try:
                history = train(
                    model, optimizer, train_data, config, _mse, generator,
                    validation=validation, eval_fn=_mse_and_score,
                )  # fmt: skip
            except DivergenceError as exc:  # the completed epochs are kept
                history = exc.history
        model.cpu()
        fault = history.fault
        if fault is not None and not history.loss_curve:
            if history.interrupted:
                warnings.warn(
                    f"{name}: training interrupted by the user before the first "
                    "epoch completed; the estimator is left as it was before this "
                    "call.",
                    UserWarning,
                    stacklevel=3,
                )
            raise fault
        keep_start = (
            start_losses is not None
            and lags is not None
            and not warm
            and not _beats_start(start_losses, _origin_losses(model, validation), H)
        )
        keep_start = keep_start or (unvalidated and not warm)
        self.calibration_residuals_ = None
        if validation is not None:
            if keep_start:  # calibrate the start fitted without the validation rows
                model.load_state_dict(start_state)
            out = predict_chunked(model, validation, True).numpy()
            out = out * self._y_scale + self._y_mean
            truth = validation.y.numpy() * self._y_scale + self._y_mean
            self.calibration_residuals_ = np.abs(out - truth)  # (N, H, O)
        if keep_start and validation is not None:  # refit the start on all rows
            _ft.fit_ar_start(net, layout, Xs, Ys, n, H, lags=lags)
        self.module_ = net
        self.ar_lags_ = lags
        self.start_kept_ = bool(keep_start)
        self._tail = Xs[-L:].copy()  # what forecast() and context="carry" read
        self.loss_curve_ = list(history.loss_curve)
        self.validation_loss_curve_ = list(history.validation_losses)
        self.n_iter_ = len(self.loss_curve_)
        self.best_loss_ = min(self.loss_curve_, default=math.inf)
        self.stop_reason_ = (
            "interrupted" if history.interrupted else history.stop_reason
        )
        if history.interrupted:
            warnings.warn(
                f"{name}: training interrupted by the user after {self.n_iter_} "
                "epochs; the estimator is fitted with the weights of the best "
                "completed epoch.",
                UserWarning,
                stacklevel=3,
            )
            return fault
        if fault is not None:
            return fault
        if history.stop_reason == "max_iter" and not keep_start:
            warnings.warn(
                f"{name}: reached max_iter={self.max_iter} epochs while the "
                f"monitored loss was still improving by tol={self.tol}. Raise "
                "max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return None

    def _layout(self) -> _ft.Layout:
        cols = self.target_columns_
        feedback = None if cols is None else tuple(int(c) for c in cols)
        return _ft.Layout(self.n_features_in_, self.n_outputs_, feedback)

    def _split(self, n: int, L: int, H: int):
        """Training origins, validation origins (or None) and rows for the AR fit."""
        everything = _ft.origins(n, L, H)
        use = self.early_stopping
        if use is not False:
            n_val = round(self.validation_fraction * n)
            val_start = n - n_val  # first held-out row
            val = everything[everything >= val_start - 1]  # first target held out
            fit = everything[everything + H < val_start]  # all targets before it
            enough = len(val) >= MIN_ORIGINS and len(fit) >= 2 * MIN_ORIGINS
            if enough:
                return fit, val, val_start
            if use is True:
                raise ValueError(
                    f"{type(self).__name__}: early_stopping=True holds out the last "
                    f"{n_val} rows, which leaves {len(fit)} training and {len(val)} "
                    f"validation origins; at least {2 * MIN_ORIGINS} and "
                    f"{MIN_ORIGINS} are needed. Pass a longer table, raise "
                    "validation_fraction, or set early_stopping=False."
                )
        return everything, None, n

    # -- prediction ----------------------------------------------------------------
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
        self._warn_if_exploding(out)
        y_pred = self._unscale(out)
        if self.context == "warmup":
            y_pred[: self.window_] = np.nan
        return y_pred[:, 0] if self._single_output else y_pred

    def _warn_if_exploding(self, out):
        peak = float(np.nanmax(np.abs(out), initial=0.0))
        if np.isfinite(out).all() and peak < 1e6:
            return
        warnings.warn(
            f"{type(self).__name__}: the forecasts grew to {peak:.3g} training "
            "standard deviations (or became non-finite); the hidden state diverges "
            "on this input. Check that X resembles the training table (scale, "
            "columns).",
            RuntimeWarning,
            stacklevel=3,
        )

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
        m = self.module_

        def arr(t):
            return t.detach().double().numpy()

        C = arr(m.C) / self._x_scale  # (M, K)
        return ALRNNParams(
            A=arr(m.A),
            W=arr(m.W),
            C=C,
            h=arr(m.h) - C @ self._x_mean,
            B=self._y_scale[:, None] * arr(m.B),  # (O, M)
            b=self._y_scale * arr(m.b) + self._y_mean,
            n_nonlinear=m.n_nonlinear,
        )


def _mse(out, y, mask):
    return ((out - y) ** 2).mean()


def _mse_and_score(out, y, mask):
    loss = float(((out - y) ** 2).mean())
    return loss, -loss


def _origin_losses(model, data: SequenceData) -> np.ndarray:
    """(N,) mean squared error of each origin's forecasts."""
    model.eval()
    err = (predict_chunked(model, data, True) - data.y) ** 2  # (N, H, O)
    model.train()
    return err.mean(dim=(1, 2)).double().numpy()


def _beats_start(start: np.ndarray, trained: np.ndarray, horizon: int) -> bool:
    """Whether the trained model's validation losses clearly beat the start's.

    Clearly: by more than :data:`START_MARGIN` of the start's loss, and by more
    than :data:`START_T` standard errors of the mean difference, computed over
    blocks of ``horizon`` consecutive origins (neighbouring origins share
    targets, so single origins are not independent). Fewer than two blocks
    cannot show a gain: the start stays.
    """
    gain = start - trained  # (N,)
    mean = float(gain.mean())
    if mean <= START_MARGIN * float(start.mean()):
        return False
    n_blocks = len(gain) // horizon
    if n_blocks < 2:
        return False  # too few blocks to tell a real gain from chance
    blocks = gain[: n_blocks * horizon].reshape(n_blocks, horizon).mean(axis=1)
    se = float(blocks.std(ddof=1)) / math.sqrt(n_blocks)
    return mean > START_T * se


def _names(table, columns):
    """Target names for pandas output (None for arrays)."""
    if hasattr(table, "columns"):
        names = list(table.columns)
        return names if columns is None else [names[c] for c in columns]
    if hasattr(table, "name") and hasattr(table, "index"):  # a Series
        return [table.name]
    return None


def _is_series(X) -> bool:
    return hasattr(X, "to_frame") and getattr(X, "ndim", 2) == 1


def _as_frame(X):
    """A pandas Series as a one-column DataFrame; anything else as is."""
    return X.to_frame() if _is_series(X) else X


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


def _scaler(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (1 where a column is constant)."""
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    return mean, np.where(scale > 0, scale, 1.0)
