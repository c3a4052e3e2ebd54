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
import time
import warnings
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, indexable

from sk_alrnn._pandas import _require_pandas
from sk_alrnn._validation import take_rows
from sk_alrnn.model_selection._reference import ReferenceClassifier, ReferenceRegressor
from sk_alrnn.model_selection._stats import compare

# Stop reasons of a fit; the last three make a fit look under-trained (or broken).
UNDER_TRAINED = ("max_iter", "plateau", "failed")
BASELINES = {
    "trivial": "constant prediction (mean / class frequencies)",
    "linear": "ridge / logistic regression on the last steps",
}


class InconclusiveSweepWarning(UserWarning):
    """A sweep withheld its conclusion: the rows that would decide it look
    under-trained, failed, or no value of P beat a constant prediction.

    Not a ``ConvergenceWarning`` on purpose: code that silences those (common
    for neural nets) still sees that the answer is missing.

    Examples
    --------
    >>> issubclass(InconclusiveSweepWarning, UserWarning)
    True
    """


@dataclass(frozen=True)
class SweepResult:
    """Scores of a nonlinearity sweep, one row per value of ``n_nonlinear``.

    Attributes
    ----------
    rows : list of dict
        Per value of P: ``n_nonlinear``; ``mean_score``, ``std_score``,
        ``sem_score`` and the paired ``scores`` (one per repeat and fold, in
        the same order for every row); ``diff_to_best`` and ``diff_sem`` (mean
        paired difference to the best row and its standard error);
        ``worse_than_best``; ``stop_reasons`` (per fit: "converged", "plateau",
        "max_iter", "failed", ...), ``converged`` (no fit stopped at max_iter
        while improving), ``under_trained`` (half or more of its fits stopped at
        max_iter while improving, on a plateau near a constant prediction's
        loss, or failed); ``mean_fit_time`` and ``fit_times`` (s), ``n_iter``
        (epochs per fit, None without ``n_iter_``) and, with
        ``return_train_score=True``, ``mean_train_score`` and ``train_scores``.
        With ``extra_scoring``: ``extra_scores`` (name -> one value per fit, in
        the order of ``scores``; None for a failed fit) and ``mean_extra_scores``
        (name -> the mean over the fits whose values are all finite: a float, or
        an array for array-valued scorers; NaN when there is none).
    best_n_nonlinear : int
        The value with the highest mean score.
    needed_n_nonlinear : int or None
        The smallest value not credibly worse than the best; None when the
        sweep withholds its conclusion (see ``withheld``).
    baselines : dict
        ``"trivial"`` and ``"linear"`` (when computed): ``description``,
        ``mean_score``, ``std_score`` and per-fold ``scores`` on the same folds
        (with ``extra_scoring`` also ``extra_scores`` and ``mean_extra_scores``,
        as in the rows); a ``"error"`` entry instead when the model could not
        be fitted.
    margin : float
        Differences above ``-margin`` count as none: ``tolerance`` times the
        best mean's gain over the trivial baseline (0 without it).
    n_repeats, n_splits : int
        Seeds and folds behind every row.
    evidence : str
        The comparisons behind the conclusion, e.g. ``"P=2: -0.004 +- 0.006 vs
        best P=4; P=1: -0.210 +- 0.020 (worse)"``.
    withheld : str or None
        Why no conclusion is stated, or None.
    advice : tuple of str
        What to change to get (or firm up) an answer.

    Notes
    -----
    The repr is one line (the answer, the values of P, seeds and folds);
    :meth:`summary` (also ``str(result)``) is the full table with the
    baselines and the conclusion; :meth:`to_frame` gives the rows as a
    DataFrame.

    Examples
    --------
    >>> SweepResult(rows=[{"n_nonlinear": 0}, {"n_nonlinear": 2}],
    ...             best_n_nonlinear=2, needed_n_nonlinear=2, n_repeats=3,
    ...             n_splits=5)  # doctest: +NORMALIZE_WHITESPACE
    SweepResult(needed_n_nonlinear=2, best_n_nonlinear=2, n_nonlinear=[0, 2],
                3 seed(s) x 5 fold(s))
    """

    rows: list[dict] = field(repr=False)
    best_n_nonlinear: int
    needed_n_nonlinear: int | None
    baselines: dict = field(default_factory=dict, repr=False)
    margin: float = 0.0
    n_repeats: int = 1
    n_splits: int = 1
    evidence: str = ""
    withheld: str | None = None
    advice: tuple[str, ...] = ()

    @property
    def conclusion(self) -> str:
        """One sentence: the answer with its evidence, or why there is none."""
        if self.needed_n_nonlinear is None:
            return f"No conclusion: {self.withheld}"
        p = self.needed_n_nonlinear
        text = (
            f"n_nonlinear={p} is the smallest value not credibly worse than the "
            f"best (P={self.best_n_nonlinear}; {self.evidence})."
        )
        return text

    def __repr__(self) -> str:
        needed = self.needed_n_nonlinear
        answer = "None (withheld)" if needed is None else str(needed)
        values = _short_list([r["n_nonlinear"] for r in self.rows])
        return (
            f"SweepResult(needed_n_nonlinear={answer}, best_n_nonlinear="
            f"{self.best_n_nonlinear}, n_nonlinear={values}, {self.n_repeats} "
            f"seed(s) x {self.n_splits} fold(s))"
        )

    def summary(self) -> str:
        """The table of rows, the baselines and the conclusion, as text.

        The same as ``str(result)``.
        """
        return str(self)

    def to_frame(self):
        """The rows as a pandas DataFrame (requires pandas); lists (and the
        dicts of ``extra_scoring``) are dropped."""
        pd = _require_pandas("SweepResult")
        nested = (list, dict, np.ndarray)
        return pd.DataFrame(
            [
                {k: v for k, v in r.items() if not isinstance(v, nested)}
                for r in self.rows
            ]
        )

    def __str__(self) -> str:
        head = "n_nonlinear  mean score  sem     vs best (paired)  stopped"
        lines = [head]
        for r in self.rows:
            if r["n_nonlinear"] == self.best_n_nonlinear:
                versus = "best".ljust(16)
            else:
                versus = f"{r['diff_to_best']:+.3f} +- {r['diff_sem']:.3f}"
                versus = (versus + (" *" if r["worse_than_best"] else "")).ljust(16)
            lines.append(
                f"{r['n_nonlinear']:>11d}  {r['mean_score']:>10.4f}  "
                f"{r['sem_score']:<6.4f}  {versus}  {_stops(r)}"
                + ("  !" if r["under_trained"] else "")
            )
        lines.append(
            f"{self.n_repeats} seed(s) x {self.n_splits} fold(s); * credibly worse "
            f"than the best (paired difference + 1 sem < -{self.margin:.3g}); ! most "
            "fits stopped at max_iter while improving, failed, or stopped on a "
            "plateau near a constant prediction's loss (where a model that cannot "
            "learn the task stops too)"
        )
        for name, b in self.baselines.items():
            if "error" in b:
                lines.append(f"baseline {name}: not available ({b['error']})")
            else:
                lines.append(
                    f"baseline {name} ({b['description']}): {b['mean_score']:.4f} "
                    f"+- {b['std_score']:.4f}"
                )
        lines.append(self.conclusion)
        lines.extend(f"  - {a}" for a in self.advice)
        return "\n".join(lines)


def _short_list(values, max_items: int = 6) -> str:
    """``[0, 1, 2, ..., 8]``: a list for a one-line repr, shortened past max_items."""
    shown = [str(v) for v in values]
    if len(shown) > max_items:
        shown = [*shown[: max_items - 2], "...", shown[-1]]
    return "[" + ", ".join(shown) + "]"


def _stops(row) -> str:
    counts = {}
    for reason in row["stop_reasons"]:
        counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in counts.items())


def fit_and_score(
    estimator,
    X,
    y,
    train,
    test,
    scorer,
    *,
    return_train_score=False,
    error_score="raise",
    extra_scorers=None,
):
    """Fit ``estimator`` on rows ``train``; score it on rows ``test``.

    A ConvergenceWarning is recorded instead of shown; the fit's stop reason is
    read from ``stop_reason_`` when the (final) estimator has one, else it is
    "max_iter" after a ConvergenceWarning and "converged" otherwise. Other
    warnings pass through.

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
    error_score : "raise" or float, default="raise"
        Score recorded when fitting or scoring fails (stop reason "failed",
        the message in ``error``), or "raise" to propagate the error.
    extra_scorers : dict of str to callable, default=None
        Further measures of the same fitted model on the test rows, each
        ``scorer(estimator, X, y)`` returning a number or an array (e.g. one
        error per step ahead); no refit.

    Returns
    -------
    dict
        ``test_score``, ``train_score`` (None unless asked), ``fit_time`` (s),
        ``n_iter`` (None without ``n_iter_``), ``converged``, ``stop_reason``,
        ``error`` (None, or the message of a failed fit) and ``extra_scores``
        (name -> float or ndarray per ``extra_scorers``; None values for a
        failed fit; empty without ``extra_scorers``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.metrics import check_scoring
    >>> X, y = np.arange(20.0)[:, None], np.arange(20.0)
    >>> out = fit_and_score(Ridge(), X, y, np.arange(15), np.arange(15, 20),
    ...                     check_scoring(Ridge()))
    >>> round(out["test_score"], 3), out["converged"], out["stop_reason"]
    (0.999, True, 'converged')
    """
    X_train, y_train = take_rows(X, train), take_rows(y, train)
    extra_scorers = extra_scorers or {}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            estimator.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        X_test, y_test = take_rows(X, test), take_rows(y, test)
        test_score = float(scorer(estimator, X_test, y_test))
        train_score = (
            float(scorer(estimator, X_train, y_train)) if return_train_score else None
        )
        extra_scores = {
            name: _as_value(extra(estimator, X_test, y_test))
            for name, extra in extra_scorers.items()
        }
    except Exception as exc:  # recorded as a failed fit
        if isinstance(error_score, str):
            raise
        return {
            "test_score": float(error_score),
            "train_score": float(error_score) if return_train_score else None,
            "fit_time": time.perf_counter() - start,
            "n_iter": None,
            "converged": False,
            "stop_reason": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "extra_scores": dict.fromkeys(extra_scorers),
        }
    warned = False
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            warned = True
        else:  # anything unexpected is passed on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    n_iter = getattr(final, "n_iter_", None)
    reason = getattr(final, "stop_reason_", None)
    if not isinstance(reason, str):
        reason = "max_iter" if warned else "converged"
    return {
        "test_score": test_score,
        "train_score": train_score,
        "fit_time": fit_time,
        "n_iter": None if n_iter is None else int(n_iter),
        "converged": reason != "max_iter",
        "stop_reason": reason,
        "error": None,
        "extra_scores": extra_scores,
    }


def _as_value(value):
    """A scorer's value: a float, or a float64 array for array-valued scorers."""
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


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
    estimator : estimator
        An ``ALRNNRegressor``/``ALRNNClassifier`` (or a pipeline holding one).
    X, y : array-like
        Data, as accepted by the estimator.
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
    if param not in params:
        raise ValueError(
            f"{type(estimator).__name__} has no parameter {param!r}; for a pipeline "
            "pass param='<step name>__n_nonlinear'."
        )
    if not isinstance(n_repeats, Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be an integer >= 1; got {n_repeats!r}.")
    if not (isinstance(tolerance, float | int) and 0 <= tolerance < 1):
        raise ValueError(f"tolerance must be a number in [0, 1); got {tolerance!r}.")
    seed_param = param[: -len("n_nonlinear")] + "random_state"
    seeds = _repeat_seeds(params.get(seed_param), n_repeats, seed_param in params)
    X, y = indexable(X, y)
    classifier = is_classifier(estimator)
    splitter = check_cv(cv, y, classifier=classifier)
    splits = list(splitter.split(X, y))
    if isinstance(scoring, dict | list | tuple | set):
        raise ValueError(
            "scoring takes one metric (a name or a callable), which the rows are "
            f"compared on; got {type(scoring).__name__} {scoring!r}. Pass further "
            "metrics as extra_scoring={'name': scorer, ...}."
        )
    scorer = check_scoring(estimator, scoring=scoring)
    extras = _extra_scorers(estimator, extra_scoring)
    fit_jobs = [
        ((p, r, k), _configured(estimator, param, p, seed_param, seeds[r]))
        for p in values
        for r in range(n_repeats)
        for k in range(len(splits))
    ]
    reference_jobs = []
    if baselines:
        output = _output_of(params, param)
        cls = ReferenceClassifier if classifier else ReferenceRegressor
        references = (
            check_scoring(cls(), scoring=scoring),
            _extra_scorers(cls(), extra_scoring),
        )
        reference_jobs = [
            (
                (name, k),
                cls(kind="constant" if name == "trivial" else "linear", output=output),
            )
            for name in BASELINES
            for k in range(len(splits))
        ]
    fit = delayed(_indexed_fit)
    tasks = [
        fit(
            key,
            est,
            X,
            y,
            *splits[key[-1]],
            (scorer, extras),
            return_train_score,
            error_score,
        )
        for key, est in fit_jobs
    ]
    tasks += [
        fit(key, est, X, y, *splits[key[-1]], references, False, np.nan)
        for key, est in reference_jobs
    ]
    results = {}
    for key, out in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks):
        results[key] = out
        if callback is not None and len(key) == 3:
            p, r, k = key
            callback(p, r * len(splits) + k, out)
    fits = {
        p: [results[p, r, k] for r in range(n_repeats) for k in range(len(splits))]
        for p in values
    }
    refs = {
        name: [results[name, k] for k in range(len(splits))]
        for name in (BASELINES if baselines else ())
    }
    return _summarise(
        fits, refs, return_train_score, tolerance, n_repeats, len(splits), params
    )


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


def _configured(estimator, param, p, seed_param, seed):
    est = clone(estimator).set_params(**{param: p})
    if seed_param in est.get_params():
        est.set_params(**{seed_param: seed})
    return est


def _output_of(params: dict, param: str) -> str:
    output = params.get(param[: -len("n_nonlinear")] + "output", "last")
    return output if output in ("last", "sequence") else "last"


def _indexed_fit(key, estimator, X, y, train, test, scorers, with_train, error_score):
    scorer, extras = scorers
    out = fit_and_score(
        estimator,
        X,
        y,
        train,
        test,
        scorer,
        return_train_score=with_train,
        error_score=error_score,
        extra_scorers=extras,
    )
    return key, out


def _extra_scorers(estimator, extra_scoring) -> dict:
    """``extra_scoring`` as name -> scorer callables (checked like ``scoring``)."""
    if extra_scoring is None:
        return {}
    if not isinstance(extra_scoring, dict) or not all(
        isinstance(name, str) for name in extra_scoring
    ):
        raise ValueError(
            "extra_scoring must be a dict of names to scorers (a scikit-learn "
            "scorer name or a callable scorer(estimator, X, y)); got "
            f"{extra_scoring!r}."
        )
    return {
        name: check_scoring(estimator, scoring=scoring)
        for name, scoring in extra_scoring.items()
    }


def _mean_value(values: list):
    """Mean over the fits whose values are all finite (elementwise for arrays)."""
    kept = [
        np.asarray(v, dtype=np.float64)
        for v in values
        if v is not None and np.all(np.isfinite(v))
    ]
    if not kept:
        return math.nan
    mean = np.mean(np.stack(kept), axis=0)
    return float(mean) if mean.ndim == 0 else mean


def _with_extras(entry: dict, fits: list[dict]) -> dict:
    """Add ``extra_scores`` and ``mean_extra_scores`` when the fits carry any."""
    names = list(fits[0].get("extra_scores") or {}) if fits else []
    if names:
        extras = {n: [f["extra_scores"][n] for f in fits] for n in names}
        entry["extra_scores"] = extras
        entry["mean_extra_scores"] = {n: _mean_value(v) for n, v in extras.items()}
    return entry


def _row(p: int, fits: list[dict], with_train: bool) -> dict:
    scores = np.array([f["test_score"] for f in fits], dtype=float)
    finite = scores[np.isfinite(scores)]
    std = float(finite.std(ddof=1)) if len(finite) > 1 else 0.0
    reasons = [f["stop_reason"] for f in fits]
    suspicious = [r for r in reasons if r in UNDER_TRAINED]
    row = {
        "n_nonlinear": p,
        "mean_score": float(finite.mean()) if len(finite) else math.nan,
        "std_score": std,
        "sem_score": std / math.sqrt(len(finite)) if len(finite) else math.nan,
        "mean_fit_time": float(np.mean([f["fit_time"] for f in fits])),
        "converged": all(f["converged"] for f in fits),
        "under_trained": 2 * len(suspicious) >= len(fits),
        "stop_reasons": reasons,
        "errors": [f["error"] for f in fits if f["error"]],
        "scores": scores,
        "fit_times": [f["fit_time"] for f in fits],
        "n_iter": [f["n_iter"] for f in fits],
    }
    if with_train:
        train = np.array([f["train_score"] for f in fits], dtype=float)
        row["mean_train_score"] = float(np.nanmean(train)) if train.size else math.nan
        row["train_scores"] = train
    return _with_extras(row, fits)


def _baseline(name: str, fits: list[dict]) -> dict:
    scores = np.array([f["test_score"] for f in fits], dtype=float)
    errors = [f["error"] for f in fits if f["error"]]
    if errors:
        return {"description": BASELINES[name], "error": errors[0]}
    entry = {
        "description": BASELINES[name],
        "mean_score": float(scores.mean()),
        "std_score": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
        "scores": scores,
    }
    return _with_extras(entry, fits)


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


def _evidence(comparisons, best: int, needed: int) -> str:
    """The chosen P against the best, and the largest smaller P (credibly worse)."""
    parts = []
    if needed != best:
        parts.append(comparisons[needed].describe(best))
    below = [p for p in comparisons if p < needed]
    if below:
        parts.append(comparisons[max(below)].describe(best) + " (worse)")
    return "; ".join(parts) or comparisons[best].describe(best)


def _judge(by_p, best, needed, trivial, margin, params, n_repeats):
    """(why the conclusion is withheld or None, advice)."""
    advice = []
    deciding = [by_p[best]] + ([by_p[needed]] if needed != best else [])
    # a row whose fits mostly failed could have been the best: it decides too
    deciding += [
        r
        for r in by_p.values()
        if r not in deciding
        and 2 * r["stop_reasons"].count("failed") >= len(r["stop_reasons"])
    ]
    weak = [r for r in deciding if r["under_trained"]]
    reasons = {s for r in weak for s in r["stop_reasons"]}
    withheld = None
    if weak:
        names = ", ".join(f"P={r['n_nonlinear']}" for r in weak)
        what = []
        if "max_iter" in reasons:
            what.append("stopped at max_iter while still improving")
            max_iter = _param(params, "max_iter")
            advice.append(
                f"Raise max_iter (now {max_iter})." if max_iter else "Raise max_iter."
            )
        if "plateau" in reasons:
            what.append("stopped on a plateau near a constant prediction's loss")
            advice.append(
                "Raise n_iter_no_change and max_iter, or n_init (restarts), so fits "
                "get past the plateau."
            )
        if "failed" in reasons:
            errors = [e for r in weak for e in r["errors"]]
            what.append("failed" + (f" ({errors[0]})" if errors else ""))
            advice.append(
                "Fix the failing fits (see the error), e.g. lower learning_rate_init."
            )
        withheld = (
            f"the rows that decide the answer ({names}) look under-trained or "
            f"broken: most of their fits {' or '.join(what)}."
        )
    elif trivial is not None and not by_p[best]["mean_score"] > trivial + margin:
        withheld = (
            f"no value of n_nonlinear beats the trivial baseline (best mean "
            f"{by_p[best]['mean_score']:.4g} vs {trivial:.4g}): the model learnt "
            "nothing the inputs predict, or it needs more training."
        )
        advice.append("Check that X predicts y; raise max_iter or n_init.")
    if withheld and n_repeats == 1:
        advice.append("n_repeats=3 (more seeds) firms up the comparison.")
    return withheld, advice


def _param(params: dict, name: str):
    for key, value in params.items():
        if key == name or key.endswith("__" + name):
            return value
    return None
