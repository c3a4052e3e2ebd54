"""ALRNNClassifier: sequence classification (one label per sequence or per step).

Shapes: N sequences, T time steps, K features per step, C classes. Binary problems
use one logit (sigmoid); multiclass problems use C logits (softmax).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from scipy.special import log_expit, log_softmax
from torch.nn import functional as F

from sk_alrnn._core._validation import (
    _fit_context,
    check_classification_targets,
    column_or_1d,
)
from sk_alrnn._core._weights import apply_class_weight
from sk_alrnn._estimators._base import BaseALRNN
from sk_alrnn._estimators._docfrag import (
    AS_IN_FIT,
    FIT_SEQUENCES,
    LATENT_STATE,
    SEQUENCE_INPUTS,
    SEQUENCES,
    WEIGHTS_AS_IN_FIT,
    fill,
    sections,
)
from sk_alrnn._estimators._param_table import CLASSIFIER_PARAMS, constraints, fill_doc
from sk_alrnn._estimators._predict_mixins import SequenceClassifierMixin


@fill_doc
@fill(latent_state=LATENT_STATE, sequence_inputs=SEQUENCE_INPUTS)
class ALRNNClassifier(SequenceClassifierMixin, BaseALRNN):
    """Almost-linear RNN classifier trained with cross-entropy.

    {latent_state}; the logits are ``B z_t + b``: one
    logit (sigmoid) for two classes, one per class (softmax) otherwise. Labels may be
    of any type (ints, strings, ...).

    {sequence_inputs}

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    See Also
    --------
    ALRNNRegressor : The same model with a squared-error loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn import ALRNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 8, 1))
    >>> y = np.where(X.sum(axis=(1, 2)) > 0, "up", "down")
    >>> clf = ALRNNClassifier(n_hidden=8, n_nonlinear=2, max_iter=3, random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.classes_
    array(['down', 'up'], dtype='<U4')
    """

    _target_is_float = False
    _param_table: ClassVar[dict] = CLASSIFIER_PARAMS
    _parameter_constraints: ClassVar[dict] = constraints(CLASSIFIER_PARAMS)

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
        class_weight=None,
    ):
        super().__init__(
            n_hidden=n_hidden,
            n_nonlinear=n_nonlinear,
            activation=activation,
            init=init,
            output=output,
            max_iter=max_iter,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            alpha=alpha,
            mar_strength=mar_strength,
            mar_units=mar_units,
            clip_grad_norm=clip_grad_norm,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            n_init=n_init,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            device=device,
            dtype=dtype,
        )
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    @sections(
        FIT_SEQUENCES,
        """
        y : array-like
            ``output="last"``: (n_sequences,) labels. ``output="sequence"``:
            (n_sequences, n_timesteps) labels or a list of (n_timesteps_i,) arrays.
        """,
        """
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence in the loss (a weighted mean over each
            batch) and in the validation loss and accuracy; multiplied by
            ``class_weight``. With ``output="sequence"`` also one weight per
            step: (n_sequences, n_timesteps) or a list of (n_timesteps_i,)
            arrays. A weight of 0 drops the sequence (or step) from the fit.
        """,
        returns="self : ALRNNClassifier",
    )
    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences X and labels y."""
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    @sections(
        AS_IN_FIT.format(y="Labels"),
        """
        classes : array-like of shape (n_classes,), default=None
            All labels that may ever appear; required on the first call.
        """,
        WEIGHTS_AS_IN_FIT,
        returns="self : ALRNNClassifier",
    )
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch, starting from the current weights if fitted."""
        if not hasattr(self, "module_") and classes is None:
            raise ValueError(
                "ALRNNClassifier.partial_fit needs classes=... on its first call: "
                "pass every label that may appear, e.g. classes=np.unique(y_all)."
            )
        return self._fit(
            X, y, incremental=True, classes=classes, sample_weight=sample_weight
        )

    # -- hooks ---------------------------------------------------------------------
    def _encode_targets(self, y, seqs, first_pass, classes, weight):
        name = type(self).__name__
        sequence = self.output == "sequence"
        if not sequence:
            y = column_or_1d(y, warn=True)
        elif y.ndim != 2:
            raise ValueError(
                f"{name} with output='sequence' takes one label per step, y of shape "
                f"(n_sequences, n_timesteps); got {y.shape}."
            )
        valid = y[seqs.mask] if sequence else y  # (n_valid,)
        check_classification_targets(valid)
        if first_pass:
            labels = np.unique(valid) if classes is None else np.unique(classes)
            if len(labels) < 2:
                raise ValueError(
                    f"{name} needs at least 2 classes in y, got 1 class "
                    f"({labels[0]!r}). A classifier cannot learn from a single class; "
                    "check the labels or the train/test split."
                )
            self.classes_ = labels
        elif classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"{name}.partial_fit got classes={np.unique(classes).tolist()}, but "
                f"the first call fixed classes_={self.classes_.tolist()}; pass the "
                "same classes every time (or refit with fit())."
            )
        unknown = np.setdiff1d(valid, self.classes_)
        if unknown.size:
            raise ValueError(
                f"{name}: y contains labels {unknown.tolist()} that are not in "
                f"classes_ {self.classes_.tolist()}; pass all labels via `classes` on "
                "the first partial_fit call."
            )
        codes = np.zeros(y.shape, dtype=np.int64)
        if sequence:
            codes[seqs.mask] = np.searchsorted(self.classes_, valid)
        else:
            codes[:] = np.searchsorted(self.classes_, y)
        n_classes = len(self.classes_)
        return codes, 1 if n_classes == 2 else n_classes

    def _loss(self, out, y, mask, weight=None):
        out, y = _valid(out, y, mask)
        if weight is None:
            if out.shape[-1] == 1:
                return F.binary_cross_entropy_with_logits(out[:, 0], y.to(out.dtype))
            return F.cross_entropy(out, y)
        w = weight[mask] if mask is not None else weight.reshape(-1)  # (n,)
        if out.shape[-1] == 1:
            terms = F.binary_cross_entropy_with_logits(
                out[:, 0], y.to(out.dtype), reduction="none"
            )
        else:
            terms = F.cross_entropy(out, y, reduction="none")
        return (terms * w).sum() / w.sum().clamp_min(torch.finfo(w.dtype).tiny)

    def _loss_weights(self, targets, seqs, weight):
        """Sample weights times ``class_weight`` (the GRU/LSTM baselines have none)."""
        class_weight = getattr(self, "class_weight", None)
        if class_weight is None:
            return weight
        if isinstance(class_weight, dict):
            unknown = [k for k in class_weight if k not in set(self.classes_)]
            if unknown:
                raise ValueError(
                    f"{type(self).__name__}: class_weight names labels {unknown} "
                    f"that are not in y's classes {self.classes_.tolist()}; key it "
                    "by the labels of y."
                )
            codes = np.searchsorted(self.classes_, list(class_weight))
            class_weight = dict(zip(codes.tolist(), class_weight.values(), strict=True))
        mask = seqs.mask if self.output == "sequence" else None
        return apply_class_weight(class_weight, targets, mask, weight)

    def _constant_output(self, y, mask, weight=None):
        """Logits of the class frequencies in ``y`` (smoothed: no class has p=0)."""
        codes = y[mask] if mask is not None else y.reshape(-1)
        n_classes = len(self.classes_)
        if weight is not None:
            w = (weight[mask] if mask is not None else weight.reshape(-1)).double()
            counts = torch.bincount(codes, weights=w, minlength=n_classes)
            counts = counts / w.sum() * len(codes) + 0.5
        else:
            counts = torch.bincount(codes, minlength=n_classes).double() + 0.5
        log_p = torch.log(counts / counts.sum())  # (C,) float64
        if n_classes == 2:
            return log_p[1:] - log_p[:1]  # (1,): the one logit of two classes
        return log_p

    def _validation_score(self, out, y, mask, weight=None):
        out, y = _valid(out, y, mask)
        pred = (out[:, 0] > 0).long() if out.shape[-1] == 1 else out.argmax(-1)
        hits = (pred == y).to(torch.float64)
        if weight is None:
            return float(hits.mean())
        w = (weight[mask] if mask is not None else weight.reshape(-1)).double()
        return float((hits * w).sum() / w.sum())

    def _readout_affine(self, n_outputs):
        return np.ones(n_outputs), np.zeros(n_outputs)

    # -- prediction ----------------------------------------------------------------
    def _predict_as(self, X, method):
        """``method``'s values from the logits, per sequence or per step."""
        out, seqs = self._raw_predict(X)
        values = self._from_logits(out.astype(np.float64), method)
        if self.output == "sequence" and seqs.ragged:
            return seqs.unpad(values)
        return values

    def _from_logits(self, logits, method):
        """Scores, labels or (log) probabilities from logits (..., 1) or (..., C)."""
        if method == "decision_function":
            return logits[..., 0] if logits.shape[-1] == 1 else logits
        if method == "predict":
            return self.classes_[_codes(logits)]
        log_proba = _log_proba(logits)
        return log_proba if method == "predict_log_proba" else np.exp(log_proba)

    def _labels(self, logits):
        return self._from_logits(logits, "predict")

    def _score_rows(self, X, y, weights, metric):
        return self._score_valid_steps(
            X, y, weights, target_dtype=None, to_labels=self._labels, metric=metric
        )

    @sections(SEQUENCES, returns="scores : ndarray or list of ndarray")
    def decision_function(self, X):
        """Logits: (n_sequences,) for two classes, else (n_sequences, n_classes).

        With ``output="sequence"`` there is one more axis for the time steps.
        """
        return self._predict_as(X, "decision_function")

    @sections(SEQUENCES, returns="log_proba : ndarray or list of ndarray")
    def predict_log_proba(self, X):
        """Log class probabilities, shaped like :meth:`predict_proba`."""
        return self._predict_as(X, "predict_log_proba")


def _codes(logits: np.ndarray) -> np.ndarray:
    """Class indices from logits (..., 1) (binary) or (..., C)."""
    if logits.shape[-1] == 1:
        return (logits[..., 0] > 0).astype(np.int64)
    return logits.argmax(-1)


def _log_proba(logits: np.ndarray) -> np.ndarray:
    """Log class probabilities (..., C) from logits (..., 1) (binary) or (..., C)."""
    if logits.shape[-1] == 1:
        return np.concatenate([log_expit(-logits), log_expit(logits)], axis=-1)
    return log_softmax(logits, axis=-1)


def _valid(out, y, mask):
    """Logits (n, O) and codes (n,) of the valid steps (or sequences)."""
    if mask is not None:
        return out[mask], y[mask]  # (n_valid, O), (n_valid,)
    return out.reshape(-1, out.shape[-1]), y.reshape(-1)  # steps flattened
