"""How much nonlinearity does a task need? Cross-validated sweeps over ``n_nonlinear``.

Builds on scikit-learn's cross-validation splitters and scorers; takes any
estimator with an ``n_nonlinear`` parameter (or a Pipeline, with
``param="step__n_nonlinear"``). Every (P, fold) fit is one joblib task, so
``n_jobs`` spreads all of them, not just the folds of one P.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import indexable


@dataclass(frozen=True)
class SweepResult:
    """Scores of a nonlinearity sweep, one row per value of ``n_nonlinear``.

    Attributes
    ----------
    rows : list of dict
        ``n_nonlinear``, ``mean_score``, ``std_score``, ``sem_score`` (standard
        error over folds), ``mean_fit_time`` (s), the per-fold ``scores`` and
        ``fit_times``, ``n_iter`` (epochs per fold, None where the estimator has
        no ``n_iter_``), ``converged`` (False if any fold stopped at
        ``max_iter`` with a ConvergenceWarning) and, with
        ``return_train_score=True``, ``mean_train_score`` and ``train_scores``.
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
            [
                {k: v for k, v in r.items() if not isinstance(v, (list, np.ndarray))}
                for r in self.rows
            ]
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


def _take(data, idx):
    """Rows ``idx`` of an array, a DataFrame or a list of (ragged) sequences."""
    if hasattr(data, "iloc"):
        return data.iloc[idx]
    if isinstance(data, np.ndarray):
        return data[idx]
    return [data[i] for i in idx]


def fit_and_score(estimator, X, y, train, test, scorer, *, return_train_score=False):
    """Fit ``estimator`` on rows ``train``; score it on rows ``test``.

    A ConvergenceWarning (stopped at ``max_iter``) is recorded as
    ``converged=False`` instead of being shown; other warnings pass through.

    Parameters
    ----------
    estimator : estimator
        Fitted in place (pass a clone).
    X, y : array-like or list
        All the data; ``train`` and ``test`` index its rows.
    train, test : array of int
        Row indices.
    scorer : callable
        ``scorer(estimator, X, y) -> float``.
    return_train_score : bool, default=False
        Also score the training rows.

    Returns
    -------
    dict
        ``test_score``, ``train_score`` (None unless asked), ``fit_time`` (s),
        ``n_iter`` (None without ``n_iter_``) and ``converged``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.metrics import check_scoring
    >>> X, y = np.arange(20.0)[:, None], np.arange(20.0)
    >>> out = fit_and_score(Ridge(), X, y, np.arange(15), np.arange(15, 20),
    ...                     check_scoring(Ridge()))
    >>> round(out["test_score"], 3), out["converged"]
    (0.999, True)
    """
    X_train, y_train = _take(X, train), _take(y, train)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    converged = True
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            converged = False
        else:  # anything unexpected is passed on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    n_iter = getattr(final, "n_iter_", None)
    return {
        "test_score": float(scorer(estimator, _take(X, test), _take(y, test))),
        "train_score": (
            float(scorer(estimator, X_train, y_train)) if return_train_score else None
        ),
        "fit_time": fit_time,
        "n_iter": None if n_iter is None else int(n_iter),
        "converged": converged,
    }


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
    return_train_score=False,
    callback=None,
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
    cv : int, cross-validation generator or iterable, default=5
        As in :func:`sklearn.model_selection.cross_validate` (for time-ordered
        samples pass ``TimeSeriesSplit``; a list with one ``(train, test)`` pair
        is a single hold-out split).
    scoring : str or callable, default=None
        The estimator's ``score`` when None.
    n_jobs : int, default=None
        Fits run in parallel (joblib), over all values and folds together.
    return_train_score : bool, default=False
        Also score each fit on its training rows (``mean_train_score``).
    callback : callable, default=None
        Called as ``callback(n_nonlinear, fold, fit_result)`` in the calling
        process after each fit, in the order the fits finish (e.g. to advance
        a progress bar); ``fit_result`` is the dict of :func:`fit_and_score`.

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
    X, y = indexable(X, y)
    splitter = check_cv(cv, y, classifier=is_classifier(estimator))
    splits = list(splitter.split(X, y))
    scorer = check_scoring(estimator, scoring=scoring)
    jobs = [(p, k) for p in values for k in range(len(splits))]
    outputs = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_indexed_fit)(
            (p, k),
            clone(estimator).set_params(**{param: p}),
            X,
            y,
            *splits[k],
            scorer,
            return_train_score,
        )
        for p, k in jobs
    )
    results = {}
    for key, out in outputs:
        results[key] = out
        if callback is not None:
            callback(key[0], key[1], out)
    rows = [
        _row(p, [results[p, k] for k in range(len(splits))], return_train_score)
        for p in values
    ]
    best = max(rows, key=lambda r: r["mean_score"])
    threshold = best["mean_score"] - best["sem_score"]
    needed = min(r["n_nonlinear"] for r in rows if r["mean_score"] >= threshold)
    return SweepResult(rows, best["n_nonlinear"], needed)


def _indexed_fit(key, estimator, X, y, train, test, scorer, return_train_score):
    out = fit_and_score(
        estimator, X, y, train, test, scorer, return_train_score=return_train_score
    )
    return key, out


def _row(p: int, folds: list[dict], with_train: bool) -> dict:
    scores = np.array([f["test_score"] for f in folds], dtype=float)
    std = float(scores.std(ddof=1)) if len(scores) > 1 else 0.0
    row = {
        "n_nonlinear": p,
        "mean_score": float(scores.mean()),
        "std_score": std,
        "sem_score": std / math.sqrt(len(scores)),
        "mean_fit_time": float(np.mean([f["fit_time"] for f in folds])),
        "converged": all(f["converged"] for f in folds),
        "scores": scores,
        "fit_times": [f["fit_time"] for f in folds],
        "n_iter": [f["n_iter"] for f in folds],
    }
    if with_train:
        train = np.array([f["train_score"] for f in folds], dtype=float)
        row["mean_train_score"] = float(train.mean())
        row["train_scores"] = train
    return row
