"""Linear regions of a fitted AL-RNN: latent runs, bitcodes, linear maps, usage.

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), O outputs, R visited regions.

Numpy only. Every function takes an :class:`~sk_alrnn._core._params.ALRNNParams`, any
fitted object with a ``get_alrnn_params()`` method, or a fitted scikit-learn
Pipeline ending in one (duck typing, so this module never imports torch or an
estimator module). A Pipeline's steps before the model transform X first
(``pipeline[:-1].transform(X)``), so X is given in the pipeline's units; a bare
estimator reads X as it is passed, also when it was fitted inside a scaling
pipeline (then pass the scaled X).

Conventions
-----------
* The latent recursion is ``z_t = A*z_{t-1} + W phi(z_{t-1}) + C s_t + h`` from
  ``z_0 = 0``; trajectories hold ``z_1 .. z_T`` (the state after each update).
* The code at step t is ``z_t[M-P:] > 0`` (strict). As an integer the first ReLU
  unit is the most significant bit.
"""

from __future__ import annotations

import numpy as np

from sk_alrnn._core._layout import phi, relu_code, relu_units
from sk_alrnn._core._params import ALRNNParams
from sk_alrnn.analysis._docfrag import fill_examples
from sk_alrnn.analysis._inputs import (
    _as_sequences,
    _params_and_X,
    as_params,
)
from sk_alrnn.analysis._region_results import (
    NonlinearityUsage,
    RegionStatistics,
    Spectrum,
)

__all__ = [
    "NonlinearityUsage",
    "RegionStatistics",
    "Spectrum",
    "as_params",
    "codes_to_int",
    "int_to_code",
    "latent_trajectories",
    "nonlinearity_usage",
    "region_codes",
    "region_linear_map",
    "region_statistics",
    "spectrum",
]


def _rollout(params: ALRNNParams, x: np.ndarray) -> np.ndarray:
    """Latent states z_1..z_T of a batch x (n, T, K) -> (n, T, M)."""
    m, p = params.n_hidden, params.n_nonlinear
    n, t_len, _ = x.shape
    z = np.zeros((n, m))
    out = np.empty((n, t_len, m))
    drive = x @ params.C.T + params.h  # (n, T, K) @ (K, M) -> (n, T, M)
    for t in range(t_len):
        z = params.A * z + phi(z, p) @ params.W.T + drive[:, t]
        out[:, t] = z
    return out


def latent_trajectories(est_or_params, X):
    """Run the AL-RNN recursion in numpy and return the latent states.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
        A 2D array is read as n univariate sequences.

    Returns
    -------
    Z : ndarray of shape (n, T, M), or list of (T_i, M) arrays for list input
        ``Z[i, t - 1]`` is z_t, the state after the update at step t.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn import ALRNNParams
    >>> p = ALRNNParams(A=np.array([0.5]), W=np.zeros((1, 1)), C=np.ones((1, 1)),
    ...                 h=np.zeros(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=1)
    >>> latent_trajectories(p, np.ones((1, 3)))[0, :, 0]
    array([1.  , 1.5 , 1.75])
    """
    params, X = _params_and_X(est_or_params, X)
    seqs, ragged = _as_sequences(X, params.n_features)
    if not ragged:
        if not seqs:
            return np.zeros((0, 0, params.n_hidden))
        return _rollout(params, np.stack(seqs))
    return [_rollout(params, x[None])[0] for x in seqs]


def codes_to_int(codes: np.ndarray) -> np.ndarray:
    """Pack boolean codes (..., P) into integers, first unit = most significant bit.

    Parameters
    ----------
    codes : array-like of bool, shape (..., P)

    Returns
    -------
    ndarray of int64, shape (...)

    Examples
    --------
    >>> codes_to_int([[True, False], [False, True]])
    array([2, 1])
    """
    codes = np.asarray(codes, dtype=bool)
    p = codes.shape[-1]
    weights = 2 ** np.arange(p - 1, -1, -1, dtype=np.int64)  # (P,), MSB first
    return (codes.astype(np.int64) * weights).sum(axis=-1)


def int_to_code(index: int, n_nonlinear: int) -> np.ndarray:
    """Unpack an integer region index into a boolean code of length P.

    Parameters
    ----------
    index : int
    n_nonlinear : int
        P.

    Returns
    -------
    ndarray of bool, shape (P,)

    Examples
    --------
    >>> int_to_code(2, 3)
    array([False,  True, False])
    """
    shifts = np.arange(n_nonlinear - 1, -1, -1)
    return ((int(index) >> shifts) & 1).astype(bool)


@fill_examples
def region_codes(est_or_params, X):
    """Bitcodes ``z_t[M-P:] > 0`` of every step, as booleans and as integers.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays

    Returns
    -------
    codes : ndarray of bool, shape (n, T, P) (list of (T_i, P) for list input)
    ints : ndarray of int64, shape (n, T) (list of (T_i,) for list input)
        First ReLU unit is the most significant bit; with P = 0 all are 0.

    Examples
    --------
    {two_switch_model}
    >>> codes, ints = region_codes(p, np.array([[1.0, -1.0]]))
    >>> ints
    array([[2, 1]])
    """
    params, X = _params_and_X(est_or_params, X)
    z = latent_trajectories(params, X)
    if isinstance(z, list):
        codes = [relu_code(zi, params.n_nonlinear) for zi in z]  # (T_i, P)
        return codes, [codes_to_int(c) for c in codes]
    codes = relu_code(z, params.n_nonlinear)  # (n, T, P)
    return codes, codes_to_int(codes)


def region_linear_map(params, code) -> tuple[np.ndarray, np.ndarray]:
    """Linear map of one region: ``z_t = J z_{t-1} + offset + C s_t`` inside it.

    Parameters
    ----------
    params : ALRNNParams or fitted estimator
    code : array-like of bool, shape (P,), or int
        Region of z_{t-1}; an integer is unpacked with the first ReLU unit as
        the most significant bit.

    Returns
    -------
    J : ndarray of shape (M, M)
        ``diag(A) + W @ diag(d)`` with d = 1 on linear units and the code on the
        ReLU units.
    offset : ndarray of shape (M,)
        ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn import ALRNNParams
    >>> p = ALRNNParams(A=np.array([0.0, 0.5]), W=np.ones((2, 2)), C=np.zeros((2, 1)),
    ...                 h=np.ones(2), B=np.ones((1, 2)), b=np.zeros(1), n_nonlinear=1)
    >>> J, offset = region_linear_map(p, [False])
    >>> J
    array([[1. , 0. ],
           [1. , 0.5]])
    """
    params = as_params(params)
    m, p = params.n_hidden, params.n_nonlinear
    if np.isscalar(code) and not isinstance(code, (bool, np.bool_)):
        code = int_to_code(int(code), p)
    code = np.asarray(code, dtype=bool).reshape(-1)
    if code.shape != (p,):
        raise ValueError(
            f"code must have length P={p}; got shape {code.shape}. Pass one bool per "
            "ReLU unit or an integer in [0, 2**P)."
        )
    d = np.ones(m)
    d[relu_units(m, p)] = code  # linear units keep slope 1
    jac = np.diag(params.A) + params.W * d  # W @ diag(d): scale columns
    return jac, params.h.copy()


def spectrum(J, tol: float = 0.05) -> Spectrum:
    """Eigenvalues, spectral radius and slow modes (``|lambda|`` near 1) of J.

    Parameters
    ----------
    J : array-like of shape (M, M)
    tol : float, default=0.05
        A mode is slow when ``abs(abs(lambda) - 1) <= tol``.

    Returns
    -------
    Spectrum

    Examples
    --------
    >>> import numpy as np
    >>> s = spectrum(np.diag([0.2, 0.99]))
    >>> float(s.spectral_radius), s.slow_modes.real
    (0.99, array([0.99]))
    >>> s
    Spectrum(M=2, spectral_radius=0.99, n_slow=1)
    >>> s.to_frame()["slow"].tolist()
    [True, False]
    """
    J = np.asarray(J, dtype=np.float64)
    vals, vecs = np.linalg.eig(J)
    order = np.argsort(-np.abs(vals), kind="stable")
    vals, vecs = vals[order], vecs[:, order]
    slow = np.abs(np.abs(vals) - 1.0) <= tol
    radius = float(np.abs(vals).max()) if vals.size else 0.0
    return Spectrum(
        eigenvalues=vals,
        spectral_radius=radius,
        slow_modes=vals[slow],
        slow_vectors=vecs[:, slow],
    )


def nonlinearity_usage(est_or_params, X, threshold: float = 0.0) -> NonlinearityUsage:
    """Per ReLU unit: how often it is active and how often it switches on X.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
    threshold : float, default=0.0
        A unit counts towards ``effective_n_nonlinear`` when its switch rate is
        strictly greater than this (with 0: when it switches at least once).

    Returns
    -------
    NonlinearityUsage

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn import ALRNNParams
    >>> p = ALRNNParams(A=np.zeros(2), W=np.zeros((2, 2)), C=np.array([[1.], [0.]]),
    ...                 h=np.array([0.0, 1.0]), B=np.ones((1, 2)), b=np.zeros(1),
    ...                 n_nonlinear=2)
    >>> u = nonlinearity_usage(p, np.array([[1.0, -1.0, 1.0, -1.0]]))
    >>> u.active_fraction, u.switch_rate, u.effective_n_nonlinear
    (array([0.5, 1. ]), array([1., 0.]), 1)
    >>> u
    NonlinearityUsage(effective_n_nonlinear=1 of P=2, threshold=0, switching units: 10)
    >>> print(u.summary())
    1 of 2 ReLU units switch on X (switch rate > 0); the others act linearly there
      unit  active  switch rate  acts
         0   50.0%       1.0000  nonlinear
         1  100.0%       0.0000  linear on X
    """
    params, X = _params_and_X(est_or_params, X)
    p = params.n_nonlinear
    codes, _ = region_codes(params, X)
    if not isinstance(codes, list):
        codes = list(codes)  # n arrays of shape (T, P)
    n_steps = sum(c.shape[0] for c in codes)
    n_pairs = sum(max(c.shape[0] - 1, 0) for c in codes)
    active = sum((c.sum(axis=0) for c in codes), start=np.zeros(p))
    switches = sum((np.sum(c[1:] != c[:-1], axis=0) for c in codes), start=np.zeros(p))
    active_fraction = active / max(n_steps, 1)
    switch_rate = switches / max(n_pairs, 1)
    return NonlinearityUsage(
        active_fraction=active_fraction,
        switch_rate=switch_rate,
        effective_n_nonlinear=int(np.sum(switch_rate > threshold)),
        threshold=float(threshold),
    )


@fill_examples
def region_statistics(est_or_params, X, groups=None) -> RegionStatistics:
    """Visited regions, visit frequencies, dwell times and region transitions on X.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
    groups : array-like of shape (n,), default=None
        A label per sequence (class, task, ...); adds per-group region counts to
        answer "do groups share regions or use their own?".

    Returns
    -------
    RegionStatistics

    Notes
    -----
    Given a fitted Pipeline, X is in the pipeline's units: the steps before the
    model transform it, as ``predict`` does. Given the bare estimator of a
    scaling pipeline (``pipe[-1]``), X is read as passed: pass the scaled X
    (``pipe[:-1].transform(X)``) for the same result.

    Examples
    --------
    {switch_model}
    >>> st = region_statistics(p, np.array([[1.0, 1.0, -1.0], [-1.0, 1.0, 1.0]]),
    ...                        groups=["a", "b"])
    >>> st.regions, st.counts, st.dwell_times
    (array([1, 0]), array([4, 2]), array([2., 1.]))
    >>> st.transition_counts
    array([[0, 1],
           [1, 0]])
    >>> st.n_regions_per_group
    {'a': 2, 'b': 2}
    >>> st  # doctest: +NORMALIZE_WHITESPACE
    RegionStatistics(n_regions_visited=2 of 2**1, n_steps=6, top: 1 67%, 0 33%,
                     groups=2)
    >>> list(st.to_frame().columns)[-4:]
    ['visits', 'dwell_time', 'count_a', 'count_b']
    """
    params, X = _params_and_X(est_or_params, X)
    p = params.n_nonlinear
    _, ints = region_codes(params, X)
    seqs = list(ints)  # n arrays of shape (T_i,)
    flat = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.int64)
    uniq, counts = np.unique(flat, return_counts=True)
    order = np.lexsort((uniq, -counts))  # most visited first, ties by code
    regions, counts = uniq[order], counts[order]
    index = {int(r): i for i, r in enumerate(regions)}
    n_reg = len(regions)
    visits = np.zeros(n_reg, dtype=np.int64)
    trans = np.zeros((n_reg, n_reg), dtype=np.int64)
    for seq in seqs:
        if seq.size == 0:
            continue
        keep = np.ones(seq.size, dtype=bool)
        keep[1:] = seq[1:] != seq[:-1]  # collapse consecutive duplicates
        runs = np.array([index[int(r)] for r in seq[keep]])
        np.add.at(visits, runs, 1)
        np.add.at(trans, (runs[:-1], runs[1:]), 1)
    row = trans.sum(axis=1, keepdims=True)
    matrix = np.divide(trans, row, out=np.zeros(trans.shape), where=row > 0)
    total = max(int(counts.sum()), 1)
    group_labels = group_counts = per_group = None
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (len(seqs),):
            raise ValueError(
                f"groups must have one label per sequence, shape ({len(seqs)},); "
                f"got shape {groups.shape}."
            )
        group_labels = np.unique(groups)
        group_counts = np.zeros((len(group_labels), n_reg), dtype=np.int64)
        for label, seq in zip(groups, seqs, strict=True):
            g = int(np.searchsorted(group_labels, label))
            np.add.at(group_counts[g], [index[int(r)] for r in seq], 1)
        per_group = {
            label.item(): int(np.count_nonzero(group_counts[g]))
            for g, label in enumerate(group_labels)
        }
    return RegionStatistics(
        regions=regions.astype(np.int64),
        codes=np.array([int_to_code(r, p) for r in regions], dtype=bool).reshape(
            n_reg, p
        ),
        counts=counts.astype(np.int64),
        frequencies=counts / total,
        visits=visits,
        dwell_times=counts / np.maximum(visits, 1),
        transition_counts=trans,
        transition_matrix=matrix,
        n_regions=n_reg,
        groups=group_labels,
        group_counts=group_counts,
        n_regions_per_group=per_group,
    )
