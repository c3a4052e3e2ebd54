"""Plots of scores: cross-validated score against P, learning curves.

matplotlib is imported inside :func:`~sk_alrnn.plotting._axes._new_axes`.
"""

from __future__ import annotations

import numpy as np

from sk_alrnn.plotting._axes import _label, _new_axes, fill_plot_doc


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


@fill_plot_doc
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
    {ax}
    scoring : str, default=None
        Metric of a multi-metric search; None uses the single one.

    {axes_returned}

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
    ylabel = f"mean test {name}" if name != "score" else "mean test score"
    legend = len(groups) > 1 or train is not None
    title = f"Cross-validated score vs. {param}"
    return _label(ax, param, ylabel, title, grid=True, legend=legend)


@fill_plot_doc
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
    {ax}
    score_name : str, default="score"
        Label of the y axis.
    baseline : float, default=None
        A reference score (e.g. chance), drawn as a dotted line.

    {axes_returned}

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
    ylabel = f"test {score_name}"
    return _label(ax, "training sequences", ylabel, grid=True, legend=True)
