"""The ``sweep``'s score-vs-P figure (``--plot``), drawn without pyplot.

The score axis is set by the model scores (:func:`score_limits`): the trivial
baseline is a line when it lies within them and a label at the axis' edge
otherwise, so a baseline far from the models cannot squash their differences.

Private: only :mod:`sk_alrnn.cli` imports it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sk_alrnn.cli._data import Data
from sk_alrnn.cli._request import SweepRequest


def score_limits(rows) -> tuple[float, float]:
    """The score axis: the models' test (+- std) and train scores, padded.

    The trivial baseline does not stretch it: a baseline far below the models
    would squash their differences into a sliver of the figure.
    """
    values = [
        v
        for r in rows
        for v in (
            r["mean_score"] - r["std_score"],
            r["mean_score"] + r["std_score"],
            r["mean_train_score"],
        )
        if np.isfinite(v)
    ]
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    span = hi - lo if hi > lo else max(abs(hi) * 0.1, 0.05)
    return lo - 0.08 * span, hi + 0.08 * span


def sweep_figure(rows, score_name: str, trivial_score: float, title: str):
    """The score-vs-P figure: test (+- std) and train score per P.

    The score axis is set by the model scores (:func:`score_limits`); the
    trivial baseline is a dotted line when it lies within it, else a label at
    the axis' edge saying where it is.
    """
    # matplotlib.figure.Figure needs no pyplot and no GUI backend.
    from matplotlib.figure import Figure

    ps = [r["n_nonlinear"] for r in rows]
    fig = Figure(figsize=(5.0, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar(
        ps,
        [r["mean_score"] for r in rows],
        yerr=[r["std_score"] for r in rows],
        fmt="o-",
        capsize=3,
        label="test",
    )
    ax.plot(ps, [r["mean_train_score"] for r in rows], "s--", alpha=0.6, label="train")
    lo, hi = score_limits(rows)
    if lo <= trivial_score <= hi:
        ax.axhline(trivial_score, color="gray", ls=":", label="trivial")
    else:
        below = trivial_score < lo
        ax.annotate(
            f"trivial = {trivial_score:.3g} ({'below' if below else 'above'} the axis)",
            xy=(0.02, 0.03 if below else 0.97),
            xycoords="axes fraction",
            va="bottom" if below else "top",
            color="gray",
            fontsize="small",
        )
    ax.set_ylim(lo, hi)
    ax.set_xlabel("n_nonlinear (P, ReLU units)")
    ax.set_ylabel(score_name)
    ax.set_xticks(ps)
    ax.set_title(title, fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def save_plot(request: SweepRequest, data: Data, rows) -> None:
    """Save :func:`sweep_figure` to ``request.plot`` (PNG, or by its suffix)."""
    scoring = data.scoring
    fig = sweep_figure(rows, scoring.score_name, scoring.trivial_score, data.plot_title)
    if request.plot.parent != Path():
        request.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(request.plot, dpi=120)
