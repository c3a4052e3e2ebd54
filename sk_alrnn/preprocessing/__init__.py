"""Preprocessing for sequences: transformers that read X as the estimators do.

Shapes: N sequences, T time steps, K features per step.

- :class:`SequenceScaler`: per-feature standardisation pooled over every valid
  time step of 3D, 2D (univariate) or ragged (list) sequences, so that
  ``make_pipeline(SequenceScaler(), ALRNNRegressor())`` scales sequences the way
  :class:`~sklearn.preprocessing.StandardScaler` scales tables.

Numpy and scikit-learn only: torch is never imported here.
"""

from sk_alrnn.preprocessing._scaler import SequenceScaler

__all__ = ["SequenceScaler"]
