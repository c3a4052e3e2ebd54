"""Fixed points and periodic orbits of an AL-RNN, region by region.

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), k orbit period.

Numpy only. Inside region Omega (the code of ``z_{t-1}``) the map is affine,
``z_t = J_Omega z_{t-1} + c`` with ``c = h + C s`` for a constant input s, so each
candidate is the solution of one linear system. A candidate is *real* when it lies
in the region(s) it was solved for, else *virtual* (it steers the flow but is never
reached).
"""

from __future__ import annotations

import itertools

import numpy as np

from sk_alrnn._core._layout import phi, relu_code
from sk_alrnn._core._params import ALRNNParams
from sk_alrnn.analysis._docfrag import fill_examples
from sk_alrnn.analysis._inputs import _params_and_X, _pipeline_input
from sk_alrnn.analysis._point_results import (
    Cycle,
    CycleList,
    FixedPoint,
    FixedPointList,
)
from sk_alrnn.analysis._region_results import _radius
from sk_alrnn.analysis._regions import (
    codes_to_int,
    int_to_code,
    region_codes,
    region_linear_map,
)

__all__ = [
    "Cycle",
    "CycleList",
    "FixedPoint",
    "FixedPointList",
    "cycles",
    "fixed_points",
]

#: Largest P for which every one of the 2**P regions is enumerated by default.
MAX_ENUMERATED_P = 12


def _offset(params: ALRNNParams, input) -> np.ndarray:
    """Constant drive ``c = h + C s`` (M,) for input s (K,) or None (s = 0)."""
    if input is None:
        return params.h.copy()
    s = np.asarray(input, dtype=np.float64).reshape(-1)
    if s.shape != (params.n_features,):
        raise ValueError(
            f"input must be one constant input vector of shape "
            f"({params.n_features},); got shape {s.shape}."
        )
    return params.h + params.C @ s


def _solve(F: np.ndarray, g: np.ndarray, rtol: float) -> tuple[np.ndarray, bool] | None:
    """Solve ``(I - F) z = g``; least squares if singular, None if inconsistent."""
    m = F.shape[0]
    lhs = np.eye(m) - F
    sv = np.linalg.svd(lhs, compute_uv=False)  # (M,), descending
    scale = max(sv[0] if sv.size else 0.0, 1.0)
    if sv.size == 0 or sv[-1] > rtol * scale:
        return np.linalg.solve(lhs, g), False
    z = np.linalg.lstsq(lhs, g, rcond=rtol)[0]
    if np.linalg.norm(lhs @ z - g) > 1e-8 * max(np.linalg.norm(g), 1.0):
        return None  # no fixed point in this region
    return z, True


def _step(params: ALRNNParams, z: np.ndarray, c: np.ndarray) -> np.ndarray:
    """One step of the true map ``f(z) = A*z + W phi(z) + c``."""
    return params.A * z + params.W @ phi(z, params.n_nonlinear) + c


def _visited_regions(params: ALRNNParams, X) -> list[np.ndarray]:
    """Integer region sequences (T_i,) seen on X."""
    if X is None:
        raise ValueError(
            f"P={params.n_nonlinear} is too large to enumerate all regions; pass "
            "X=... (sequences) so the regions visited on X are used instead."
        )
    _, ints = region_codes(params, X)
    return list(ints)


@fill_examples
def fixed_points(
    params,
    input=None,
    regions=None,
    X=None,
    *,
    rtol: float = 1e-10,
) -> list[FixedPoint]:
    """Fixed point of the affine map of each region, real or virtual, with stability.

    Parameters
    ----------
    params : ALRNNParams, fitted estimator or fitted Pipeline
        A Pipeline transforms X, and ``input`` as one step, with the steps
        before its model (see :func:`~sk_alrnn.analysis.region_statistics`).
    input : array-like of shape (K,), default=None
        Constant input s; None means s = 0 (the autonomous system). For a
        Pipeline, ``input`` is in the units of its X, while None is s = 0 as the
        model sees it (after a SequenceScaler: the mean input).
    regions : {"all", "visited"} or array-like of int, default=None
        Regions to solve in. None means "all" when ``P <= 12``, else "visited".
        "visited" needs X and uses the regions seen on X.
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
        Sequences for ``regions="visited"``.
    rtol : float, default=1e-10
        ``I - J`` counts as singular when its smallest singular value is below
        ``rtol`` times its largest; regions with an inconsistent singular system
        (no fixed point) are left out, consistent ones are flagged ``singular``.

    Returns
    -------
    FixedPointList
        A list of :class:`FixedPoint`, one per region that has a fixed point, in
        increasing region order (with ``summary()`` and ``to_frame()``).

    Examples
    --------
    {fixed_point_model}
    >>> for fp in fixed_points(p):
    ...     print(fp.region, fp.z.round(3), fp.is_real, fp.stable)
    0 [2.] False True
    1 [0.667] True True
    """
    model = params
    params, X = _params_and_X(model, X)
    p = params.n_nonlinear
    c = _offset(params, _pipeline_input(model, input))
    if regions is None:
        regions = "all" if p <= MAX_ENUMERATED_P else "visited"
    if isinstance(regions, str):
        if regions == "all":
            region_list = range(2**p)
        elif regions == "visited":
            seqs = _visited_regions(params, X)
            region_list = np.unique(np.concatenate(seqs)) if seqs else []
        else:
            raise ValueError(
                f'regions must be "all", "visited", None or a list of region '
                f"integers; got {regions!r}."
            )
    else:
        region_list = np.unique(np.asarray(regions, dtype=np.int64))
    out = FixedPointList()
    for r in region_list:
        code = int_to_code(int(r), p)
        J, _ = region_linear_map(params, code)
        solved = _solve(J, c, rtol)
        if solved is None:
            continue
        z, singular = solved
        eig = np.linalg.eigvals(J)
        eig = eig[np.argsort(-np.abs(eig), kind="stable")]
        radius = _radius(eig)
        out.append(
            FixedPoint(
                z=z,
                code=code,
                region=int(r),
                is_real=bool(np.array_equal(relu_code(z, params.n_nonlinear), code)),
                eigenvalues=eig,
                stable=bool(radius < 1.0 and not singular),
                singular=singular,
            )
        )
    return out


def _canonical(seq: tuple[int, ...]) -> bool:
    """True when seq is the least rotation of itself and has minimal period len(seq)."""
    k = len(seq)
    rotations = [seq[j:] + seq[:j] for j in range(1, k)]
    return all(seq < rot for rot in rotations)  # equality means a shorter period


def _candidate_sequences(params, k, X, max_sequences) -> list[tuple[int, ...]]:
    """Canonical region sequences of length k: all of them, or those seen on X."""
    p = params.n_nonlinear
    if 2 ** (p * k) <= max_sequences:
        every = itertools.product(range(2**p), repeat=k)
        return [s for s in every if _canonical(s)]
    seen = set()
    for seq in _visited_regions(params, X):
        for j in range(len(seq) - k + 1):
            window = tuple(int(r) for r in seq[j : j + k])
            rots = [window[i:] + window[:i] for i in range(k)]
            least = min(rots)
            if _canonical(least):
                seen.add(least)
    return sorted(seen)


@fill_examples
def cycles(
    params,
    k_max: int,
    input=None,
    *,
    k_min: int = 2,
    X=None,
    max_sequences: int = 4096,
    include_virtual: bool = False,
    rtol: float = 1e-10,
    atol: float = 1e-8,
) -> list[Cycle]:
    """Periodic orbits of period ``k_min <= k <= k_max`` from the k-step affine maps.

    For each region sequence ``(O_1, ..., O_k)`` the k-step map is affine,
    ``z -> F z + g`` with ``F = J_k ... J_1``; its fixed point is iterated through
    the true map to check that it visits exactly those regions and returns.

    Parameters
    ----------
    params : ALRNNParams, fitted estimator or fitted Pipeline
        A Pipeline transforms X and ``input`` as in :func:`fixed_points`.
    k_max : int
        Largest period searched.
    input : array-like of shape (K,), default=None
        Constant input s; None means s = 0.
    k_min : int, default=2
        Smallest period searched (period 1 are the fixed points).
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
        When ``2**(P*k) > max_sequences`` only the length-k region sequences seen
        on X are tried (X is then required).
    max_sequences : int, default=4096
        Largest number of region sequences enumerated exhaustively per period.
    include_virtual : bool, default=False
        Also return candidates that fail the self-consistency check.
    rtol : float, default=1e-10
        Singularity tolerance of ``I - F`` (see :func:`fixed_points`).
    atol : float, default=1e-8
        Tolerance of the return check ``f^k(z) == z``.

    Returns
    -------
    CycleList
        A list of :class:`Cycle`, each orbit once (its region sequence is the
        least rotation), by period (with ``summary()`` and ``to_frame()``).

    Examples
    --------
    {cycle_model}
    >>> (cyc,) = cycles(p, k_max=3)
    >>> cyc.points.ravel().round(4), cyc.regions, cyc.stable
    (array([-0.2857,  0.8571]), array([0, 1]), True)
    """
    model = params
    params, X = _params_and_X(model, X)
    if k_min < 1 or k_max < k_min:
        raise ValueError(
            f"Periods must satisfy 1 <= k_min <= k_max; got k_min={k_min}, "
            f"k_max={k_max}."
        )
    p = params.n_nonlinear
    c = _offset(params, _pipeline_input(model, input))
    maps = {}  # region -> J
    out = CycleList()
    for k in range(k_min, k_max + 1):
        for seq in _candidate_sequences(params, k, X, max_sequences):
            F = np.eye(params.n_hidden)
            g = np.zeros(params.n_hidden)
            for r in seq:  # compose z -> J_r z + c, first region first
                if r not in maps:
                    maps[r] = region_linear_map(params, r)[0]
                F = maps[r] @ F
                g = maps[r] @ g + c
            solved = _solve(F, g, rtol)
            if solved is None:
                continue
            z0, singular = solved
            points = [z0]
            for _ in range(k - 1):
                points.append(_step(params, points[-1], c))
            points = np.array(points)  # (k, M)
            back = _step(params, points[-1], c)
            visited = codes_to_int(relu_code(points, p).reshape(k, p))
            scale = max(np.abs(points).max(), 1.0)
            distinct = all(
                np.abs(points[j] - points[0]).max() > atol * scale for j in range(1, k)
            )
            is_real = bool(
                np.array_equal(visited, seq)
                and np.abs(back - points[0]).max() <= atol * scale
                and distinct
            )
            if not (is_real or include_virtual):
                continue
            eig = np.linalg.eigvals(F)
            eig = eig[np.argsort(-np.abs(eig), kind="stable")]
            radius = _radius(eig)
            regions = np.array(seq, dtype=np.int64)
            out.append(
                Cycle(
                    points=points,
                    codes=np.array([int_to_code(r, p) for r in seq]).reshape(k, p),
                    regions=regions,
                    is_real=is_real,
                    eigenvalues=eig,
                    stable=bool(radius < 1.0 and not singular),
                    singular=singular,
                )
            )
    return out
