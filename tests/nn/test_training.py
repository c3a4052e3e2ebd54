"""The training loop seen from the estimators: determinism, global state, early
stopping, warm starts, partial_fit, warnings, divergence and interrupts, devices,
regularisation and dtypes.

Shapes: N sequences, T time steps, K features per step, O outputs.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from sk_alrnn import ALRNNClassifier, ALRNNRegressor

ESTIMATORS = [ALRNNRegressor, ALRNNClassifier]


def _target(Est, seq_data):
    _, y, labels = seq_data
    return y if Est is ALRNNRegressor else labels


def _weights(est):
    """Penalised weights (A, W, C, B) as one float64 vector."""
    m = est.module_
    return np.concatenate(
        [t.detach().double().numpy().ravel() for t in (m.A, m.W, m.C, m.B)]
    )


def _interrupt_on_call(est, n):
    """Make the ``n``-th call of the training loss raise KeyboardInterrupt."""
    calls = []
    loss = est._loss

    def patched(*args):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return loss(*args)

    est._loss = patched
    return calls


# -- determinism and global state ------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_same_seed_gives_identical_fits(Est, fast_params, seq_data):
    X = seq_data[0]
    y = _target(Est, seq_data)
    a = Est(**fast_params).fit(X, y)
    b = Est(**fast_params).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    method = "predict" if Est is ALRNNRegressor else "predict_proba"
    assert np.array_equal(getattr(a, method)(X), getattr(b, method)(X))
    c = Est(**{**fast_params, "random_state": 1}).fit(X, y)
    assert not np.array_equal(getattr(a, method)(X), getattr(c, method)(X))
    assert a.loss_curve_ != c.loss_curve_


def test_random_state_instance_is_accepted(fast_params, seq_data):
    X, y, _ = seq_data
    params = {**fast_params, "random_state": np.random.RandomState(7)}
    a = ALRNNRegressor(**params).fit(X, y)
    b = ALRNNRegressor(**{**fast_params, "random_state": np.random.RandomState(7)})
    assert np.array_equal(a.predict(X), b.fit(X, y).predict(X))


@pytest.mark.parametrize("random_state", [0, None])
def test_fit_leaves_torch_global_rng_alone(random_state, fast_params, seq_data):
    X, y, _ = seq_data
    torch.manual_seed(1234)
    state = torch.get_rng_state()
    ALRNNRegressor(**{**fast_params, "random_state": random_state}).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)


def test_fit_leaves_torch_threads_alone(fast_params, seq_data):
    X, y, _ = seq_data
    original = torch.get_num_threads()
    try:
        for n_threads in {1, original}:
            torch.set_num_threads(n_threads)
            ALRNNRegressor(**fast_params).fit(X, y).predict(X)
            assert torch.get_num_threads() == n_threads
    finally:
        torch.set_num_threads(original)


# -- early stopping --------------------------------------------------------------------
def test_early_stopping_restores_best_regressor(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(
        **{
            **fast_params,
            "dtype": "float64",
            "early_stopping": True,
            "validation_fraction": 0.25,
            "n_iter_no_change": 3,
            "tol": 0.0,
            "max_iter": 60,
            "learning_rate_init": 0.05,
        }
    ).fit(X, y)
    scores = reg.validation_scores_
    assert len(scores) == reg.n_iter_ == len(reg.loss_curve_)
    assert reg.n_iter_ < 60, "expected the validation score to stop improving"
    assert reg.best_validation_score_ == max(scores)
    # the last 3 epochs did not improve, so the best weights are older ones
    assert scores[-1] < max(scores)
    n_val = math.ceil(0.25 * len(X))  # tail split: the last n_val sequences
    tail = reg.score(X[-n_val:], y[-n_val:])
    assert tail == pytest.approx(max(scores), abs=1e-9)


def test_early_stopping_restores_best_classifier(fast_params, seq_data):
    X, _, labels = seq_data
    clf = ALRNNClassifier(
        **{
            **fast_params,
            "early_stopping": True,
            "validation_fraction": 0.2,
            "max_iter": 15,
            "learning_rate_init": 0.02,
        }
    ).fit(X, labels)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    # the kept epoch is the one with the lowest validation loss (not the highest
    # accuracy, which moves in steps of 1/n_val and ties often)
    best = int(np.argmin(clf.validation_loss_curve_))
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    n_val = math.ceil(0.2 * len(X))
    assert clf.score(X[-n_val:], labels[-n_val:]) == clf.best_validation_score_


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_no_validation_attributes_without_early_stopping(Est, fast_params, seq_data):
    est = Est(**fast_params).fit(seq_data[0], _target(Est, seq_data))
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    assert est.best_loss_ == min(est.loss_curve_)


def test_early_stopping_needs_training_sequences(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(
        **{**fast_params, "early_stopping": True, "validation_fraction": 0.9}
    )
    with pytest.raises(ValueError, match=r"leaves no training sequences out of 2"):
        reg.fit(X[:2], y[:2])
    assert not hasattr(reg, "module_")


# -- warm start and partial_fit -------------------------------------------------------
def test_warm_start_continues_training(fast_params, seq_data):
    X, y, _ = seq_data
    common = {
        **fast_params,
        "dtype": "float64",
        "batch_size": len(X),  # one batch: the epoch order cannot matter
        "n_iter_no_change": np.inf,
        "learning_rate_init": 0.01,
        "learning_rate": "constant",  # a schedule restarts with each fit call
    }
    once = ALRNNRegressor(**{**common, "max_iter": 6}).fit(X, y)
    warm = ALRNNRegressor(**{**common, "max_iter": 3, "warm_start": True})
    warm.fit(X, y)
    first_curve = list(warm.loss_curve_)
    warm.fit(X, y)
    assert warm.n_iter_ == 6
    assert warm.loss_curve_[:3] == first_curve
    assert len(warm.loss_curve_) == 6
    # Weights and Adam state carry over: 3 + 3 epochs equal 6 in one go.
    np.testing.assert_allclose(warm.loss_curve_, once.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(warm.predict(X), once.predict(X), atol=1e-10)


def test_cold_refit_starts_over(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**fast_params).fit(X, y)
    first = reg.predict(X)
    reg.fit(X, y)
    assert reg.n_iter_ == len(reg.loss_curve_) == fast_params["max_iter"]
    assert np.array_equal(reg.predict(X), first)


@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
def test_changing_architecture_between_continued_fits(method, fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**{**fast_params, "warm_start": True}).fit(X, y)
    before = reg.predict(X)
    reg.set_params(n_hidden=6)
    with pytest.raises(ValueError, match=r"after changing n_hidden.*warm_start=False"):
        if method == "warm_start":
            reg.fit(X, y)
        else:
            reg.partial_fit(X, y)
    assert reg.module_.n_hidden == 8
    np.testing.assert_array_equal(reg.predict(X), before)
    reg.set_params(warm_start=False).fit(X, y)  # a cold fit may change it
    assert reg.module_.n_hidden == 6


def test_partial_fit_runs_one_epoch_per_call(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**{**fast_params, "max_iter": 50})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for call in range(1, 4):
            reg.partial_fit(X, y)
            assert reg.n_iter_ == call
            assert len(reg.loss_curve_) == call


def test_partial_fit_continues_from_current_weights(fast_params, seq_data):
    X, y, _ = seq_data
    common = {**fast_params, "dtype": "float64", "batch_size": len(X)}
    common["learning_rate"] = "constant"  # partial_fit's rate
    fitted = ALRNNRegressor(**{**common, "max_iter": 2, "n_iter_no_change": np.inf})
    fitted.fit(X, y)
    inc = ALRNNRegressor(**common)
    inc.partial_fit(X, y)
    inc.partial_fit(X, y)
    np.testing.assert_allclose(inc.loss_curve_, fitted.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(inc.predict(X), fitted.predict(X), atol=1e-10)


def test_classifier_partial_fit_requires_classes(fast_params, seq_data):
    X, _, labels = seq_data
    clf = ALRNNClassifier(**fast_params)
    with pytest.raises(ValueError, match=r"needs classes=\.\.\. on its first call"):
        clf.partial_fit(X, labels)
    assert not hasattr(clf, "module_")
    # classes may hold labels absent from the first batch
    first = np.where(labels[:10] == "neg", "neg", "neg")
    clf.partial_fit(X[:10], first, classes=["neg", "pos", "zero"])
    assert clf.classes_.tolist() == ["neg", "pos", "zero"]
    clf.partial_fit(X, labels)  # later calls need no classes
    assert clf.n_iter_ == 2
    assert clf.predict_proba(X).shape == (40, 3)
    with pytest.raises(ValueError, match=r"labels \['new'\] that are not in classes_"):
        clf.partial_fit(X[:2], ["new", "pos"])
    assert clf.n_iter_ == 2


# -- warnings and progress
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_convergence_warning_when_max_iter_is_hit(Est, fast_params, seq_data):
    est = Est(**{**fast_params, "max_iter": 2, "n_iter_no_change": 10})
    with pytest.warns(ConvergenceWarning, match=r"reached max_iter=2 epochs"):
        est.fit(seq_data[0], _target(Est, seq_data))
    assert est.n_iter_ == 2


@pytest.mark.parametrize("n_iter_no_change", [1, 3])
def test_no_convergence_warning_when_training_stops_early(
    n_iter_no_change, fast_params, seq_data
):
    X, y, _ = seq_data
    # With a huge tol only the first epoch (better than no loss at all) counts as
    # an improvement; training stops n_iter_no_change epochs later.
    reg = ALRNNRegressor(
        **{**fast_params, "n_iter_no_change": n_iter_no_change, "tol": 1e9}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.n_iter_ == 1 + n_iter_no_change


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_prints_one_line_per_epoch(
    early_stopping, fast_params, seq_data, capsys
):
    X, y, _ = seq_data
    ALRNNRegressor(**fast_params).fit(X, y)
    assert capsys.readouterr().out == ""  # silent by default
    reg = ALRNNRegressor(
        **{**fast_params, "verbose": 1, "early_stopping": early_stopping}
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == reg.n_iter_ == fast_params["max_iter"]
    for epoch, line in enumerate(lines, start=1):
        assert "loss" in line
        assert f"{epoch}/" in line
        assert ("validation" in line) == early_stopping


# Divergence and Ctrl-C: tests/estimators/test_faults.py


# -- devices and dtypes
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_cuda_fails_before_training(device, fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**{**fast_params, "device": device})
    calls = _interrupt_on_call(reg, 1)  # would stop training at once
    with pytest.raises(ValueError, match=r"CUDA is not available.*device='cpu'"):
        reg.fit(X, y)
    assert calls == []
    assert not hasattr(reg, "module_")


def test_unknown_device_string(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**{**fast_params, "device": "gpu0"})
    with pytest.raises(ValueError, match=r"device='gpu0' is not a torch device"):
        reg.fit(X, y)
    assert not hasattr(reg, "module_")


@pytest.mark.parametrize("device", ["auto", "cpu", torch.device("cpu")])
def test_fitted_module_lives_on_cpu(device, fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**{**fast_params, "device": device}).fit(X, y)
    assert {p.device.type for p in reg.module_.parameters()} == {"cpu"}


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_sets_module_precision(Est, dtype, fast_params, seq_data):
    est = Est(**{**fast_params, "dtype": dtype}).fit(
        seq_data[0], _target(Est, seq_data)
    )
    expected = getattr(torch, dtype)
    assert {p.dtype for p in est.module_.parameters()} == {expected}
    assert est.get_alrnn_params().W.dtype == np.float64


# -- regularisation and outputs
def test_alpha_shrinks_weights(fast_params, seq_data):
    X, y, _ = seq_data
    common = {**fast_params, "max_iter": 20, "learning_rate_init": 0.01}
    common["init"] = "paper"  # shrinking towards 0 is measured from small weights
    norms = [
        np.linalg.norm(_weights(ALRNNRegressor(**common, alpha=alpha).fit(X, y)))
        for alpha in (0.0, 1.0, 10.0)
    ]
    assert norms[0] > norms[1] > norms[2]
    assert norms[2] < 0.5 * norms[0]


def test_multi_output_regression(fast_params, seq_data):
    X, y, _ = seq_data
    Y = np.column_stack([y, -2 * X[:, -1, 1]])  # (N, 2)
    reg = ALRNNRegressor(**fast_params).fit(X, Y)
    assert reg.n_outputs_ == 2
    pred = reg.predict(X)
    assert pred.shape == (40, 2)
    assert pred.dtype == np.float64
    assert np.isfinite(reg.score(X, Y))
    column = ALRNNRegressor(**fast_params).fit(X, y[:, None])
    assert column.predict(X).shape == (40, 1)  # a 2D y stays 2D


def test_partial_fit_rejects_changed_classes():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 4, 1))
    y = np.array(["a", "b"] * 6)
    clf = ALRNNClassifier(n_hidden=4, n_nonlinear=1, random_state=0)
    clf.partial_fit(X, y, classes=["a", "b"])
    clf.partial_fit(X, y, classes=["b", "a"])  # same set, other order: fine
    with pytest.raises(ValueError, match="same classes"):
        clf.partial_fit(X, y, classes=["a", "b", "c"])
    np.testing.assert_array_equal(clf.classes_, ["a", "b"])
