"""Result objects of the fixed-point analysis: FixedPoint(List), Cycle(List).

Shapes: M latent units, P nonlinear (ReLU) units, k orbit period. Each has a
one-line repr, ``summary()`` (a text table) and ``to_frame()`` (pandas, optional).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sk_alrnn._core._pandas import _require_pandas
from sk_alrnn.analysis._docfrag import fill_examples
from sk_alrnn.analysis._region_results import _bits, _radius

__all__ = ["Cycle", "CycleList", "FixedPoint", "FixedPointList"]


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point candidate ``z* = J z* + c`` of one linear region.

    The repr names the region as a bit string ('0101', first ReLU unit first)
    and never prints z; :meth:`summary` and :meth:`to_frame` show it.

    Attributes
    ----------
    z : ndarray of shape (M,)
    code : ndarray of bool, shape (P,)
        The region the point was solved for.
    region : int
        ``code`` as an integer (first ReLU unit = most significant bit).
    is_real : bool
        Whether ``z[M-P:] > 0`` equals ``code`` (the point lies in its region).
    eigenvalues : ndarray of complex, shape (M,)
        Of ``J``, sorted by decreasing modulus.
    stable : bool
        Spectral radius of ``J`` below 1.
    singular : bool
        ``I - J`` is singular: ``z`` is the least-squares (minimum-norm) solution of
        a consistent system and lies on a continuum of fixed points (for example a
        line attractor); stability is then marginal.
    """

    z: np.ndarray
    code: np.ndarray
    region: int
    is_real: bool
    eigenvalues: np.ndarray
    stable: bool
    singular: bool = False

    def _row(self) -> dict:
        row = {
            "region": self.region,
            "code": _bits(self.code),
            "is_real": self.is_real,
            "stable": self.stable,
            "singular": self.singular,
            "spectral_radius": _radius(self.eigenvalues),
        }
        row.update({f"z_{i}": float(v) for i, v in enumerate(self.z)})  # (M,)
        return row

    def __repr__(self) -> str:
        return (
            f"FixedPoint(region={_bits(self.code)} ({self.region}), "
            f"{_kind(self)}, spectral_radius={_radius_text(self)})"
        )

    def summary(self) -> str:
        """Where the point lies, its stability and its eigenvalues, as text."""
        where = (
            "real: it lies in its region"
            if self.is_real
            else "virtual: it lies outside its region (it steers the flow there "
            "but is never reached)"
        )
        lines = [
            f"Fixed point of region {_bits(self.code)} ({self.region}), {where}",
            f"  {_stability(self)}",
            f"  z = {np.array2string(self.z, precision=4, threshold=8)}",
        ]
        return "\n".join(lines)

    def to_frame(self):
        """One row: region, code (bit string), flags, spectral radius, z_0..z_{M-1}."""
        return _require_pandas("FixedPoint").DataFrame([self._row()])


def _kind(point) -> str:
    kind = "real" if point.is_real else "virtual"
    kind += ", " + _stable_word(point)
    return kind + (", singular" if point.singular else "")


def _radius_text(point) -> str:
    return f"{_radius(point.eigenvalues):.4g}"


def _stability(point) -> str:
    lam = np.array2string(np.abs(point.eigenvalues[:3]), precision=3)
    text = (
        f"{_stable_word(point)}: spectral radius "
        f"{_radius_text(point)} (largest |eigenvalues| {lam})"
    )
    if point.singular:
        text += "; singular: one of a continuum (e.g. a line attractor)"
    return text


def _table(items: list, head: list[str], rows: list[list[str]]) -> str:
    """``repr(items)``, then left-aligned columns, then how many items are not rows."""
    n_left = len(items) - len(rows)
    widths = [max(len(r[j]) for r in [head, *rows]) for j in range(len(head))]
    lines = [repr(items)]
    for r in [head, *rows]:
        cells = (c.ljust(w) for c, w in zip(r, widths, strict=True))
        lines.append(("  " + "  ".join(cells)).rstrip())
    if n_left > 0:
        lines.append(f"  ... {n_left} more (see to_frame())")
    return "\n".join(lines)


def _real_ones(real: list, label, n_shown: int) -> str:
    """'; real: <label> stable, ...' for the first ``n_shown`` real items."""
    if not real:
        return ""
    shown = ", ".join(f"{label(x)} {_stable_word(x)}" for x in real[:n_shown])
    return f"; real: {shown}" + (", ..." if len(real) > n_shown else "")


def _stable_word(point) -> str:
    return "stable" if point.stable else "unstable"


#: The columns after the region ones of FixedPointList/CycleList.to_frame().
_FLAG_COLUMNS = ("is_real", "stable", "singular", "spectral_radius")


def _frame(items: list, columns: list[str]):
    """One row per item (its ``_row()``); ``columns`` name those of an empty list."""
    pd = _require_pandas(type(items).__name__)
    return pd.DataFrame([x._row() for x in items], columns=None if items else columns)


def _path(codes: np.ndarray) -> str:
    """Region sequence as bit strings, '01->10->11'; long ones shortened."""
    labels = [_bits(c) for c in codes]
    if len(labels) > 6:
        labels = [*labels[:3], "...", *labels[-2:]]
    return "->".join(labels)


@fill_examples
class FixedPointList(list):
    """The list of :class:`FixedPoint` that :func:`fixed_points` returns.

    A plain list with a short ``repr``, a :meth:`summary` table and
    :meth:`to_frame`.

    Examples
    --------
    {fixed_point_model}
    >>> from sk_alrnn.analysis import fixed_points
    >>> fixed_points(p)
    FixedPointList(2 candidates: 1 real (1 stable), 1 virtual; real: 1 stable)
    >>> list(fixed_points(p).to_frame().columns)
    ['region', 'code', 'is_real', 'stable', 'singular', 'spectral_radius', 'z_0']
    """

    def __repr__(self) -> str:
        real = [fp for fp in self if fp.is_real]
        n_stable = sum(fp.stable for fp in real)
        text = (
            f"FixedPointList({len(self)} candidates: {len(real)} real ({n_stable} "
            f"stable), {len(self) - len(real)} virtual"
        )
        return text + _real_ones(real, lambda fp: _bits(fp.code), 3) + ")"

    def summary(self, max_rows: int = 20) -> str:
        """One line per candidate (real ones first), as text."""
        ordered = sorted(self, key=lambda fp: not fp.is_real)  # stable sort
        rows = [
            [_bits(fp.code), str(fp.region), _kind(fp), _radius_text(fp)]
            for fp in ordered[:max_rows]
        ]
        head = ["code", "region", "kind", "spectral radius"]
        return _table(self, head, rows)

    def to_frame(self):
        """One row per candidate, columns as in :meth:`FixedPoint.to_frame`."""
        return _frame(self, ["region", "code", *_FLAG_COLUMNS])


@dataclass(frozen=True)
class Cycle:
    """A period-k orbit candidate through regions ``codes[0]`` to ``codes[k-1]``.

    The repr shows the region sequence as bit strings ('01->10'); the points are
    in :meth:`summary` and the ``points`` attribute.

    Attributes
    ----------
    points : ndarray of shape (k, M)
        ``points[j + 1] = f(points[j])`` and ``f(points[k - 1]) = points[0]``.
    codes : ndarray of bool, shape (k, P)
        The region sequence the orbit was solved for.
    regions : ndarray of int64, shape (k,)
    is_real : bool
        The true (nonlinear) map, iterated from ``points[0]``, visits exactly
        ``codes`` and returns to ``points[0]`` with minimal period k.
    eigenvalues : ndarray of complex, shape (M,)
        Of the k-step Jacobian ``J_k ... J_1``.
    stable : bool
        Spectral radius of the k-step Jacobian below 1.
    singular : bool
        ``I - J_k ... J_1`` is singular (least-squares solution).
    """

    points: np.ndarray
    codes: np.ndarray
    regions: np.ndarray
    is_real: bool
    eigenvalues: np.ndarray
    stable: bool
    singular: bool = False

    def _row(self) -> dict:
        return {
            "period": len(self.regions),
            "codes": "->".join(_bits(c) for c in self.codes),
            "regions": "->".join(str(int(r)) for r in self.regions),
            "is_real": self.is_real,
            "stable": self.stable,
            "singular": self.singular,
            "spectral_radius": _radius(self.eigenvalues),
        }

    def __repr__(self) -> str:
        return (
            f"Cycle(period={len(self.regions)}, regions={_path(self.codes)}, "
            f"{_kind(self)}, spectral_radius={_radius_text(self)})"
        )

    def summary(self) -> str:
        """The region sequence, self-consistency, stability and points, as text."""
        where = (
            "real: the map visits these regions and returns"
            if self.is_real
            else "virtual: the true map does not follow it"
        )
        points = np.array2string(self.points, precision=4, threshold=24)
        lines = [
            f"Period-{len(self.regions)} cycle through "
            f"{'->'.join(_bits(c) for c in self.codes)}, {where}",
            f"  {_stability(self)} of the {len(self.regions)}-step map",
            "  points (one row per step):",
            *("    " + line for line in points.splitlines()),
        ]
        return "\n".join(lines)

    def to_frame(self):
        """One row: period, codes and regions ('01->10'), flags, spectral radius."""
        return _require_pandas("Cycle").DataFrame([self._row()])


@fill_examples
class CycleList(list):
    """The list of :class:`Cycle` that :func:`cycles` returns.

    A plain list with a short ``repr``, a :meth:`summary` table and
    :meth:`to_frame`.

    Examples
    --------
    {cycle_model}
    >>> from sk_alrnn.analysis import cycles
    >>> cycles(p, k_max=3)
    CycleList(1 orbit: 1 real (1 stable), 0 virtual; period 2; real: 0->1 stable)
    """

    def __repr__(self) -> str:
        real = [c for c in self if c.is_real]
        n_stable = sum(c.stable for c in real)
        noun = "orbit" if len(self) == 1 else "orbits"
        text = f"CycleList({len(self)} {noun}: {len(real)} real ({n_stable} stable)"
        periods = sorted({len(c.regions) for c in self})
        if periods:
            span = f"{periods[0]}-{periods[-1]}" if len(periods) > 1 else periods[0]
            text += f", {len(self) - len(real)} virtual; period {span}"
        return text + _real_ones(real, lambda c: _path(c.codes), 2) + ")"

    def summary(self, max_rows: int = 20) -> str:
        """One line per orbit, as text."""
        rows = [
            [str(len(c.regions)), _path(c.codes), _kind(c), _radius_text(c)]
            for c in self[:max_rows]
        ]
        head = ["period", "regions", "kind", "spectral radius"]
        return _table(self, head, rows)

    def to_frame(self):
        """One row per orbit, columns as in :meth:`Cycle.to_frame`."""
        return _frame(self, ["period", "codes", "regions", *_FLAG_COLUMNS])
