"""Tasks whose answer to "does it need nonlinearity?" is known by construction.

Used by tests/estimators/test_known_answer.py. Each generator returns ``(X, y)``
for a few hundred sequences; ``KNOWN`` lists, per task, whether a linear RNN (P = 0)
suffices, the estimator class and output, the scorer and the score a solved
task reaches.

Shapes: N sequences, T time steps, K features per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sk_alrnn import ALRNNClassifier, ALRNNRegressor


def linear_filter(n, seed, n_timesteps=20, n_features=2, noise=0.1):
    """y = sum_t w_t . x_t + noise, with weights decaying into the past: linear."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_timesteps, n_features))
    decay = 0.8 ** np.arange(n_timesteps)[::-1]  # (T,), 1 at the last step
    w = rng.normal(size=n_features)[None, :] * decay[:, None]  # (T, K)
    y = (X * w).sum(axis=(1, 2)) + noise * rng.normal(size=n)
    return X, y


def abs_sum(n, seed, n_timesteps=16):
    """y = |sum_t x_t|: symmetric in the sum, so no linear function predicts it."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_timesteps, 1))
    return X, np.abs(X.sum(axis=(1, 2)))


def xor_of_signs(n, seed, n_timesteps=20):
    """Two marked steps carry +-1; the label says whether their signs agree.

    Channel 0 is noise with two marked values of +-1, channel 1 the markers
    (one in each half). XOR is not linearly separable.
    """
    rng = np.random.RandomState(seed)
    X = 0.5 * rng.normal(size=(n, n_timesteps, 2))
    rows = np.arange(n)
    first = rng.randint(0, n_timesteps // 2, n)
    second = rng.randint(n_timesteps // 2, n_timesteps, n)
    a, b = rng.choice([-1.0, 1.0], n), rng.choice([-1.0, 1.0], n)
    X[:, :, 1] = 0.0
    X[rows, first, 0], X[rows, second, 0] = a, b
    X[rows, first, 1], X[rows, second, 1] = 1.0, 1.0
    return X, (a == b).astype(int)


def contextual_integration(n, seed, shortest=40, longest=120):
    """Ragged trials: a cue says which of two noisy streams to integrate.

    Channels: stream 1, stream 2 (mean +-0.1, noise 1), the cue one-hot (2) and
    a go flag at the last step; the label is the sign of the cued stream's sum.
    Ignoring the cue (integrating both) caps accuracy near 0.75: gating needs P>0.
    """
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n):
        steps = rng.randint(shortest, longest + 1)
        x = np.zeros((steps, 5))
        cue = rng.randint(2)
        means = 0.1 * rng.choice([-1.0, 1.0], 2)
        x[:, :2] = means + rng.normal(size=(steps, 2))
        x[:, 2 + cue] = 1.0
        x[-1, 4] = 1.0
        X.append(x)
        y.append(int(x[:, cue].sum() > 0))
    return X, np.array(y)


def delayed_copy(n, seed, n_symbols=4, length=3, delay=25):
    """Recall ``length`` symbols after ``delay`` blank steps (one label per step).

    Channels: the symbols one-hot (1..n_symbols, channel 0 unused), then a recall
    cue; labels are 0 (blank) except the last ``length`` steps, which repeat the
    symbols. Scored on the recall steps only (``recall_accuracy``).
    """
    rng = np.random.RandomState(seed)
    n_steps = 2 * length + 1 + delay
    symbols = rng.randint(1, n_symbols + 1, size=(n, length))  # (N, L)
    X = np.zeros((n, n_steps, n_symbols + 2))
    y = np.zeros((n, n_steps), dtype=int)
    rows = np.arange(n)
    for j in range(length):
        X[rows, j, symbols[:, j]] = 1.0
    X[:, length + delay, n_symbols + 1] = 1.0  # recall cue
    y[:, n_steps - length :] = symbols
    return X, y


def recall_accuracy(length):
    """Scorer: accuracy over the last ``length`` steps (the recall window)."""

    def score(estimator, X, y):
        pred = np.asarray(estimator.predict(X))
        return float(np.mean(pred[:, -length:] == np.asarray(y)[:, -length:]))

    return score


@dataclass(frozen=True)
class Known:
    """A task with a known answer."""

    make: object  # (n, seed) -> (X, y)
    n_samples: int
    linear_suffices: bool
    estimator: type
    output: str = "last"
    scoring: object = None  # None: the estimator's score
    solved: float = 0.8  # best CV score a solved task reaches


KNOWN = {
    "linear_filter": Known(linear_filter, 480, True, ALRNNRegressor, solved=0.9),
    "abs_sum": Known(abs_sum, 480, False, ALRNNRegressor, solved=0.7),
    "xor_of_signs": Known(xor_of_signs, 480, False, ALRNNClassifier),
    "contextual_integration": Known(
        contextual_integration, 300, False, ALRNNClassifier
    ),
    "delayed_copy": Known(
        delayed_copy,
        400,
        False,
        ALRNNClassifier,
        output="sequence",
        scoring=recall_accuracy(3),
    ),
}
