"""Axes, colours and legends shared by the plots of :mod:`sk_alrnn.plotting`.

matplotlib is imported inside the functions, so importing this module never fails.
"""

from __future__ import annotations

import numpy as np

from sk_alrnn.analysis._docfrag import EXAMPLE_MODELS, fill

#: Most entries a region legend shows (the first ones, most frequent first).
LEGEND_TOP = 10

#: The ``ax`` parameter of every plot: a docstring piece for
#: :func:`~sk_alrnn.analysis._docfrag.fill`.
AX_PARAMETER = """\
ax : matplotlib Axes, default=None
    Where to draw; None makes a new Figure."""

#: The Returns section of every plot (a docstring piece).
AXES_RETURNED = """\
Returns
-------
matplotlib.axes.Axes"""

#: Decorator: fill a plot's ``{ax}``, ``{axes_returned}`` and example-model
#: (``{switch_model}``, ...) placeholders.
fill_plot_doc = fill(ax=AX_PARAMETER, axes_returned=AXES_RETURNED, **EXAMPLE_MODELS)


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


def _label(ax, xlabel, ylabel=None, title=None, *, grid=False, legend=False):
    """Set the labels and title given; the plots' light grid and small legend."""
    texts = {"xlabel": xlabel, "ylabel": ylabel, "title": title}
    ax.set(**{k: v for k, v in texts.items() if v is not None})
    if grid:
        ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize="small", loc="best")
    return ax
