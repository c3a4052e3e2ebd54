"""ALRNNForecaster: one table whose rows are consecutive time steps.

Shapes: n rows (time steps), K features per row (columns of X), M latent units,
P ReLU units, O outputs (columns of y, or K when y is None), T = ``window``.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from sk_alrnn._base import _DTYPES, BaseALRNN
from sk_alrnn._model import ALRNN
from sk_alrnn._params import ALRNNParams
from sk_alrnn._training import (
    TrainConfig,
    resolve_batch_size,
    resolve_device,
    resolve_patience,
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
from sk_alrnn.forecasting._forecaster_train import (
    free_run,
    run_states,
    train_on_windows,
)

# Parameters of the sequence estimators that a single table has no use for.
_SEQUENCE_ONLY = {
    "output",
    "early_stopping",
    "validation_fraction",
    "warm_start",
    "n_init",
    "learning_rate",
    "init",
}

# Forecasts beyond this many training standard deviations mean a diverging state.
_EXPLODING = 1e6


class ALRNNForecaster(RegressorMixin, BaseEstimator):
    """Almost-linear RNN that forecasts a table of time steps one step ahead.

    X is one multivariate time series: rows are consecutive time steps, columns
    are features. The model reads the rows in order,
    ``z_t = A z_{t-1} + W phi(z_{t-1}) + C x_t + h``, and ``B z_t + b`` forecasts
    the target of the **next** row. With ``y=None`` the targets are the columns of
    X themselves (an autonomous forecaster that can run free); with ``y`` given
    (one row of targets per row of X) the columns of X are inputs only.

    Training cuts the table into consecutive windows of ``window`` steps and
    backpropagates within a window only (truncated backpropagation through time:
    memory for gradients grows with ``window`` and ``batch_size``, not with the
    length of the table). Windows are drawn in random order; each starts from the
    state that ended the window before it when that one was last trained (zero
    for the first window), so training sees the long-run states met at predict
    time. X and y are standardised internally (per column); predictions come back
    in the original units.

    Where the hidden state starts when predicting on new rows is the ``context``
    rule: ``"carry"`` continues from the state at the end of the training table
    (right when X directly follows the training rows, e.g. the test fold of
    ``TimeSeriesSplit`` with ``gap=0``; wrong for in-sample predictions on the
    training rows, use ``"reset"`` there); ``"reset"`` starts from zero at the first
    row of X; ``"warmup"`` starts from zero and spends the first ``window`` rows of
    X warming the state up (their predictions are NaN and ``score`` skips them).

    Parameters
    ----------
    n_hidden : int, default=32
        M, the number of latent units.
    n_nonlinear : int, default=4
        P, how many of the M units are ReLU (the last P); ``0`` is a linear RNN.
    window : int, default=50
        T, time steps per training window (the truncation length of
        backpropagation). ``fit`` needs at least ``window + 1`` rows; the windows
        end at the last row, so the first ``(n_rows - 1) % window`` rows are left
        out of the loss (they still set the scaling and ``last_state_``).
    teacher_forcing_interval : int or None, default=None
        Sparse teacher forcing (as in the AL-RNN dynamical-systems papers), only
        with ``y=None``: inside a training window the observed row is fed every
        ``teacher_forcing_interval`` steps and the model's own previous forecast in
        between, so the loss covers free-running forecasts of up to that many
        steps. ``None`` or ``1``: the observed row at every step (one-step-ahead
        training). ``predict`` feeds the observed row at every step, a regime a
        model trained with a larger interval has not seen; it warns if its
        forecasts diverge there.
    context : {"carry", "reset", "warmup"}, default="carry"
        Where the hidden state starts in ``predict``, ``score`` and ``forecast``
        with X (see above).
    max_iter : int, default=200
        Maximum number of epochs (passes over the training windows).
    batch_size : int, default=32
        Windows per mini-batch (clipped to the number of windows).
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    alpha : float, default=0.0
        L2 penalty ``0.5 * alpha * ||theta||^2 / batch_size`` on A, W, C and B.
    clip_grad_norm : float or None, default=5.0
        Maximum gradient norm per step; None disables clipping.
    n_iter_no_change : int, default=10
        Epochs without a training-loss improvement of at least ``tol`` before
        training stops.
    tol : float, default=1e-4
        Minimum improvement that counts.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights and the window order through a local
        ``torch.Generator``; global seeds are never touched.
    verbose : int, default=0
        ``>= 1`` prints one line per epoch.
    device : str, default="auto"
        Torch device for training (``"auto"``, ``"cpu"``, ``"cuda"``, ...). The
        fitted module lives on the CPU.
    dtype : {"float32", "float64"}, default="float32"
        Floating point precision of weights and computation.

    Attributes
    ----------
    module_ : ALRNN
        The fitted network (on the CPU), in standardised units.
    last_state_ : ndarray of shape (n_hidden,)
        Hidden state after the last training row: where ``context="carry"`` and
        ``forecast()`` start.
    n_outputs_ : int
        Number of forecast targets (columns of y, or of X when y is None).
    autonomous_ : bool
        True when fitted with ``y=None``: the targets are the columns of X.
    loss_curve_ : list of float
        Mean training loss (standardised units) per epoch.
    n_iter_ : int
        Epochs trained.
    best_loss_ : float
        Lowest training loss seen.
    n_features_in_ : int
        Columns of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a DataFrame X; set only then.

    See Also
    --------
    sk_alrnn.forecasting.make_windows : Cut a table into windows and multi-step
        targets for ALRNNRegressor (direct multi-step forecasting).
    sk_alrnn.forecasting.SequenceWindower : The windows ending at each row, as a
        transformer for pipelines.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.forecasting import ALRNNForecaster
    >>> t = np.arange(300)
    >>> X = np.c_[np.sin(0.1 * t), np.cos(0.1 * t)]
    >>> f = ALRNNForecaster(n_hidden=8, n_nonlinear=2, window=20, max_iter=5,
    ...                     random_state=0).fit(X[:250])
    >>> f.predict(X[250:]).shape  # row t forecasts row t + 1
    (50, 2)
    >>> f.forecast(10).shape  # free run from the end of the training rows
    (10, 2)
    """

    # The sequence estimators' training parameters, plus the table's own.
    _parameter_constraints: ClassVar[dict] = {
        **{
            k: v
            for k, v in BaseALRNN._parameter_constraints.items()
            if k not in _SEQUENCE_ONLY
        },
        "window": [Interval(Integral, 1, None, closed="left")],
        "teacher_forcing_interval": [Interval(Integral, 1, None, closed="left"), None],
        "context": [StrOptions({"carry", "reset", "warmup"})],
    }

    def __init__(
        self,
        *,
        n_hidden=32,
        n_nonlinear=4,
        window=50,
        teacher_forcing_interval=None,
        context="carry",
        max_iter=200,
        batch_size=32,
        learning_rate_init=1e-3,
        alpha=0.0,
        clip_grad_norm=5.0,
        n_iter_no_change=10,
        tol=1e-4,
        random_state=None,
        verbose=0,
        device="auto",
        dtype="float32",
    ):
        self.n_hidden = n_hidden
        self.n_nonlinear = n_nonlinear
        self.window = window
        self.teacher_forcing_interval = teacher_forcing_interval
        self.context = context
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.clip_grad_norm = clip_grad_norm
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
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
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            Rows are consecutive time steps; at least ``window + 1`` rows.
        y : array-like of shape (n_timesteps,) or (n_timesteps, n_outputs), optional
            Targets per row; the model learns to forecast ``y[t + 1]`` from rows
            ``<= t`` of X. None (default): forecast all columns of X.

        Returns
        -------
        self : ALRNNForecaster

        Notes
        -----
        Faults follow the sequence estimators' policy: Ctrl-C or a divergence
        after completed epochs keeps the weights of the last completed epoch
        (fitted, with a warning for Ctrl-C) and re-raises; before the first
        epoch completes, the estimator is left as it was.
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

    def _fit(self, X, y):
        """Validate, train and store the model; return the fault that ended training."""
        name = type(self).__name__
        if self.n_nonlinear > self.n_hidden:
            raise ValueError(
                f"{name}: n_nonlinear={self.n_nonlinear} exceeds n_hidden="
                f"{self.n_hidden}; the number of ReLU units must lie in "
                "[0, n_hidden]. Lower n_nonlinear or raise n_hidden."
            )
        np_dtype, torch_dtype = _DTYPES[self.dtype]
        check_columns(X, name)  # unreadable columns, by name
        if y is not None:
            check_table(y, name, "y")  # before validate_data, which checks y too
        table = X
        if y is None:
            X = validate_data(
                self, X, dtype=[np.float64, np.float32], ensure_all_finite=False
            )
        else:
            X, y = validate_data(
                self,
                X,
                y,
                dtype=[np.float64, np.float32],
                ensure_all_finite=False,
                multi_output=True,
                y_numeric=True,
            )
        check_finite(X, name, like=table)  # gaps, by row and column
        n_rows = X.shape[0]
        if n_rows < self.window + 1:
            raise ValueError(
                f"{name}: got n_samples={n_rows} rows (time steps), but "
                f"window={self.window} needs at least {self.window + 1} (one window "
                "of inputs and the row after it). Pass a longer table or lower "
                "window."
            )
        tau = self.teacher_forcing_interval
        if y is not None and tau is not None and tau > 1:
            raise ValueError(
                f"{name}: teacher_forcing_interval={tau} feeds the model's forecasts "
                "back as inputs, which needs the targets to be the inputs (y=None); "
                "got y. Fit with y=None, or set teacher_forcing_interval=None."
            )
        self._x_mean, self._x_scale = _scaler(X)
        Xs = (X - self._x_mean) / self._x_scale  # (n, K) standardised
        self.autonomous_ = y is None
        if y is None:
            self._y_mean, self._y_scale, Ys = self._x_mean, self._x_scale, Xs
            self._single_output = False
        else:
            y = np.asarray(y, dtype=np.float64)
            self._single_output = y.ndim == 1
            y = y.reshape(n_rows, -1)  # (n, O)
            self._y_mean, self._y_scale = _scaler(y)
            Ys = (y - self._y_mean) / self._y_scale
        self.n_outputs_ = Ys.shape[1]
        Xs, Ys = Xs.astype(np_dtype), Ys.astype(np_dtype)
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(
            int(rng.randint(np.iinfo(np.int32).max))
        )
        net = ALRNN(
            X.shape[1],
            self.n_hidden,
            self.n_nonlinear,
            self.n_outputs_,
            generator=generator,
            dtype=torch_dtype,
        )
        config = TrainConfig(
            max_iter=self.max_iter,
            batch_size=resolve_batch_size(self.batch_size, n_rows // self.window),
            learning_rate_init=self.learning_rate_init,
            alpha=self.alpha,
            clip_grad_norm=self.clip_grad_norm,
            n_iter_no_change=resolve_patience(self.n_iter_no_change, self.max_iter),
            tol=self.tol,
            verbose=self.verbose,
            sequence=True,
            name=name,
        )
        device = resolve_device(self.device)
        history = train_on_windows(
            net, Xs, Ys, self.window, tau, config, device, generator
        )
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
        self.module_ = net
        _, self.last_state_ = run_states(net, Xs, None)
        self.loss_curve_ = list(history.loss_curve)
        self.n_iter_ = len(self.loss_curve_)
        self.best_loss_ = min(self.loss_curve_, default=math.inf)
        if history.interrupted:
            warnings.warn(
                f"{name}: training interrupted by the user after {self.n_iter_} "
                "epochs; the estimator is fitted with the weights of the last "
                "completed epoch.",
                UserWarning,
                stacklevel=3,
            )
            return fault
        if fault is not None:  # divergence: the completed epochs are kept
            return fault
        if not history.converged:
            warnings.warn(
                f"{name}: reached max_iter={self.max_iter} epochs before the training "
                f"loss stopped improving by tol={self.tol}. Raise max_iter or "
                "learning_rate_init.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return None

    # -- prediction ----------------------------------------------------------------
    def _standardised(self, X):
        check_is_fitted(self)
        name = type(self).__name__
        check_columns(X, name)  # unreadable columns, by name
        Xv = validate_data(  # then names and width, as fitted
            self,
            X,
            reset=False,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,
        )
        check_finite(Xv, name, like=X)  # gaps, by row and column
        X = Xv
        np_dtype = _DTYPES[self.dtype][0]
        return ((X - self._x_mean) / self._x_scale).astype(np_dtype)  # (n, K)

    def _start_state(self):
        return self.last_state_ if self.context == "carry" else None

    def _unscale(self, out):
        return out.astype(np.float64) * self._y_scale + self._y_mean  # (n, O)

    def predict(self, X):
        """One-step-ahead forecasts: row t forecasts the target of row t + 1.

        The hidden state starts as the ``context`` rule says and runs through the
        rows of X in order; the estimator is not changed.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timesteps, n_features)
            Consecutive time steps.

        Returns
        -------
        y_pred : ndarray of shape (n_timesteps,) or (n_timesteps, n_outputs)
            ``y_pred[t]`` forecasts y (or X when fitted with y=None) at row t + 1.
            With ``context="warmup"`` the first ``window`` rows are NaN.
        """
        Xs = self._standardised(X)
        if self.context == "warmup" and len(Xs) <= self.window:
            raise ValueError(
                f"{type(self).__name__}: context='warmup' spends the first "
                f"window={self.window} rows warming up, but X has only {len(Xs)} "
                "rows. Pass more rows, or use context='reset' or 'carry'."
            )
        out, _ = run_states(self.module_, Xs, self._start_state())
        self._warn_if_exploding(out)
        y_pred = self._unscale(out)
        if self.context == "warmup":
            y_pred[: self.window] = np.nan
        return y_pred[:, 0] if self._single_output else y_pred

    def _warn_if_exploding(self, out):
        """Say so when standardised forecasts leave any plausible range."""
        peak = float(np.nanmax(np.abs(out), initial=0.0))
        if np.isfinite(out).all() and peak < _EXPLODING:
            return
        hint = (
            " The model was trained with teacher_forcing_interval="
            f"{self.teacher_forcing_interval}, so it never saw observed rows at "
            "every step, which predict feeds; use forecast() for free runs, or "
            "train with teacher_forcing_interval=None for one-step forecasts."
            if (self.teacher_forcing_interval or 1) > 1
            else " Check that X resembles the training table (scale, columns)."
        )
        warnings.warn(
            f"{type(self).__name__}: the one-step forecasts grew to {peak:.3g} "
            "training standard deviations (or became non-finite); the hidden "
            f"state diverges on this input.{hint}",
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
            Targets per row, compared from the second row on. None: the next rows
            of X are the truth (only for a forecaster fitted with y=None).
        sample_weight : array-like of shape (n_timesteps,), optional
            Weight of each row's target (the first row's weight is unused).

        Returns
        -------
        score : float
            ``r2_score`` averaged uniformly over the outputs; warm-up rows
            (``context="warmup"``) are skipped.
        """
        y_pred = self.predict(X)
        if y is None:
            if not self.autonomous_:
                raise ValueError(
                    f"{type(self).__name__} was fitted with targets y; pass them to "
                    "score(X, y) as well."
                )
            y = validate_data(self, X, reset=False, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if len(y) != len(y_pred):
            raise ValueError(
                f"y has {len(y)} rows but X has {len(y_pred)}; pass one target row "
                "per row of X."
            )
        first = self.window if self.context == "warmup" else 0  # skip warm-up rows
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)[1:][first:]
        # y_pred[t] forecasts y[t + 1]: pair rows 0..n-2 with rows 1..n-1.
        return r2_score(y[1:][first:], y_pred[:-1][first:], sample_weight=sample_weight)

    def forecast(self, n_steps, X=None, *, X_future=None):
        """Free-running forecast of the next ``n_steps`` rows.

        Starts from the end of the training table, or, when X is given, after
        running through X (from the state the ``context`` rule gives; "warmup" and
        "reset" both start from zero). Each forecast is fed back as the next input.

        A forecaster fitted with y has inputs that are not its outputs: it cannot
        feed its forecasts back and needs the future inputs instead, ``X_future``
        with the ``n_steps - 1`` rows that follow (the first forecast needs none).

        Parameters
        ----------
        n_steps : int
            Number of future rows to forecast (>= 1).
        X : array-like or DataFrame of shape (n_timesteps, n_features), optional
            Rows to run through first; None continues from the training table.
        X_future : array-like of shape (n_steps - 1, n_features), optional
            Future inputs, required (only) when the model was fitted with y.

        Returns
        -------
        y_future : ndarray of shape (n_steps, n_outputs) or (n_steps,)
            Row i forecasts the target i + 1 steps after the last row given.
        """
        check_is_fitted(self)
        name = type(self).__name__
        if not isinstance(n_steps, Integral) or n_steps < 1:
            raise ValueError(f"{name}: n_steps must be an int >= 1; got {n_steps!r}.")
        z = self.last_state_
        if X is not None:
            start = self._start_state()
            _, z = run_states(self.module_, self._standardised(X), start)
        if self.autonomous_:
            if X_future is not None:
                raise ValueError(
                    f"{name} was fitted with y=None and feeds its own forecasts "
                    "back as inputs; X_future is only for a model fitted with y. "
                    "Drop X_future."
                )
            return self._unscale(free_run(self.module_, z, n_steps))
        if X_future is None and n_steps > 1:
            raise ValueError(
                f"{name} was fitted with targets y, so its inputs (the columns of "
                "X) are not its outputs and cannot be fed back. Pass the future "
                f"inputs X_future with n_steps - 1 = {n_steps - 1} rows, or fit with "
                "y=None to forecast all columns of X autonomously."
            )
        out = free_run(self.module_, z, 1)  # (1, O): the forecast from z itself
        if n_steps > 1:
            Xf = self._standardised(X_future)
            if len(Xf) != n_steps - 1:
                raise ValueError(
                    f"{name}: X_future has {len(Xf)} rows; n_steps={n_steps} needs "
                    f"n_steps - 1 = {n_steps - 1}."
                )
            out = np.concatenate([out, run_states(self.module_, Xf, z)[0]])
        y_future = self._unscale(out)
        return y_future[:, 0] if self._single_output else y_future

    def get_alrnn_params(self) -> ALRNNParams:
        """Frozen numpy snapshot of the weights, in the units of X and y (float64).

        The input scaling is folded into C and h and the target scaling into B and
        b, so ``z_t = A*z_{t-1} + W phi(z_{t-1}) + C x_t + h`` from ``z_0 = 0`` on the
        raw rows and ``B z_t + b`` reproduce ``predict`` with ``context="reset"``.

        Returns
        -------
        ALRNNParams

        Examples
        --------
        >>> import numpy as np
        >>> from sk_alrnn.forecasting import ALRNNForecaster
        >>> X = np.random.RandomState(0).normal(size=(40, 2))
        >>> f = ALRNNForecaster(n_hidden=4, n_nonlinear=1, window=10, max_iter=2,
        ...                     random_state=0).fit(X)
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


def _scaler(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (1 where a column is constant)."""
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    return mean, np.where(scale > 0, scale, 1.0)
