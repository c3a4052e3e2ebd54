"""Result objects of the region analysis: Spectrum, NonlinearityUsage, RegionStatistics.

Shapes: M latent units, P nonlinear (ReLU) units, R visited regions. Each has a
one-line repr, ``summary()`` (a text table) and ``to_frame()`` (pandas, optional).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sk_alrnn._core._pandas import _require_pandas

__all__ = ["NonlinearityUsage", "RegionStatistics", "Spectrum"]


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
