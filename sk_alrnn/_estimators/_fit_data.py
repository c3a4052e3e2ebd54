"""From validated numpy sequences to the SequenceData a fit trains on.

Dropping the sequences of weight 0, moving the arrays to the fit's device and
holding out the validation tail (``early_stopping``).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from sk_alrnn._core._validation import Sequences
from sk_alrnn._nn._training import SequenceData


def drop_unweighted(seqs: Sequences, y, weight):
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


def to_device(
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


def tail_split(data: SequenceData, fraction: float, name: str):
    n = len(data)
    n_val = math.ceil(fraction * n)
    if n - n_val < 1:
        raise ValueError(
            f"{name}: early_stopping with validation_fraction={fraction} leaves no "
            f"training sequences out of {n}. Lower validation_fraction or pass more "
            "data."
        )
    return data.rows(slice(0, n - n_val)), data.rows(slice(n - n_val, n))
