"""Plots of a model's linear regions: the region raster, the spectra of each
region's linear map and the occupancy of regions per group.

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), R regions. Models are read through
:mod:`sk_alrnn.analysis`; torch is never imported here.
"""

from __future__ import annotations

import numpy as np

from sk_alrnn.analysis import (
    int_to_code,
    region_codes,
    region_linear_map,
    region_statistics,
    spectrum,
)
from sk_alrnn.analysis._inputs import _params_and_X
from sk_alrnn.analysis._region_results import _bits
from sk_alrnn.plotting._axes import (
    LEGEND_TOP,
    _distinct_colors,
    _label,
    _new_axes,
    _outside_legend,
    fill_plot_doc,
)

#: Largest P for which :func:`plot_spectra` draws every region without ``X``.
MAX_PLOTTED_P = 4

#: Most y tick labels :func:`plot_region_raster` writes (more are thinned out).
MAX_TICK_LABELS = 24


@fill_plot_doc
def plot_region_raster(est_or_params, X, n_sequences: int = 5, ax=None):
    """Region visited at every time step, for the first few sequences of X.

    Regions are ranked by how often they are visited on all of X (rank 0 is the
    most frequent) and the y axis is labelled with their bit codes (first ReLU
    unit first). Each sequence is one step line, shifted slightly so that
    overlapping sequences stay visible.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
        A Pipeline's steps before the model transform X first.
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
    n_sequences : int, default=5
        How many sequences (the first ones of X) to draw.
    {ax}

    {axes_returned}

    Examples
    --------
    {two_switch_model}
    >>> ax = plot_region_raster(p, np.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]))
    >>> len(ax.lines), [t.get_text() for t in ax.get_yticklabels()]
    (2, ['10', '01'])
    """
    params, X = _params_and_X(est_or_params, X)
    if int(n_sequences) < 1:
        raise ValueError(
            f"n_sequences must be a positive integer; got {n_sequences!r}."
        )
    ax = _new_axes(ax, (7.0, 3.5))
    stats = region_statistics(params, X)
    rank = {int(r): i for i, r in enumerate(stats.regions)}
    _, ints = region_codes(params, X)
    seqs = list(ints)[: int(n_sequences)]  # up to n_sequences arrays of shape (T_i,)
    n_shown = len(seqs)
    lines = []
    for i, (seq, color) in enumerate(zip(seqs, _distinct_colors(n_shown), strict=True)):
        ranks = np.array([rank[int(r)] for r in seq], dtype=float)  # (T_i,)
        shift = 0.25 * (i - (n_shown - 1) / 2) / max(n_shown, 1)
        steps = np.arange(1, seq.size + 1)  # z_t for t = 1..T_i
        (line,) = ax.step(
            steps, ranks + shift, where="mid", marker=".", color=color,
            label=f"sequence {i}",
        )  # fmt: skip
        lines.append(line)
    every = -(-stats.n_regions // MAX_TICK_LABELS)  # label every k-th rank
    ticks = np.arange(0, stats.n_regions, every)
    ax.set_yticks(ticks)
    ax.set_yticklabels(
        [_bits(stats.codes[i]) for i in ticks],
        family="monospace",
        fontsize="small" if stats.n_regions > 8 else None,
    )
    ax.invert_yaxis()  # most frequent region on top
    title = f"Linear regions visited ({stats.n_regions} on X)"
    _label(ax, "time step t", "region (ReLU code), by frequency", title, grid=True)
    if n_shown > 1:
        _outside_legend(ax, lines)
    return ax


@fill_plot_doc
def plot_spectra(
    est_or_params, regions=None, X=None, ax=None, *, legend_top: int = LEGEND_TOP
):
    """Eigenvalues of each region's linear map J in the complex plane.

    Eigenvalues inside the unit circle are contracting modes; on the circle they
    are slow modes (integrators, memory); outside they are expanding.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
        A Pipeline's steps before the model transform X first.
    regions : array-like of int, default=None
        Regions (integer codes, first ReLU unit = most significant bit) to draw.
        None means the regions visited on X, most frequent first, when X is
        given, else all ``2**P`` regions (only for ``P <= 4``).
    X : ndarray of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
        Sequences whose visited regions are drawn when ``regions`` is None.
    {ax}
    legend_top : int, default=10
        The legend (right of the axes, off the unit circle) lists the first
        ``legend_top`` regions, then how many more are drawn. Every region has
        its own colour (tab10, tab20, then colours spread over ``turbo``).

    {axes_returned}

    Examples
    --------
    {fixed_point_model}
    >>> ax = plot_spectra(p)
    >>> [c.get_label() for c in ax.collections]
    ['region 0 (0)', 'region 1 (1)']
    """
    params, X = _params_and_X(est_or_params, X)
    p = params.n_nonlinear
    if regions is None:
        if X is not None:
            regions = region_statistics(params, X).regions
        elif p <= MAX_PLOTTED_P:
            regions = np.arange(2**p)
        else:
            raise ValueError(
                f"P={p} gives 2**{p} regions, too many to draw; pass X=... (the "
                "regions visited on X are drawn) or regions=[...] (integer codes)."
            )
    regions = np.asarray(regions, dtype=np.int64).reshape(-1)
    if regions.size and (regions.min() < 0 or regions.max() >= 2**p):
        raise ValueError(
            f"regions must be integers in [0, 2**P) = [0, {2**p}); got "
            f"{regions.tolist()}."
        )
    ax = _new_axes(ax, (6.5, 4.5))  # room for the legend on the right
    angle = np.linspace(0.0, 2.0 * np.pi, 256)
    ax.plot(np.cos(angle), np.sin(angle), "k-", lw=0.8, label="unit circle")
    ax.axhline(0.0, color="0.8", lw=0.5, zorder=0)
    ax.axvline(0.0, color="0.8", lw=0.5, zorder=0)
    points = []
    for r, color in zip(regions, _distinct_colors(regions.size), strict=True):
        J, _ = region_linear_map(params, int(r))
        eig = spectrum(J).eigenvalues  # (M,) complex
        points.append(
            ax.scatter(
                eig.real,
                eig.imag,
                s=25,
                alpha=0.8,
                color=color,
                label=f"region {int(r)} ({_bits(int_to_code(int(r), p))})",
            )
        )
    ax.set_aspect("equal", adjustable="datalim")
    _label(ax, r"Re $\lambda$", r"Im $\lambda$", "Eigenvalues of each region's J")
    _outside_legend(ax, points, top=legend_top)
    return ax


@fill_plot_doc
def plot_region_sharing(result, top: int = 20, ax=None):
    """Heat map of how each group's time steps spread over the top regions.

    Cell ``(g, r)`` is the share of group g's steps spent in region r (rows of
    the full table sum to 1); columns are the ``top`` most visited regions,
    labelled with their bit codes (first ReLU unit first) and marked ``*`` when
    at least two groups use them.

    Parameters
    ----------
    result : RegionSharing
        From :func:`sk_alrnn.analysis.region_sharing`.
    top : int, default=20
        How many of the most visited regions to draw.
    {ax}

    {axes_returned}

    Examples
    --------
    {switch_model}
    >>> from sk_alrnn.analysis import region_sharing
    >>> share = region_sharing(p, np.array([[1.0, 1.0], [1.0, -1.0]]), ["a", "b"])
    >>> ax = plot_region_sharing(share)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['1*', '0']
    >>> ax.images[0].get_array().tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    for name in ("fractions", "labels", "groups", "n_groups_per_region"):
        if not hasattr(result, name):
            raise TypeError(
                "result must be a RegionSharing from "
                "sk_alrnn.analysis.region_sharing(model, X, groups); got "
                f"{type(result).__name__}."
            )
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ValueError(f"top must be a positive integer; got {top!r}.")
    n_shown = min(int(top), len(result.labels))
    values = np.asarray(result.fractions)[:, :n_shown]  # (G, top)
    ax = _new_axes(ax, (max(4.0, 0.35 * n_shown + 2.5), 0.35 * len(result.groups) + 2))
    image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0.0)
    shared = np.asarray(result.n_groups_per_region)[:n_shown] >= 2
    labels = result.labels[:n_shown]
    ticks = [lab + ("*" if s else "") for lab, s in zip(labels, shared, strict=True)]
    ax.set_xticks(np.arange(n_shown))
    ax.set_xticklabels(
        ticks,
        rotation=90,
        family="monospace",
        fontsize="small",
    )
    ax.set_yticks(np.arange(len(result.groups)))
    ax.set_yticklabels([str(g) for g in result.groups])
    _label(
        ax,
        "region (ReLU code), by total steps; * = used by >= 2 groups",
        title=f"Region occupancy per group: {result.shared_fraction:.0%} of "
        f"regions shared, {result.weighted_shared_fraction:.0%} of steps",
    )
    ax.figure.colorbar(image, ax=ax, label="share of the group's steps")
    return ax
