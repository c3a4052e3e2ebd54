"""The unit layout of an AL-RNN: which of the M latent units are ReLU (numpy only).

M latent units, P nonlinear (ReLU) units. The first M - P units are linear
(phi = identity), the last P are ReLU, as in the papers. Every module that needs
the split (the model, the kernels, the analysis) takes it from here.

Never slice with ``-P``: for P = 0, ``z[-0:]`` is ``z[0:]``, every unit, whereas
the ReLU units are none. Slice from ``M - P`` instead (``z[M:]`` is empty).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["floor", "n_linear", "phi", "relu_code", "relu_mask", "relu_units"]


def n_linear(n_hidden: int, n_nonlinear: int) -> int:
    """Number of linear units, M - P (the first M - P of the M units).

    >>> n_linear(4, 1), n_linear(4, 0)
    (3, 4)
    """
    if not 0 <= n_nonlinear <= n_hidden:
        raise ValueError(
            f"n_nonlinear must lie in [0, n_hidden={n_hidden}]; got {n_nonlinear}."
        )
    return n_hidden - n_nonlinear


def relu_units(n_hidden: int, n_nonlinear: int) -> slice:
    """Slice of the P ReLU units (the last P); empty for P = 0.

    >>> import numpy as np
    >>> z = np.arange(4)
    >>> z[relu_units(4, 1)], z[relu_units(4, 0)]
    (array([3]), array([], dtype=int64))
    """
    return slice(n_linear(n_hidden, n_nonlinear), n_hidden)


def relu_mask(n_hidden: int, n_nonlinear: int) -> np.ndarray:
    """(M,) bool, True on the P ReLU units.

    >>> relu_mask(3, 1)
    array([False, False,  True])
    """
    return np.arange(n_hidden) >= n_linear(n_hidden, n_nonlinear)


@functools.lru_cache(maxsize=32)  # one per shape; marked read-only, never written to
def floor(n_hidden: int, n_nonlinear: int, dtype=np.float64) -> np.ndarray:
    """(M,) -inf on the linear units, 0 on the ReLU units: ``phi(z) = max(z, floor)``.

    >>> floor(3, 1)
    array([-inf, -inf,   0.])
    """
    out = np.full(n_hidden, -np.inf, dtype=dtype)
    out[relu_units(n_hidden, n_nonlinear)] = 0
    out.flags.writeable = False
    return out


def phi(z: np.ndarray, n_nonlinear: int) -> np.ndarray:
    """phi(z) on the last axis (M): identity on the first M - P, ReLU on the last P.

    >>> import numpy as np
    >>> phi(np.array([-1.0, -2.0, 3.0]), 2)
    array([-1.,  0.,  3.])
    """
    out = np.array(z, copy=True)
    cut = relu_units(out.shape[-1], n_nonlinear)
    out[..., cut] = np.maximum(out[..., cut], 0.0)
    return out


def relu_code(z: np.ndarray, n_nonlinear: int) -> np.ndarray:
    """(..., P) bool, the region's bitcode: which of the last P units are > 0.

    >>> import numpy as np
    >>> relu_code(np.array([[1.0, 2.0, -3.0], [-1.0, 0.0, 3.0]]), 2)
    array([[ True, False],
           [False,  True]])
    """
    z = np.asarray(z)
    return z[..., relu_units(z.shape[-1], n_nonlinear)] > 0
