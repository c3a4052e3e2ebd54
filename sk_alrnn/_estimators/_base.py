"""BaseALRNN: parameters, validation, fit / partial_fit and prediction plumbing.

Shapes: N sequences, T time steps, K features per step, M latent units, P ReLU
units, O outputs. Subclasses say how targets are encoded, what the loss is, and how
raw outputs become predictions.
"""

from __future__ import annotations

import copy
import math
import warnings
from abc import ABCMeta, abstractmethod
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from sk_alrnn._core._params import ALRNNParams
from sk_alrnn._core._validation import (
    Sequences,
    check_is_fitted,
    check_sequences,
    check_targets,
)
from sk_alrnn._core._weights import check_sample_weight
from sk_alrnn._estimators._fit_data import drop_unweighted, tail_split, to_device
from sk_alrnn._estimators._fitting import (
    Run,
    best_run,
    finish,
    guarded_fit,
    seeded_generators,
    train_keeping_epochs,
    train_runs,
    warn_max_iter,
)
from sk_alrnn._estimators._param_table import DTYPES as _DTYPES
from sk_alrnn._estimators._param_table import SEQUENCE_PARAMS, constraints
from sk_alrnn._nn._kernels.fpenv import flush_denormals
from sk_alrnn._nn._model import ALRNN
from sk_alrnn._nn._optim import make_adam
from sk_alrnn._nn._training import (
    History,
    SequenceData,
    TrainConfig,
    copy_state,
    resolve_batch_size,
    resolve_device,
    resolve_patience,
)

_PREDICT_CHUNK = 4096  # sequences per forward pass at predict time
# early_stopping="auto" holds out a validation split from this many sequences on.
AUTO_VALIDATION_MIN = 100


class BaseALRNN(BaseEstimator, metaclass=ABCMeta):
    """Common machinery of ALRNNRegressor and ALRNNClassifier (not for direct use)."""

    # the parameters (defaults, constraints, docs) from the one table
    _param_table: ClassVar[dict] = SEQUENCE_PARAMS
    _parameter_constraints: ClassVar[dict] = constraints(SEQUENCE_PARAMS)

    def __init__(
        self,
        *,
        n_hidden=32,
        n_nonlinear=4,
        activation="relu",
        init="memory",
        output="last",
        max_iter=200,
        batch_size="auto",
        learning_rate_init=5e-3,
        learning_rate="cosine",
        alpha=0.0,
        mar_strength=0.0,
        mar_units=None,
        clip_grad_norm=5.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        n_init=1,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
        dtype="float32",
    ):
        self.n_hidden = n_hidden
        self.n_nonlinear = n_nonlinear
        self.activation = activation
        self.init = init
        self.output = output
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.mar_strength = mar_strength
        self.mar_units = mar_units
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

    # -- subclass hooks ------------------------------------------------------------
    @abstractmethod
    def _encode_targets(self, y, seqs: Sequences, first_pass: bool, classes, weight):
        """Return (targets for training as ndarray, number of outputs O).

        ``weight`` (None, or the loss weights of :func:`check_sample_weight`) is
        what statistics of the targets (a scaler) should weigh by.
        """

    @abstractmethod
    def _loss(self, out, y, mask, weight=None):
        """Mean loss over valid outputs (torch), weighted by ``weight`` if given."""

    @abstractmethod
    def _validation_score(self, out, y, mask, weight=None) -> float:
        """Score on held-out data (higher is better), in training units."""

    def _loss_weights(self, targets, seqs: Sequences, weight):
        """The loss weights of the training targets (hook: class weights)."""
        return weight

    @abstractmethod
    def _readout_affine(self, n_outputs):
        """(scale, offset) of shape (O,) that map the module's outputs to the
        exported readout (the targets' units)."""

    _target_dtype = None  # numpy dtype passed to check_targets (None: labels)
    _target_is_float = True  # training targets as the float dtype (else int64)

    # -- fitting -------------------------------------------------------------------
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "module_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    def _fit(self, X, y, *, incremental: bool, classes=None, sample_weight=None):
        """Fit, keeping the estimator consistent whatever goes wrong.

        The fault policy is :mod:`sk_alrnn._estimators._fitting`'s (the README's "Faults
        during fit"): a fault after completed epochs keeps them and is raised
        afterwards; an error before or without one leaves the estimator as it
        was before the call.
        """
        return guarded_fit(
            self,
            self._fit_unsafe,
            X,
            y,
            incremental=incremental,
            classes=classes,
            weights=sample_weight,
        )

    def _fit_unsafe(self, X, y, *, incremental, classes, weights=None):
        """Validate, train and store the result; return the fault that ended it."""
        name = type(self).__name__
        fitted = hasattr(self, "module_")
        first_pass = not fitted or not (self.warm_start or incremental)
        data, validation, n_features, n_outputs = self._fit_data(
            X, y, first_pass, incremental, classes, weights
        )
        config = self._train_config(name, incremental, data, validation)
        torch_dtype = _DTYPES[self.dtype][1]

        def train_one(generator) -> Run:
            if first_pass:
                module = self._make_module(
                    n_features, n_outputs, generator, torch_dtype
                )
            else:
                module = copy.deepcopy(self.module_)  # the old model survives
            module.to(data.X.device)
            optimizer = _adam(module, self.learning_rate_init)
            if not first_pass:
                optimizer.load_state_dict(self._optimizer_state)
                for group in optimizer.param_groups:
                    group["lr"] = self.learning_rate_init
            history = train_keeping_epochs(
                module, optimizer, data, config, self._loss, generator,
                validation=validation, eval_fn=self._evaluate,
            )  # fmt: skip
            completed = bool(history.loss_curve)
            monitored = _kept_loss(history) if completed else math.inf
            return Run(history, module, optimizer, generator, monitored, completed)

        state = None if first_pass else self._generator_state
        runs = train_runs(
            seeded_generators(self.random_state, self.n_init, state), train_one
        )
        best = best_run(runs, name)
        self._store(best, runs, first_pass, incremental, validation is not None)
        fault = finish(
            self, runs, best, n_init=self.n_init,
            kept="the weights of the last completed epoch (the best validation "
            "weights with a validation split)",
        )  # fmt: skip
        if fault is None and not incremental:
            self._warn_stop(best.history, validation is not None, name)
        return fault

    def _fit_data(self, X, y, first_pass, incremental, classes, weights):
        """Validated training (and validation) data, n_features and n_outputs."""
        name = type(self).__name__
        self._check_hyperparameters(name)
        if y is None:
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None."
            )
        if not first_pass:
            self._check_warm_start()
        np_dtype, torch_dtype = _DTYPES[self.dtype]
        sequence = self.output == "sequence"
        seqs = check_sequences(self, X, reset=first_pass, dtype=np_dtype)
        y = check_targets(
            y, seqs, sequence=sequence, name=name, dtype=self._target_dtype
        )
        weight = check_sample_weight(weights, seqs, sequence=sequence, name=name)
        seqs, y, weight = drop_unweighted(seqs, y, weight)
        targets, n_outputs = self._encode_targets(y, seqs, first_pass, classes, weight)
        weight = self._loss_weights(targets, seqs, weight)
        device = resolve_device(self.device)
        y_dtype = torch_dtype if self._target_is_float else torch.int64
        data = to_device(seqs, targets, device, torch_dtype, y_dtype, weight)
        validation = None
        if not incremental and self._holds_out_validation(len(data)):
            data, validation = tail_split(data, self.validation_fraction, name)
        return data, validation, seqs.X.shape[2], n_outputs

    def _store(self, run: Run, runs, first_pass, incremental, validated) -> None:
        """Fitted attributes from the kept run."""
        history = run.history
        run.module.cpu()
        self.module_ = run.module
        self._optimizer_state = copy_state(run.optimizer.state_dict(), "cpu")
        self._generator_state = run.generator.get_state()  # uint8, for resuming
        self._fit_signature = self._signature()
        if first_pass:
            self.init_losses_ = [r.monitored for r in runs if r.completed]
        old_curve = [] if first_pass else self.loss_curve_
        self.loss_curve_ = old_curve + history.loss_curve
        self.n_iter_ = len(self.loss_curve_)
        self.best_loss_ = min(self.loss_curve_, default=math.inf)
        self.stop_reason_ = "partial_fit" if incremental else history.stop_reason
        self.validation_scores_ = history.validation_scores if validated else None
        self.validation_loss_curve_ = history.validation_losses if validated else None
        self.best_validation_score_ = (
            history.best_validation_score if validated else None
        )

    def _warn_stop(self, history: History, validated: bool, name: str) -> None:
        """ConvergenceWarning: stopped while still improving, or learnt nothing."""
        what = "validation loss" if validated else "training loss"
        if history.stop_reason == "max_iter":
            warn_max_iter(name, self.max_iter, self.tol, what)
        elif history.stop_reason == "plateau":
            warnings.warn(
                f"{name}: stopped after {len(history.loss_curve)} epochs with a best "
                f"{what} of {history.best_monitored:.4g}, close to the "
                f"{self._trivial_name()}'s: the model learnt almost nothing. "
                "Recurrent losses often stay flat for many epochs before a gate or "
                "a memory is found: raise n_iter_no_change and max_iter, or try "
                "n_init > 1. A model that cannot represent the task (n_nonlinear=0 "
                "is a linear RNN) stops here too.",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _trivial_name(self) -> str:
        return "constant prediction"

    def _holds_out_validation(self, n_sequences: int) -> bool:
        """Whether this fit holds out a validation split (``early_stopping``)."""
        if self.early_stopping == "auto":
            return n_sequences >= AUTO_VALIDATION_MIN
        return bool(self.early_stopping)

    def _train_config(self, name, incremental, data, validation) -> TrainConfig:
        monitored = validation if validation is not None else data
        sequence = self.output == "sequence"
        return TrainConfig(
            max_iter=1 if incremental else self.max_iter,
            batch_size=resolve_batch_size(self.batch_size, len(data)),
            learning_rate_init=self.learning_rate_init,
            alpha=self.alpha,
            clip_grad_norm=self.clip_grad_norm,
            n_iter_no_change=resolve_patience(self.n_iter_no_change, self.max_iter),
            tol=self.tol,
            verbose=self.verbose,
            sequence=sequence,
            name=name,
            learning_rate="constant" if incremental else self.learning_rate,
            trivial_loss=self._trivial_loss(data, monitored, sequence),
            **self._regularization(),
        )

    def _regularization(self) -> dict:
        """MAR settings of the TrainConfig (hook: networks without MAR)."""
        units = self.n_hidden // 2 if self.mar_units is None else self.mar_units
        return {
            "mar_strength": float(self.mar_strength),
            "mar_units": min(int(units), self.n_hidden),
        }

    def _trivial_loss(self, fit: SequenceData, monitored: SequenceData, sequence):
        """Loss on ``monitored`` of the best constant output fitted on ``fit``."""
        with torch.no_grad():
            const = self._constant_output(*fit.targets(sequence))  # (O,)
            shape = monitored.y.shape[: 2 if sequence else 1] + const.shape
            out = const.expand(shape)  # (N, O) or (N, T, O)
            return self._evaluate(out, *monitored.targets(sequence))[0]

    def _evaluate(self, out, y, mask, weight=None) -> tuple[float, float]:
        """(loss, score) of outputs on held-out targets (no gradients).

        The loss is the class's training loss, looked up on the class so that
        only training batches go through the instance's ``_loss``.
        """
        with torch.no_grad():
            loss = float(type(self)._loss(self, out, y, mask, weight))
        return loss, self._validation_score(out, y, mask, weight)

    def _check_hyperparameters(self, name):
        """Cross-parameter checks that ``_parameter_constraints`` cannot express."""
        if self.n_nonlinear > self.n_hidden:
            raise ValueError(
                f"{name}: n_nonlinear={self.n_nonlinear} exceeds n_hidden="
                f"{self.n_hidden}; the number of ReLU units must lie in "
                f"[0, n_hidden]. Lower n_nonlinear or raise n_hidden."
            )

    def _make_module(self, n_features, n_outputs, generator, dtype):
        """A freshly initialised network (an ALRNN here).

        With ``init`` an :class:`ALRNNParams`, the network starts from those
        weights; its readout is mapped back from the targets' units.
        """
        start = self.init if isinstance(self.init, ALRNNParams) else None
        module = ALRNN(
            n_features,
            self.n_hidden,
            self.n_nonlinear,
            n_outputs,
            generator=generator,
            dtype=dtype,
            init="sequence" if start is not None else self.init,
            activation=self.activation,
        )
        if start is not None:
            scale, offset = self._readout_affine(n_outputs)
            module.load_params(start, scale, offset, type(self).__name__)
        return module

    def _signature(self):
        return (self.n_hidden, self.n_nonlinear, self.dtype, self.activation)

    def _check_warm_start(self):
        old = self._fit_signature
        if self._signature() != old:
            raise ValueError(
                f"{type(self).__name__}: cannot continue training (warm_start or "
                f"partial_fit) after changing n_hidden, n_nonlinear, dtype or "
                "activation "
                f"(fitted with {old}, now {self._signature()}). Set warm_start=False "
                "or refit with fit()."
            )

    # -- prediction ----------------------------------------------------------------
    def _raw_predict(self, X) -> tuple[np.ndarray, Sequences]:
        """Module outputs (N, O) or (N, T, O) as numpy, and the validated inputs."""
        check_is_fitted(self)
        module = self.module_
        np_dtype = _DTYPES[
            "float64" if next(module.parameters()).dtype == torch.float64 else "float32"
        ][0]
        seqs = check_sequences(self, X, reset=False, dtype=np_dtype)
        sequence = self.output == "sequence"
        outs = []
        with torch.no_grad(), flush_denormals():
            for begin in range(0, len(seqs.lengths), _PREDICT_CHUNK):
                rows = slice(begin, begin + _PREDICT_CHUNK)
                Xc = torch.tensor(seqs.X[rows])  # (n, T, K), a copy
                lengths = torch.tensor(seqs.lengths[rows])
                outs.append(module(Xc, lengths, sequence=sequence).numpy())
        return np.concatenate(outs), seqs

    def _score_valid_steps(
        self, X, y, sample_weight, *, target_dtype, to_labels, metric
    ):
        """Score ``metric(y_true, y_pred, sample_weight=...)`` over all valid steps.

        ``to_labels`` maps the raw outputs (N, T, O) to predictions; per-sequence
        weights are repeated over each sequence's steps.
        """
        out, seqs = self._raw_predict(X)
        name = type(self).__name__
        y = check_targets(y, seqs, sequence=True, name=name, dtype=target_dtype)
        mask = seqs.mask  # (N, T)
        weights = None
        if sample_weight is not None:
            weights = np.repeat(np.asarray(sample_weight, dtype=float), seqs.lengths)
        return metric(y[mask], to_labels(out)[mask], sample_weight=weights)

    def get_alrnn_params(self) -> ALRNNParams:
        """Frozen numpy snapshot of the fitted weights (float64).

        Running ``z_t = A*z_{t-1} + W phi(z_{t-1}) + C x_t + h`` from ``z_0 = 0`` and
        ``y_t = B z_t + b`` on the inputs reproduces ``predict`` for the regressor and
        the logits behind ``predict_proba`` for the classifier.

        Returns
        -------
        ALRNNParams

        Examples
        --------
        >>> import numpy as np
        >>> from sk_alrnn import ALRNNRegressor
        >>> X = np.random.RandomState(0).normal(size=(20, 5, 3))
        >>> reg = ALRNNRegressor(n_hidden=6, n_nonlinear=2, max_iter=2, random_state=0)
        >>> params = reg.fit(X, X.sum(axis=(1, 2))).get_alrnn_params()
        >>> params.A.shape, params.W.shape, params.C.shape, params.B.shape
        ((6,), (6, 6), (6, 3), (1, 6))
        >>> bool(np.all(params.A[:4] == 0))  # no A entry on the 4 linear units
        True
        """
        check_is_fitted(self)
        m = self.module_
        return m.to_params(*self._readout_affine(m.n_outputs))


def _kept_loss(history: History) -> float:
    """Monitored loss of the weights a run keeps: best validation, else last epoch."""
    if history.validation_losses:
        return history.best_monitored
    return history.loss_curve[-1]


def _adam(module, lr):
    """Adam on torch's fused kernel (see ``_optim``: no torch._dynamo import)."""
    return make_adam(module, lr)
