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

The plots live in private modules: the region plots in ``_regions``, the score
plots in ``_scores``, the shared axes, colours and legends in ``_axes``.
"""

from __future__ import annotations

from sk_alrnn.plotting._axes import LEGEND_TOP, _distinct_colors  # noqa: F401
from sk_alrnn.plotting._regions import (  # noqa: F401
    MAX_PLOTTED_P,
    MAX_TICK_LABELS,
    plot_region_raster,
    plot_region_sharing,
    plot_spectra,
)
from sk_alrnn.plotting._scores import plot_learning_curves, plot_score_vs_nonlinear

__all__ = [
    "plot_learning_curves",
    "plot_region_raster",
    "plot_region_sharing",
    "plot_score_vs_nonlinear",
    "plot_spectra",
]
