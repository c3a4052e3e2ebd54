"""How much nonlinearity does a task need? Cross-validated sweeps over ``n_nonlinear``.

Builds on scikit-learn's ``cross_validate``; takes any estimator with an
``n_nonlinear`` parameter (or a Pipeline, with ``param="step__n_nonlinear"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_validate


@dataclass(frozen=True)
class SweepResult:
    """Scores of a nonlinearity sweep, one row per value of ``n_nonlinear``.

    Attributes
    ----------
    rows : list of dict
        ``n_nonlinear``, ``mean_score``, ``std_score``, ``sem_score`` (standard
        error over folds), ``mean_fit_time`` (s) and the per-fold ``scores``.
    best_n_nonlinear : int
        The value with the highest mean score.
    needed_n_nonlinear : int
        The smallest value whose mean score lies within one standard error of the
        best (the "one standard error rule"): the nonlinearity the task needs.
    """

    rows: list[dict] = field(repr=False)
    best_n_nonlinear: int
    needed_n_nonlinear: int

    def to_frame(self):
        """The rows as a pandas DataFrame (requires pandas)."""
        import pandas as pd

        return pd.DataFrame(
            [{k: v for k, v in r.items() if k != "scores"} for r in self.rows]
        )

    def __str__(self) -> str:
        lines = ["n_nonlinear  mean score  std      fit [s]"]
        for r in self.rows:
            lines.append(
                f"{r['n_nonlinear']:>11d}  {r['mean_score']:>10.4f}  "
                f"{r['std_score']:<7.4f}  {r['mean_fit_time']:>7.2f}"
            )
        lines.append(
            f"best n_nonlinear={self.best_n_nonlinear}; smallest within one standard "
            f"error of the best: n_nonlinear={self.needed_n_nonlinear}"
        )
        return "\n".join(lines)


def sweep_nonlinearity(
    estimator,
    X,
    y,
    n_nonlinear=(0, 1, 2, 4, 8),
    *,
    param="n_nonlinear",
    cv=5,
    scoring=None,
    n_jobs=None,
):
    """Cross-validate ``estimator`` for each number of ReLU units.

    Parameters
    ----------
    estimator : estimator
        An ``ALRNNRegressor``/``ALRNNClassifier`` (or a pipeline holding one).
    X, y : array-like
        Data, as accepted by the estimator.
    n_nonlinear : sequence of int, default=(0, 1, 2, 4, 8)
        Values to try; each must be at most the estimator's ``n_hidden``.
    param : str, default="n_nonlinear"
        Name of the parameter to set (``"alrnn__n_nonlinear"`` in a pipeline).
    cv : int or cross-validation generator, default=5
        As in :func:`sklearn.model_selection.cross_validate` (for time-ordered
        samples pass ``TimeSeriesSplit``).
    scoring : str or callable, default=None
        The estimator's ``score`` when None.
    n_jobs : int, default=None
        Parallel folds, as in ``cross_validate``.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.datasets import make_addition_problem
    >>> X, y = make_addition_problem(n_samples=60, n_timesteps=6, random_state=0)
    >>> est = ALRNNRegressor(n_hidden=4, max_iter=2, random_state=0)
    >>> result = sweep_nonlinearity(est, X, y, n_nonlinear=[0, 2], cv=2)
    >>> [row["n_nonlinear"] for row in result.rows]
    [0, 2]
    >>> result.needed_n_nonlinear in (0, 2)
    True
    """
    values = sorted({int(p) for p in n_nonlinear})
    if not values:
        raise ValueError("n_nonlinear is empty; pass at least one value, e.g. [0, 2].")
    if param not in estimator.get_params():
        raise ValueError(
            f"{type(estimator).__name__} has no parameter {param!r}; for a pipeline "
            "pass param='<step name>__n_nonlinear'."
        )
    rows = []
    for p in values:
        est = clone(estimator).set_params(**{param: p})
        res = cross_validate(est, X, y, cv=cv, scoring=scoring, n_jobs=n_jobs)
        scores = np.asarray(res["test_score"], dtype=float)
        std = float(scores.std(ddof=1)) if len(scores) > 1 else 0.0
        rows.append(
            {
                "n_nonlinear": p,
                "mean_score": float(scores.mean()),
                "std_score": std,
                "sem_score": std / math.sqrt(len(scores)),
                "mean_fit_time": float(np.mean(res["fit_time"])),
                "scores": scores,
            }
        )
    best = max(rows, key=lambda r: r["mean_score"])
    threshold = best["mean_score"] - best["sem_score"]
    needed = min(r["n_nonlinear"] for r in rows if r["mean_score"] >= threshold)
    return SweepResult(rows, best["n_nonlinear"], needed)
