"""The paper's sequence tasks as one registry, for the CLI and the benchmarks.

Each :class:`Task` knows how to make its data (``load``), an AL-RNN for a given
number of ReLU units P (``make_estimator``), a GRU/LSTM baseline
(``make_baseline``), how it is scored (``scoring``, ``score_name``) and what a
trivial predictor scores (``trivial_score``). Settings are fixed, sensible
defaults chosen so that a small AL-RNN learns each task within seconds on a CPU;
they were not tuned to reproduce the papers' numbers.

Private: only the command line (the :mod:`sk_alrnn.cli` package)
and the scripts in ``benchmarks/`` import it.

Shapes: N sequences, T time steps, K input features, M latent units, P ReLU units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils import check_random_state

from sk_alrnn._estimators._classifier import ALRNNClassifier
from sk_alrnn._estimators._regressor import ALRNNRegressor
from sk_alrnn.baselines import RNNClassifier, RNNRegressor
from sk_alrnn.datasets import (
    load_sequential_digits,
    make_addition_problem,
    make_contextual_integration,
    make_copy_task,
)

# Copy task layout: [COPY_LENGTH symbols][cue][delay][COPY_LENGTH recall steps].
COPY_LENGTH = 3
COPY_SYMBOLS = 4
CONTEXT_COHERENCE = 0.5  # mean evidence per step; noise has std 1
N_DIGITS = 1797  # images in scikit-learn's digits


def recall_accuracy(estimator, X, y) -> float:
    """Share of recall steps (the last ``COPY_LENGTH``) whose symbol is right.

    A scikit-learn scorer (``scorer(estimator, X, y)``) for the copy task: the
    blank steps before the recall window are easy and would swamp the per-step
    accuracy, so only the recall window counts. Chance is ``1 / COPY_SYMBOLS``.

    Examples
    --------
    >>> import numpy as np
    >>> class Echo:
    ...     def predict(self, X):
    ...         return X
    >>> y = np.array([[0, 0, 0, 1, 2, 3], [0, 0, 0, 4, 4, 4]])
    >>> pred = y.copy(); pred[1, -1] = 1
    >>> round(recall_accuracy(Echo(), pred, y), 3)
    0.833
    """
    pred = np.asarray(estimator.predict(X))  # (N, T)
    y = np.asarray(y)  # (N, T)
    return float(np.mean(pred[:, -COPY_LENGTH:] == y[:, -COPY_LENGTH:]))


def _load_addition(n_samples, n_timesteps, random_state):
    return make_addition_problem(n_samples, n_timesteps, random_state=random_state)


def _load_context(n_samples, n_timesteps, random_state):
    return make_contextual_integration(
        n_samples,
        n_timesteps,
        coherence=CONTEXT_COHERENCE,
        random_state=random_state,
    )


def _load_copy(n_samples, n_timesteps, random_state):
    delay = n_timesteps - 2 * COPY_LENGTH - 1  # T = 2 L + 1 + delay
    if delay < 0:
        raise ValueError(
            f"the copy task needs n_timesteps >= {2 * COPY_LENGTH + 1} "
            f"({COPY_LENGTH} symbols, a cue and {COPY_LENGTH} recall steps); got "
            f"{n_timesteps}. Raise --n-timesteps."
        )
    return make_copy_task(
        n_samples,
        n_symbols=COPY_SYMBOLS,
        sequence_length=COPY_LENGTH,
        delay=delay,
        random_state=random_state,
    )


def _load_digits(n_samples, n_timesteps, random_state):
    if n_timesteps != 8:
        raise ValueError(
            "the digits are read row by row and always have 8 time steps; got "
            f"n_timesteps={n_timesteps}. Leave --n-timesteps out for this task."
        )
    if n_samples > N_DIGITS:
        raise ValueError(
            f"the digits data set has {N_DIGITS} images; got n_samples={n_samples}. "
            f"Ask for at most {N_DIGITS}."
        )
    X, y = load_sequential_digits(return_X_y=True)  # (1797, 8, 8), (1797,)
    idx = check_random_state(random_state).permutation(N_DIGITS)[:n_samples]
    return X[idx], y[idx]


class EstimatorSettings:
    """The AL-RNN estimator and its settings for a task or a sweep's data.

    For a dataclass with the fields ``classification`` (bool), ``output`` (the
    estimators' ``output``) and ``extra_params`` (dict): :class:`Task` and the
    command line's ``Scoring``.
    """

    classification: bool
    output: str
    extra_params: dict

    @property
    def estimator_class(self) -> type:
        """ALRNNClassifier when ``classification``, else ALRNNRegressor."""
        return ALRNNClassifier if self.classification else ALRNNRegressor

    def settings(self, **overrides) -> dict:
        """``n_hidden``, ``max_iter``, ``learning_rate_init`` (the estimators'
        defaults unless overridden by a non-None value), ``output`` and
        ``extra_params``, then the other non-None ``overrides``."""
        settings = {
            k: v
            for k, v in self.estimator_class().get_params().items()
            if k in ("n_hidden", "max_iter", "learning_rate_init")
        }
        settings.update({"output": self.output, **self.extra_params})
        settings.update({k: v for k, v in overrides.items() if v is not None})
        return settings


#: How a task is scored unless it says otherwise, by ``classification``: the
#: estimators' own ``score`` (accuracy, R^2) as (scikit-learn name, table name).
DEFAULT_SCORING = {True: ("accuracy", "accuracy"), False: ("r2", "R^2")}


@dataclass(frozen=True, kw_only=True)
class Task(EstimatorSettings):
    """One benchmark task: data, models, scoring and defaults.

    Attributes
    ----------
    name : str
        Registry key (``--task`` value).
    title : str
        One-line description for tables and plots.
    classification : bool
        Classifier (True) or regressor (False).
    output : {"last", "sequence"}, default="last"
        The estimators' ``output``.
    scoring : str or callable, default=None
        Passed to scikit-learn as ``scoring``; None: the estimators' own score,
        ``"accuracy"`` or ``"r2"`` (:data:`DEFAULT_SCORING`).
    score_name : str, default=None
        What the score is, for tables ("R^2", "accuracy", ...); required with a
        ``scoring`` of the task's own.
    trivial_score : float
        What a trivial predictor scores (mean, majority class or chance).
    trivial_note : str
        Which trivial predictor that is (and other reference levels).
    n_samples : int, default=1500
        Default number of sequences (train + test).
    n_timesteps : int, default=20
        Default (and for ``digits`` the only) sequence length T.
    extra_params : dict
        Estimator parameters beyond the defaults (none of the tasks sets any:
        the estimators' default training, with its memory initialisation,
        schedule and plateau-proof stopping rule, is what the command line and
        the benchmarks run, as a Python user gets it).
    """

    name: str
    title: str
    classification: bool
    output: str = "last"
    scoring: str | Callable | None = None
    score_name: str | None = None
    trivial_score: float
    trivial_note: str
    n_samples: int = 1500
    n_timesteps: int = 20
    _loader: Callable = field(repr=False)
    extra_params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.scoring is None:
            scoring, score_name = DEFAULT_SCORING[self.classification]
            object.__setattr__(self, "scoring", scoring)
            object.__setattr__(self, "score_name", score_name)
        elif self.score_name is None:
            raise TypeError(
                f"task {self.name!r}: a scoring of its own needs a score_name"
            )

    def load(self, n_samples=None, random_state=None, *, n_timesteps=None):
        """Sequences ``X`` (N, T, K) and targets ``y`` (N,) or (N, T).

        Raises ValueError (with the fix) for settings the task cannot take.
        """
        n_samples = self.n_samples if n_samples is None else int(n_samples)
        n_timesteps = self.n_timesteps if n_timesteps is None else int(n_timesteps)
        return self._loader(n_samples, n_timesteps, random_state)

    def make_estimator(self, n_nonlinear, **overrides):
        """An unfitted AL-RNN with P = ``n_nonlinear`` (keywords override defaults)."""
        settings = self.settings(**overrides)
        return self.estimator_class(n_nonlinear=n_nonlinear, **settings)

    def make_baseline(self, cell="gru", **overrides):
        """An unfitted GRU/LSTM/tanh baseline with the same M and training."""
        cls = RNNClassifier if self.classification else RNNRegressor
        return cls(cell=cell, **self.settings(**overrides))


TASKS = {
    task.name: task
    for task in (
        Task(
            name="addition",
            title="adding problem (gating): sum of the 2 marked values",
            classification=False,
            trivial_score=0.0,
            trivial_note="predicting the mean scores R^2 = 0",
            _loader=_load_addition,
        ),
        Task(
            name="context",
            title="contextual integration (rule-based integration): "
            "sign of the cued evidence stream",
            classification=True,
            trivial_score=0.5,
            trivial_note="chance is 0.5; ignoring the context caps accuracy near 0.75",
            _loader=_load_context,
        ),
        Task(
            name="copy",
            title=f"copy task (memory): recall {COPY_LENGTH} of {COPY_SYMBOLS} "
            "symbols after a delay",
            classification=True,
            output="sequence",
            scoring=recall_accuracy,
            score_name="recall accuracy",
            trivial_score=1.0 / COPY_SYMBOLS,
            trivial_note=f"chance per recalled symbol is 1/{COPY_SYMBOLS}",
            n_timesteps=2 * COPY_LENGTH + 1 + 5,
            _loader=_load_copy,
        ),
        Task(
            name="digits",
            title="sequential digits: 8x8 images read row by row, 10 classes",
            classification=True,
            trivial_score=183 / N_DIGITS,
            trivial_note="the majority class scores 0.102",
            n_samples=N_DIGITS,
            n_timesteps=8,
            _loader=_load_digits,
        ),
    )
}


def get_task(name: str) -> Task:
    """The registered task called ``name``.

    Examples
    --------
    >>> task = get_task("context")
    >>> X, y = task.load(10, random_state=0)
    >>> X.shape, task.make_estimator(2).n_nonlinear
    ((10, 20, 4), 2)
    """
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(
            f"unknown task {name!r}; expected one of {sorted(TASKS)}."
        ) from None
