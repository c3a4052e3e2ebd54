"""Linear regions of a fitted AL-RNN: latent runs, bitcodes, linear maps, usage.

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), O outputs, R visited regions.

Numpy only. Every function takes an :class:`~sk_alrnn._params.ALRNNParams`, any
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

from dataclasses import dataclass

import numpy as np

from sk_alrnn._layout import phi, relu_units
from sk_alrnn._pandas import _require_pandas
from sk_alrnn._params import ALRNNParams

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


def _pipeline_steps(model) -> list | None:
    """The ``(name, step)`` list of a scikit-learn Pipeline, else None (duck typed)."""
    steps = getattr(model, "steps", None)
    if not isinstance(steps, list) or not hasattr(model, "__getitem__"):
        return None
    if not all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        return None
    return steps


def as_params(est_or_params) -> ALRNNParams:
    """Return the :class:`ALRNNParams` of a fitted model or the params themselves.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
        An estimator is read through its ``get_alrnn_params()``; a
        :class:`~sklearn.pipeline.Pipeline` through its last step's (the steps
        before it transform X, see :func:`region_statistics`).

    Returns
    -------
    ALRNNParams

    Raises
    ------
    TypeError
        For anything else, including a Pipeline whose last step is not an AL-RNN.
    sklearn.exceptions.NotFittedError
        For an unfitted estimator or Pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn._params import ALRNNParams
    >>> p = ALRNNParams(A=np.zeros(1), W=np.eye(1), C=np.ones((1, 1)),
    ...                 h=np.zeros(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=0)
    >>> as_params(p) is p
    True

    A fitted Pipeline gives its last step's params:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.preprocessing import SequenceScaler
    >>> X = np.random.RandomState(0).normal(size=(8, 4, 2))
    >>> pipe = make_pipeline(SequenceScaler(), ALRNNRegressor(
    ...     n_hidden=3, n_nonlinear=1, max_iter=1, random_state=0))
    >>> as_params(pipe.fit(X, X.sum(axis=(1, 2)))).n_hidden
    3
    """
    if isinstance(est_or_params, ALRNNParams):
        return _piecewise_linear(est_or_params)
    steps = _pipeline_steps(est_or_params)
    if steps is not None:
        return _piecewise_linear(_pipeline_params(est_or_params, steps))
    getter = getattr(est_or_params, "get_alrnn_params", None)
    if callable(getter):
        return _piecewise_linear(getter())
    raise TypeError(
        "Expected an ALRNNParams, a fitted AL-RNN estimator (with "
        "get_alrnn_params()) or a fitted Pipeline ending in one; got "
        f"{type(est_or_params).__name__}. Pass est.get_alrnn_params() or the "
        "fitted estimator itself."
    )


def _piecewise_linear(params: ALRNNParams) -> ALRNNParams:
    """``params`` if its nonlinear units are ReLU; the analysis needs regions."""
    if params.activation != "relu":
        raise ValueError(
            f"The analysis of linear regions needs activation='relu' (a piecewise "
            f"linear model); this model's {params.n_nonlinear} nonlinear units use "
            f"activation={params.activation!r}, which has no linear regions. Fit "
            "with activation='relu' to analyse its regimes."
        )
    return params


def _pipeline_params(pipeline, steps) -> ALRNNParams:
    name, last = steps[-1] if steps else ("(none)", None)
    if not callable(getattr(last, "get_alrnn_params", None)):
        raise TypeError(
            f"The Pipeline's last step {name!r} is {type(last).__name__}, which has "
            "no AL-RNN parameters (no get_alrnn_params()); the analysis needs a "
            "Pipeline ending in an AL-RNN estimator, e.g. make_pipeline("
            "SequenceScaler(), ALRNNRegressor())."
        )
    from sklearn.utils.validation import check_is_fitted  # sklearn: a dependency

    check_is_fitted(pipeline)  # NotFittedError naming the Pipeline
    return last.get_alrnn_params()


def _params_and_X(model, X):
    """``(params, X)`` for analysis: a Pipeline's steps before the model transform X.

    A bare estimator or ALRNNParams reads X as it is (even when the estimator
    was fitted inside a scaling pipeline: that is the caller's choice).
    """
    params = as_params(model)
    steps = _pipeline_steps(model)
    if X is not None and steps is not None and len(steps) > 1:
        X = model[:-1].transform(X)
    return params, X


def _pipeline_input(model, input):
    """A constant input s (K,) in a Pipeline's X units, through its transforms.

    It goes through the steps before the model as one sequence of one step.
    """
    steps = _pipeline_steps(model)
    if input is None or steps is None or len(steps) < 2:
        return input
    s = np.asarray(input, dtype=np.float64).reshape(1, 1, -1)  # (1, 1, K)
    out = np.asarray(model[:-1].transform(s), dtype=np.float64)
    if out.ndim != 3 or out.shape[:2] != (1, 1):
        raise ValueError(
            "input is given in the units of the Pipeline's X and goes through its "
            "steps before the model as one sequence of one step, shape (1, 1, K); "
            f"they returned shape {out.shape} instead of (1, 1, K'). Pass the "
            "bare estimator (pipeline[-1]) and input in its own units."
        )
    return out.reshape(-1)  # (K',)


def _as_sequences(X, n_features: int) -> tuple[list[np.ndarray], bool]:
    """Split X into a list of (T_i, K) float64 arrays; flag whether X was a list."""
    if isinstance(X, (list, tuple)):
        seqs = [np.asarray(x, dtype=np.float64) for x in X]
        seqs = [x[:, None] if x.ndim == 1 else x for x in seqs]  # (T_i,) -> (T_i, 1)
        ragged = True
    else:
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim == 2:
            arr = arr[:, :, None]  # (n, T) univariate -> (n, T, 1)
        if arr.ndim != 3:
            raise ValueError(
                f"X must be a 3D array (n, T, K), a 2D array (n, T) or a list of "
                f"(T_i, K) arrays; got an array with shape {arr.shape}."
            )
        seqs = list(arr)
        ragged = False
    for i, x in enumerate(seqs):
        if x.ndim != 2 or x.shape[1] != n_features:
            raise ValueError(
                f"Sequence {i} has shape {x.shape}; expected (T, {n_features}) to "
                f"match the model's K={n_features} input features."
            )
    return seqs, ragged


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
    >>> from sk_alrnn._params import ALRNNParams
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
    >>> import numpy as np
    >>> from sk_alrnn._params import ALRNNParams
    >>> p = ALRNNParams(A=np.zeros(2), W=np.zeros((2, 2)), C=np.array([[1.], [-1.]]),
    ...                 h=np.zeros(2), B=np.ones((1, 2)), b=np.zeros(1), n_nonlinear=2)
    >>> codes, ints = region_codes(p, np.array([[1.0, -1.0]]))
    >>> ints
    array([[2, 1]])
    """
    params, X = _params_and_X(est_or_params, X)
    relu = relu_units(params.n_hidden, params.n_nonlinear)
    z = latent_trajectories(params, X)
    if isinstance(z, list):
        codes = [zi[:, relu] > 0 for zi in z]  # (T_i, P)
        return codes, [codes_to_int(c) for c in codes]
    codes = z[..., relu] > 0  # (n, T, P)
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
    >>> from sk_alrnn._params import ALRNNParams
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


def _bits(code) -> str:
    """Bit string of a region code, first ReLU unit first ('-' when P = 0)."""
    return "".join("1" if c else "0" for c in np.asarray(code).reshape(-1)) or "-"


def _radius(eigenvalues: np.ndarray) -> float:
    return float(np.abs(eigenvalues).max()) if eigenvalues.size else 0.0


@dataclass(frozen=True)
class Spectrum:
    """Eigen-decomposition summary of a linear map.

    A short repr, :meth:`summary` (eigenvalues as text) and :meth:`to_frame`.

    Attributes
    ----------
    eigenvalues : ndarray of complex, shape (M,)
        Sorted by decreasing modulus.
    spectral_radius : float
    slow_modes : ndarray of complex
        Eigenvalues with ``abs(abs(lambda) - 1) <= tol``: integrators, memory.
    slow_vectors : ndarray of complex, shape (M, n_slow)
        Their eigenvectors (columns).
    """

    eigenvalues: np.ndarray
    spectral_radius: float
    slow_modes: np.ndarray
    slow_vectors: np.ndarray

    def __repr__(self) -> str:
        return (
            f"Spectrum(M={self.eigenvalues.size}, spectral_radius="
            f"{self.spectral_radius:.4g}, n_slow={self.slow_modes.size})"
        )

    def summary(self, max_rows: int = 10) -> str:
        """Eigenvalues by decreasing modulus, slow modes marked, as text."""
        lines = [
            f"Spectrum of a {self.eigenvalues.size}x{self.eigenvalues.size} map: "
            f"spectral radius {self.spectral_radius:.4g}, {self.slow_modes.size} "
            "slow mode(s) (|lambda| near 1)",
            "  modulus  eigenvalue",
        ]
        slow = np.isin(self.eigenvalues, self.slow_modes)
        for lam, is_slow in list(zip(self.eigenvalues, slow, strict=True))[:max_rows]:
            mark = "  slow" if is_slow else ""
            lines.append(f"  {abs(lam):7.4f}  {lam:.4f}{mark}")
        if self.eigenvalues.size > max_rows:
            lines.append(f"  ... {self.eigenvalues.size - max_rows} more")
        return "\n".join(lines)

    def to_frame(self):
        """One row per eigenvalue: value, modulus, real and imaginary parts, slow."""
        pd = _require_pandas("Spectrum")
        return pd.DataFrame(
            {
                "eigenvalue": self.eigenvalues,
                "modulus": np.abs(self.eigenvalues),
                "real": self.eigenvalues.real,
                "imag": self.eigenvalues.imag,
                "slow": np.isin(self.eigenvalues, self.slow_modes),
            }
        )


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


@dataclass(frozen=True)
class NonlinearityUsage:
    """How much of its nonlinearity a fitted model uses on some data.

    A short repr, :meth:`summary` (one line per ReLU unit) and :meth:`to_frame`.

    Attributes
    ----------
    active_fraction : ndarray of shape (P,)
        Fraction of steps at which each ReLU unit is on (``z > 0``).
    switch_rate : ndarray of shape (P,)
        Fraction of consecutive step pairs (within a sequence, starting from the
        first step) at which the unit changes state.
    effective_n_nonlinear : int
        Number of units whose switch rate exceeds ``threshold``; the other units
        never (or almost never) cross zero on the data and so act linearly.
    threshold : float
        The switch-rate threshold used (0 means: switches at least once).
    """

    active_fraction: np.ndarray
    switch_rate: np.ndarray
    effective_n_nonlinear: int
    threshold: float

    def _switching(self) -> np.ndarray:
        return self.switch_rate > self.threshold  # (P,)

    def __repr__(self) -> str:
        p = self.active_fraction.size
        used = "".join("1" if u else "0" for u in self._switching()) or "-"
        return (
            f"NonlinearityUsage(effective_n_nonlinear={self.effective_n_nonlinear} "
            f"of P={p}, threshold={self.threshold:g}, switching units: {used})"
        )

    def summary(self) -> str:
        """Per ReLU unit: active fraction, switch rate, whether it acts nonlinearly."""
        lines = [
            f"{self.effective_n_nonlinear} of {self.active_fraction.size} ReLU "
            f"units switch on X (switch rate > {self.threshold:g}); the others "
            "act linearly there",
            "  unit  active  switch rate  acts",
        ]
        for j, (a, r, on) in enumerate(
            zip(self.active_fraction, self.switch_rate, self._switching(), strict=True)
        ):
            acts = "nonlinear" if on else "linear on X"
            lines.append(f"  {j:4d}  {a:6.1%}  {r:11.4f}  {acts}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per ReLU unit (0 = the first of the last P latent units)."""
        pd = _require_pandas("NonlinearityUsage")
        return pd.DataFrame(
            {
                "unit": np.arange(self.active_fraction.size),
                "active_fraction": self.active_fraction,
                "switch_rate": self.switch_rate,
                "nonlinear": self._switching(),
            }
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
    >>> from sk_alrnn._params import ALRNNParams
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


@dataclass(frozen=True)
class RegionStatistics:
    """Which linear regions a model visits on some data, how long, and in what order.

    Regions are listed by decreasing step count (ties by integer code). The repr
    is one line (regions visited, steps, the top three codes as bit strings);
    :meth:`summary` gives a table as text and :meth:`to_frame` a DataFrame.

    Attributes
    ----------
    regions : ndarray of int64, shape (R,)
        Integer codes of the visited regions (first ReLU unit = most significant bit).
    codes : ndarray of bool, shape (R, P)
    counts : ndarray of int64, shape (R,)
        Steps spent in each region.
    frequencies : ndarray of shape (R,)
        ``counts / counts.sum()``.
    visits : ndarray of int64, shape (R,)
        Number of entries (runs of consecutive steps) into each region.
    dwell_times : ndarray of shape (R,)
        Mean run length, ``counts / visits``.
    transition_counts : ndarray of int64, shape (R, R)
        ``[i, j]``: moves from region i to a different region j at the next step
        (consecutive duplicates collapsed, within sequences only).
    transition_matrix : ndarray of shape (R, R)
        Row-normalised ``transition_counts`` (all-zero rows stay zero).
    n_regions : int
        R, the number of distinct regions visited (at most ``2**P``).
    groups : ndarray or None, shape (G,)
        Sorted distinct group labels, when ``groups`` was given.
    group_counts : ndarray of int64, shape (G, R) or None
        Steps per group and region (e.g. classes x regions).
    n_regions_per_group : dict or None
        Group label -> number of distinct regions visited by that group.
    """

    regions: np.ndarray
    codes: np.ndarray
    counts: np.ndarray
    frequencies: np.ndarray
    visits: np.ndarray
    dwell_times: np.ndarray
    transition_counts: np.ndarray
    transition_matrix: np.ndarray
    n_regions: int
    groups: np.ndarray | None = None
    group_counts: np.ndarray | None = None
    n_regions_per_group: dict | None = None

    def __repr__(self) -> str:
        top = ", ".join(
            f"{_bits(c)} {f:.0%}"
            for c, f in zip(self.codes[:3], self.frequencies[:3], strict=True)
        )
        more = ", ..." if self.n_regions > 3 else ""
        groups = "" if self.groups is None else f", groups={len(self.groups)}"
        return (
            f"RegionStatistics(n_regions_visited={self.n_regions} of "
            f"2**{self.codes.shape[1]}, n_steps={int(self.counts.sum())}, "
            f"top: {top}{more}{groups})"
        )

    def summary(self, max_rows: int = 10) -> str:
        """Regions (most visited first), main transitions and groups, as text."""
        p = self.codes.shape[1]
        lines = [
            f"{self.n_regions} of 2**{p} = {2**p} linear regions visited over "
            f"{int(self.counts.sum())} steps",
            f"  {'code':>{max(p, 4)}}  region  steps   share  visits  mean dwell",
        ]
        for i in range(min(self.n_regions, max_rows)):
            lines.append(
                f"  {_bits(self.codes[i]):>{max(p, 4)}}  {self.regions[i]:6d}  "
                f"{self.counts[i]:5d}  {self.frequencies[i]:6.1%}  "
                f"{self.visits[i]:6d}  {self.dwell_times[i]:10.2f}"
            )
        if self.n_regions > max_rows:
            lines.append(f"  ... {self.n_regions - max_rows} more (see to_frame())")
        flat = self.transition_counts.ravel()
        best = [k for k in np.argsort(-flat, kind="stable")[:3] if flat[k] > 0]
        if best:
            moves = ", ".join(
                f"{_bits(self.codes[k // self.n_regions])} -> "
                f"{_bits(self.codes[k % self.n_regions])} ({flat[k]})"
                for k in best
            )
            lines.append(f"Most frequent transitions: {moves}")
        if self.n_regions_per_group is not None:
            per = ", ".join(f"{g}: {n}" for g, n in self.n_regions_per_group.items())
            lines.append(f"Regions visited per group: {per}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per visited region; with groups, one ``count_<group>`` column
        each (requires pandas)."""
        pd = _require_pandas("RegionStatistics")
        frame = pd.DataFrame(
            {
                "region": self.regions,
                "code": [_bits(c) for c in self.codes],
                "count": self.counts,
                "frequency": self.frequencies,
                "visits": self.visits,
                "dwell_time": self.dwell_times,
            }
        )
        if self.groups is not None:
            for label, row in zip(self.groups, self.group_counts, strict=True):
                frame[f"count_{label}"] = row
        return frame


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
    >>> import numpy as np
    >>> from sk_alrnn._params import ALRNNParams
    >>> p = ALRNNParams(A=np.zeros(1), W=np.zeros((1, 1)), C=np.ones((1, 1)),
    ...                 h=np.zeros(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=1)
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
