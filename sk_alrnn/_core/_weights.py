"""Sample and class weights: validated once, as weights of the loss's terms.

Shapes: N sequences, T time steps (padded). A fit with ``output="last"`` weighs
each sequence, ``(N,)``; with ``output="sequence"`` every valid step, ``(N, T)``
with zeros on the padding (a per-sequence weight is repeated over its steps).
Numpy only.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight


def check_sample_weight(sample_weight, seqs, *, sequence: bool, name: str):
    """``sample_weight`` as float64 ``(N,)`` (or ``(N, T)`` for sequence outputs).

    Accepts None (returned as None), a scalar, an array of shape ``(N,)`` (one
    weight per sequence), and with ``sequence=True`` also ``(N, T)`` or a list of
    ``(T_i,)`` arrays (one weight per step; padding steps are ignored). Weights
    must be finite and non-negative, and not all zero.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> seqs = SimpleNamespace(lengths=np.array([2, 3]), mask=np.array(
    ...     [[True, True, False], [True, True, True]]))
    >>> check_sample_weight([1, 2], seqs, sequence=False, name="est")
    array([1., 2.])
    >>> check_sample_weight([1, 2], seqs, sequence=True, name="est")
    array([[1., 1., 0.],
           [2., 2., 2.]])
    """
    if sample_weight is None:
        return None
    lengths = np.asarray(seqs.lengths)
    n, n_steps = len(lengths), seqs.mask.shape[1]
    expected = f"(n_sequences,) = ({n},)"
    if sequence:
        expected += f", or one weight per step: ({n}, {n_steps}) or a list of {n} "
        expected += "arrays of each sequence's length"
    if isinstance(sample_weight, (list, tuple)) and sequence:
        if len(sample_weight) == n and any(np.ndim(w) == 1 for w in sample_weight):
            sample_weight = _pad_ragged(sample_weight, lengths, n_steps, name)
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name}: sample_weight must be numeric with shape {expected}; got "
            f"{type(sample_weight).__name__} that is not ({exc})."
        ) from None
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape not in ((n,), (n, n_steps)) or (w.ndim == 2 and not sequence):
        raise ValueError(
            f"{name}: sample_weight has shape {w.shape}; expected {expected}."
        )
    if sequence and w.ndim == 1:
        w = np.repeat(w[:, None], n_steps, axis=1)
    if w.ndim == 2:
        w = np.where(seqs.mask, w, 0.0)  # padding carries no weight
    if not np.all(np.isfinite(w)):
        raise ValueError(
            f"{name}: sample_weight contains NaN or infinity; expected finite "
            "weights >= 0."
        )
    if np.any(w < 0):
        raise ValueError(
            f"{name}: sample_weight has {int(np.sum(w < 0))} negative values (min "
            f"{w.min():.4g}); weights must be >= 0 (0 drops a sequence or step)."
        )
    if not np.any(w > 0):
        raise ValueError(
            f"{name}: every sample_weight is zero, so there is nothing to fit; "
            "give at least one sequence a positive weight."
        )
    return w


def _pad_ragged(weights, lengths, n_steps: int, name: str) -> np.ndarray:
    out = np.zeros((len(lengths), n_steps))
    for i, (w, length) in enumerate(zip(weights, lengths, strict=True)):
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (length,):
            raise ValueError(
                f"{name}: sample_weight[{i}] has shape {w.shape} but sequence {i} "
                f"has {length} steps; give one weight per step, or one number per "
                "sequence."
            )
        out[i, :length] = w
    return out


def apply_class_weight(class_weight, codes: np.ndarray, mask, weight):
    """Multiply ``weight`` by the ``class_weight`` of each target's class.

    ``codes`` are the encoded targets, ``(N,)`` or ``(N, T)`` (``mask`` marks the
    valid steps of the latter); ``class_weight`` is None, ``"balanced"`` or a
    dict keyed by class code, as in sklearn's linear models (``"balanced"``:
    ``n_samples / (n_classes * count)``, counted over valid steps and weighted
    by the sample weights). Returns None when neither weighting applies.

    Examples
    --------
    >>> import numpy as np
    >>> apply_class_weight("balanced", np.array([0, 0, 0, 1]), None, None)
    array([0.66666667, 0.66666667, 0.66666667, 2.        ])
    """
    if class_weight is None:
        return weight
    valid = codes if mask is None else codes[mask]
    base = None if weight is None else (weight if mask is None else weight[mask])
    factor = compute_sample_weight(class_weight, valid)
    if base is not None and isinstance(class_weight, str):
        # "balanced" over weighted counts: total weight / (classes * class weight)
        totals = np.bincount(valid, weights=base, minlength=valid.max() + 1)
        present = np.flatnonzero(totals > 0)  # classes with any weight
        per_class = np.zeros_like(totals)
        per_class[present] = base.sum() / (len(present) * totals[present])
        factor = per_class[valid]
    values = factor if base is None else factor * base
    if mask is None:
        return values
    out = np.zeros(codes.shape)
    out[mask] = values
    return out
