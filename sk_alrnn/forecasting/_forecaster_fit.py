"""How ALRNNForecaster fits: table checks, origins, initialisations, training.

Shapes: n rows (time steps), K input columns (of X), O targets, L = ``window_``
context rows, H = ``horizon_`` steps, N origins.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch

import sk_alrnn._estimators._fitting as fitting
from sk_alrnn._estimators._param_table import DTYPES as _DTYPES
from sk_alrnn._nn._history import History, copy_state
from sk_alrnn._nn._model import ALRNN
from sk_alrnn._nn._optim import make_adam
from sk_alrnn._nn._sequence_data import SequenceData, predict_chunked, resolve_device
from sk_alrnn._nn._training import TrainConfig, resolve_patience
from sk_alrnn.forecasting import _forecaster_train as _ft
from sk_alrnn.forecasting._baselines import infer_season
from sk_alrnn.forecasting._forecaster_table import TableMixin, scaler

MIN_ORIGINS = 5  # validation needs this many origins (and twice as many to train)
# Training replaces the autoregressive start only when its best epoch beats the
# start's validation loss by this share: a few validation origins are noisy.
START_MARGIN = 0.05
START_T = 2.0  # ... and by this many standard errors (see _beats_start)


AUTO_BATCH = 32  # batch_size="auto": this many origins a batch, ...
AUTO_STEP_BUDGET = 20_000  # ... larger when max_iter epochs would take more steps
AUTO_BATCH_MAX = 256  # ... up to this many origins a batch


def _batch_size(batch_size, n_origins: int, max_iter: int) -> int:
    """Origins per mini-batch; ``"auto"``: 32, larger on long tables.

    ``"auto"`` keeps 32 origins a batch while ``max_iter`` epochs take at most
    ``AUTO_STEP_BUDGET`` gradient steps, and past that grows the batch (up to
    256) so that they take about that many: how many steps a fit takes decides
    how well it learns (measured on 2970 origins of Lorenz-63: free runs after
    60 epochs stay on the attractor at 32 a batch, 3 of 3 seeds, and leave it
    at 48, 3 of 3; after 200 epochs at 60 a batch, 1 of 3 leaves it), while on
    long tables much of an epoch of batches of 32 is per-step overhead.

    Examples
    --------
    >>> _batch_size("auto", 500, 200), _batch_size("auto", 4980, 200)
    (32, 50)
    >>> _batch_size("auto", 4980, 60), _batch_size("auto", 100_000, 200)
    (32, 256)
    >>> _batch_size(64, 10, 200)
    10
    """
    if isinstance(batch_size, str):
        grown = math.ceil(n_origins * max_iter / AUTO_STEP_BUDGET)
        batch_size = min(AUTO_BATCH_MAX, max(AUTO_BATCH, grown))
    return max(1, min(int(batch_size), n_origins))


@dataclass
class _Start:
    """What a run knows of the linear autoregressive start (``Run.extra``)."""

    lags: int | None  # of the AR start (None without one)
    keep_start: bool  # the AR start (untrained) is the model
    residuals: np.ndarray | None  # (N, H, O) validation errors, targets' units


@dataclass
class _Prepared:
    """A fit's scaled table, its window origins as SequenceData, and what it is."""

    Xs: np.ndarray  # (n, K) standardised inputs
    Ys: np.ndarray  # (n, O) standardised targets
    layout: _ft.Layout
    n_fit: int  # rows the AR start is fitted on
    train: SequenceData
    validation: SequenceData | None
    resume: bool
    unvalidated: bool  # too short to validate: the AR start is the model
    torch_dtype: torch.dtype


class FitMixin(TableMixin):
    """ALRNNForecaster's fit machinery (the estimator holds params and predicts)."""

    def _fit_unsafe(self, X, y, incremental: bool = False):
        """Validate, train and store the model; return the fault that ended training.

        ``incremental`` (partial_fit): one epoch over all origins of X, no
        validation, continuing a fitted model (its scaling, weights, optimizer
        and shuffling state) or starting one. The fault policy is
        :mod:`sk_alrnn._estimators._fitting`'s, shared with the sequence estimators.
        """
        name = type(self).__name__
        prep = self._prepare(X, y, incremental)
        config = self._train_config(len(prep.train), incremental)
        state = getattr(self, "_generator_state", None) if prep.resume else None
        n_init = 1 if prep.resume else self.n_init
        generators = fitting.seeded_generators(self.random_state, n_init, state)
        runs = fitting.train_runs(
            generators, lambda g: self._train_run(prep, config, g)
        )
        best = fitting.best_run(runs, name)
        self._store(best, prep, incremental)
        if len(runs) > 1 or not incremental:
            self.init_losses_ = [r.monitored for r in runs if r.completed]
        fault = fitting.finish(
            self,
            runs,
            best,
            n_init=n_init,
            kept="the weights of the best completed epoch",
        )
        if fault is None and not incremental:
            self._warn_stop(best, prep)
        return fault

    def _prepare(self, X, y, incremental: bool) -> _Prepared:
        """Read and scale the table (keeping a resumed model's scaling), split it."""
        name = type(self).__name__
        np_dtype, torch_dtype = _DTYPES[self.dtype]
        width = getattr(self, "n_features_in_", None)
        resume = (
            (incremental or self.warm_start)
            and hasattr(self, "module_")
            and self.module_.C.dtype == torch_dtype
        )
        X, Y = self._read_table(X, y, reset=not (incremental and resume))
        n, K = X.shape
        if resume and width != K:
            if incremental:
                raise ValueError(
                    f"X has {K} features, but {name} is expecting {width} "
                    "features as input (partial_fit continues the fitted model). "
                    "Pass tables of the same columns, or "
                    "call fit to start again."
                )
            resume = False  # warm_start on another table width: a fresh fit
        if resume:  # the weights live in the fitted scaling: keep it
            L, H = self.window_, self.horizon_
            self._check_rows(n, L, H)
        else:
            L, H = self._sizes(n)
            self._x_mean, self._x_scale = scaler(X)
            if self.target_columns_ is not None:
                cols = self.target_columns_
                self._y_mean, self._y_scale = self._x_mean[cols], self._x_scale[cols]
            else:
                self._y_mean, self._y_scale = scaler(Y)
        Xs = ((X - self._x_mean) / self._x_scale).astype(np_dtype)
        Ys = ((Y - self._y_mean) / self._y_scale).astype(np_dtype)
        self.n_outputs_ = Ys.shape[1]
        self.window_, self.horizon_ = L, H
        if incremental:
            fit_origins, val_origins, n_fit = _ft.origins(n, L, H), None, n
        else:
            fit_origins, val_origins, n_fit = self._split(n, L, H)
        device = resolve_device(self.device)
        X_t = torch.as_tensor(Xs, device=device)
        Y_t = torch.as_tensor(Ys, device=device)

        def data(starts):  # origins starts[0] .. starts[-1], consecutive
            inputs, targets = _ft.windows(X_t, Y_t, int(starts[0]), len(starts), L, H)
            return SequenceData(X=inputs, lengths=None, y=targets, lengths_cpu=None)

        validation = data(val_origins) if val_origins is not None else None
        # too short to validate, with a fitted start: training could only be
        # trusted blindly, so the start (fitted on all rows already) is the model
        unvalidated = (
            validation is None
            and self.early_stopping == "auto"
            and not incremental
            and not resume
            and self.init == "ar"
        )
        return _Prepared(
            Xs, Ys, self._layout(), n_fit, data(fit_origins), validation,
            resume, unvalidated, torch_dtype,
        )  # fmt: skip

    def _train_config(self, n_origins: int, incremental: bool) -> TrainConfig:
        return TrainConfig(
            max_iter=1 if incremental else self.max_iter,
            batch_size=_batch_size(self.batch_size, n_origins, self.max_iter),
            learning_rate_init=self.learning_rate_init,
            alpha=self.alpha,
            clip_grad_norm=self.clip_grad_norm,
            n_iter_no_change=(
                math.inf
                if incremental
                else resolve_patience(self.n_iter_no_change, self.max_iter)
            ),
            tol=self.tol,
            verbose=self.verbose,
            sequence=True,
            name=type(self).__name__,
            learning_rate="constant" if incremental else self.learning_rate,
        )

    def _warn_stop(self, best: fitting.Run, prep: _Prepared) -> None:
        """ConvergenceWarning while still improving; the untrained-start warning."""
        name = type(self).__name__
        if best.history.stop_reason == "max_iter" and not best.extra.keep_start:
            fitting.warn_max_iter(name, self.max_iter, self.tol, "monitored loss")
        if prep.unvalidated:
            L, H = self.window_, self.horizon_
            warnings.warn(
                f"{name}: the table's {len(prep.Xs)} rows leave too few origins to "
                f"validate training (window={L}, horizon={H}: at least "
                f"{2 * MIN_ORIGINS} training and {MIN_ORIGINS} validation origins "
                "are needed), so the model is the linear autoregressive start "
                "(start_kept_=True), untrained. Pass early_stopping=False to "
                "train without validation, or lower window or horizon.",
                UserWarning,
                stacklevel=5,
            )

    def _train_run(
        self, prep: _Prepared, config: TrainConfig, generator
    ) -> fitting.Run:
        """One initialisation (or the resumed model), trained."""
        K, H = prep.layout.n_inputs, self.horizon_
        lags = getattr(self, "ar_lags_", None) if prep.resume else None
        if prep.resume:
            net = self.module_
        else:
            init = "memory" if self.init == "ar" else self.init
            net = ALRNN(
                K, self.n_hidden, self.n_nonlinear, self.n_outputs_,
                generator=generator, dtype=prep.torch_dtype, init=init,
            )  # fmt: skip
            if self.init == "ar":
                season = infer_season(prep.Ys[: prep.n_fit])  # values, not index
                lags = _ft.fit_ar_start(
                    net, prep.layout, prep.Xs, prep.Ys, prep.n_fit, H, season=season
                )
        validation = prep.validation
        model = _ft.HorizonNet(net, prep.layout, self.window_, H)
        model.to(prep.train.X.device)
        start_state = copy_state(model.state_dict())
        start_losses = None if validation is None else _origin_losses(model, validation)
        optimizer = make_adam(model, self.learning_rate_init)
        if prep.resume and getattr(self, "_optimizer_state", None) is not None:
            optimizer.load_state_dict(self._optimizer_state)
        untrained = prep.unvalidated and lags is not None
        if untrained:
            history = History(stop_reason="unvalidated")
        else:
            history = fitting.train_keeping_epochs(
                model, optimizer, prep.train, config, _mse, generator,
                validation=validation, eval_fn=_mse_and_score,
            )  # fmt: skip
        model.cpu()
        completed = untrained or bool(history.loss_curve)
        keep_start = untrained or (
            completed
            and start_losses is not None
            and lags is not None
            and not prep.resume
            and not _beats_start(start_losses, _origin_losses(model, validation), H)
        )
        residuals, monitored = None, history.best_loss
        if validation is not None and completed:
            if keep_start:  # the start fitted without the validation rows
                model.load_state_dict(start_state)
            out = predict_chunked(model, validation, True)
            monitored = float(((out - validation.y) ** 2).mean())
            out = out.numpy() * self._y_scale + self._y_mean
            truth = validation.y.numpy() * self._y_scale + self._y_mean
            residuals = np.abs(out - truth)  # (N, H, O)
        elif untrained:
            monitored = -math.inf  # the only candidate
        return fitting.Run(
            history, net, optimizer, generator, monitored, completed,
            extra=_Start(lags, keep_start, residuals), final=untrained,
        )  # fmt: skip

    def _store(self, run: fitting.Run, prep: _Prepared, incremental: bool) -> None:
        """Fitted attributes from the kept run."""
        start: _Start = run.extra
        L, H = self.window_, self.horizon_
        if start.keep_start and start.residuals is not None:  # refit it on all rows
            Xs, Ys = prep.Xs, prep.Ys
            _ft.fit_ar_start(
                run.module, prep.layout, Xs, Ys, len(Xs), H, lags=start.lags
            )
        self.module_ = run.module
        self.ar_lags_ = start.lags
        self.start_kept_ = bool(start.keep_start)
        self._tail = prep.Xs[-L:].copy()  # what forecast() and context="carry" read
        self._optimizer_state = copy_state(run.optimizer.state_dict(), "cpu")
        self._generator_state = run.generator.get_state()
        if not incremental:
            self.calibration_residuals_ = start.residuals
        elif not hasattr(self, "calibration_residuals_"):
            self.calibration_residuals_ = None
        history = run.history
        keep = incremental  # partial_fit extends the curves
        old = list(getattr(self, "loss_curve_", [])) if keep else []
        old_val = list(getattr(self, "validation_loss_curve_", [])) if keep else []
        self.loss_curve_ = old + list(history.loss_curve)
        self.validation_loss_curve_ = old_val + list(history.validation_losses)
        self.n_iter_ = len(self.loss_curve_)
        self.best_loss_ = min(self.loss_curve_, default=math.inf)
        self.stop_reason_ = "partial_fit" if incremental else history.stop_reason

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
