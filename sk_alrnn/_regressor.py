"""ALRNNRegressor: sequence-to-one and sequence-to-sequence regression with an AL-RNN.

Shapes: N sequences, T time steps, K features per step, O outputs.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from sk_alrnn._base import BaseALRNN
from sk_alrnn._param_table import fill_doc
from sk_alrnn._validation import _fit_context


@fill_doc
class ALRNNRegressor(RegressorMixin, BaseALRNN):
    """Almost-linear RNN regressor trained with mean squared error.

    The latent state follows ``z_t = A z_{t-1} + W phi(z_{t-1}) + C x_t + h`` from
    ``z_0 = 0``, where ``phi`` is the identity on the first ``n_hidden - n_nonlinear``
    units and ReLU on the last ``n_nonlinear``; predictions are ``B z_t + b``.
    Targets are standardised internally (mean 0, variance 1 per output); the loss
    curve is in those units, predictions and :meth:`get_alrnn_params` in y's units.

    X is a 3D array (n_sequences, n_timesteps, n_features), a 2D array or
    DataFrame (n_sequences, n_timesteps) of univariate sequences, or a list of
    (n_timesteps_i, n_features) arrays of different lengths.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}
    n_outputs_ : int
        Number of regression targets.

    See Also
    --------
    ALRNNClassifier : The same model with a cross-entropy loss.

    Examples
    --------
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.datasets import make_addition_problem
    >>> X, y = make_addition_problem(n_samples=64, n_timesteps=10, random_state=0)
    >>> reg = ALRNNRegressor(n_hidden=8, n_nonlinear=2, max_iter=3, random_state=0)
    >>> reg.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _target_dtype = np.float64

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences X and targets y.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_timesteps, n_features) or \
(n_sequences, n_timesteps), or list of arrays
            Input sequences.
        y : array-like
            ``output="last"``: (n_sequences,) or (n_sequences, n_outputs).
            ``output="sequence"``: (n_sequences, n_timesteps[, n_outputs]) or a list
            of (n_timesteps_i[, n_outputs]) arrays.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence in the loss (a weighted mean over each
            batch), in the target scaling and in the validation loss. With
            ``output="sequence"`` also one weight per step: (n_sequences,
            n_timesteps) or a list of (n_timesteps_i,) arrays. A weight of 0
            drops the sequence (or step) from the fit.

        Returns
        -------
        self : ALRNNRegressor
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch, starting from the current weights if fitted.

        Parameters
        ----------
        X : array-like or list of arrays
            Input sequences, as in :meth:`fit`.
        y : array-like
            Targets, as in :meth:`fit`.
        sample_weight : array-like, default=None
            Weights, as in :meth:`fit`.

        Returns
        -------
        self : ALRNNRegressor
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    # -- hooks ---------------------------------------------------------------------
    def _encode_targets(self, y, seqs, first_pass, classes, weight):
        sequence = self.output == "sequence"
        single = y.ndim == (2 if sequence else 1)
        y = y[..., None] if single else y  # (N, O) or (N, T, O)
        valid = y[seqs.mask] if sequence else y  # (n_valid, O)
        if first_pass:
            self.n_outputs_ = y.shape[-1]
            self._single_output = single
            if weight is None:
                self._y_mean = valid.mean(axis=0)
                scale = valid.std(axis=0)
            else:  # weighted mean and standard deviation
                w = weight[seqs.mask] if sequence else weight
                self._y_mean = np.average(valid, axis=0, weights=w)
                scale = np.sqrt(
                    np.average((valid - self._y_mean) ** 2, axis=0, weights=w)
                )
            self._y_scale = np.where(scale > 0, scale, 1.0)
        elif y.shape[-1] != self.n_outputs_:
            raise ValueError(
                f"{type(self).__name__}: y has {y.shape[-1]} outputs but the model "
                f"was fitted with {self.n_outputs_}; keep the same targets when "
                "continuing training."
            )
        return (y - self._y_mean) / self._y_scale, self.n_outputs_

    def _loss(self, out, y, mask, weight=None):
        err = (out - y) ** 2  # (b, O) or (b, T, O)
        if weight is not None:  # (b,) or (b, T), zero on padding
            w = weight[..., None]  # (b, 1) or (b, T, 1)
            total = w.sum().clamp_min(torch.finfo(w.dtype).tiny) * err.shape[-1]
            return (err * w).sum() / total
        if mask is None:
            return err.mean()
        return err[mask].mean()  # valid steps only

    def _constant_output(self, y, mask, weight=None):
        valid = y[mask] if mask is not None else y.reshape(-1, y.shape[-1])
        if weight is not None:
            w = (weight[mask] if mask is not None else weight.reshape(-1))[:, None]
            return (valid * w).sum(0) / w.sum()  # (O,) weighted mean
        return valid.mean(0)  # (O,), about 0: y is standardised

    def _validation_score(self, out, y, mask, weight=None):
        if mask is not None:
            out, y = out[mask], y[mask]  # (n_valid, O)
        if weight is not None:
            w = (weight[mask] if mask is not None else weight)[:, None]  # (n, 1)
            mean = (y * w).sum(0) / w.sum()
            ss_res = (w * (y - out) ** 2).sum(0)
            ss_tot = (w * (y - mean) ** 2).sum(0)
        else:
            ss_res = ((y - out) ** 2).sum(0)
            ss_tot = ((y - y.mean(0)) ** 2).sum(0)
        r2 = 1 - ss_res / torch.clamp(ss_tot, min=torch.finfo(y.dtype).tiny)
        return float(r2.mean())

    def _readout_affine(self, n_outputs):
        return self._y_scale, self._y_mean

    # -- prediction ----------------------------------------------------------------
    def predict(self, X):
        """Predict targets for sequences X.

        Parameters
        ----------
        X : array-like or list of arrays
            Input sequences; their length may differ from those seen in fit.

        Returns
        -------
        y_pred : ndarray or list of ndarray
            ``output="last"``: (n_sequences,) or (n_sequences, n_outputs).
            ``output="sequence"``: (n_sequences, n_timesteps[, n_outputs]), or a
            list of per-sequence arrays when X was a ragged list.
        """
        out, seqs = self._raw_predict(X)
        y = self._unscale(out)
        if self._single_output:
            y = y[..., 0]
        if self.output == "sequence" and seqs.ragged:
            return seqs.unpad(y)
        return y

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions; over all valid steps when ``output="sequence"``.

        Parameters
        ----------
        X : array-like or list of arrays
            Input sequences.
        y : array-like
            True targets, shaped as in :meth:`fit`.
        sample_weight : array-like of shape (n_sequences,), optional
            Per-sequence weights (repeated over a sequence's steps).

        Returns
        -------
        score : float
        """
        if self.output == "last":
            return super().score(X, y, sample_weight=sample_weight)

        def r2(y_true, y_pred, sample_weight):
            n_valid = len(y_true)  # compare as (n_valid, O)
            return r2_score(
                y_true.reshape(n_valid, -1),
                y_pred.reshape(n_valid, -1),
                sample_weight=sample_weight,
            )

        return self._score_valid_steps(
            X, y, sample_weight, target_dtype=float, to_labels=self._unscale, metric=r2
        )

    def _unscale(self, out):
        return out.astype(np.float64) * self._y_scale + self._y_mean  # (N, T, O)
