"""Non-recurrent reference models for sequences: what a sweep's rows are read against.

A constant prediction (the training mean, or the class frequencies) and a linear
model of the last steps' inputs (ridge regression or logistic regression on them,
flattened). They take the same inputs and targets as the AL-RNN estimators, so
any scorer that works for those works for these: if an AL-RNN row beats neither,
the recurrence adds nothing to the task.

Shapes: N sequences, T time steps (the longest), K features per step, L steps
given to the linear model, O outputs.
"""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_alrnn._core._validation import (
    Interval,
    StrOptions,
    _fit_context,
    check_classification_targets,
    check_is_fitted,
    check_sequences,
    check_targets,
    column_or_1d,
)
from sk_alrnn._estimators._docfrag import SEQUENCES, fill, sections
from sk_alrnn._estimators._predict_mixins import (
    SequenceClassifierMixin,
    SequenceRegressorMixin,
)

_RIDGE_ALPHAS = np.logspace(-3, 4, 15)
_LOGISTIC_CS = np.logspace(-3, 2, 6)
_MAX_CELLS = 10_000_000  # rows x features of the linear model's design matrix
_ATTRIBUTES = """model_ : estimator
    The fitted scikit-learn model on the flattened steps.
n_steps_ : int
    L, the steps of history each prediction reads."""


class _Reference(BaseEstimator):
    _parameter_constraints: ClassVar[dict] = {
        "kind": [StrOptions({"constant", "linear"})],
        "output": [StrOptions({"last", "sequence"})],
        "max_features": [Interval(Integral, 1, None, closed="left")],
    }
    _target_dtype = np.float64
    _rows_score_last = True  # y checked as for the AL-RNN estimators; no weights

    def __init__(self, kind="linear", output="last", max_features=2048):
        self.kind = kind
        self.output = output
        self.max_features = max_features

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _design(self, seqs, n_steps: int) -> np.ndarray:
        """Rows of flattened recent inputs: (N, L*K) or (n_valid, L*K)."""
        X, lengths = seqs.X, seqs.lengths  # (N, T, K), (N,)
        n, _, k = X.shape
        padded = np.concatenate([np.zeros((n, n_steps - 1, k), X.dtype), X], axis=1)
        if self.output == "last":
            rows, ends = np.arange(n), lengths - 1  # (N,), (N,)
        else:
            rows, ends = np.nonzero(seqs.mask)  # every valid step (n_valid,)
        window = ends[:, None] + np.arange(n_steps)[None, :]  # (rows, L) in padded
        return padded[rows[:, None], window].reshape(len(rows), n_steps * k)

    def _checked(self, X, y, *, reset: bool):
        """The validated sequences and targets: (N, ...) or (N, T, ...) padded."""
        seqs = check_sequences(self, X, reset=reset, dtype=np.float64)
        sequence = self.output == "sequence"
        name = type(self).__name__
        y = check_targets(
            y, seqs, sequence=sequence, name=name, dtype=self._target_dtype
        )
        return seqs, y

    def _fit_design(self, X, y):
        seqs, y = self._checked(X, y, reset=True)
        sequence = self.output == "sequence"
        rows = int(seqs.mask.sum()) if sequence else len(seqs.lengths)
        k = seqs.X.shape[2]
        budget = max(1, min(self.max_features, _MAX_CELLS // max(rows, 1)) // k)
        self.n_steps_ = int(min(seqs.X.shape[1], budget))  # L
        design = self._design(seqs, self.n_steps_)
        targets = y[seqs.mask] if sequence else y  # (rows, ...) per row
        return design, targets

    @_fit_context(prefer_skip_nested_validation=True)
    @sections(
        SEQUENCES,
        """
        y : array-like or list of arrays
            Targets (labels for a classifier), as for the AL-RNN estimators.
        """,
        returns="self : estimator",
    )
    def fit(self, X, y):
        """Fit to sequences X and targets y (as for ALRNNRegressor/ALRNNClassifier)."""
        design, targets = self._fit_design(X, y)
        model, targets = self._model(targets)
        self.model_ = model.fit(design, targets)
        return self

    def _predict_as(self, X, method: str):
        check_is_fitted(self)
        seqs = check_sequences(self, X, reset=False, dtype=np.float64)
        values = getattr(self.model_, method)(self._design(seqs, self.n_steps_))
        if self.output == "last":
            return values
        # back to (N, T, ...) with every valid step filled
        full = np.empty((*seqs.mask.shape, *values.shape[1:]), dtype=values.dtype)
        full[...] = values[0] if len(values) else 0
        full[seqs.mask] = values
        return seqs.unpad(full) if seqs.ragged else full

    def _score_rows(self, X, y, weights, metric):
        _no_weights(weights)
        seqs, y = self._checked(X, y, reset=False)
        pred = self.model_.predict(self._design(seqs, self.n_steps_))
        return metric(y[seqs.mask] if self.output == "sequence" else y, pred)


@fill(attributes=_ATTRIBUTES)
class ReferenceRegressor(SequenceRegressorMixin, _Reference):
    """A constant, or ridge regression on the last steps' inputs, for sequences.

    Takes the inputs and targets of :class:`~sk_alrnn.ALRNNRegressor` (3D arrays,
    2D univariate sequences or ragged lists; ``output="last"`` or
    ``"sequence"``) and scores R^2 the same way.

    Parameters
    ----------
    kind : {"linear", "constant"}, default="linear"
        ``"linear"``: standardised inputs of the last L steps, flattened, into
        ``RidgeCV`` (alphas 1e-3 .. 1e4); for ``output="sequence"`` each step
        sees the L steps up to it. ``"constant"``: the training mean.
    output : {"last", "sequence"}, default="last"
        One target per sequence (at its last step) or one per step.
    max_features : int, default=2048
        L * K stays at most this (and the design matrix at most 1e7 cells), so
        long sequences give the linear model their most recent steps only.

    Attributes
    ----------
    {attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.model_selection import ReferenceRegressor
    >>> X = np.random.RandomState(0).normal(size=(50, 6, 2))
    >>> y = X[:, -1, 0] - X[:, -2, 1]  # linear in the last steps
    >>> round(ReferenceRegressor().fit(X, y).score(X, y), 2)
    1.0
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _model(self, targets):
        """The unfitted model of the flattened steps, and its targets."""
        if self.kind == "constant":
            return DummyRegressor(strategy="mean"), targets
        return make_pipeline(StandardScaler(), RidgeCV(alphas=_RIDGE_ALPHAS)), targets


@fill(attributes=_ATTRIBUTES)
class ReferenceClassifier(SequenceClassifierMixin, _Reference):
    """The majority class, or logistic regression on the last steps' inputs.

    Takes the inputs and labels of :class:`~sk_alrnn.ALRNNClassifier` and
    scores accuracy the same way.

    Parameters
    ----------
    kind : {"linear", "constant"}, default="linear"
        ``"linear"``: standardised inputs of the last L steps, flattened, into
        ``LogisticRegression`` with C chosen from 1e-3 .. 1e2 by 3-fold
        cross-validated log-loss (C=1 when a class has fewer than 3 members).
        ``"constant"``: the class frequencies (predicts the majority class).
    output : {"last", "sequence"}, default="last"
        One label per sequence or one per step.
    max_features : int, default=2048
        L * K stays at most this (and the design matrix at most 1e7 cells).

    Attributes
    ----------
    {attributes}
    classes_ : ndarray
        The class labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.model_selection import ReferenceClassifier
    >>> X = np.random.RandomState(0).normal(size=(60, 5, 1))
    >>> y = X[:, -1, 0] > 0
    >>> ReferenceClassifier().fit(X, y).score(X, y) > 0.9
    True
    >>> ReferenceClassifier(kind="constant").fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _target_dtype = None

    def _model(self, targets):
        """The unfitted model of the flattened steps, and its labels (n_rows,)."""
        if self.output == "last":
            targets = column_or_1d(targets, warn=True)
        targets = np.asarray(targets).ravel()
        check_classification_targets(targets)
        self.classes_, counts = np.unique(targets, return_counts=True)
        if self.kind == "constant" or len(self.classes_) < 2:
            return DummyClassifier(strategy="prior"), targets
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        if counts.min() >= 3:  # choose C by 3-fold cross-validated log-loss
            grid = {"logisticregression__C": _LOGISTIC_CS}
            model = GridSearchCV(model, grid, cv=3, scoring="neg_log_loss")
        return model, targets


def _no_weights(sample_weight):
    if sample_weight is not None:
        raise ValueError(
            "The reference models score without sample weights; pass "
            "sample_weight=None."
        )
