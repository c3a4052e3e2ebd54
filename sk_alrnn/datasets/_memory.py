"""Memory tasks: delayed copy (recall) and context-dependent integration.

Shapes: N sequences, T time steps, K input features per step.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from sk_alrnn._core._validation import Interval, StrOptions, validate_params


def _at_least(minimum):
    return [Interval(Integral, minimum, None, closed="left")]


def _constraints(**more):
    """validate_params constraints: n_samples, random_state and ``more``."""
    return {"n_samples": _at_least(1), **more, "random_state": ["random_state"]}


@validate_params(
    _constraints(
        n_symbols=_at_least(2),
        sequence_length=_at_least(1),
        delay=_at_least(0),
        output=[StrOptions({"sequence", "recall"})],
    ),
    prefer_skip_nested_validation=True,
)
def make_copy_task(
    n_samples=1000,
    *,
    n_symbols=4,
    sequence_length=8,
    delay=10,
    output="sequence",
    random_state=None,
):
    """Delayed recall: show symbols, wait, then reproduce them in order.

    Each sequence has ``T = 2 * sequence_length + delay + 1`` steps laid out as
    ``[sequence_length symbols][cue][delay blanks][sequence_length recall]``.
    Inputs have ``K = n_symbols + 1`` channels: channels ``0 .. n_symbols - 1``
    are a one-hot code of the symbol shown at each presentation step, and the last
    channel is the cue, 1 at the single cue step. Every other step (delay and
    recall) is blank: all zeros.

    Targets are integer labels. Label 0 is the blank label (presentation, cue and
    delay steps); during recall step ``j`` the label is ``1 + s_j``, where ``s_j``
    in ``0 .. n_symbols - 1`` is the ``j``-th symbol shown.

    Trivial baselines (in expectation; symbols are uniform and independent):

    * per recall step, chance accuracy is ``1 / n_symbols``;
    * with ``output="sequence"``, predicting the blank label everywhere scores a
      per-step accuracy of ``(T - sequence_length) / T`` (the majority label), and
      a model that knows the layout but guesses the symbols scores
      ``(T - sequence_length) / T + sequence_length / (T * n_symbols)``;
    * whole-sequence chance accuracy is ``n_symbols ** -sequence_length``.

    Parameters
    ----------
    n_samples : int, default=1000
        N, the number of sequences.
    n_symbols : int, default=4
        Size of the alphabet (at least 2).
    sequence_length : int, default=8
        Number of symbols shown and recalled (at least 1).
    delay : int, default=10
        Number of blank steps between the cue and the first recall step
        (at least 0).
    output : {"sequence", "recall"}, default="sequence"
        ``"sequence"``: a label for every step, shape ``(N, T)``, blank label 0
        outside the recall window. ``"recall"``: only the recall window, shape
        ``(N, sequence_length)``, labels ``1 .. n_symbols``.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, T, n_symbols + 1)
        One-hot symbols, then the cue channel.
    y : ndarray of int of shape (n_samples, T) or (n_samples, sequence_length)
        Per-step labels (see ``output``).

    Examples
    --------
    >>> X, y = make_copy_task(3, n_symbols=4, sequence_length=2, delay=1,
    ...                       random_state=0)
    >>> X.shape, y.shape
    ((3, 6, 5), (3, 6))
    >>> bool(np.array_equal(X[:, :2, :4].argmax(axis=2) + 1, y[:, -2:]))
    True
    >>> y[:, :4].tolist()
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    length = sequence_length
    rng = check_random_state(random_state)
    n_timesteps = 2 * length + delay + 1
    symbols = rng.randint(0, n_symbols, size=(n_samples, length))  # (N, L)
    X = np.zeros((n_samples, n_timesteps, n_symbols + 1))  # (N, T, K)
    rows = np.arange(n_samples)[:, None]
    steps = np.arange(length)[None, :]
    X[rows, steps, symbols] = 1.0
    X[:, length, n_symbols] = 1.0  # the cue
    y = np.zeros((n_samples, n_timesteps), dtype=np.int64)  # (N, T)
    y[:, n_timesteps - length :] = symbols + 1
    if output == "recall":
        y = y[:, n_timesteps - length :].copy()  # (N, L)
    return X, y


@validate_params(
    _constraints(
        n_timesteps=_at_least(1),
        coherence=[Interval(Real, 0, None, closed="neither")],
        noise=[Interval(Real, 0, None, closed="left")],
    ),
    prefer_skip_nested_validation=True,
)
def make_contextual_integration(
    n_samples=1000,
    n_timesteps=50,
    *,
    coherence=0.2,
    noise=1.0,
    random_state=None,
):
    """Context-dependent integration: the cue says which evidence stream counts.

    Each trial has two evidence streams (channels 0 and 1),
    ``x_i(t) = coherence * s_i + noise * e_i(t)`` with independent signs
    ``s_i`` in {-1, +1} and standard normal noise ``e_i(t)``, and a context cue
    (channels 2 and 3), a one-hot code of the context ``c`` in {0, 1} held at every
    step. The label is 1 if ``s_c > 0`` and 0 otherwise: the sign of the mean of
    the stream the context selects; the other stream is a distractor. Solving it
    needs the context to gate the evidence, which is multiplicative.

    Trivial baselines (in expectation; signs and contexts are fair coins):

    * chance (and majority-class) accuracy is 0.5;
    * ignoring the context and reading one fixed stream perfectly scores 0.75
      (right whenever the context selects that stream, a coin flip otherwise).

    Parameters
    ----------
    n_samples : int, default=1000
        N, the number of trials.
    n_timesteps : int, default=50
        T, the number of evidence steps (at least 1).
    coherence : float, default=0.2
        Magnitude of each stream's mean (must be > 0).
    noise : float, default=1.0
        Standard deviation of the evidence noise (must be >= 0).
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, 4)
        Evidence stream 0, evidence stream 1, context 0, context 1.
    y : ndarray of int of shape (n_samples,)
        Binary label, the sign (1 positive, 0 negative) of the selected stream's
        mean.

    Examples
    --------
    >>> X, y = make_contextual_integration(4, 10, noise=0.0, random_state=0)
    >>> X.shape, y.shape
    ((4, 10, 4), (4,))
    >>> context = X[:, 0, 2:].argmax(axis=1)
    >>> bool(np.array_equal(y, X[np.arange(4), 0, context] > 0))
    True
    """
    rng = check_random_state(random_state)
    signs = rng.choice([-1.0, 1.0], size=(n_samples, 2))  # (N, 2)
    context = rng.randint(0, 2, size=n_samples)  # (N,)
    evidence = coherence * signs[:, None, :] + noise * rng.standard_normal(
        (n_samples, n_timesteps, 2)
    )  # (N, T, 2)
    cue = np.zeros((n_samples, n_timesteps, 2))  # (N, T, 2)
    cue[np.arange(n_samples), :, context] = 1.0
    X = np.concatenate([evidence, cue], axis=-1)  # (N, T, 4)
    y = (signs[np.arange(n_samples), context] > 0).astype(np.int64)  # (N,)
    return X, y
