"""prune_nonlinearity and starting a fit from given weights (init=ALRNNParams)."""

import os

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from sk_alrnn import ALRNNClassifier, ALRNNParams, ALRNNRegressor, load, save
from sk_alrnn.analysis import latent_trajectories
from sk_alrnn.baselines import RNNRegressor
from sk_alrnn.model_selection import PruningResult, prune_nonlinearity
from sk_alrnn.model_selection._prune import _linearized
from sk_alrnn.preprocessing import SequenceScaler

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _outputs(params, X):
    Z = latent_trajectories(params, X)  # (n, T, M)
    return Z @ params.B.T + params.b  # (n, T, O)


def _params_with_fixed_units(rng, on_units, off_units, m=6, p=4, k=2):
    """Random params whose ReLU units ``on_units`` are always on and
    ``off_units`` always off (large positive / negative biases)."""
    A = np.zeros(m)
    A[m - p :] = rng.uniform(-0.5, 0.5, p)
    h = rng.normal(0, 0.1, m)
    for u in on_units:
        h[m - p + u] = 50.0
    for u in off_units:
        h[m - p + u] = -50.0
    return ALRNNParams(
        A=A,
        W=rng.normal(0, 0.1, (m, m)),
        C=rng.normal(0, 0.1, (m, k)),
        h=h,
        B=rng.normal(0, 1, (2, m)),
        b=rng.normal(0, 1, 2),
        n_nonlinear=p,
    )


def test_linearizing_always_on_and_always_off_units_keeps_the_outputs():
    rng = np.random.RandomState(0)
    params = _params_with_fixed_units(rng, on_units=[1], off_units=[3])
    X = rng.normal(size=(5, 20, 2))
    new = _linearized(params, [3, 1], [False, True])
    assert new.n_nonlinear == 2 and new.n_hidden == params.n_hidden
    assert np.all(new.A[: new.n_hidden - new.n_nonlinear] == 0)
    np.testing.assert_allclose(_outputs(new, X), _outputs(params, X), atol=1e-10)


def test_linearizing_a_switching_unit_changes_the_outputs():
    rng = np.random.RandomState(1)
    params = _params_with_fixed_units(rng, on_units=[], off_units=[])
    X = rng.normal(size=(5, 20, 2)) * 5
    new = _linearized(params, [0], [True])
    assert not np.allclose(_outputs(new, X), _outputs(params, X), atol=1e-6)


@pytest.mark.parametrize("Estimator", [ALRNNRegressor, ALRNNClassifier])
def test_init_from_params_starts_from_those_weights(Estimator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8, 2))
    y = X.sum(axis=(1, 2)) * 3 + 5
    if Estimator is ALRNNClassifier:
        y = (y > 5).astype(int)
    first = Estimator(n_hidden=6, n_nonlinear=2, max_iter=5, random_state=0).fit(X, y)
    start = first.get_alrnn_params()
    # a learning rate of ~0: the first step keeps the weights, so the outputs
    again = Estimator(
        n_hidden=6, n_nonlinear=2, max_iter=1, init=start, learning_rate_init=1e-12
    ).fit(X, y)
    if Estimator is ALRNNClassifier:
        np.testing.assert_allclose(again.predict_proba(X), first.predict_proba(X))
    else:
        np.testing.assert_allclose(again.predict(X), first.predict(X), rtol=1e-6)
    assert clone(again).init is not start  # cloned as a parameter
    np.testing.assert_array_equal(clone(again).init.W, start.W)


def test_init_params_of_another_size_is_refused_before_training():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5, 2))
    y = X.sum(axis=(1, 2))
    start = (
        ALRNNRegressor(n_hidden=6, n_nonlinear=2, max_iter=1, random_state=0)
        .fit(X, y)
        .get_alrnn_params()
    )
    est = ALRNNRegressor(n_hidden=6, n_nonlinear=3, init=start)
    with pytest.raises(ValueError, match=r"n_nonlinear=2 \(needs 3\)"):
        est.fit(X, y)
    assert not hasattr(est, "module_")
    with pytest.raises(ValueError, match=r"n_features=2 \(needs 3\)"):
        ALRNNRegressor(n_hidden=6, n_nonlinear=2, init=start).fit(
            rng.normal(size=(30, 5, 3)), y
        )


def test_an_estimator_started_from_params_saves_and_loads(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5, 2))
    y = X.sum(axis=(1, 2))
    start = (
        ALRNNRegressor(n_hidden=4, n_nonlinear=1, max_iter=1, random_state=0)
        .fit(X, y)
        .get_alrnn_params()
    )
    est = ALRNNRegressor(
        n_hidden=4, n_nonlinear=1, max_iter=2, init=start, random_state=0
    ).fit(X, y)
    path = os.fspath(tmp_path / "m.safetensors")
    save(est, path)
    back = load(path)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    assert isinstance(back.init, ALRNNParams)
    np.testing.assert_array_equal(back.init.C, start.C)


def _linear_task(n=100, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5, 2))
    return X, X.sum(axis=(1, 2))


def test_pruning_a_linear_task_removes_nonlinearity_and_keeps_the_score():
    X, y = _linear_task()
    est = ALRNNRegressor(n_hidden=6, n_nonlinear=4, max_iter=20, random_state=0)
    result = prune_nonlinearity(est, X, y, random_state=0)
    assert isinstance(result, PruningResult)
    assert result.initial_n_nonlinear == 4
    assert result.n_nonlinear < 4
    assert result.estimator_.n_nonlinear == result.n_nonlinear
    assert result.estimator_.get_alrnn_params().n_nonlinear == result.n_nonlinear
    assert result.score >= result.initial_score - 0.01 * len(result.history)
    assert len(result.pruned_units) == 4 - result.n_nonlinear
    assert sorted(result.pruned_units) == sorted(set(result.pruned_units))
    first = result.history[0]
    assert first["round"] == 0 and first["n_nonlinear"] == 4 and first["accepted"]
    assert not hasattr(est, "module_")  # the template is not fitted
    assert "kept P=" in result.summary() and "stopped:" in result.summary()
    frame = result.to_frame()
    assert frame["n_nonlinear"].iloc[0] == 4 and len(frame) == len(result.history)
    assert "PruningResult(n_nonlinear=" in repr(result)


def test_pruning_every_accepted_fit_stays_within_tol_of_the_best_so_far():
    X, y = _linear_task(seed=1)
    est = ALRNNRegressor(n_hidden=6, n_nonlinear=3, max_iter=15, random_state=1)
    result = prune_nonlinearity(est, X, y, tol=0.02, random_state=0)
    best = -np.inf
    for step in result.history:
        if step["accepted"]:
            assert step["score"] >= best - 0.02
            best = max(best, step["score"])
    assert result.score == max(s["score"] for s in result.history if s["accepted"])


@pytest.mark.slow
def test_pruning_keeps_the_nonlinearity_a_task_needs():
    # |sum x| needs a switch: the linear model (P = 0) scores far worse
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 6, 2))
    y = np.abs(X.sum(axis=(1, 2)))
    est = ALRNNRegressor(n_hidden=8, n_nonlinear=4, max_iter=60, random_state=0)
    result = prune_nonlinearity(est, X, y, random_state=0)
    assert result.n_nonlinear >= 1
    assert result.score > 0.4
    refused = [s for s in result.history if not s["accepted"]]
    assert refused and refused[-1]["score"] < result.score - 0.01


def test_validation_data_and_max_rounds():
    X, y = _linear_task()
    est = ALRNNRegressor(n_hidden=6, n_nonlinear=4, max_iter=10, random_state=0)
    result = prune_nonlinearity(est, X[:80], y[:80], validation_data=(X[80:], y[80:]),
                                max_rounds=1)  # fmt: skip
    assert len(result.history) == 2
    assert "max_rounds=1" in result.stop_reason
    assert result.initial_score == pytest.approx(
        result.history[0]["score"], rel=0, abs=0
    )


def test_pruning_a_pipeline_and_a_classifier():
    X, y = _linear_task()
    pipe = make_pipeline(
        SequenceScaler(),
        ALRNNRegressor(n_hidden=5, n_nonlinear=2, max_iter=10, random_state=0),
    )
    result = prune_nonlinearity(pipe, X * 10 + 3, y, random_state=0, max_rounds=2)
    assert result.estimator_[-1].n_nonlinear == result.n_nonlinear
    assert len(result.estimator_.steps) == 2

    labels = (y > 0).astype(int)
    clf = ALRNNClassifier(n_hidden=5, n_nonlinear=2, max_iter=10, random_state=0)
    result = prune_nonlinearity(clf, X, labels, random_state=0, max_rounds=2)
    assert 0.0 <= result.score <= 1.0  # accuracy
    assert result.estimator_.classes_.tolist() == [0, 1]


def test_pruning_refuses_what_it_cannot_prune_before_training():
    X, y = _linear_task(n=20)
    with pytest.raises(ValueError, match="activation='relu'"):
        prune_nonlinearity(ALRNNRegressor(activation="tanh"), X, y)
    with pytest.raises(TypeError, match="AL-RNN estimator"):
        prune_nonlinearity(RNNRegressor(), X, y)
    with pytest.raises(ValueError, match="threshold"):
        prune_nonlinearity(ALRNNRegressor(), X, y, threshold=0.7)
    with pytest.raises(TypeError, match="validation_data"):
        prune_nonlinearity(ALRNNRegressor(max_iter=1), X, y, validation_data=[X, y])


def test_nothing_to_prune_with_p_zero():
    X, y = _linear_task(n=40)
    est = ALRNNRegressor(n_hidden=4, n_nonlinear=0, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        result = prune_nonlinearity(est, X, y, random_state=0)
    assert result.n_nonlinear == 0 and len(result.history) == 1
    assert result.stop_reason == "no ReLU unit left"


def test_a_refused_batch_of_quiet_units_is_halved_not_retried():
    # threshold=0.49 counts most units as quiet: the first pruning fit tries them
    # all at once, which |sum x| refuses; the next must try fewer units (before
    # the fix, the quiet count reset the halved batch and the same fit repeated).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 6, 2))
    y = np.abs(X.sum(axis=(1, 2)))
    est = ALRNNRegressor(n_hidden=6, n_nonlinear=4, max_iter=30, random_state=0)
    result = prune_nonlinearity(est, X, y, threshold=0.49, max_rounds=4, random_state=0)
    tried = [len(step["units"]) for step in result.history[1:]]
    assert tried[0] >= 2 and not result.history[1]["accepted"]
    assert len(tried) > 1 and tried[1] < tried[0]
