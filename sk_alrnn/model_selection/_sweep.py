"""How much nonlinearity does a task need? Cross-validated sweeps over ``n_nonlinear``.

Every value of P is fitted on the same folds with the same seeds (``n_repeats``
of them), so scores pair up; a value is *credibly worse* than the best when its
paired difference, plus one standard error, stays below a small margin (see
:mod:`sk_alrnn.model_selection._stats`). ``needed_n_nonlinear`` is the smallest
value that is not. Each fit's stop reason is kept: when the rows that decide
the answer look under-trained (stopped at ``max_iter`` while still improving,
or on a plateau near a constant prediction's loss), the sweep states no
conclusion and says what to change. A constant prediction and a linear model of
the last steps are scored on the same folds, beside the rows.

Builds on scikit-learn's splitters and scorers; takes any estimator with an
``n_nonlinear`` parameter (or a Pipeline, with ``param="step__n_nonlinear"``).
Every fit is one joblib task, so ``n_jobs`` spreads all of them.
"""

from __future__ import annotations

import copy
import math
import warnings
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, indexable

from sk_alrnn._estimators._docfrag import fill
from sk_alrnn.model_selection._candidate import (
    _configured,
    _extra_scorers,
    _indexed_fit,
    fit_and_score,
)
from sk_alrnn.model_selection._reference import ReferenceClassifier, ReferenceRegressor
from sk_alrnn.model_selection._rows import (
    BASELINES,
    UNDER_TRAINED,
    _baseline,
    _evidence,
    _judge,
    _row,
)
from sk_alrnn.model_selection._stats import compare
from sk_alrnn.model_selection._sweep_result import InconclusiveSweepWarning, SweepResult

# The names this module has always offered (the sweep's summing-up reads
# _baseline from here, so patching sk_alrnn.model_selection._sweep._baseline
# reaches it).
__all__ = [
    "BASELINES",
    "UNDER_TRAINED",
    "InconclusiveSweepWarning",
    "SweepResult",
    "fit_and_score",
    "sweep_nonlinearity",
]


#: The ``estimator``, ``X`` and ``y`` parameters of the sweeps (a docstring piece).
SWEPT_DATA = """\
estimator : estimator
    An ``ALRNNRegressor``/``ALRNNClassifier`` (or a pipeline holding one).
X, y : array-like
    Data, as accepted by the estimator."""


@fill(swept_data=SWEPT_DATA)
def sweep_nonlinearity(
    estimator,
    X,
    y,
    n_nonlinear=(0, 1, 2, 4, 8),
    *,
    param="n_nonlinear",
    cv=5,
    scoring=None,
    n_repeats=1,
    tolerance=0.02,
    baselines=True,
    n_jobs=None,
    return_train_score=False,
    error_score=np.nan,
    callback=None,
    extra_scoring=None,
):
    """Cross-validate ``estimator`` for each number of ReLU units, with evidence.

    Every value of ``n_nonlinear`` is fitted on the same folds, once per seed
    (``n_repeats``), and compared with the best value on those paired fits:
    it is *credibly worse* when its mean paired difference plus one standard
    error is below ``-margin``, with ``margin = tolerance * (best mean - trivial
    mean)``. ``needed_n_nonlinear`` is the smallest value that is not. When the
    best or the chosen row looks under-trained (half or more of its fits stopped
    at ``max_iter`` while improving, on a plateau near a constant prediction's
    loss, or failed), or no value beats the trivial baseline, the sweep states no
    conclusion (``needed_n_nonlinear=None``), warns with an
    :class:`InconclusiveSweepWarning` and says what to change.

    Parameters
    ----------
    {swept_data}
    n_nonlinear : sequence of int, default=(0, 1, 2, 4, 8)
        Values to try; each must be at most the estimator's ``n_hidden``.
    param : str, default="n_nonlinear"
        Name of the parameter to set (``"alrnn__n_nonlinear"`` in a pipeline);
        the seed parameter is the ``random_state`` beside it.
    cv : int, cross-validation generator or iterable, default=5
        As in :func:`sklearn.model_selection.cross_validate` (for time-ordered
        samples pass ``TimeSeriesSplit``; a list with one ``(train, test)`` pair
        is a single hold-out split).
    scoring : str or callable, default=None
        The one score that the rows are compared on; the estimator's ``score``
        when None. Further measures go to ``extra_scoring``.
    n_repeats : int, default=1
        Seeds per fold. Repeat 0 uses the estimator's ``random_state``; later
        repeats use seeds drawn from it (an int gives reproducible sweeps).
        More repeats narrow the paired standard errors.
    tolerance : float, default=0.02
        Share of the best mean's gain over the trivial baseline below which a
        difference counts as none.
    baselines : bool, default=True
        Also score a constant prediction and a linear model of the last steps
        (:class:`ReferenceRegressor` / :class:`ReferenceClassifier`) on the same
        folds, reported beside the rows. Their ``output`` follows the
        estimator's.
    n_jobs : int, default=None
        Fits run in parallel (joblib), over all values, seeds and folds together.
    return_train_score : bool, default=False
        Also score each fit on its training rows (``mean_train_score``).
    error_score : "raise" or float, default=np.nan
        Score of a fit that fails (e.g. diverges); "raise" propagates the error.
        Failed fits count as under-trained.
    callback : callable, default=None
        Called as ``callback(n_nonlinear, fold, fit_result)`` in the calling
        process after each AL-RNN fit, in the order the fits finish (e.g. to
        advance a progress bar); ``fold`` counts over repeats and folds
        (``repeat * n_splits + k``) and ``fit_result`` is the dict of
        :func:`fit_and_score`.
    extra_scoring : dict of str to (str or callable), default=None
        Further measures of every fit (and of the reference models) on its test
        rows, computed on the same fitted model (no refit) and reported, not
        compared: each a scikit-learn scorer name or a callable
        ``scorer(estimator, X, y)`` that may return an array (e.g. the mean
        absolute error per step ahead). See ``extra_scores`` and
        ``mean_extra_scores`` in :class:`SweepResult`.

    Returns
    -------
    SweepResult

    Warns
    -----
    InconclusiveSweepWarning
        When the sweep withholds its conclusion.

    Examples
    --------
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.datasets import make_addition_problem
    >>> X, y = make_addition_problem(n_samples=60, n_timesteps=6, random_state=0)
    >>> est = ALRNNRegressor(n_hidden=4, max_iter=2, random_state=0)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     result = sweep_nonlinearity(est, X, y, n_nonlinear=[0, 2], cv=2)
    >>> [row["n_nonlinear"] for row in result.rows]
    [0, 2]
    >>> result.needed_n_nonlinear is None  # 2 epochs: still improving, no answer
    True
    >>> any(issubclass(w.category, InconclusiveSweepWarning) for w in caught)
    True
    """
    values = _check_values(n_nonlinear)
    params = estimator.get_params()
    _check_options(estimator, params, param, n_repeats, tolerance)
    seed_param = param[: -len("n_nonlinear")] + "random_state"
    seeds = _repeat_seeds(params.get(seed_param), n_repeats, seed_param in params)
    X, y = indexable(X, y)
    classifier = is_classifier(estimator)
    splits = list(check_cv(cv, y, classifier=classifier).split(X, y))
    scorers = _scorers(estimator, scoring, extra_scoring)
    grid = [(r, k) for r in range(n_repeats) for k in range(len(splits))]
    fit = delayed(_indexed_fit)
    tasks = [
        fit(
            (p, r, k),
            _configured(estimator, param, p, seed_param, seeds[r]),
            X,
            y,
            *splits[k],
            scorers,
            return_train_score,
            error_score,
        )
        for p in values
        for r, k in grid
    ]
    if baselines:
        output = _output_of(params, param)
        tasks += [
            fit(key, model, X, y, *splits[key[-1]], ref_scorers, False, np.nan)
            for key, model, ref_scorers in _reference_jobs(
                classifier, output, scoring, extra_scoring, len(splits)
            )
        ]
    results = _run(tasks, n_jobs, callback, len(splits))
    fits = {p: [results[p, r, k] for r, k in grid] for p in values}
    refs = {
        name: [results[name, k] for k in range(len(splits))]
        for name in (BASELINES if baselines else ())
    }
    return _summarise(
        fits, refs, return_train_score, tolerance, n_repeats, len(splits), params
    )


def _check_options(estimator, params: dict, param: str, n_repeats, tolerance) -> None:
    if param not in params:
        raise ValueError(
            f"{type(estimator).__name__} has no parameter {param!r}; for a pipeline "
            "pass param='<step name>__n_nonlinear'."
        )
    if not isinstance(n_repeats, Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be an integer >= 1; got {n_repeats!r}.")
    if not (isinstance(tolerance, float | int) and 0 <= tolerance < 1):
        raise ValueError(f"tolerance must be a number in [0, 1); got {tolerance!r}.")


def _scorers(estimator, scoring, extra_scoring) -> tuple:
    """(the scorer the rows are compared on, the extra scorers by name)."""
    if isinstance(scoring, dict | list | tuple | set):
        raise ValueError(
            "scoring takes one metric (a name or a callable), which the rows are "
            f"compared on; got {type(scoring).__name__} {scoring!r}. Pass further "
            "metrics as extra_scoring={'name': scorer, ...}."
        )
    return (
        check_scoring(estimator, scoring=scoring),
        _extra_scorers(estimator, extra_scoring),
    )


def _reference_jobs(classifier, output, scoring, extra_scoring, n_splits) -> list:
    """``((name, fold), reference model, its scorers)`` per baseline and fold."""
    cls = ReferenceClassifier if classifier else ReferenceRegressor
    scorers = _scorers(cls(), scoring, extra_scoring)
    return [
        (
            (name, k),
            cls(kind="constant" if name == "trivial" else "linear", output=output),
            scorers,
        )
        for name in BASELINES
        for k in range(n_splits)
    ]


def _run(tasks, n_jobs, callback, n_splits: int) -> dict:
    """Every task's result by its key, calling ``callback`` after each AL-RNN fit."""
    results = {}
    for key, out in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks):
        results[key] = out
        if callback is not None and len(key) == 3:
            p, r, k = key
            callback(p, r * n_splits + k, out)
    return results


def _check_values(n_nonlinear) -> list[int]:
    try:
        values = sorted({int(p) for p in n_nonlinear})
    except (TypeError, ValueError):
        raise ValueError(
            f"n_nonlinear must be a sequence of integers, e.g. [0, 1, 2, 4, 8]; got "
            f"{n_nonlinear!r}."
        ) from None
    if not values:
        raise ValueError("n_nonlinear is empty; pass at least one value, e.g. [0, 2].")
    if values[0] < 0:
        raise ValueError(f"n_nonlinear values must be >= 0; got {values[0]}.")
    return values


def _repeat_seeds(random_state, n_repeats: int, has_seed: bool) -> list:
    """The ``random_state`` of each repeat: the estimator's, then drawn from it."""
    if n_repeats == 1:
        return [random_state]
    if not has_seed:
        raise ValueError(
            "n_repeats > 1 needs an estimator with a random_state parameter (next "
            "to the n_nonlinear parameter) to vary the seed; pass n_repeats=1."
        )
    if random_state is None:
        return [None] * n_repeats  # fresh randomness for every fit
    source = random_state
    if isinstance(source, np.random.RandomState):
        source = copy.deepcopy(source)  # the estimator's own state stays untouched
    rng = check_random_state(source)
    drawn = rng.randint(np.iinfo(np.int32).max, size=n_repeats - 1)
    return [random_state, *(int(s) for s in drawn)]


def _output_of(params: dict, param: str) -> str:
    output = params.get(param[: -len("n_nonlinear")] + "output", "last")
    return output if output in ("last", "sequence") else "last"


def _summarise(fits, refs, with_train, tolerance, n_repeats, n_splits, params):
    rows = [_row(p, f, with_train) for p, f in fits.items()]
    baselines = {name: _baseline(name, f) for name, f in refs.items()}
    trivial = baselines.get("trivial", {}).get("mean_score")
    scores = {r["n_nonlinear"]: r["scores"] for r in rows}
    means = [r["mean_score"] for r in rows if math.isfinite(r["mean_score"])]
    best_mean = max(means, default=math.nan)
    margin = 0.0
    if trivial is not None and math.isfinite(best_mean) and best_mean > trivial:
        margin = tolerance * (best_mean - trivial)
    best, comparisons, needed = compare(scores, margin)
    for r in rows:
        c = comparisons[r["n_nonlinear"]]
        r.update(diff_to_best=c.mean_diff, diff_sem=c.sem_diff, worse_than_best=c.worse)
    by_p = {r["n_nonlinear"]: r for r in rows}
    evidence = _evidence(comparisons, best, needed)
    withheld, advice = _judge(by_p, best, needed, trivial, margin, params, n_repeats)
    result = SweepResult(
        rows=rows,
        best_n_nonlinear=best,
        needed_n_nonlinear=None if withheld else needed,
        baselines=baselines,
        margin=margin,
        n_repeats=n_repeats,
        n_splits=n_splits,
        evidence=evidence,
        withheld=withheld,
        advice=tuple(advice),
    )
    if withheld:
        warnings.warn(
            f"sweep_nonlinearity: no conclusion: {withheld} " + " ".join(advice),
            InconclusiveSweepWarning,
            stacklevel=3,
        )
    return result
