"""Low-data learning curves per number of ReLU units: score against training size.

The papers report that sparse nonlinearity helps most when data are scarce.
:func:`learning_curve_nonlinearity` runs one :func:`sweep_nonlinearity` per
training-set size on nested subsets of each training fold (the test folds stay
whole), so every P is compared on the same sequences, seeds and folds at every
size, with the same paired statistics and under-training checks.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, indexable

from sk_alrnn._core._pandas import _require_pandas
from sk_alrnn._estimators._docfrag import fill
from sk_alrnn.model_selection._sweep import SWEPT_DATA, sweep_nonlinearity
from sk_alrnn.model_selection._sweep_result import (
    InconclusiveSweepWarning,
    SweepResult,
    _ResultText,
    _short_list,
)


@dataclass(frozen=True, repr=False)
class LearningCurveResult(_ResultText):
    """One :class:`SweepResult` per training-set size.

    Attributes
    ----------
    train_sizes : ndarray of shape (n_sizes,)
        Training sequences per fit (the smallest training fold's count when the
        folds differ), ascending.
    sweeps : list of SweepResult
        The sweep at each size, on nested subsets of the same training folds.

    Notes
    -----
    The repr is one line (sizes, the needed P at each, the values of P);
    :meth:`summary` (also ``str(result)``) is the table of scores and
    :meth:`to_frame` a DataFrame with one line per size and P.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.model_selection import SweepResult
    >>> rows = [{"n_nonlinear": 0}, {"n_nonlinear": 2}]
    >>> sweeps = [SweepResult(rows, best_n_nonlinear=2, needed_n_nonlinear=p)
    ...           for p in (None, 2)]
    >>> curve = LearningCurveResult(np.array([20, 80]), sweeps)
    >>> curve  # doctest: +NORMALIZE_WHITESPACE
    LearningCurveResult(train_sizes=[20, 80], needed_n_nonlinear=[None, 2],
                        n_nonlinear=[0, 2])
    """

    train_sizes: np.ndarray
    sweeps: list[SweepResult] = field(repr=False)

    @property
    def needed_n_nonlinear(self) -> list[int | None]:
        """The smallest adequate P at each size (None where withheld)."""
        return [s.needed_n_nonlinear for s in self.sweeps]

    def curves(self, baselines: bool = True) -> dict:
        """``label -> (train_sizes, scores (n_sizes, n_pairs))`` for plotting.

        Feeds :func:`sk_alrnn.plotting.plot_learning_curves`: one line per P
        (``"P=2"``), plus the reference models when ``baselines``.
        """
        curves = {}
        for i, row in enumerate(self.sweeps[0].rows):
            p = row["n_nonlinear"]
            scores = np.array([s.rows[i]["scores"] for s in self.sweeps])
            curves[f"P={p}"] = (self.train_sizes, scores)
        for name in self.sweeps[0].baselines if baselines else ():
            if all("scores" in s.baselines[name] for s in self.sweeps):
                scores = np.array([s.baselines[name]["scores"] for s in self.sweeps])
                curves[name] = (self.train_sizes, scores)
        return curves

    def _repr_fields(self) -> list[str]:
        values = [r["n_nonlinear"] for r in self.sweeps[0].rows] if self.sweeps else []
        return [
            f"train_sizes={_short_list(self.train_sizes)}",
            f"needed_n_nonlinear={_short_list(self.needed_n_nonlinear)}",
            f"n_nonlinear={_short_list(values)}",
        ]

    def to_frame(self):
        """One line per (size, P) with the rows' summary columns (needs pandas)."""
        pd = _require_pandas("LearningCurveResult")
        frames = []
        for n, sweep in zip(self.train_sizes, self.sweeps, strict=True):
            frame = sweep.to_frame()
            frame.insert(0, "n_train", int(n))
            frame["needed_n_nonlinear"] = sweep.needed_n_nonlinear
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def __str__(self) -> str:
        ps = [r["n_nonlinear"] for r in self.sweeps[0].rows]
        names = [
            n
            for n in self.sweeps[0].baselines
            if "error" not in self.sweeps[0].baselines[n]
        ]
        head = ["n_train"] + [f"P={p}" for p in ps] + names + ["needed P"]
        lines = ["  ".join(h.rjust(14) for h in head)]
        for n, sweep in zip(self.train_sizes, self.sweeps, strict=True):
            cells = [str(int(n))]
            for r in sweep.rows:
                mark = (
                    "*"
                    if r["worse_than_best"]
                    else ("?" if r["under_trained"] else " ")
                )
                cells.append(f"{r['mean_score']:.3f}+-{r['sem_score']:.3f}{mark}")
            for name in names:
                b = sweep.baselines[name]
                cells.append(f"{b.get('mean_score', math.nan):.3f}")
            needed = sweep.needed_n_nonlinear
            cells.append("withheld" if needed is None else str(needed))
            lines.append("  ".join(c.rjust(14) for c in cells))
        lines.append(
            "mean +- sem over seeds x folds; * credibly worse than the best "
            "P at that size; ? under-trained"
        )
        return "\n".join(lines)


@fill(swept_data=SWEPT_DATA)
def learning_curve_nonlinearity(
    estimator,
    X,
    y,
    n_nonlinear=(0, 1, 2, 4, 8),
    *,
    train_sizes=(0.1, 0.25, 0.5, 1.0),
    param="n_nonlinear",
    cv=5,
    scoring=None,
    n_repeats=1,
    tolerance=0.02,
    baselines=True,
    random_state=0,
    n_jobs=None,
    error_score=np.nan,
):
    """Score against the number of training sequences, for each value of P.

    Each training fold is shuffled once (``random_state``) and cut into nested
    prefixes of the requested sizes; every value of ``n_nonlinear`` and every
    seed sees the same prefixes, and the test folds stay whole. Each size gets
    a full :func:`sweep_nonlinearity` (paired comparisons, stop reasons,
    reference models, the smallest adequate P); sizes without a conclusion are
    named in one :class:`InconclusiveSweepWarning`.

    Parameters
    ----------
    {swept_data}
    n_nonlinear : sequence of int, default=(0, 1, 2, 4, 8)
        Values of P to compare.
    train_sizes : sequence of float or int, default=(0.1, 0.25, 0.5, 1.0)
        Fractions (floats in (0, 1]) of each training fold, or absolute numbers
        of sequences (ints), as in :func:`sklearn.model_selection.learning_curve`.
    param, cv, scoring, n_repeats, tolerance, baselines, n_jobs, error_score
        As in :func:`sweep_nonlinearity`.
    random_state : int, RandomState instance or None, default=0
        Order in which each training fold is cut (not the estimator's seed).

    Returns
    -------
    LearningCurveResult

    Examples
    --------
    >>> import warnings
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.datasets import make_addition_problem
    >>> X, y = make_addition_problem(n_samples=80, n_timesteps=6, random_state=0)
    >>> est = ALRNNRegressor(n_hidden=4, max_iter=2, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     curve = learning_curve_nonlinearity(est, X, y, [0, 2],
    ...                                         train_sizes=[10, 40], cv=2)
    >>> curve.train_sizes.tolist(), len(curve.sweeps)
    ([10, 40], 2)
    >>> sorted(curve.curves())
    ['P=0', 'P=2', 'linear', 'trivial']
    """
    X, y = indexable(X, y)
    splits = list(check_cv(cv, y, classifier=is_classifier(estimator)).split(X, y))
    smallest = min(len(train) for train, _ in splits)
    sizes = _absolute_sizes(train_sizes, smallest)
    rng = check_random_state(random_state)
    orders = [rng.permutation(train) for train, _ in splits]
    options = {
        "param": param,
        "scoring": scoring,
        "n_repeats": n_repeats,
        "tolerance": tolerance,
        "baselines": baselines,
        "n_jobs": n_jobs,
        "error_score": error_score,
    }
    sweeps, silent = [], []
    for n in sizes:
        # sorted: at full size this is exactly the plain sweep's training fold
        subsets = [
            (np.sort(order[:n]), test)
            for order, (_, test) in zip(orders, splits, strict=True)
        ]
        sweep = _quiet_sweep(estimator, X, y, n_nonlinear, cv=subsets, **options)
        if sweep.needed_n_nonlinear is None:
            silent.append(f"{n} ({sweep.withheld})")
        sweeps.append(sweep)
    if silent:
        warnings.warn(
            "learning_curve_nonlinearity: no conclusion at training size(s) "
            + "; ".join(silent),
            InconclusiveSweepWarning,
            stacklevel=2,
        )
    return LearningCurveResult(np.array(sizes), sweeps)


def _quiet_sweep(*args, **kwargs) -> SweepResult:
    """:func:`sweep_nonlinearity` without its InconclusiveSweepWarning (the
    curve names all sizes without a conclusion in one); other warnings pass."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InconclusiveSweepWarning)
        sweep = sweep_nonlinearity(*args, **kwargs)
    for w in caught:
        if not issubclass(w.category, InconclusiveSweepWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return sweep


def _absolute_sizes(train_sizes, n_max: int) -> list[int]:
    sizes = []
    for s in train_sizes:
        if isinstance(s, Integral) and not isinstance(s, bool):
            n = int(s)
        elif isinstance(s, Real) and 0 < s <= 1:
            n = max(1, math.floor(s * n_max))
        else:
            raise ValueError(
                f"train_sizes holds {s!r}; use fractions in (0, 1] or integer "
                "numbers of sequences."
            )
        if not 1 <= n <= n_max:
            raise ValueError(
                f"train size {n} is outside [1, {n_max}] (the smallest training "
                "fold); lower it or use fewer folds."
            )
        sizes.append(n)
    return sorted(set(sizes))
