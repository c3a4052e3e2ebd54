"""ALRNNRegressor: sequence-to-one and sequence-to-sequence regression with an AL-RNN.

Shapes: N sequences, T time steps, K features per step, O outputs.
"""

from __future__ import annotations

import numpy as np
import torch

from sk_alrnn._core._validation import _fit_context
from sk_alrnn._estimators._base import BaseALRNN
from sk_alrnn._estimators._docfrag import (
    AS_IN_FIT,
    FIT_SEQUENCES,
    LATENT_STATE,
    SEQUENCE_INPUTS,
    WEIGHTS_AS_IN_FIT,
    fill,
    sections,
)
from sk_alrnn._estimators._param_table import fill_doc
from sk_alrnn._estimators._predict_mixins import SequenceRegressorMixin


@fill_doc
@fill(latent_state=LATENT_STATE, sequence_inputs=SEQUENCE_INPUTS)
class ALRNNRegressor(SequenceRegressorMixin, BaseALRNN):
    """Almost-linear RNN regressor trained with mean squared error.

    {latent_state}; predictions are ``B z_t + b``.
    Targets are standardised internally (mean 0, variance 1 per output); the loss
    curve is in those units, predictions and :meth:`get_alrnn_params` in y's units.

    {sequence_inputs}

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
    @sections(
        FIT_SEQUENCES,
        """
        y : array-like
            ``output="last"``: (n_sequences,) or (n_sequences, n_outputs).
            ``output="sequence"``: (n_sequences, n_timesteps[, n_outputs]) or a list
            of (n_timesteps_i[, n_outputs]) arrays.
        """,
        """
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence in the loss (a weighted mean over each
            batch), in the target scaling and in the validation loss. With
            ``output="sequence"`` also one weight per step: (n_sequences,
            n_timesteps) or a list of (n_timesteps_i,) arrays. A weight of 0
            drops the sequence (or step) from the fit.
        """,
        returns="self : ALRNNRegressor",
    )
    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences X and targets y."""
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    @sections(
        AS_IN_FIT.format(y="Targets"),
        WEIGHTS_AS_IN_FIT,
        returns="self : ALRNNRegressor",
    )
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch, starting from the current weights if fitted."""
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
    def _predict_as(self, X, method):
        """Predictions in y's units; ``method`` is ``"predict"``, the only one."""
        out, seqs = self._raw_predict(X)
        y = self._unscale(out)
        if self._single_output:
            y = y[..., 0]
        if self.output == "sequence" and seqs.ragged:
            return seqs.unpad(y)
        return y

    def _score_rows(self, X, y, weights, metric):
        return self._score_valid_steps(
            X, y, weights, target_dtype=float, to_labels=self._unscale, metric=metric
        )

    def _unscale(self, out):
        return out.astype(np.float64) * self._y_scale + self._y_mean  # (N, T, O)
