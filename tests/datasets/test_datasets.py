"""Synthetic tasks, and the adding problem as evidence that nonlinearity matters."""

import numpy as np
import pytest

from sk_alrnn import ALRNNRegressor
from sk_alrnn.datasets import make_addition_problem


def test_addition_problem_layout():
    X, y = make_addition_problem(n_samples=200, n_timesteps=20, random_state=0)
    assert X.shape == (200, 20, 2) and y.shape == (200,)
    values, marks = X[:, :, 0], X[:, :, 1]
    assert values.min() >= 0 and values.max() <= 1
    assert np.all(marks.sum(axis=1) == 2)
    assert np.all(marks[:, :10].sum(axis=1) == 1)  # one mark in each half
    np.testing.assert_allclose(y, (values * marks).sum(axis=1))


def test_addition_problem_is_reproducible():
    a = make_addition_problem(50, 8, random_state=3)
    b = make_addition_problem(50, 8, random_state=3)
    c = make_addition_problem(50, 8, random_state=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("kwargs", [dict(n_samples=0), dict(n_timesteps=1)])
def test_addition_problem_rejects_degenerate_sizes(kwargs):
    with pytest.raises(ValueError, match="at least"):
        make_addition_problem(**{"n_samples": 10, "n_timesteps": 10, **kwargs})


def test_nonlinear_units_solve_the_adding_problem_a_linear_rnn_cannot():
    """The product of value and mark is beyond a linear RNN; two ReLU units suffice."""
    X, y = make_addition_problem(n_samples=1000, n_timesteps=20, random_state=0)
    X_test, y_test = make_addition_problem(
        n_samples=500, n_timesteps=20, random_state=1
    )
    params = dict(n_hidden=16, max_iter=40, learning_rate_init=1e-2, random_state=0)
    linear = ALRNNRegressor(n_nonlinear=0, **params).fit(X, y)
    almost_linear = ALRNNRegressor(n_nonlinear=2, **params).fit(X, y)
    r2_linear = linear.score(X_test, y_test)
    r2_nonlinear = almost_linear.score(X_test, y_test)
    assert r2_linear < 0.3
    assert r2_nonlinear > 0.7
    assert r2_nonlinear - r2_linear > 0.5
