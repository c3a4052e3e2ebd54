"""Plots for reading a fitted AL-RNN: region raster, spectra, score against P,
learning curves.

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), R regions.

Needs matplotlib, the optional ``plot`` extra (``pip install "sk-alrnn[plot]"``);
it is imported inside each function, so importing this module never fails. Every
function draws into ``ax`` when given, else into a new
:class:`matplotlib.figure.Figure` (no pyplot state, no backend needed), and
returns the :class:`~matplotlib.axes.Axes` it drew on (its figure is ``ax.figure``).
Models are read through :mod:`sk_alrnn.analysis` (ALRNNParams, a fitted estimator,
or a fitted Pipeline ending in one, whose earlier steps transform X); torch is never
imported here.
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

__all__ = [
    "plot_learning_curves",
    "plot_region_raster",
    "plot_region_sharing",
    "plot_score_vs_nonlinear",
    "plot_spectra",
]

#: Largest P for which :func:`plot_spectra` draws every region without ``X``.
MAX_PLOTTED_P = 4

#: Most entries a region legend shows (the first ones, most frequent first).
LEGEND_TOP = 10

#: Most y tick labels :func:`plot_region_raster` writes (more are thinned out).
MAX_TICK_LABELS = 24


def _new_axes(ax, figsize: tuple[float, float]):
    """Return ``ax`` or the axes of a new pyplot-free Figure."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sk_alrnn.plotting needs matplotlib, which is not installed. Install "
            'the plot extra: pip install "sk-alrnn[plot]".'
        ) from exc
    if ax is not None:
        return ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def _code_label(code: np.ndarray) -> str:
    """Bit string of a region code, first ReLU unit first ('-' when P = 0)."""
    return _bits(code)


def _distinct_colors(n: int) -> list:
    """n distinct RGBA colours: tab10 / tab20, else tab10 then turbo for the rest.

    Past 20 the first ten (the legend's entries) keep tab10's clearly different
    colours; the others are spread evenly over ``turbo``.
    """
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [colormaps["tab20"](i) for i in range(n)]
    tab10 = [colormaps["tab10"](i) for i in range(10)]
    return tab10 + [colormaps["turbo"](x) for x in np.linspace(0.05, 0.95, n - 10)]


def _outside_legend(ax, handles, top: int = LEGEND_TOP, title=None):
    """Legend right of the axes with the first ``top`` handles, '+N more' after."""
    shown = list(handles)[:top]
    labels = [h.get_label() for h in shown]
    if len(handles) > top:
        from matplotlib.lines import Line2D

        shown.append(Line2D([], [], linestyle="none"))
        labels.append(f"(+{len(handles) - top} more)")
    return ax.legend(
        shown,
        labels,
        title=title,
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
    )


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
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new Figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn._params import ALRNNParams
    >>> p = ALRNNParams(A=np.zeros(2), W=np.zeros((2, 2)), C=np.array([[1.], [-1.]]),
    ...                 h=np.zeros(2), B=np.ones((1, 2)), b=np.zeros(1), n_nonlinear=2)
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
        [_code_label(stats.codes[i]) for i in ticks],
        family="monospace",
        fontsize="small" if stats.n_regions > 8 else None,
    )
    ax.invert_yaxis()  # most frequent region on top
    ax.set_xlabel("time step t")
    ax.set_ylabel("region (ReLU code), by frequency")
    ax.set_title(f"Linear regions visited ({stats.n_regions} on X)")
    if n_shown > 1:
        _outside_legend(ax, lines)
    ax.grid(alpha=0.3)
    return ax


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
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new Figure.
    legend_top : int, default=10
        The legend (right of the axes, off the unit circle) lists the first
        ``legend_top`` regions, then how many more are drawn. Every region has
        its own colour (tab10, tab20, then colours spread over ``turbo``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn._params import ALRNNParams
    >>> p = ALRNNParams(A=np.array([0.5]), W=np.array([[-1.0]]), C=np.zeros((1, 1)),
    ...                 h=np.ones(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=1)
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
                label=f"region {int(r)} ({_code_label(int_to_code(int(r), p))})",
            )
        )
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(r"Re $\lambda$")
    ax.set_ylabel(r"Im $\lambda$")
    ax.set_title("Eigenvalues of each region's J")
    _outside_legend(ax, points, top=legend_top)
    return ax


def _score_key(cv_results, scoring) -> str:
    """Name of the metric in ``cv_results`` ('score' for single-metric searches)."""
    if scoring is not None:
        name = str(scoring)
    elif "mean_test_score" in cv_results:
        name = "score"
    else:
        names = sorted(
            k[len("mean_test_") :] for k in cv_results if k.startswith("mean_test_")
        )
        if len(names) != 1:
            raise ValueError(
                "Could not pick a score in cv_results: expected 'mean_test_score' "
                f"or exactly one 'mean_test_<metric>'; found metrics {names}. Pass "
                "scoring='<metric>'."
            )
        name = names[0]
    if f"mean_test_{name}" not in cv_results:
        raise ValueError(
            f"cv_results has no 'mean_test_{name}'; pass scoring= one of the "
            "metrics of the search."
        )
    return name


def plot_score_vs_nonlinear(
    cv_results, param: str = "n_nonlinear", ax=None, *, scoring=None
):
    """Mean test score (with std error bars) against ``n_nonlinear`` from a search.

    When the search also varied other parameters, each combination of them gets
    its own line. Train scores are drawn dashed when the search kept them
    (``return_train_score=True``).

    Parameters
    ----------
    cv_results : dict
        ``cv_results_`` of a :class:`~sklearn.model_selection.GridSearchCV` (or any
        search) whose grid includes ``param``.
    param : str, default="n_nonlinear"
        Parameter on the x axis, as in the grid (e.g. ``"alrnn__n_nonlinear"`` in
        a pipeline). Its values must be numbers.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new Figure.
    scoring : str, default=None
        Metric of a multi-metric search; None uses the single one.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> cv_results = {
    ...     "param_n_nonlinear": np.ma.masked_array([0, 1, 2], dtype=object),
    ...     "params": [{"n_nonlinear": 0}, {"n_nonlinear": 1}, {"n_nonlinear": 2}],
    ...     "mean_test_score": np.array([0.2, 0.9, 0.92]),
    ...     "std_test_score": np.array([0.05, 0.02, 0.03]),
    ... }
    >>> ax = plot_score_vs_nonlinear(cv_results)
    >>> ax.get_xlabel(), ax.lines[0].get_ydata().tolist()
    ('n_nonlinear', [0.2, 0.9, 0.92])
    """
    key = f"param_{param}"
    if key not in cv_results:
        grid = sorted(k[len("param_") :] for k in cv_results if k.startswith("param_"))
        raise ValueError(
            f"cv_results has no {key!r}: the search did not vary {param!r}. Its "
            f"parameters are {grid}; pass param= one of them (e.g. "
            "'alrnn__n_nonlinear' for a pipeline step named 'alrnn')."
        )
    name = _score_key(cv_results, scoring)
    values = np.asarray(np.ma.getdata(cv_results[key]), dtype=object)  # (n_cand,)
    try:
        x_all = values.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"The values of {param!r} must be numbers to plot them on an axis; got "
            f"{values.tolist()}."
        ) from exc
    mean = np.asarray(cv_results[f"mean_test_{name}"], dtype=float)
    std = np.asarray(cv_results.get(f"std_test_{name}", np.zeros_like(mean)), float)
    train = cv_results.get(f"mean_train_{name}")
    params_list = cv_results.get("params", [{param: v} for v in values])
    others = [
        tuple(sorted((k, repr(v)) for k, v in d.items() if k != param))
        for d in params_list
    ]  # one key of the other parameters per candidate
    groups = sorted(set(others))
    ax = _new_axes(ax, (5.5, 3.5))
    for group in groups:
        idx = np.array([i for i, o in enumerate(others) if o == group])
        idx = idx[np.argsort(x_all[idx], kind="stable")]
        label = ", ".join(f"{k}={v}" for k, v in group) or "test"
        line = ax.errorbar(
            x_all[idx], mean[idx], yerr=std[idx], fmt="o-", capsize=3, label=label
        )
        if train is not None:
            ax.plot(
                x_all[idx],
                np.asarray(train, dtype=float)[idx],
                "--",
                color=line.lines[0].get_color(),
                alpha=0.7,
                label=f"train ({label})" if group else "train",
            )
    ax.set_xticks(np.unique(x_all))
    ax.set_xlabel(param)
    ax.set_ylabel(f"mean test {name}" if name != "score" else "mean test score")
    ax.set_title(f"Cross-validated score vs. {param}")
    ax.grid(alpha=0.3)
    if len(groups) > 1 or train is not None:
        ax.legend(fontsize="small", loc="best")
    return ax


def plot_learning_curves(curves, ax=None, *, score_name="score", baseline=None):
    """Test score against training-set size, one line (mean ± std band) per model.

    Parameters
    ----------
    curves : dict
        ``label -> (train_sizes, scores)`` with ``train_sizes`` of shape (S,) and
        ``scores`` of shape (S,) or (S, R) (R runs, e.g. seeds: the line is their
        mean, the band their standard deviation). The ``train_sizes`` and
        ``test_scores`` returned by :func:`sklearn.model_selection.learning_curve`
        fit as they are.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new Figure.
    score_name : str, default="score"
        Label of the y axis.
    baseline : float, default=None
        A reference score (e.g. chance), drawn as a dotted line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> curves = {"P=0": ([50, 100, 200], np.array([[0.5, 0.6], [0.6, 0.6],
    ...                                            [0.7, 0.7]])),
    ...           "P=2": ([50, 100, 200], [0.6, 0.8, 0.9])}
    >>> ax = plot_learning_curves(curves, score_name="accuracy", baseline=0.5)
    >>> [line.get_label() for line in ax.lines]
    ['P=0', 'P=2', 'baseline']
    >>> ax.lines[0].get_ydata().tolist()
    [0.55, 0.6, 0.7]
    """
    if not curves:
        raise ValueError("curves is empty; pass {label: (train_sizes, scores)}.")
    ax = _new_axes(ax, (5.5, 3.5))
    ticks = set()
    for label, (sizes, scores) in curves.items():
        sizes = np.asarray(sizes, dtype=float)  # (S,)
        scores = np.asarray(scores, dtype=float)
        if scores.ndim not in (1, 2) or scores.shape[0] != len(sizes):
            raise ValueError(
                f"curve {label!r}: {len(sizes)} train sizes but scores of shape "
                f"{scores.shape}; expected (n_sizes,) or (n_sizes, n_runs)."
            )
        scores = scores.reshape(len(sizes), -1)  # (S, R)
        order = np.argsort(sizes)
        ticks.update(sizes.tolist())
        mean = scores.mean(axis=1)[order]
        std = scores.std(axis=1)[order]
        (line,) = ax.plot(sizes[order], mean, "o-", label=str(label))
        if scores.shape[1] > 1:
            ax.fill_between(
                sizes[order], mean - std, mean + std, color=line.get_color(), alpha=0.2
            )
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls=":", label="baseline")
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(sorted(ticks), [f"{t:g}" for t in sorted(ticks)])
    ax.set_xlabel("training sequences")
    ax.set_ylabel(f"test {score_name}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    return ax


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
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new Figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn._params import ALRNNParams
    >>> from sk_alrnn.analysis import region_sharing
    >>> p = ALRNNParams(A=np.zeros(1), W=np.zeros((1, 1)), C=np.ones((1, 1)),
    ...                 h=np.zeros(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=1)
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
    ax.set_xlabel("region (ReLU code), by total steps; * = used by >= 2 groups")
    ax.set_title(
        f"Region occupancy per group: {result.shared_fraction:.0%} of regions "
        f"shared, {result.weighted_shared_fraction:.0%} of steps"
    )
    ax.figure.colorbar(image, ax=ax, label="share of the group's steps")
    return ax
