"""SequenceScaler: per-feature standardisation pooled over every valid time step.

Shapes: N sequences, T time steps (the longest, for ragged input), K features per
step. Sequences come in as the estimators read them (see
:mod:`sk_alrnn._core._validation`): a 3D array (N, T, K), a 2D array (N, T) of
univariate sequences, or a list of (T_i, K) / (T_i,) arrays of different lengths.

Numpy and scikit-learn only: never imports torch.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sk_alrnn._core._validation import _fit_context, check_is_fitted, check_sequences

__all__ = ["SequenceScaler"]


def _compute_dtype(X) -> type:
    """float32 when every array given is float32 (kept, as sklearn's scalers do)."""
    items = X if isinstance(X, list | tuple) else [X]
    dtypes = {getattr(x, "dtype", None) for x in items}
    return np.float32 if dtypes == {np.dtype(np.float32)} else np.float64


def _is_constant(var: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    """Features whose variance is within float64 rounding of zero (K,) bool.

    The bound is the rounding error of a two-pass variance over n values, so a
    genuinely small (but non-zero) spread is still scaled.
    """
    eps = np.finfo(np.float64).eps
    return var <= n * eps * var + (n * mean * eps) ** 2


class SequenceScaler(TransformerMixin, BaseEstimator):
    """Standardise each feature over all valid time steps of all sequences.

    The mean and standard deviation of feature k are taken over every time step
    of every sequence (pooled), so a sequence model sees inputs of unit scale
    whatever the sequence lengths. Sequences of different lengths count only
    their own steps: nothing beyond a sequence's end enters the statistics or is
    returned. ``transform`` returns the container it received: a 3D array for a
    3D array, a 2D array for a 2D array (univariate sequences), and a list of
    arrays, each shaped like its input, for a list.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract each feature's mean.
    with_std : bool, default=True
        Divide each feature by its standard deviation; a feature that is constant
        on the data gets scale 1 (it is only centred).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features_in_,)
        Per-feature mean over the valid steps seen (float64), also when
        ``with_mean=False`` (then it is not subtracted).
    var_ : ndarray of shape (n_features_in_,)
        Per-feature (population) variance over the valid steps seen.
    scale_ : ndarray of shape (n_features_in_,)
        What each feature is divided by: ``sqrt(var_)``, 1 for constant features,
        all ones when ``with_std=False``.
    n_steps_seen_ : int
        Valid time steps behind the statistics (summed over sequences and, with
        :meth:`partial_fit`, over calls).
    n_features_in_ : int
        K, the features per time step (1 for a 2D X), as for the estimators: the
        sequence length may change between calls, K may not.
    feature_names_in_ : ndarray of shape (n_columns,)
        Column names of a DataFrame X, set only then. As for the estimators, a 2D
        DataFrame holds univariate sequences, so its columns are time steps.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : The same for tables (rows = samples).

    Notes
    -----
    In a pipeline (``make_pipeline(SequenceScaler(), ALRNNRegressor())``) the
    analysis and plotting functions of :mod:`sk_alrnn.analysis` and
    :mod:`sk_alrnn.plotting` accept the fitted pipeline and scale X themselves;
    given the bare estimator (``pipe[-1]``) they read X as it is passed, so pass
    ``pipe[:-1].transform(X)`` then.

    There is no ``get_feature_names_out``: the output is sequences, not a table,
    so ``set_output(transform="pandas")`` has no frame to build.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.preprocessing import SequenceScaler
    >>> X = [np.array([[0.0, 10.0], [2.0, 10.0]]), np.array([[4.0, 10.0]])]
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_, scaler.scale_
    (array([ 2., 10.]), array([1.63299316, 1.        ]))
    >>> [x.round(3).tolist() for x in scaler.transform(X)]
    [[[-1.225, 0.0], [0.0, 0.0]], [[1.225, 0.0]]]
    >>> scaler.inverse_transform(scaler.transform(X))[1]
    array([[ 4., 10.]])
    """

    _parameter_constraints: ClassVar[dict] = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the per-feature mean and standard deviation of X.

        Parameters
        ----------
        X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
            Sequences; a 2D array holds n univariate sequences.
        y : None
            Ignored (pipelines pass it along).

        Returns
        -------
        self : SequenceScaler
        """
        for name in ("mean_", "var_", "scale_", "n_steps_seen_"):
            self.__dict__.pop(name, None)  # a refit starts from scratch
        return self._update(X, reset=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the statistics with more sequences (or start them when unfitted).

        The result equals one :meth:`fit` on all the sequences seen so far.

        Parameters
        ----------
        X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
            More sequences with the same K; their lengths may differ.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceScaler

        Examples
        --------
        >>> import numpy as np
        >>> X = np.arange(12.0).reshape(2, 3, 2)
        >>> scaler = SequenceScaler().partial_fit(X[:1]).partial_fit(X[1:])
        >>> bool(np.allclose(scaler.mean_, SequenceScaler().fit(X).mean_))
        True
        """
        return self._update(X, reset=not hasattr(self, "n_steps_seen_"))

    def _update(self, X, *, reset: bool):
        seqs = check_sequences(self, X, reset=reset, dtype=_compute_dtype(X))
        values = seqs.X[seqs.mask].astype(np.float64)  # (n_valid_steps, K)
        n_new = values.shape[0]
        mean_new = values.mean(axis=0)  # (K,)
        m2_new = ((values - mean_new) ** 2).sum(axis=0)  # (K,)
        if reset:
            n, mean, m2 = n_new, mean_new, m2_new
        else:  # pooled update of two sets of moments (Chan, Golub & LeVeque)
            n_old = self.n_steps_seen_
            n = n_old + n_new
            delta = mean_new - self.mean_
            mean = self.mean_ + delta * (n_new / n)
            m2 = self.var_ * n_old + m2_new + delta**2 * (n_old * n_new / n)
        self.n_steps_seen_ = int(n)
        self.mean_ = mean
        self.var_ = m2 / n
        scale = np.sqrt(self.var_)
        scale[_is_constant(self.var_, mean, n)] = 1.0
        self.scale_ = scale if self.with_std else np.ones_like(scale)
        return self

    def transform(self, X):
        """Standardise X with the fitted statistics.

        Parameters
        ----------
        X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
            Sequences with the fitted K; lengths may differ from those in fit.

        Returns
        -------
        X_scaled : same container as X
            A 3D / 2D float array for a 3D / 2D X (float32 kept, else float64);
            a list of arrays shaped like X's items for a list.
        """
        check_is_fitted(self)
        return self._apply(X, inverse=False, reset_names=False)

    def inverse_transform(self, X):
        """Undo :meth:`transform`: ``X * scale_ + mean_`` on every valid step.

        Parameters
        ----------
        X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
            Scaled sequences, e.g. the output of :meth:`transform` (a plain
            array, so it is not checked against ``feature_names_in_``).

        Returns
        -------
        X_original : same container as X
        """
        check_is_fitted(self)
        return self._apply(X, inverse=True, reset_names=True)

    def _apply(self, X, *, inverse: bool, reset_names: bool):
        with warnings.catch_warnings():
            if reset_names:  # transform's output has no column names: fine here
                warnings.filterwarnings(
                    "ignore", message="X does not have valid feature names"
                )
            dtype = _compute_dtype(X)
            seqs = check_sequences(self, X, reset=False, dtype=dtype)
        mean = self.mean_ if self.with_mean else np.zeros_like(self.mean_)
        out = seqs.X.copy()  # (N, T, K); it may be a view of X, never modified
        valid = seqs.mask  # (N, T); padding of ragged input stays as it is
        if inverse:
            out[valid] = out[valid] * self.scale_ + mean
        else:
            out[valid] = (out[valid] - mean) / self.scale_
        if isinstance(X, list | tuple):
            items = seqs.unpad(out)  # N arrays (T_i, K)
            return [
                x.ravel() if np.ndim(x_in) == 1 else x
                for x, x_in in zip(items, X, strict=True)
            ]
        if np.ndim(X) == 2:
            return out[:, :, 0]  # (N, T, 1) -> (N, T), as given
        return out
