"""Where is nonlinearity needed? Prune ReLU units that do not switch on the data.

Shapes: n sequences, M latent units, P nonlinear (ReLU) units (the last P), O
outputs.

A ReLU unit that is on at (almost) every step acts as the identity, one that is
off at (almost) every step passes nothing on through ``W``: on the data, either
one is a linear unit. :func:`prune_nonlinearity` turns such units linear (for
exactly-on or exactly-off units the model computes the same function on the
data), fine-tunes with the smaller P and repeats while the held-out score stays
within a tolerance of the first fit's.

Torch-free: the weights travel as :class:`~sk_alrnn.ALRNNParams` through the
estimator's ``init`` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split

from sk_alrnn._core._layout import n_linear
from sk_alrnn._core._pandas import _require_pandas
from sk_alrnn._core._params import ALRNNParams
from sk_alrnn._core._validation import Interval, validate_params
from sk_alrnn.analysis import as_params, nonlinearity_usage

__all__ = ["PruningResult", "prune_nonlinearity"]


@dataclass(frozen=True)
class PruningResult:
    """What :func:`prune_nonlinearity` found.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model with the kept P (the last accepted fine-tune; the first
        fit when nothing could be pruned).
    n_nonlinear : int
        P of ``estimator_``: the ReLU units it kept.
    initial_n_nonlinear : int
        P of the first fit.
    score : float
        Held-out score of ``estimator_`` (higher is better).
    initial_score : float
        Held-out score of the first fit.
    pruned_units : tuple of int
        The ReLU units turned linear, numbered 0..P-1 as in the first fit (0 =
        the first of its last P latent units), in the order they went.
    history : list of dict
        One entry per fit: ``round``, ``n_nonlinear``, ``units`` (the units the
        fit turned linear, first fit's numbering), ``score``, ``accepted`` and
        ``n_iter`` (epochs of that fit).
    stop_reason : str
        Why pruning stopped.
    """

    estimator_: object
    n_nonlinear: int
    initial_n_nonlinear: int
    score: float
    initial_score: float
    pruned_units: tuple
    history: list = field(repr=False)
    stop_reason: str = ""

    def __repr__(self) -> str:
        return (
            f"PruningResult(n_nonlinear={self.n_nonlinear} of "
            f"{self.initial_n_nonlinear}, score={self.score:.4g} (first fit "
            f"{self.initial_score:.4g}), pruned_units={list(self.pruned_units)})"
        )

    def summary(self) -> str:
        """One line per fit, then why pruning stopped."""
        lines = [
            f"kept P={self.n_nonlinear} of {self.initial_n_nonlinear} ReLU units; "
            f"held-out score {self.score:.4g} (first fit {self.initial_score:.4g})",
            "  round  P  score      accepted  units turned linear",
        ]
        for step in self.history:
            units = ", ".join(map(str, step["units"])) or "-"
            lines.append(
                f"  {step['round']:5d}  {step['n_nonlinear']:<2d} "
                f"{step['score']:<10.4g} {step['accepted']!s:<9} {units}"
            )
        lines.append(f"stopped: {self.stop_reason}")
        return "\n".join(lines)

    def to_frame(self):
        """The history as a pandas DataFrame (one row per fit)."""
        return _require_pandas("PruningResult").DataFrame(self.history)


def _final_step(estimator):
    """(the AL-RNN, its parameter prefix): a Pipeline's last step, else itself."""
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        name, last = steps[-1]
        return last, f"{name}__"
    return estimator, ""


def _check_estimator(estimator) -> tuple[object, str]:
    model, prefix = _final_step(estimator)
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    missing = [p for p in ("n_nonlinear", "n_hidden", "init") if p not in params]
    if missing or not hasattr(model, "get_alrnn_params"):
        raise TypeError(
            "prune_nonlinearity needs an AL-RNN estimator (ALRNNRegressor, "
            "ALRNNClassifier) or a Pipeline ending in one; got "
            f"{type(model).__name__}, which lacks "
            f"{missing or ['get_alrnn_params']}."
        )
    if params.get("activation", "relu") != "relu":
        raise ValueError(
            "prune_nonlinearity needs activation='relu' (units that never switch "
            f"are linear only for a ReLU); got activation={params['activation']!r}."
        )
    return model, prefix


def _linearized(params: ALRNNParams, units, on) -> ALRNNParams:
    """The params with ReLU units ``units`` (0..P-1) made linear.

    A unit that is always on (``on[i]``) is the identity: its self-coupling
    ``A_i + W_ii`` moves onto W's diagonal. A unit that is always off passes
    nothing on: W's column for it becomes zero except the diagonal, which takes
    its self-coupling ``A_i``. The units go to the end of the linear block
    (linear units first, ReLU units last); on data where the units are exactly
    on or off, the result computes the same states and outputs.
    """
    m, p = params.n_hidden, params.n_nonlinear
    first_relu = n_linear(m, p)  # the ReLU units are first_relu..M-1
    A, W = params.A.copy(), params.W.copy()
    for unit, is_on in zip(units, on, strict=True):
        i = first_relu + unit
        if is_on:
            W[i, i] += A[i]
        else:
            W[:, i] = 0.0
            W[i, i] = A[i]
        A[i] = 0.0
    moved = [first_relu + u for u in units]
    kept = [first_relu + u for u in range(p) if u not in set(units)]
    order = np.array(list(range(first_relu)) + moved + kept)  # (M,) new -> old unit
    return ALRNNParams(
        A=A[order],
        W=W[np.ix_(order, order)],
        C=params.C[order],
        h=params.h[order],
        B=params.B[:, order],
        b=params.b,
        n_nonlinear=p - len(units),
        activation=params.activation,
    )


def _split(X, y, validation_data, validation_fraction, random_state, classifier):
    if validation_data is not None:
        if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
            raise TypeError(
                "validation_data must be a tuple (X_val, y_val); got "
                f"{type(validation_data).__name__}."
            )
        return X, validation_data[0], y, validation_data[1]
    stratify = np.asarray(y) if classifier and np.ndim(y) == 1 else None
    return train_test_split(
        X,
        y,
        test_size=validation_fraction,
        random_state=random_state,
        stratify=stratify,
    )


@validate_params(
    {
        "tol": [Interval(Real, 0, None, closed="left")],
        "threshold": [Interval(Real, 0, 0.5, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "max_rounds": [Interval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def prune_nonlinearity(
    estimator,
    X,
    y,
    *,
    validation_data=None,
    validation_fraction=0.2,
    scoring=None,
    tol=0.01,
    threshold=0.01,
    max_iter=None,
    max_rounds=None,
    random_state=None,
):
    """Turn ReLU units that (almost) never switch linear while the score holds.

    Fits a clone of ``estimator`` with its P ReLU units, then repeats: find the
    units that are on at more than ``1 - threshold`` or at fewer than
    ``threshold`` of the training steps (an always-on ReLU is the identity, an
    always-off one is silent: either acts linearly), turn them linear, fine-tune
    from the result with the smaller P and keep it when its held-out score is at
    least the best so far minus ``tol``. Then it goes on with the units that
    switch least (a unit that is mostly on becomes the identity, one mostly off
    silent), twice as many after a kept fit and half as many after a refused
    one, until P = 0 or turning the single least switching unit linear costs
    more than ``tol``: what is left is the nonlinearity the task needs.

    Parameters
    ----------
    estimator : ALRNNRegressor, ALRNNClassifier or Pipeline ending in one
        Unfitted template with ``activation="relu"``; it is cloned, never
        changed. Its P is where pruning starts.
    X : array-like of shape (n, T, K) or (n, T), or list of (T_i, K) arrays
        Training sequences.
    y : array-like
        Targets, as the estimator's ``fit`` takes them.
    validation_data : tuple (X_val, y_val), optional
        Held-out sequences that score every fit. When omitted, a random
        ``validation_fraction`` of the sequences is held out (stratified by
        class for a classifier) and the fits train on the rest.
    validation_fraction : float, default=0.2
        Share of the sequences held out when ``validation_data`` is omitted.
    scoring : str or callable, optional
        A scikit-learn scorer (higher is better); the estimator's ``score``
        (R^2 or accuracy) when omitted.
    tol : float, default=0.01
        Largest drop of the held-out score below the best kept so far that a
        pruned model may have (in the scorer's units: 0.01 is one point of R^2
        or of accuracy).
    threshold : float, default=0.01
        A unit on at fewer than ``threshold`` or more than ``1 - threshold`` of
        the training steps counts as not switching: all such units go together
        in the first pruning fit; with 0, only units that are on at no step or
        at every step.
    max_iter : int, optional
        Epochs of each fine-tune (``max_iter`` of the clone); the estimator's own
        when omitted. The fine-tunes use ``n_init=1``: they all start from the
        same weights.
    max_rounds : int, optional
        Most pruning fits after the first fit (no limit when omitted; each
        refused fit halves the number tried, so there are about 2 log2(P) + 2
        when most units can go, and at most 2P).
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out split; pass an int for a reproducible split. The
        fits are seeded by the estimator's own ``random_state``.

    Returns
    -------
    PruningResult
        ``estimator_`` (fitted, the kept P), ``n_nonlinear``, ``score``,
        ``pruned_units``, ``history`` and ``stop_reason``.

    Raises
    ------
    TypeError
        When ``estimator`` is not an AL-RNN estimator or a Pipeline ending in one.
    ValueError
        For an activation other than ``"relu"`` or invalid parameters, before
        any training.

    See Also
    --------
    sk_alrnn.analysis.nonlinearity_usage : The on-fractions pruning reads.
    sweep_nonlinearity : Cross-validated scores for a range of P.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.model_selection import prune_nonlinearity
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 5, 2))
    >>> y = X.sum(axis=(1, 2))  # a linear task
    >>> est = ALRNNRegressor(n_hidden=6, n_nonlinear=4, max_iter=20, random_state=0)
    >>> result = prune_nonlinearity(est, X, y, random_state=0)
    >>> result.n_nonlinear < 4
    True
    >>> result.estimator_.n_nonlinear == result.n_nonlinear
    True
    """
    model, prefix = _check_estimator(estimator)
    data = _split(
        X, y, validation_data, validation_fraction, random_state, is_classifier(model)
    )
    tuning = {f"{prefix}n_init": 1}
    if max_iter is not None:
        tuning[f"{prefix}max_iter"] = max_iter
    pruning = _Pruning(
        estimator, prefix, tuning, data, check_scoring(estimator, scoring=scoring), tol
    )
    return pruning.result(_rounds(pruning, threshold, max_rounds))


class _Pruning:
    """One pruning run: its data, the model kept so far and every fit's entry.

    Made with the first fit (of a clone of ``estimator`` with its own P);
    :meth:`fine_tune` tries one smaller P.
    """

    def __init__(self, estimator, prefix, tuning, data, scorer, tol):
        self.estimator, self.prefix, self.tuning = estimator, prefix, tuning
        self.X_fit, self.X_val, self.y_fit, self.y_val = data
        self.scorer, self.tol = scorer, tol
        first = clone(estimator).fit(self.X_fit, self.y_fit)
        self.best, self.best_score = first, self._score(first)
        self.origin = list(range(int(as_params(first).n_nonlinear)))  # -> first's
        self.pruned: list[int] = []
        self.history = [_entry(0, len(self.origin), (), self.best_score, True, first)]

    def _score(self, fitted) -> float:
        return float(self.scorer(fitted, self.X_val, self.y_val))

    def fine_tune(self, units, on) -> bool:
        """Turn the kept model's ReLU ``units`` linear and fine-tune; keep the
        result (and say True) when its held-out score is within ``tol``."""
        start = _linearized(as_params(self.best), units, on)
        trial = clone(self.estimator).set_params(
            **self.tuning,
            **{
                f"{self.prefix}n_nonlinear": start.n_nonlinear,
                f"{self.prefix}init": start,
            },
        )
        trial.fit(self.X_fit, self.y_fit)
        score = self._score(trial)
        accepted = score >= self.best_score - self.tol
        named = tuple(self.origin[u] for u in units)
        self.history.append(
            _entry(len(self.history), start.n_nonlinear, named, score, accepted, trial)
        )
        if accepted:
            self.best, self.best_score = trial, score
            self.pruned.extend(named)
            self.origin = [o for i, o in enumerate(self.origin) if i not in set(units)]
        return accepted

    def result(self, stop_reason: str) -> PruningResult:
        first = self.history[0]
        return PruningResult(
            estimator_=self.best,
            n_nonlinear=len(self.origin),
            initial_n_nonlinear=first["n_nonlinear"],
            score=self.best_score,
            initial_score=first["score"],
            pruned_units=tuple(self.pruned),
            history=self.history,
            stop_reason=stop_reason,
        )


def _rounds(pruning: _Pruning, threshold: float, max_rounds) -> str:
    """Fine-tune with fewer and fewer ReLU units; returns why it stopped.

    The kept model's quiet units go first, all together; after a kept fit twice
    as many of the least switching units are tried, after a refused one half
    as many.
    """
    budget = np.inf if max_rounds is None else max_rounds
    size, ranked = 0, None  # units to turn linear next; the kept model's, ranked
    while pruning.origin:
        if ranked is None:  # a new model: rank its units, its quiet ones go first
            ranked, on, n_quiet = _ranked(pruning.best, pruning.X_fit, threshold)
            size = max(size, n_quiet, 1)
        size = min(size, len(ranked))
        if len(pruning.history) - 1 >= budget:  # fits after the first one
            return f"max_rounds={max_rounds} reached"
        if pruning.fine_tune(ranked[:size], on[:size]):
            size *= 2  # it went: try twice as many next
            ranked = None
        elif size > 1:
            size //= 2  # too many at once: try half as many
        else:
            return (
                "turning the least switching unit linear lowered the held-out "
                f"score by more than tol={pruning.tol:g}"
            )
    return "no ReLU unit left"


def _entry(round_, n_nonlinear, units, score, accepted, fitted) -> dict:
    model, _ = _final_step(fitted)
    return {
        "round": round_,
        "n_nonlinear": int(n_nonlinear),
        "units": tuple(int(u) for u in units),
        "score": score,
        "accepted": bool(accepted),
        "n_iter": int(getattr(model, "n_iter_", 0)),
    }


def _ranked(fitted, X, threshold: float) -> tuple[list[int], list[bool], int]:
    """The ReLU units, least switching first; whether each is mostly on; how
    many are on at fewer than ``threshold`` or more than ``1 - threshold`` of
    the steps (or at none or all)."""
    active = nonlinearity_usage(fitted, X).active_fraction  # (P,)
    extremeness = np.minimum(active, 1.0 - active)  # 0 = never switches
    units = [int(u) for u in np.argsort(extremeness, kind="stable")]
    quiet = int(np.sum((extremeness < threshold) | (extremeness == 0)))
    return units, [bool(active[u] > 0.5) for u in units], quiet
