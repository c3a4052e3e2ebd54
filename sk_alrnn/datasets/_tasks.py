"""Sequence task generators. Shapes: N sequences, T time steps, K features per step."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state


def make_addition_problem(n_samples=1000, n_timesteps=20, *, random_state=None):
    """Hochreiter's adding problem: sum the two marked values of a sequence.

    Channel 0 holds values drawn from U(0, 1); channel 1 is 1 at two positions
    (one in the first half of the sequence, one in the second) and 0 elsewhere.
    The target is the sum of the two marked values. A linear RNN cannot solve it
    (the target is a product of its inputs); a few ReLU units can gate the values.

    Parameters
    ----------
    n_samples : int, default=1000
        N, the number of sequences.
    n_timesteps : int, default=20
        T, the sequence length (at least 2).
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, 2)
        Values (channel 0) and markers (channel 1).
    y : ndarray of shape (n_samples,)
        Sum of the two marked values, in [0, 2].

    Examples
    --------
    >>> X, y = make_addition_problem(n_samples=3, n_timesteps=6, random_state=0)
    >>> X.shape, y.shape
    ((3, 6, 2), (3,))
    >>> bool(np.allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=1)))
    True
    """
    n_samples, n_timesteps = int(n_samples), int(n_timesteps)
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1; got {n_samples}.")
    if n_timesteps < 2:
        raise ValueError(
            f"n_timesteps must be at least 2 (two marks); got {n_timesteps}."
        )
    rng = check_random_state(random_state)
    values = rng.uniform(0.0, 1.0, size=(n_samples, n_timesteps))  # (N, T)
    half = n_timesteps // 2
    first = rng.randint(0, half, size=n_samples)  # (N,)
    second = rng.randint(half, n_timesteps, size=n_samples)  # (N,)
    marks = np.zeros((n_samples, n_timesteps))  # (N, T)
    rows = np.arange(n_samples)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    X = np.stack([values, marks], axis=-1)  # (N, T, 2)
    y = values[rows, first] + values[rows, second]  # (N,)
    return X, y
