"""Shared fixtures: small, fast data and estimator settings."""

import numpy as np
import pytest

# Settings that train in well under a second on small data.
FAST = dict(n_hidden=8, n_nonlinear=2, max_iter=5, batch_size=16, random_state=0)


@pytest.fixture
def fast_params():
    """Keyword arguments for a tiny, quick estimator."""
    return dict(FAST)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture
def seq_data(rng):
    """40 sequences of 6 steps with 2 features, a regression target and labels."""
    X = rng.normal(size=(40, 6, 2))
    y = X[:, :, 0].sum(axis=1)
    labels = np.where(y > 0, "pos", "neg")
    return X, y, labels
