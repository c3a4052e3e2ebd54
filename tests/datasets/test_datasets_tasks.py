"""Task generators: shapes, determinism, documented baselines, input checks."""

import numpy as np
import pytest

from sk_alrnn.datasets import (
    load_sequential_digits,
    make_contextual_integration,
    make_copy_task,
    make_lorenz63,
)
from sk_alrnn.datasets._dynamical import _rk4_step


def _same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


# --- copy task -------------------------------------------------------------


def test_copy_task_layout():
    L, delay, n_symbols = 5, 7, 4
    X, y = make_copy_task(
        30, n_symbols=n_symbols, sequence_length=L, delay=delay, random_state=0
    )
    T = 2 * L + delay + 1
    assert X.shape == (30, T, n_symbols + 1) and y.shape == (30, T)
    assert np.issubdtype(y.dtype, np.integer)
    # one-hot symbols during presentation, the cue once, blanks elsewhere
    np.testing.assert_array_equal(X[:, :L].sum(axis=2), 1.0)
    np.testing.assert_array_equal(X[:, :L, n_symbols], 0.0)
    np.testing.assert_array_equal(X[:, L, n_symbols], 1.0)
    np.testing.assert_array_equal(X[:, L, :n_symbols], 0.0)
    np.testing.assert_array_equal(X[:, L + 1 :], 0.0)
    # blank label until recall, then the shown symbols in order
    np.testing.assert_array_equal(y[:, : T - L], 0)
    np.testing.assert_array_equal(y[:, T - L :], X[:, :L, :n_symbols].argmax(2) + 1)

    _, y_recall = make_copy_task(
        30,
        n_symbols=n_symbols,
        sequence_length=L,
        delay=delay,
        output="recall",
        random_state=0,
    )
    np.testing.assert_array_equal(y_recall, y[:, T - L :])


def test_copy_task_is_reproducible():
    a = make_copy_task(20, random_state=1)
    assert _same(a, make_copy_task(20, random_state=1))
    assert not np.array_equal(a[1], make_copy_task(20, random_state=2)[1])


def test_copy_task_documented_baselines():
    L, delay, n_symbols = 4, 6, 3
    _, y = make_copy_task(
        4000, n_symbols=n_symbols, sequence_length=L, delay=delay, random_state=0
    )
    T = 2 * L + delay + 1
    # predicting the blank label everywhere
    np.testing.assert_allclose((y == 0).mean(), (T - L) / T)
    # per recall step, the most frequent symbol is right about 1 / n_symbols
    recall = y[:, T - L :]
    frequencies = np.bincount(recall.ravel(), minlength=n_symbols + 1)[1:]
    np.testing.assert_allclose(frequencies / recall.size, 1 / n_symbols, atol=0.02)
    # layout-aware guessing: blanks right, recall at chance
    guess = np.random.RandomState(1).randint(1, n_symbols + 1, size=recall.shape)
    score = ((y[:, : T - L] == 0).sum() + (guess == recall).sum()) / y.size
    np.testing.assert_allclose(score, (T - L) / T + L / (T * n_symbols), atol=0.01)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_samples=0), "n_samples"),
        (dict(n_symbols=1), "n_symbols"),
        (dict(sequence_length=0), "sequence_length"),
        (dict(delay=-1), "delay"),
        (dict(output="labels"), "output"),
    ],
)
def test_copy_task_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_copy_task(**{"n_samples": 5, **kwargs})


# --- contextual integration ------------------------------------------------


def test_contextual_integration_layout():
    X, y = make_contextual_integration(200, 15, random_state=0)
    assert X.shape == (200, 15, 4) and y.shape == (200,)
    assert set(np.unique(y)) <= {0, 1}
    cue = X[:, :, 2:]
    np.testing.assert_array_equal(cue.sum(axis=2), 1.0)  # one-hot at every step
    assert np.all(cue == cue[:, :1])  # held constant over the trial
    # without noise the selected stream's sign is the label
    X0, y0 = make_contextual_integration(200, 5, noise=0.0, random_state=0)
    context = X0[:, 0, 2:].argmax(axis=1)
    np.testing.assert_array_equal(y0, X0[np.arange(200), 0, context] > 0)


def test_contextual_integration_is_reproducible():
    a = make_contextual_integration(30, 10, random_state=5)
    assert _same(a, make_contextual_integration(30, 10, random_state=5))
    assert not np.array_equal(
        a[0], make_contextual_integration(30, 10, random_state=6)[0]
    )


def test_contextual_integration_documented_baselines():
    X, y = make_contextual_integration(
        8000, 5, noise=0.0, coherence=1.0, random_state=0
    )
    majority = max(y.mean(), 1 - y.mean())
    np.testing.assert_allclose(majority, 0.5, atol=0.02)  # chance
    # reading stream 0 perfectly while ignoring the context: 0.75
    blind = (X[:, 0, 0] > 0).astype(int)
    np.testing.assert_allclose((blind == y).mean(), 0.75, atol=0.02)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_samples=0), "n_samples"),
        (dict(n_timesteps=0), "n_timesteps"),
        (dict(coherence=0.0), "coherence"),
        (dict(noise=-1.0), "noise"),
    ],
)
def test_contextual_integration_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_contextual_integration(**{"n_samples": 5, "n_timesteps": 5, **kwargs})


# --- sequential digits -----------------------------------------------------


def test_sequential_digits_rows_and_pixels():
    X, y = load_sequential_digits(return_X_y=True)
    assert X.shape == (1797, 8, 8) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    Xp, yp = load_sequential_digits(mode="pixels", return_X_y=True)
    assert Xp.shape == (1797, 64, 1)
    np.testing.assert_array_equal(Xp.reshape(1797, 8, 8), X)  # row-major pixels
    np.testing.assert_array_equal(yp, y)
    bunch = load_sequential_digits()
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    assert bunch.mode == "rows"


def test_sequential_digits_documented_baseline():
    _, y = load_sequential_digits(return_X_y=True)
    counts = np.bincount(y)
    assert counts.min() == 174 and counts.max() == 183
    np.testing.assert_allclose(counts.max() / len(y), 0.102, atol=5e-4)


def test_sequential_digits_rejects_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        load_sequential_digits(mode="columns")


# --- Lorenz-63 -------------------------------------------------------------


def test_lorenz63_shapes_and_next_state_targets():
    X, y = make_lorenz63(200, random_state=0)
    assert X.shape == (200, 3) and y.shape == (200, 3)
    np.testing.assert_array_equal(X[1:], y[:-1])
    np.testing.assert_allclose(y[-1], _rk4_step(X[-1], 0.01))


def test_lorenz63_is_reproducible():
    a = make_lorenz63(50, n_transient=100, random_state=3)
    assert _same(a, make_lorenz63(50, n_transient=100, random_state=3))
    assert not np.array_equal(
        a[0], make_lorenz63(50, n_transient=100, random_state=4)[0]
    )


def test_lorenz63_stays_on_the_attractor_and_matches_documented_baselines():
    X, y = make_lorenz63(5000, random_state=0)
    assert np.all(np.abs(X[:, 0]) < 20) and np.all(np.abs(X[:, 1]) < 28)
    assert np.all((X[:, 2] > 0) & (X[:, 2] < 50))
    mean_mse = ((y - y.mean(axis=0)) ** 2).mean()
    assert 60 < mean_mse < 85  # documented: about 72
    persistence_mse = ((y - X) ** 2).mean()
    assert 0.3 < persistence_mse < 0.55  # documented: about 0.4


def test_rk4_step_matches_a_finer_integration():
    state = np.array([1.0, 1.0, 1.0])
    coarse = _rk4_step(state, 0.01)
    fine = state
    for _ in range(100):
        fine = _rk4_step(fine, 1e-4)
    # RK4's local error is O(dt^5): a few 1e-6 at dt = 0.01 from this state
    np.testing.assert_allclose(coarse, fine, rtol=0, atol=1e-5)
    # and agrees with the first-order Taylor step to O(dt^2)
    derivative = np.array([0.0, 26.0, 1.0 - 8.0 / 3.0])
    np.testing.assert_allclose(coarse, state + 0.01 * derivative, atol=2e-2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_timesteps=0), "n_timesteps"),
        (dict(dt=0.0), "dt"),
        (dict(n_transient=-1), "n_transient"),
    ],
)
def test_lorenz63_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_lorenz63(**{"n_timesteps": 5, **kwargs})


def test_lorenz63_reports_divergence():
    with pytest.raises(ValueError, match="diverged"):
        make_lorenz63(10, dt=1.0, n_transient=100, random_state=0)
