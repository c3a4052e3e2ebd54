"""One candidate of a sweep: fit it on a training fold, score it on the test fold.

:func:`fit_and_score` is the one fit of every sweep (and of the command line's
probe fit); the rest turn a sweep's options into what each fit needs: the
configured clone (:func:`_configured`), the checked scorers
(:func:`_extra_scorers`) and the keyed joblib task (:func:`_indexed_fit`).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring

from sk_alrnn._core._validation import take_rows

__all__ = ["fit_and_score"]


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
        scores = (
            float(scorer(estimator, X_test, y_test)),
            float(scorer(estimator, X_train, y_train)) if return_train_score else None,
            {
                name: _as_value(extra(estimator, X_test, y_test))
                for name, extra in extra_scorers.items()
            },
        )
    except Exception as exc:  # recorded as a failed fit
        if isinstance(error_score, str):
            raise
        failed = float(error_score)
        return _outcome(
            (
                failed,
                failed if return_train_score else None,
                dict.fromkeys(extra_scorers),
            ),
            time.perf_counter() - start,
            stop_reason="failed",
            error=f"{type(exc).__name__}: {exc}",
        )
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    n_iter = getattr(final, "n_iter_", None)
    return _outcome(
        scores,
        fit_time,
        stop_reason=_stop_reason(final, caught),
        n_iter=None if n_iter is None else int(n_iter),
    )


def _outcome(scores, fit_time, *, stop_reason, n_iter=None, error=None) -> dict:
    """The dict of :func:`fit_and_score` from (test, train, extra) scores."""
    test_score, train_score, extra_scores = scores
    return {
        "test_score": test_score,
        "train_score": train_score,
        "fit_time": fit_time,
        "n_iter": n_iter,
        "converged": error is None and stop_reason != "max_iter",
        "stop_reason": stop_reason,
        "error": error,
        "extra_scores": extra_scores,
    }


def _stop_reason(final, caught) -> str:
    """The fit's ``stop_reason_``, else from its ConvergenceWarnings; the other
    recorded warnings are passed on."""
    warned = False
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            warned = True
        else:  # anything unexpected is passed on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    reason = getattr(final, "stop_reason_", None)
    if not isinstance(reason, str):
        reason = "max_iter" if warned else "converged"
    return reason


def _as_value(value):
    """A scorer's value: a float, or a float64 array for array-valued scorers."""
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def _configured(estimator, param, p, seed_param, seed):
    """A clone of ``estimator`` with ``param=p`` and, where it has one, the seed."""
    est = clone(estimator).set_params(**{param: p})
    if seed_param in est.get_params():
        est.set_params(**{seed_param: seed})
    return est


def _indexed_fit(key, estimator, X, y, train, test, scorers, with_train, error_score):
    """``(key, fit_and_score(...))``: one joblib task, keyed for the sweep."""
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
