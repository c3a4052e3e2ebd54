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
from sklearn.utils import check_random_state

from sk_alrnn._kernels.fpenv import flush_denormals
from sk_alrnn._model import ALRNN
from sk_alrnn._optim import make_adam
from sk_alrnn._param_table import DTYPES as _DTYPES
from sk_alrnn._param_table import SEQUENCE_PARAMS, constraints, fill_parameters
from sk_alrnn._params import ALRNNParams
from sk_alrnn._training import (
    DivergenceError,
    History,
    SequenceData,
    TrainConfig,
    copy_state,
    resolve_batch_size,
    resolve_device,
    resolve_patience,
    train,
)
from sk_alrnn._validation import (
    Sequences,
    check_is_fitted,
    check_sequences,
    check_targets,
)
from sk_alrnn._weights import check_sample_weight

_PREDICT_CHUNK = 4096  # sequences per forward pass at predict time
# early_stopping="auto" holds out a validation split from this many sequences on.
AUTO_VALIDATION_MIN = 100

ATTRIBUTES_DOC = """module_ : torch.nn.Module
        The fitted network (on the CPU).
    loss_curve_ : list of float
        Mean training loss per epoch, over all fits of a warm start or
        ``partial_fit`` sequence.
    n_iter_ : int
        Epochs trained in total.
    best_loss_ : float
        Lowest training loss seen.
    stop_reason_ : str
        Why the last fit ended: ``"converged"`` (the monitored loss stopped
        improving), ``"plateau"`` (it stopped improving while still within 10 %
        of a constant prediction's loss: the model learnt almost nothing, and
        fit warned), ``"max_iter"`` (the epoch budget ran out while the loss was
        still improving; fit warned), ``"interrupted"``, ``"diverged"`` or
        ``"partial_fit"``.
    validation_scores_ : list of float or None
        Validation score (R^2 or accuracy) per epoch with a validation split,
        else None.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch with a validation split, else None.
    best_validation_score_ : float or None
        Validation score of the kept epoch (the one with the lowest validation
        loss) with a validation split, else None.
    init_losses_ : list of float
        Monitored loss of each of the ``n_init`` initialisations (the kept one
        is the lowest).
    n_features_in_ : int
        Features per time step (K), not columns of a 2D X.
    feature_names_in_ : ndarray of shape (n_timesteps,)
        Column names (time steps) of a DataFrame X; set only then. A DataFrame
        passed later must have the same columns: pass a numpy array to predict
        sequences of another length."""


def fill_doc(cls):
    """Fill a class docstring: its parameters (``cls._param_table``), attributes."""
    cls = fill_parameters(cls)
    cls.__doc__ = cls.__doc__.replace("{attributes}", ATTRIBUTES_DOC)
    return cls


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

        An error before or without a completed epoch (bad input, divergence in the
        first epoch, Ctrl-C during validation) leaves the estimator as it was
        before the call. A fault after at least one completed epoch (divergence,
        KeyboardInterrupt) is raised after the completed epochs were kept: see
        :meth:`_fit_unsafe`.
        """
        before = dict(self.__dict__)
        try:
            fault = self._fit_unsafe(
                X, y, incremental=incremental, classes=classes, weights=sample_weight
            )
        except BaseException:
            # Nothing half-fitted: a failed fit leaves the estimator as it was.
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        if fault is not None:
            raise fault
        return self

    def _fit_unsafe(self, X, y, *, incremental, classes, weights=None):
        """Validate, train and store the result; return the fault that ended training.

        Faults policy (the README's "Faults during fit"):

        - ``KeyboardInterrupt``: the epochs completed so far are kept (weights at
          the end of the last one, or the best validation weights with a
          validation split), the estimator is fitted, a UserWarning says so and
          the interrupt is re-raised (a grid search stops). With ``n_init > 1``
          the best of the initialisations trained so far is kept.
        - divergence (non-finite loss, gradient, weights or outputs): detected before
          the optimizer step; the epochs completed before it are kept in the same
          way and a ``DivergenceError`` (a ``FloatingPointError`` and a
          ``ValueError``) naming the epoch and batch is raised.
        - with no completed epoch, either fault leaves the estimator as it was
          before the call (unfitted for a first fit, the previous model for
          ``warm_start``/``partial_fit``).
        """
        name = type(self).__name__
        fitted = hasattr(self, "module_")
        first_pass = not fitted or not (self.warm_start or incremental)
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
        seqs, y, weight = _drop_unweighted(seqs, y, weight)
        targets, n_outputs = self._encode_targets(y, seqs, first_pass, classes, weight)
        weight = self._loss_weights(targets, seqs, weight)
        device = resolve_device(self.device)
        y_dtype = torch_dtype if self._target_is_float else torch.int64
        data = _to_device(seqs, targets, device, torch_dtype, y_dtype, weight)
        validation = None
        if not incremental and self._holds_out_validation(len(data)):
            data, validation = _tail_split(data, self.validation_fraction, name)
        config = self._train_config(name, incremental, data, validation)

        runs = []  # (history, module, optimizer, generator) per initialisation
        for generator in self._generators(first_pass):
            if first_pass:
                module = self._make_module(
                    seqs.X.shape[2], n_outputs, generator, torch_dtype
                )
            else:
                module = copy.deepcopy(self.module_)  # the old model survives
            module.to(device)
            optimizer = _adam(module, self.learning_rate_init)
            if not first_pass:
                optimizer.load_state_dict(self._optimizer_state)
                for group in optimizer.param_groups:
                    group["lr"] = self.learning_rate_init
            try:
                history = train(
                    module,
                    optimizer,
                    data,
                    config,
                    self._loss,
                    generator,
                    validation=validation,
                    eval_fn=self._evaluate,
                )
            except DivergenceError as exc:  # keep what completed, raise it below
                history = exc.history
            runs.append((history, module, optimizer, generator))
            if history.fault is not None:
                break  # no further initialisations after a fault
        return self._keep_best(runs, first_pass, incremental, validation, name)

    def _keep_best(self, runs, first_pass, incremental, validation, name):
        """Store the best run (lowest kept loss); return the fault to raise, if any."""
        fault = runs[-1][0].fault
        done = [run for run in runs if run[0].loss_curve]
        if not done:
            if isinstance(fault, KeyboardInterrupt):
                warnings.warn(
                    f"{name}: training interrupted by the user before the first "
                    "epoch completed; the estimator is left as it was before this "
                    "call.",
                    UserWarning,
                    stacklevel=4,
                )
            raise fault  # _fit restores the estimator as it was
        history, module, optimizer, generator = min(
            done, key=lambda run: _kept_loss(run[0])
        )
        module.cpu()
        self.module_ = module
        self._optimizer_state = copy_state(optimizer.state_dict(), "cpu")
        self._generator_state = generator.get_state()  # uint8 tensor, for resuming
        self._fit_signature = self._signature()
        if first_pass:
            self.init_losses_ = [_kept_loss(run[0]) for run in done]
        old_curve = [] if first_pass else self.loss_curve_
        self.loss_curve_ = old_curve + history.loss_curve
        self.n_iter_ = len(self.loss_curve_)
        self.best_loss_ = min(self.loss_curve_, default=math.inf)
        self.stop_reason_ = "partial_fit" if incremental else history.stop_reason
        if validation is not None:
            self.validation_scores_ = history.validation_scores
            self.validation_loss_curve_ = history.validation_losses
            self.best_validation_score_ = history.best_validation_score
        else:
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None
        n_done = len(runs[-1][0].loss_curve)
        if isinstance(fault, KeyboardInterrupt):
            self.stop_reason_ = "interrupted"
            warnings.warn(
                f"{name}: training interrupted by the user after {n_done} epochs"
                + (
                    f" of initialisation {len(runs)}/{self.n_init}"
                    if len(runs) > 1
                    else ""
                )
                + "; the estimator is fitted with the weights of the last completed "
                "epoch (the best validation weights with a validation split"
                + (", and the best initialisation" if len(runs) > 1 else "")
                + "). fit(...) with warm_start=True resumes.",
                UserWarning,
                stacklevel=4,
            )
            return fault
        if isinstance(fault, FloatingPointError):
            self.stop_reason_ = "diverged"
            fault.args = (
                f"{fault} {name} keeps the {len(history.loss_curve)} epochs "
                f"completed before it (n_iter_={self.n_iter_}).",
            )
            return fault
        if not incremental:
            self._warn_stop(history, validation is not None, name)
        return None

    def _warn_stop(self, history: History, validated: bool, name: str) -> None:
        """ConvergenceWarning: stopped while still improving, or learnt nothing."""
        what = "validation loss" if validated else "training loss"
        if history.stop_reason == "max_iter":
            warnings.warn(
                f"{name}: reached max_iter={self.max_iter} epochs while the {what} "
                f"was still improving by more than tol={self.tol}. Raise max_iter "
                "(or learning_rate_init).",
                ConvergenceWarning,
                stacklevel=5,
            )
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

    def _generators(self, first_pass: bool):
        """One seeded torch.Generator per initialisation (the stored one to resume).

        The first seed is the one a single fit has always drawn from
        ``random_state``, so ``n_init=1`` reproduces it bitwise.
        """
        if not first_pass:
            generator = torch.Generator()
            generator.set_state(self._generator_state)  # the batch order goes on
            yield generator
            return
        rng = check_random_state(self.random_state)
        for _ in range(self.n_init):
            seed = int(rng.randint(np.iinfo(np.int32).max))
            yield torch.Generator().manual_seed(seed)

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
            _check_start(start, module, type(self).__name__)
            scale, offset = self._readout_affine(n_outputs)
            n_linear = self.n_hidden - self.n_nonlinear  # never slice with -P
            with torch.no_grad():
                for name, value in (
                    ("a", start.A[n_linear:]),
                    ("W", start.W),
                    ("C", start.C),
                    ("h", start.h),
                    ("B", start.B / scale[:, None]),  # (O, M)
                    ("b", (start.b - offset) / scale),  # (O,)
                ):
                    getattr(module, name).copy_(
                        torch.tensor(np.array(value), dtype=dtype)
                    )
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

        def arr(t):
            return t.detach().cpu().double().numpy()

        scale, offset = self._readout_affine(m.n_outputs)
        return ALRNNParams(
            A=arr(m.A),
            W=arr(m.W),
            C=arr(m.C),
            h=arr(m.h),
            B=scale[:, None] * arr(m.B),  # (O, M)
            b=scale * arr(m.b) + offset,  # (O,)
            n_nonlinear=m.n_nonlinear,
            activation=m.activation,
        )


def _check_start(start: ALRNNParams, module: ALRNN, name: str) -> None:
    """ValueError unless the starting weights ``init`` fit the network to train."""
    wanted = {
        "n_hidden": module.n_hidden,
        "n_nonlinear": module.n_nonlinear,
        "n_features": module.n_features,
        "n_outputs": module.n_outputs,
        "activation": module.activation,
    }
    given = {key: getattr(start, key) for key in wanted}
    wrong = {
        key: (given[key], want) for key, want in wanted.items() if given[key] != want
    }
    if wrong:
        shown = ", ".join(f"{k}={g!r} (needs {w!r})" for k, (g, w) in wrong.items())
        raise ValueError(
            f"{name}: init is an ALRNNParams that does not fit this model and "
            f"data: {shown}. Pass weights of a model with the same n_hidden, "
            "n_nonlinear and activation, fitted on data with as many features and "
            "outputs, or use a named init such as 'memory'."
        )


def _kept_loss(history: History) -> float:
    """Monitored loss of the weights a run keeps: best validation, else last epoch."""
    if history.validation_losses:
        return history.best_monitored
    return history.loss_curve[-1]


def _adam(module, lr):
    """Adam on torch's fused kernel (see ``_optim``: no torch._dynamo import)."""
    return make_adam(module, lr)


def _drop_unweighted(seqs: Sequences, y, weight):
    """Leave out the sequences of weight 0; no weights when the rest weigh the same.

    So a weight of 0 is the same fit as leaving the sequence out, and uniform
    weights the same fit as none, bitwise.
    """
    if weight is None:
        return seqs, y, None
    kept = weight.reshape(len(weight), -1).sum(axis=1) > 0  # (N,)
    if not kept.all():
        n_steps = int(seqs.lengths[kept].max())  # padding of the dropped ones too
        seqs = Sequences(seqs.X[kept, :n_steps], seqs.lengths[kept], seqs.ragged)
        y = y[kept, :n_steps] if weight.ndim == 2 else y[kept]
        weight = weight[kept, :n_steps] if weight.ndim == 2 else weight[kept]
    valid = weight[seqs.mask] if weight.ndim == 2 else weight
    if np.all(valid == valid[0]):
        weight = None
    return seqs, y, weight


def _to_device(
    seqs: Sequences, targets, device, x_dtype, y_dtype, weight=None
) -> SequenceData:
    uniform = bool(np.all(seqs.lengths == seqs.X.shape[1]))
    lengths = None if uniform else torch.tensor(seqs.lengths)
    return SequenceData(
        X=torch.tensor(seqs.X, dtype=x_dtype, device=device),
        lengths=None if uniform else lengths.to(device),
        y=torch.tensor(targets, dtype=y_dtype, device=device),
        lengths_cpu=lengths,
        weight=None
        if weight is None
        else torch.tensor(weight, dtype=x_dtype, device=device),
    )


def _tail_split(data: SequenceData, fraction: float, name: str):
    n = len(data)
    n_val = math.ceil(fraction * n)
    if n - n_val < 1:
        raise ValueError(
            f"{name}: early_stopping with validation_fraction={fraction} leaves no "
            f"training sequences out of {n}. Lower validation_fraction or pass more "
            "data."
        )
    return data.rows(slice(0, n - n_val)), data.rows(slice(n - n_val, n))
