"""Do groups of sequences (tasks, classes) share linear regions or use their own?

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), G groups, R visited regions.

Numpy only: takes an :class:`~sk_alrnn._core._params.ALRNNParams` or a fitted estimator
(anything with ``get_alrnn_params()``); pandas is imported only by
:meth:`RegionSharing.to_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sk_alrnn._core._pandas import _require_pandas
from sk_alrnn.analysis._docfrag import fill_examples
from sk_alrnn.analysis._region_results import _bits
from sk_alrnn.analysis._regions import as_params, region_statistics

__all__ = ["RegionSharing", "region_sharing"]


@dataclass(frozen=True, repr=False)
class RegionSharing:
    """Occupancy of linear regions per group, and how much of it is shared.

    A region is *used* by a group when more than ``min_fraction`` of that
    group's time steps fall in it (with the default 0: at least one step).
    Regions are listed by decreasing total step count (ties by integer code).

    Attributes
    ----------
    groups : ndarray of shape (G,)
        Sorted distinct group labels.
    regions : ndarray of int64, shape (R,)
        Integer codes of the visited regions (first ReLU unit = most
        significant bit).
    codes : ndarray of bool, shape (R, P)
    counts : ndarray of int64, shape (G, R)
        Time steps each group spends in each region.
    fractions : ndarray of shape (G, R)
        ``counts`` divided by each group's number of steps (rows sum to 1).
    used : ndarray of bool, shape (G, R)
        Whether each group uses each region.
    n_groups_per_region : ndarray of int64, shape (R,)
        Number of groups using each region.
    shared_fraction : float
        Share of the used regions (used by at least one group) that at least two
        groups use.
    weighted_shared_fraction : float
        Share of all time steps (pooled over groups) spent in regions that at
        least two groups use: the occupancy-weighted ``shared_fraction``.
    group_shared_fraction : ndarray of shape (G,)
        Per group, the share of its steps spent in regions it shares.
    min_fraction : float
        The threshold used.
    """

    groups: np.ndarray
    regions: np.ndarray
    codes: np.ndarray
    counts: np.ndarray
    fractions: np.ndarray
    used: np.ndarray
    n_groups_per_region: np.ndarray
    shared_fraction: float
    weighted_shared_fraction: float
    group_shared_fraction: np.ndarray
    min_fraction: float

    @property
    def n_groups(self) -> int:
        """G, the number of groups."""
        return len(self.groups)

    @property
    def n_regions(self) -> int:
        """R, the number of visited regions."""
        return len(self.regions)

    @property
    def labels(self) -> list[str]:
        """Bit strings of the regions (first ReLU unit first), e.g. ``'0110'``."""
        return [_bits(c) for c in self.codes]

    def __repr__(self) -> str:
        return (
            f"RegionSharing(n_groups={self.n_groups}, n_regions={self.n_regions}, "
            f"shared_fraction={self.shared_fraction:.3f}, "
            f"weighted_shared_fraction={self.weighted_shared_fraction:.3f})"
        )

    def summary(self, top: int = 5) -> str:
        """A few lines: overall sharing, then per group, then the top regions.

        Parameters
        ----------
        top : int, default=5
            How many of the most visited regions to list.

        Returns
        -------
        str
        """
        n_shared = int(np.sum(self.n_groups_per_region >= 2))
        n_used = int(np.sum(self.n_groups_per_region >= 1))
        lines = [
            f"{self.n_groups} groups, {self.n_regions} regions visited; "
            f"{n_shared} of {n_used} used regions are shared by >= 2 groups "
            f"({self.shared_fraction:.1%}), holding "
            f"{self.weighted_shared_fraction:.1%} of all steps",
        ]
        width = max((len(str(g)) for g in self.groups), default=5)
        lines.append(f"  {'group':<{width}}  steps  regions  in shared regions")
        for g, label in enumerate(self.groups):
            lines.append(
                f"  {label!s:<{width}}  {int(self.counts[g].sum()):5d}  "
                f"{int(self.used[g].sum()):7d}  {self.group_shared_fraction[g]:.1%}"
            )
        shown = [
            f"{lab} ({int(n)} groups)"
            for lab, n in zip(
                self.labels[:top], self.n_groups_per_region[:top], strict=False
            )
        ]
        lines.append("  top regions: " + ", ".join(shown))
        return "\n".join(lines)

    def to_frame(self, normalize: bool = False):
        """The groups x regions table as a :class:`pandas.DataFrame`.

        Parameters
        ----------
        normalize : bool, default=False
            Give ``fractions`` (each row sums to 1) instead of ``counts``.

        Returns
        -------
        pandas.DataFrame
            Index: the groups; columns: the regions' bit strings.
        """
        pd = _require_pandas("RegionSharing")
        values = self.fractions if normalize else self.counts
        return pd.DataFrame(
            values,
            index=pd.Index(self.groups, name="group"),
            columns=pd.Index(self.labels, name="region"),
        )


@fill_examples
def region_sharing(est_or_params, X, groups, *, min_fraction=0.0) -> RegionSharing:
    """Which linear regions each group (task, class) occupies, and how many are shared.

    The region of a step is the bitcode ``z_t[M-P:] > 0`` of its latent state
    (see :func:`region_codes`). Pooling the steps of each group's sequences
    gives a groups x regions occupancy table; a model that reuses its linear
    regimes across tasks has a high ``shared_fraction``, one that gives every
    task its own regions a low one.

    Parameters
    ----------
    est_or_params : ALRNNParams or fitted estimator
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
    groups : array-like of shape (n,)
        A label per sequence, e.g. the task names of
        :func:`~sk_alrnn.datasets.make_cognitive_tasks`.
    min_fraction : float in [0, 1), default=0.0
        A group uses a region when more than this share of its steps falls in
        it; raise it (e.g. to 0.01) so that a few stray steps do not count.

    Returns
    -------
    RegionSharing

    Examples
    --------
    {switch_model}
    >>> X = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, -1.0]])  # region 1, then 1 0 0
    >>> share = region_sharing(p, X, groups=["a", "b"])
    >>> share.counts
    array([[3, 0],
           [1, 2]])
    >>> share.shared_fraction, share.weighted_shared_fraction
    (0.5, 0.6666666666666666)
    """
    params = as_params(est_or_params)
    if groups is None:
        raise ValueError(
            "groups is required: pass one label per sequence (e.g. the task of "
            "each trial); for the regions of all sequences together use "
            "region_statistics."
        )
    min_fraction = float(min_fraction)
    if not 0.0 <= min_fraction < 1.0:
        raise ValueError(
            f"min_fraction must be in [0, 1); got {min_fraction}. Use 0 to count a "
            "region as used after a single step."
        )
    stats = region_statistics(params, X, groups=groups)
    counts = stats.group_counts  # (G, R)
    total = counts.sum(axis=1, keepdims=True)  # (G, 1)
    if counts.size == 0 or not total.all():
        raise ValueError(
            "Every group needs at least one time step; got empty sequences or no "
            "sequences. Pass sequences with T_i >= 1."
        )
    fractions = counts / total  # (G, R)
    used = (counts > 0) & (fractions > min_fraction)  # (G, R)
    n_groups = used.sum(axis=0)  # (R,)
    shared = n_groups >= 2  # (R,)
    n_used = int(np.sum(n_groups >= 1))
    in_shared = (counts * shared).sum(axis=1)  # (G,) steps in shared regions
    return RegionSharing(
        groups=stats.groups,
        regions=stats.regions,
        codes=stats.codes,
        counts=counts,
        fractions=fractions,
        used=used,
        n_groups_per_region=n_groups.astype(np.int64),
        shared_fraction=float(shared.sum() / n_used) if n_used else 0.0,
        weighted_shared_fraction=float(in_shared.sum() / total.sum()),
        group_shared_fraction=in_shared / total[:, 0],
        min_fraction=min_fraction,
    )
