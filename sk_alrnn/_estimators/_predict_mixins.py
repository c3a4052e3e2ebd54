"""``predict``, ``predict_proba`` and ``score`` of every sequence estimator.

The AL-RNN estimators, the RNN baselines and the reference models of
:mod:`sk_alrnn.model_selection` answer the same calls with the same shapes, so
these public methods (and their docstrings) are written once, here; each
estimator supplies two hooks:

- ``_predict_as(X, method)``: the values of ``method`` (``"predict"``,
  ``"predict_proba"``, ...) per sequence, or per step for ``output="sequence"``
  (a list of per-sequence arrays when X was a ragged list);
- ``_score_rows(X, y, weights, metric)``: ``metric(y_true, y_pred,
  sample_weight=None)`` over every valid step for ``output="sequence"``; for
  ``output="last"`` the score is scikit-learn's (R^2 or accuracy of
  ``predict``), unless the estimator sets ``_rows_score_last`` to score its
  sequences through ``_score_rows`` too.

Shapes: n rows (sequences or valid steps), O outputs.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score

from sk_alrnn._estimators._docfrag import (
    SCORE,
    SEQUENCES,
    STEP_WEIGHTS,
    TRUE_VALUES,
    sections,
)


def r2_rows(y_true, y_pred, sample_weight=None) -> float:
    """R^2 of rows compared as (n, O), averaged over the outputs.

    Examples
    --------
    >>> import numpy as np
    >>> r2_rows(np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [3.0]]))
    1.0
    """
    n = len(y_true)
    return r2_score(
        y_true.reshape(n, -1), y_pred.reshape(n, -1), sample_weight=sample_weight
    )


def accuracy_rows(y_true, y_pred, sample_weight=None) -> float:
    """Accuracy of the labels, with ``y_true`` flattened to (n,).

    Examples
    --------
    >>> import numpy as np
    >>> accuracy_rows(np.array([["a"], ["b"]]), np.array(["a", "a"]))
    0.5
    """
    return accuracy_score(np.ravel(y_true), y_pred, sample_weight=sample_weight)


class _SequenceScoring:
    """The choice both ``score`` methods make: sklearn's score or ``_score_rows``."""

    _rows_score_last = False  # True: output="last" is scored by _score_rows too

    def _score(self, X, y, sample_weight, metric, sklearn_score):
        if self.output == "last" and not self._rows_score_last:
            return sklearn_score(self, X, y, sample_weight=sample_weight)
        return self._score_rows(X, y, sample_weight, metric)


class SequenceRegressorMixin(_SequenceScoring, RegressorMixin):
    """``predict`` and ``score`` (R^2) of the sequence regressors."""

    @sections(
        """
        X : array-like or list of arrays
            Input sequences; their length may differ from those seen in fit.
        """,
        returns="""
        y_pred : ndarray or list of ndarray
            ``output="last"``: (n_sequences,) or (n_sequences, n_outputs).
            ``output="sequence"``: (n_sequences, n_timesteps[, n_outputs]), or a
            list of per-sequence arrays when X was a ragged list.
        """,
    )
    def predict(self, X):
        """Predict targets for sequences X."""
        return self._predict_as(X, "predict")

    @sections(SEQUENCES, TRUE_VALUES.format(y="targets"), STEP_WEIGHTS, returns=SCORE)
    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions; over all valid steps when ``output="sequence"``."""
        return self._score(X, y, sample_weight, r2_rows, RegressorMixin.score)


class SequenceClassifierMixin(_SequenceScoring, ClassifierMixin):
    """``predict``, ``predict_proba`` and ``score`` (accuracy) of the classifiers."""

    @sections(SEQUENCES, returns="labels : ndarray or list of ndarray")
    def predict(self, X):
        """Predicted labels: (n_sequences,) or (n_sequences, n_timesteps)."""
        return self._predict_as(X, "predict")

    @sections(
        SEQUENCES,
        returns="proba : ndarray of shape (n_sequences, n_classes) or "
        "(n_sequences, n_timesteps, n_classes), or list of ndarray for ragged X",
    )
    def predict_proba(self, X):
        """Class probabilities; rows sum to 1, columns follow ``classes_``."""
        return self._predict_as(X, "predict_proba")

    @sections(SEQUENCES, TRUE_VALUES.format(y="labels"), STEP_WEIGHTS, returns=SCORE)
    def score(self, X, y, sample_weight=None):
        """Accuracy; over all valid steps when ``output="sequence"``."""
        return self._score(X, y, sample_weight, accuracy_rows, ClassifierMixin.score)
