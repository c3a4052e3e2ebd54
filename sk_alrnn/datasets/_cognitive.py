"""Cognitive multi-task suite (after Yang et al., 2019) and its accuracy score.

Eleven ring tasks share one input layout, so that one network can learn them all
and its linear regions can be compared across tasks
(:func:`sk_alrnn.analysis.region_sharing`). The suite follows the multi-task
experiment of the AL-RNN paper (Brenner & Koppe, arXiv 2506.07919): 7 stimulus
channels plus an 11-dimensional one-hot task id (K = 18), variable-length trials,
targets (fixation, cos, sin) read at the last step, a response counted correct
when its angular error is below pi/6.

Shapes: N trials, T_i time steps of trial i, K = 18 input features, O = 3 outputs.
Numpy only (no torch).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils import check_random_state

__all__ = [
    "COGNITIVE_TASKS",
    "cognitive_accuracy",
    "cognitive_scorer",
    "make_cognitive_tasks",
]

#: The eleven task names, in the order of the one-hot task id (channels 7..17).
COGNITIVE_TASKS = (
    "DelayPro",
    "DelayAnti",
    "ReactPro",
    "ReactAnti",
    "CatPro",
    "CatAnti",
    "Match2Sample",
    "NonMatch2Sample",
    "CtxIntMod1",
    "CtxIntMod2",
    "GoNogo",
)

N_STIMULUS = 7  # fixation, modality 1 (cos, sin), modality 2 (cos, sin), 2 rules
_FIX, _RULE1, _RULE2 = 0, 5, 6
_MOD = (slice(1, 3), slice(3, 5))  # channels of modality 1 and 2
_GO_THRESHOLD = 0.6  # GoNogo: go when the stimulus strength exceeds this
_NONMATCH_MIN = np.pi / 3  # smallest sample-test offset of a non-match trial


@dataclass(frozen=True)
class _Settings:
    """Epoch lengths (inclusive ranges of steps) and noise of one difficulty."""

    context: tuple[int, int]
    stimulus: tuple[int, int]
    delay: tuple[int, int]
    response: tuple[int, int]
    input_noise: float  # std of noise on the 4 modality channels, every step
    evidence_noise: float  # std of the per-step noise of CtxInt stimuli
    go_margin: float  # GoNogo strengths keep this distance from the threshold


_DIFFICULTIES = {
    "simple": _Settings((5, 10), (10, 15), (10, 15), (5, 10), 0.0, 0.3, 0.15),
    "hard": _Settings((10, 20), (10, 40), (20, 50), (10, 20), 0.1, 0.6, 0.05),
}


def _ring(theta: float, strength: float = 1.0) -> np.ndarray:
    """(cos, sin) code of a direction, scaled by the stimulus strength."""
    return strength * np.array([np.cos(theta), np.sin(theta)])


def _go(theta: float) -> np.ndarray:
    """Target of a response toward theta: stop fixating, point at theta."""
    return np.array([0.0, np.cos(theta), np.sin(theta)])


_NOGO = np.array([1.0, 0.0, 0.0])  # keep fixating, no direction


def _steps(rng, span: tuple[int, int]) -> int:
    return int(rng.randint(span[0], span[1] + 1))


def _stim(modality: int, value) -> tuple:
    """Stimulus of an epoch: ``value`` (2,) or (steps, 2) in one modality."""
    return ((modality, value),)


# Each task draws its epochs and target. An epoch is (steps, fixate, stimuli),
# stimuli a tuple of (modality, (2,) or (steps, 2) values).


def _delay(rng, s, rule):
    theta, mod = rng.uniform(0, 2 * np.pi), rng.randint(2)
    epochs = [
        (_steps(rng, s.context), True, ()),
        (_steps(rng, s.stimulus), True, _stim(mod, _ring(theta))),
        (_steps(rng, s.delay), True, ()),
        (_steps(rng, s.response), False, ()),
    ]
    return epochs, _go(theta + np.pi * (rule == 2))


def _react(rng, s, rule):
    theta, mod = rng.uniform(0, 2 * np.pi), rng.randint(2)
    epochs = [
        (_steps(rng, s.context), True, ()),
        (_steps(rng, s.stimulus), False, _stim(mod, _ring(theta))),
    ]
    return epochs, _go(theta + np.pi * (rule == 2))


def _category(rng, s, rule):
    theta, mod = rng.uniform(0, 2 * np.pi), rng.randint(2)
    upper = theta < np.pi  # category of the stimulus: upper or lower half-ring
    answer = np.pi / 2 if upper == (rule == 1) else 3 * np.pi / 2
    epochs = [
        (_steps(rng, s.context), True, ()),
        (_steps(rng, s.stimulus), True, _stim(mod, _ring(theta))),
        (_steps(rng, s.response), False, ()),
    ]
    return epochs, _go(answer)


def _match(rng, s, rule):
    sample, mod = rng.uniform(0, 2 * np.pi), rng.randint(2)
    same = bool(rng.randint(2))
    offset = 0.0 if same else rng.uniform(_NONMATCH_MIN, 2 * np.pi - _NONMATCH_MIN)
    test = (sample + offset) % (2 * np.pi)
    epochs = [
        (_steps(rng, s.context), True, ()),
        (_steps(rng, s.stimulus), True, _stim(mod, _ring(sample))),
        (_steps(rng, s.delay), True, ()),
        (_steps(rng, s.stimulus), True, _stim(mod, _ring(test))),
        (_steps(rng, s.response), False, ()),
    ]
    respond = same == (rule == 1)  # Match2Sample: go on a match; NonMatch: on a non
    return epochs, _go(test) if respond else _NOGO.copy()


def _context(rng, s, rule):
    thetas = rng.uniform(0, 2 * np.pi, size=2)
    strengths = rng.uniform(0.5, 1.0, size=2)
    n_stim = _steps(rng, s.stimulus)
    noise = s.evidence_noise * rng.normal(size=(2, n_stim, 2))  # (2, steps, 2)
    stimuli = tuple((m, _ring(thetas[m], strengths[m]) + noise[m]) for m in range(2))
    epochs = [
        (_steps(rng, s.context), True, ()),
        (n_stim, True, stimuli),
        (_steps(rng, s.delay), True, ()),
        (_steps(rng, s.response), False, ()),
    ]
    return epochs, _go(thetas[rule - 1])


def _gonogo(rng, s, rule):
    theta, mod = rng.uniform(0, 2 * np.pi), rng.randint(2)
    go = bool(rng.randint(2))
    distance = rng.uniform(s.go_margin, 0.4)  # strength in [0.2, 1.0]
    strength = _GO_THRESHOLD + distance if go else _GO_THRESHOLD - distance
    epochs = [
        (_steps(rng, s.context), True, ()),
        (_steps(rng, s.stimulus), True, _stim(mod, _ring(theta, strength))),
        (_steps(rng, s.response), False, ()),
    ]
    return epochs, _go(theta) if go else _NOGO.copy()


# name -> (generator, rule channel: 1, 2 or 0 for none)
_BUILDERS = {
    "DelayPro": (_delay, 1),
    "DelayAnti": (_delay, 2),
    "ReactPro": (_react, 1),
    "ReactAnti": (_react, 2),
    "CatPro": (_category, 1),
    "CatAnti": (_category, 2),
    "Match2Sample": (_match, 1),
    "NonMatch2Sample": (_match, 2),
    "CtxIntMod1": (_context, 1),
    "CtxIntMod2": (_context, 2),
    "GoNogo": (_gonogo, 0),
}


def _assemble(epochs, rule: int, task_index: int, noise: float, rng) -> np.ndarray:
    """Stack the epochs of one trial into its (T_i, K) input array."""
    n_steps = sum(e[0] for e in epochs)
    x = np.zeros((n_steps, N_STIMULUS + len(COGNITIVE_TASKS)))  # (T_i, K)
    start = 0
    for steps, fixate, stimuli in epochs:
        rows = slice(start, start + steps)
        x[rows, _FIX] = float(fixate)
        for modality, value in stimuli:
            x[rows, _MOD[modality]] = value  # (2,) or (steps, 2)
        start += steps
    if rule:
        x[:, _RULE1 if rule == 1 else _RULE2] = 1.0
    x[:, N_STIMULUS + task_index] = 1.0
    if noise > 0:
        x[:, 1:5] += noise * rng.normal(size=(n_steps, 4))  # (T_i, 4)
    return x


def _check_tasks(tasks) -> list[str]:
    if tasks is None:
        return list(COGNITIVE_TASKS)
    if isinstance(tasks, str):
        tasks = [tasks]
    try:
        names = list(dict.fromkeys(tasks))  # drop duplicates, keep the order
    except TypeError:
        raise TypeError(
            f"tasks must be None, a task name or a list of task names; got "
            f"{type(tasks).__name__}. Valid names: {', '.join(COGNITIVE_TASKS)}."
        ) from None
    unknown = [t for t in names if t not in _BUILDERS]
    if unknown:
        raise ValueError(
            f"Unknown task name(s) {unknown}; valid names are "
            f"{', '.join(COGNITIVE_TASKS)}. Pass a subset of these or tasks=None "
            "for all eleven."
        )
    if not names:
        raise ValueError(
            "tasks is empty; pass at least one task name or tasks=None for all "
            f"eleven ({', '.join(COGNITIVE_TASKS)})."
        )
    return names


def make_cognitive_tasks(
    n_samples=1000, *, tasks=None, difficulty="simple", random_state=None
):
    """Trials of the 11-task cognitive suite (ring tasks after Yang et al., 2019).

    Every trial is a sequence of epochs (context, stimulus, delay, response, as the
    task needs), each lasting a random number of steps, so trials have different
    lengths. A network sees 18 input channels at each step:

    * 0: fixation cue, 1 until the response epoch (the "go" signal is its end);
    * 1, 2: modality 1, ``strength * (cos theta, sin theta)`` of a stimulus at
      direction theta (0 when no stimulus is shown);
    * 3, 4: modality 2, the same code;
    * 5, 6: rule cues, held for the whole trial: channel 5 for DelayPro,
      ReactPro, CatPro, Match2Sample and CtxIntMod1, channel 6 for their Anti,
      NonMatch and Mod2 twins, neither for GoNogo;
    * 7..17: one-hot task id, held for the whole trial, in the order of
      ``COGNITIVE_TASKS`` (also when ``tasks`` is a subset).

    The target is the output expected at the last step: ``(fixation, cos, sin)``,
    ``(0, cos phi, sin phi)`` for a response toward phi and ``(1, 0, 0)`` for a
    no-go trial (keep fixating). Stimuli have strength 1 and appear in a random
    modality unless stated otherwise; directions are uniform on the ring.

    * DelayPro / DelayAnti: context, stimulus theta, delay, response; respond
      toward theta / theta + pi.
    * ReactPro / ReactAnti: context, then the stimulus with the fixation cue off
      (respond at once); toward theta / theta + pi.
    * CatPro / CatAnti: context, stimulus, response; the category is the half
      ring of theta (upper: ``theta < pi``); CatPro points at the centre of the
      stimulus's half (pi/2 or 3 pi/2), CatAnti at the other one.
    * Match2Sample / NonMatch2Sample: context, sample, delay, test (same
      modality), response; half the trials match (test = sample), the others
      differ by at least pi/3. Match2Sample responds toward the test on a match
      and keeps fixating otherwise; NonMatch2Sample the reverse.
    * CtxIntMod1 / CtxIntMod2: context, stimulus in both modalities at once
      (independent directions, strengths uniform in [0.5, 1], isotropic Gaussian
      noise every step), delay, response; respond toward the direction of
      modality 1 / 2, ignoring the other.
    * GoNogo: context, stimulus of strength in [0.2, 1], response; go (respond
      toward theta) when the strength exceeds 0.6, else keep fixating.

    Epoch lengths are drawn uniformly (inclusive) per trial and epoch:

    ============  =======  ========  =====  ========  ===========  =========  =========
    difficulty    context  stimulus  delay  response  input noise  ctx noise  go margin
    ============  =======  ========  =====  ========  ===========  =========  =========
    ``"simple"``  5-10     10-15     10-15  5-10      0            0.3        0.15
    ``"hard"``    10-20    10-40     20-50  10-20     0.1          0.6        0.05
    ============  =======  ========  =====  ========  ===========  =========  =========

    "Input noise" is the standard deviation of Gaussian noise added to the four
    modality channels at every step (all tasks), "ctx noise" that of the
    CtxInt stimuli's own per-step noise, and "go margin" the smallest distance of
    a GoNogo strength from the 0.6 threshold. Tasks are balanced: each appears
    ``n_samples // len(tasks)`` or one more times, in random order.

    Score predictions with :func:`cognitive_accuracy` (or
    ``scoring=cognitive_scorer``); chance is about 1/6 on response trials.

    Parameters
    ----------
    n_samples : int, default=1000
        N, the number of trials (at least 1).
    tasks : str, list of str or None, default=None
        Task names to draw from (see ``COGNITIVE_TASKS``); None means all eleven.
    difficulty : {"simple", "hard"}, default="simple"
        Epoch lengths and noise, as in the table above.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    X : list of n_samples ndarrays of shape (T_i, 18)
        Input trials of different lengths (the ragged format the estimators
        accept; they read the output at each trial's last step).
    y : ndarray of shape (n_samples, 3)
        Target (fixation, cos, sin) at the last step.
    task : ndarray of str of shape (n_samples,)
        Task name of every trial.

    See Also
    --------
    cognitive_accuracy : Share of trials answered correctly.

    Examples
    --------
    >>> X, y, task = make_cognitive_tasks(22, random_state=0)
    >>> len(X), X[0].shape[1], y.shape, sorted(set(task)) == sorted(COGNITIVE_TASKS)
    (22, 18, (22, 3), True)
    >>> X, y, task = make_cognitive_tasks(4, tasks=["DelayPro"], random_state=0)
    >>> bool((X[0][:, 7] == 1).all()), bool((y[:, 0] == 0).all())
    (True, True)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(
            f"n_samples must be an integer >= 1; got {n_samples!r} "
            f"({type(n_samples).__name__}). Pass the number of trials, e.g. 1000."
        )
    if n_samples < 1:
        raise ValueError(
            f"n_samples must be an integer >= 1; got {n_samples}. Pass the number "
            "of trials, e.g. 1000."
        )
    names = _check_tasks(tasks)
    if difficulty not in _DIFFICULTIES:
        raise ValueError(
            f"difficulty must be 'simple' or 'hard'; got {difficulty!r}. 'hard' has "
            "longer epochs and noisier stimuli."
        )
    settings = _DIFFICULTIES[difficulty]
    rng = check_random_state(random_state)
    picks = rng.permutation(np.arange(int(n_samples)) % len(names))  # balanced
    X, y = [], np.empty((int(n_samples), 3))  # y: (N, 3)
    for i, pick in enumerate(picks):
        name = names[pick]
        build, rule = _BUILDERS[name]
        epochs, target = build(rng, settings, rule)
        index = COGNITIVE_TASKS.index(name)
        X.append(_assemble(epochs, rule, index, settings.input_noise, rng))
        y[i] = target
    task = np.array([names[p] for p in picks], dtype=str)
    return X, y, task


def cognitive_accuracy(
    y_true, y_pred, *, sample_weight=None, tolerance=np.pi / 6, threshold=0.5
):
    """Share of trials answered correctly, as in the multi-task suite.

    Outputs are (fixation, cos, sin) at the last step of each trial. A fixation
    value above ``threshold`` means "keep fixating".

    * A response trial (target fixation <= ``threshold``) is correct when the
      model stops fixating (fixation output <= ``threshold``) and the direction
      ``atan2(sin, cos)`` of its output lies within ``tolerance`` (strictly) of
      the target's. An output (cos, sin) = (0, 0) has no direction: wrong.
    * A no-go trial (target fixation > ``threshold``: Match2Sample,
      NonMatch2Sample and GoNogo trials that must not respond) is correct when
      the model keeps fixating; its direction outputs are ignored.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, 3)
        Targets, as returned by :func:`make_cognitive_tasks`.
    y_pred : array-like of shape (n_samples, 3)
        Predicted (fixation, cos, sin).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the trials.
    tolerance : float, default=pi/6
        Largest angular error (radians, exclusive) of a correct response.
    threshold : float, default=0.5
        Fixation values above it mean "keep fixating".

    Returns
    -------
    float
        Weighted share of correct trials, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    >>> y_pred = np.array([[0.1, 0.9, 0.3], [0.2, 1.0, 0.0], [0.8, 0.0, -1.0]])
    >>> cognitive_accuracy(y_true, y_pred)  # right, 90 degrees off, kept fixating
    0.6666666666666666
    """
    y_true = _check_outputs(y_true, "y_true")
    y_pred = _check_outputs(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and "
            f"{y_pred.shape}. Pass one (fixation, cos, sin) row per trial in both."
        )
    if not tolerance > 0:
        raise ValueError(f"tolerance must be > 0 (radians); got {tolerance!r}.")
    nogo = y_true[:, 0] > threshold  # (N,)
    fixates = y_pred[:, 0] > threshold  # (N,)
    target = np.arctan2(y_true[:, 2], y_true[:, 1])  # (N,)
    angle = np.arctan2(y_pred[:, 2], y_pred[:, 1])  # (N,)
    error = np.abs(np.angle(np.exp(1j * (angle - target))))  # wrapped to [0, pi]
    has_direction = np.hypot(y_pred[:, 1], y_pred[:, 2]) > 0
    correct = np.where(nogo, fixates, ~fixates & has_direction & (error < tolerance))
    return float(np.average(correct, weights=sample_weight))


def _check_outputs(y, name: str) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != 3 or y.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (n_samples, 3) with n_samples >= 1, the "
            f"(fixation, cos, sin) output per trial; got shape {y.shape}. Fit the "
            "estimator on y from make_cognitive_tasks (output='last')."
        )
    if not np.isfinite(y).all():
        raise ValueError(
            f"{name} contains NaN or infinity; pass finite (fixation, cos, sin) "
            "outputs (a diverged fit predicts NaN: refit it)."
        )
    return y


#: scikit-learn scorer of :func:`cognitive_accuracy` (greater is better), for
#: ``cross_val_score(..., scoring=cognitive_scorer)`` or a grid search.
cognitive_scorer = make_scorer(cognitive_accuracy)
