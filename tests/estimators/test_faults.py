"""Faults during fit: divergence, Ctrl-C, and resuming bitwise.

Policy under test (README "Faults during fit"): a fault keeps the epochs completed
before it (weights, optimizer state, batch order, loss_curve_) and is raised; with
no completed epoch the estimator is left as it was before the call.

Shapes: N sequences, T time steps, K features per step.
"""

import _thread
import math
import pickle
import signal
import threading
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.validation import check_is_fitted

import sk_alrnn._estimators._base
from sk_alrnn import ALRNNClassifier, ALRNNRegressor

ESTIMATORS = [ALRNNRegressor, ALRNNClassifier]
# 40 sequences in batches of 16: 3 batches per epoch, so the batch order matters.
# No early stop in either run of a comparison.
# A constant learning rate: a schedule restarts with each call of fit.
RESUMABLE = dict(
    n_iter_no_change=np.inf, tol=0.0, learning_rate_init=0.01, learning_rate="constant"
)


@pytest.fixture
def fast_params(fast_params):
    """The shared tiny settings without max_iter (each test sets its own)."""
    del fast_params["max_iter"]
    return fast_params


def _target(Est, seq_data):
    _, y, labels = seq_data
    return y if Est is ALRNNRegressor else labels


def _assert_same_model(a, b, X):
    """Bitwise equal weights, Adam state, loss curves and predictions."""
    for (name, p), q in zip(
        a.module_.state_dict().items(), b.module_.state_dict().values(), strict=True
    ):
        assert torch.equal(p, q), name
    assert a.loss_curve_ == b.loss_curve_
    assert a.n_iter_ == b.n_iter_
    method = "predict" if isinstance(a, ALRNNRegressor) else "predict_proba"
    np.testing.assert_array_equal(getattr(a, method)(X), getattr(b, method)(X))
    sa, sb = a._optimizer_state["state"], b._optimizer_state["state"]
    for key in sa:
        for k in sa[key]:
            assert torch.equal(sa[key][k], sb[key][k]), (key, k)


def _fail_on_call(est, n, make):
    """The ``n``-th call of the training loss does ``make(loss)`` (raise or return)."""
    calls = []
    loss = est._loss

    def patched(*args):
        calls.append(1)
        value = loss(*args)
        return make(value) if len(calls) == n else value

    est._loss = patched
    return calls


def _nan(loss):
    return loss * float("nan")


def _nan_gradient(loss):
    """Same (finite) loss, NaN gradient: d sqrt(u)/du = inf at u = 0, times 0."""
    return loss + torch.sqrt(0.0 * loss)


def _interrupt(loss):
    raise KeyboardInterrupt


# -- divergence ------------------------------------------------------------------------
@pytest.fixture
def step_spy(monkeypatch):
    """For every optimizer step taken in fit: were all gradients finite?"""
    finite = []
    make_adam = sk_alrnn._estimators._base._adam

    def spying_adam(module, lr):
        optimizer = make_adam(module, lr)
        step = optimizer.step

        def spied_step(*args, **kwargs):
            grads = [p.grad for p in module.parameters() if p.grad is not None]
            finite.append(all(bool(torch.isfinite(g).all()) for g in grads))
            return step(*args, **kwargs)

        optimizer.step = spied_step
        return optimizer

    monkeypatch.setattr(sk_alrnn._estimators._base, "_adam", spying_adam)
    return finite


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "poison, reported",
    [
        (_nan, "loss was nan"),
        (_nan_gradient, "loss was [0-9.e+-]+ and the gradient norm nan"),
    ],
)
def test_divergence_stops_before_the_step_and_keeps_completed_epochs(
    Est, poison, reported, fast_params, seq_data, step_spy
):
    X, y = seq_data[0], _target(Est, seq_data)
    params = {**fast_params, **RESUMABLE, "max_iter": 10}
    est = Est(**params)
    _fail_on_call(est, 8, poison)  # epoch 3, batch 2 of 3
    with pytest.raises(
        FloatingPointError,
        match=rf"diverged in epoch 3 \(batch 2 of 3\): the training {reported}.*"
        r"step was not taken.*Lower learning_rate_init.*keeps the 2 epochs",
    ):
        est.fit(X, y)
    assert len(step_spy) == 7  # batch 8 took no step
    assert all(step_spy)
    check_is_fitted(est)
    # exactly the model after 2 epochs: the partial third epoch is rolled back
    _assert_same_model(est, Est(**{**params, "max_iter": 2}).fit(X, y), X)


def test_divergence_in_a_warm_start_keeps_the_epochs_it_completed(
    fast_params, seq_data
):
    X, y, _ = seq_data
    params = {**fast_params, **RESUMABLE}
    reg = ALRNNRegressor(**params, max_iter=3, warm_start=True).fit(X, y)
    _fail_on_call(reg, 3 * 2 + 1, _nan)  # second fit, epoch 3, batch 1
    with pytest.raises(FloatingPointError, match=r"epoch 3 \(batch 1 of 3\)"):
        reg.set_params(max_iter=5).fit(X, y)
    assert reg.n_iter_ == 5
    del reg._loss
    _assert_same_model(reg, ALRNNRegressor(**params, max_iter=5).fit(X, y), X)


def test_divergence_in_the_first_epoch_leaves_a_fresh_estimator_unfitted(
    fast_params, seq_data
):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**fast_params)
    _fail_on_call(reg, 2, _nan)
    with pytest.raises(FloatingPointError, match=r"epoch 1 \(batch 2 of 3\)"):
        reg.fit(X, y)
    assert not hasattr(reg, "module_")
    assert not hasattr(reg, "n_features_in_")


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_huge_learning_rate_never_leaves_nonfinite_weights(
    Est, fast_params, seq_data, step_spy
):
    X, y = seq_data[0], _target(Est, seq_data)
    params = {**fast_params, "learning_rate_init": 1e6, "clip_grad_norm": None}
    est = Est(**params, max_iter=5)
    with pytest.raises(
        FloatingPointError, match=r"diverged in epoch \d+.*Lower learning_rate_init"
    ) as info:
        est.fit(X, y)
    assert isinstance(info.value, ValueError)  # bad values, for sklearn's tools
    assert all(step_spy)
    if hasattr(est, "module_"):  # some epochs completed: they must be usable
        assert all(bool(torch.isfinite(p).all()) for p in est.module_.parameters())
        method = "predict" if Est is ALRNNRegressor else "predict_proba"
        assert np.isfinite(getattr(est, method)(X)).all()
    else:
        assert not hasattr(est, "n_features_in_")
        assert not hasattr(est, "loss_curve_")


def test_divergent_warm_start_keeps_previous_model(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**fast_params, max_iter=5, warm_start=True).fit(X, y)
    before, curve = reg.predict(X), list(reg.loss_curve_)
    reg.set_params(learning_rate_init=1e6, clip_grad_norm=None)
    with pytest.raises(FloatingPointError, match=r"epoch 1\b"):
        reg.fit(X, y)
    assert np.array_equal(reg.predict(X), before)
    assert reg.loss_curve_ == curve


def test_outputs_that_overflow_after_the_last_step_are_divergence():
    """Finite but huge weights after the final step must not give a NaN model."""
    from sk_alrnn.datasets import make_addition_problem

    X, y = make_addition_problem(32, 20, random_state=0)  # one batch per epoch
    reg = ALRNNRegressor(
        n_hidden=16,
        n_nonlinear=2,
        max_iter=1,
        batch_size=32,
        learning_rate_init=1e30,
        random_state=0,
    )
    with pytest.raises(
        FloatingPointError, match="epoch 1: the model's outputs overflowed after it"
    ):
        reg.fit(X, y)
    assert not hasattr(reg, "module_")


def test_divergence_keeps_the_best_validation_weights(fast_params, seq_data):
    X, y, _ = seq_data
    params = {
        **fast_params,
        "dtype": "float64",
        "early_stopping": True,
        "validation_fraction": 0.25,
        "learning_rate_init": 0.05,
        "max_iter": 20,
        "n_iter_no_change": np.inf,
    }
    reg = ALRNNRegressor(**params)
    _fail_on_call(reg, 2 * 6 + 1, _nan)  # 30 training sequences: 2 batches
    with pytest.raises(FloatingPointError, match="epoch 7"):
        reg.fit(X, y)
    assert len(reg.validation_scores_) == reg.n_iter_ == 6
    n_val = 10
    assert reg.score(X[-n_val:], y[-n_val:]) == pytest.approx(
        max(reg.validation_scores_), abs=1e-9
    )


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_grid_search_scores_diverging_candidates_nan(Est, fast_params, seq_data):
    X, y = seq_data[0], _target(Est, seq_data)
    est = Est(**{**fast_params, "clip_grad_norm": None, "max_iter": 2})
    grid = {"learning_rate_init": [1e-2, 1e6]}
    search = GridSearchCV(est, grid, cv=KFold(2), error_score=np.nan)
    with pytest.warns(FitFailedWarning, match=r"2 fits failed out of a total of 4"):
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1])
    assert search.best_params_ == {"learning_rate_init": 1e-2}
    raising = GridSearchCV(est, grid, cv=KFold(2), error_score="raise")
    with pytest.raises(FloatingPointError, match="diverged"):
        raising.fit(X, y)


# -- Ctrl-C ----------------------------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_interrupt_keeps_completed_epochs_and_resumes_bitwise(
    Est, fast_params, seq_data
):
    X, y = seq_data[0], _target(Est, seq_data)
    params = {**fast_params, **RESUMABLE, "max_iter": 10}
    est = Est(**params, warm_start=True)
    _fail_on_call(est, 8, _interrupt)  # epoch 3, batch 2 of 3
    with pytest.warns(UserWarning, match=r"interrupted by the user after 2 epochs"):
        with pytest.raises(KeyboardInterrupt):
            est.fit(X, y)
    check_is_fitted(est)
    assert est.n_iter_ == 2
    method = "predict" if Est is ALRNNRegressor else "predict_proba"
    assert np.isfinite(getattr(est, method)(X)).all()
    _assert_same_model(est, Est(**{**params, "max_iter": 2}).fit(X, y), X)
    # resume: 2 interrupted + 8 more equal 10 uninterrupted
    del est._loss
    est.set_params(max_iter=8).fit(X, y)
    _assert_same_model(est, Est(**params).fit(X, y), X)


def test_interrupt_with_early_stopping_keeps_the_best_weights(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(
        **{
            **fast_params,
            "dtype": "float64",
            "batch_size": len(X),  # one batch per epoch
            "max_iter": 20,
            "early_stopping": True,
            "validation_fraction": 0.25,
            "learning_rate_init": 0.05,
        }
    )
    _fail_on_call(reg, 8, _interrupt)
    with pytest.warns(UserWarning, match="interrupted"):
        with pytest.raises(KeyboardInterrupt):
            reg.fit(X, y)
    assert len(reg.validation_scores_) == 7
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    n_val = math.ceil(0.25 * len(X))
    assert reg.score(X[-n_val:], y[-n_val:]) == pytest.approx(
        reg.best_validation_score_, abs=1e-9
    )


@pytest.mark.timeout(60)
def test_real_ctrl_c_from_another_thread(fast_params, seq_data):
    """SIGINT-like interrupt at an arbitrary point: fitted and usable, or untouched."""
    X, y, _ = seq_data
    ALRNNRegressor(**fast_params, max_iter=1).fit(X, y)  # compile kernels first
    reg = ALRNNRegressor(**fast_params, max_iter=100_000, n_iter_no_change=np.inf)
    rng_state, n_threads = torch.get_rng_state(), torch.get_num_threads()
    timer = threading.Timer(1.0, _thread.interrupt_main)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            reg.fit(X, y)
    timer.join()
    if hasattr(reg, "module_"):  # almost surely: training takes nearly all the time
        assert any("interrupted by the user" in str(w.message) for w in caught)
        assert reg.n_iter_ == len(reg.loss_curve_) >= 1
        assert np.isfinite(reg.predict(X)).all()
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert torch.get_num_threads() == n_threads


class _SwallowsCtrlC:
    """A finaliser that receives the SIGINT: Python reports it as ignored."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("where", ["finaliser", "except"])
def test_a_ctrl_c_swallowed_mid_batch_still_stops_the_fit(
    fast_params, seq_data, monkeypatch, where
):
    """The KeyboardInterrupt is lost (a __del__ or a broad except); fit still stops."""
    X, y, _ = seq_data
    calls = []
    loss = ALRNNRegressor._loss

    def swallowing(self, *args):
        calls.append(1)
        if len(calls) == 5:  # 3 batches an epoch: the second epoch
            if where == "finaliser":
                _SwallowsCtrlC()  # collected at once: __del__ runs here
            else:
                try:
                    signal.raise_signal(signal.SIGINT)
                except KeyboardInterrupt:
                    pass
        return loss(self, *args)

    monkeypatch.setattr(ALRNNRegressor, "_loss", swallowing)
    reg = ALRNNRegressor(**fast_params, max_iter=50, n_iter_no_change=np.inf)
    handler = signal.getsignal(signal.SIGINT)
    with pytest.warns(UserWarning, match="interrupted by the user after 1 epochs"):
        with pytest.raises(KeyboardInterrupt):
            reg.fit(X, y)
    assert len(calls) == 5  # stopped in the batch where Ctrl-C came
    assert reg.n_iter_ == 1 and reg.stop_reason_ == "interrupted"
    assert signal.getsignal(signal.SIGINT) is handler  # restored


def test_a_users_own_sigint_handler_is_left_in_place(fast_params, seq_data):
    X, y, _ = seq_data
    seen = []

    def own(signum, frame):
        seen.append(signum)

    previous = signal.signal(signal.SIGINT, own)
    try:
        calls = []
        reg = ALRNNRegressor(**fast_params, max_iter=3)
        loss = reg._loss

        def pressing(*args):
            calls.append(1)
            if len(calls) == 1:
                assert signal.getsignal(signal.SIGINT) is own
                signal.raise_signal(signal.SIGINT)
            return loss(*args)

        reg._loss = pressing
        reg.fit(X, y)  # the user's handler swallows it by design: fit goes on
        assert seen == [signal.SIGINT] and reg.n_iter_ == 3
    finally:
        signal.signal(signal.SIGINT, previous)


def test_interrupt_in_the_first_epoch_leaves_estimator_unfitted(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**fast_params)
    _fail_on_call(reg, 2, _interrupt)
    with pytest.warns(UserWarning, match="before the first epoch completed"):
        with pytest.raises(KeyboardInterrupt):
            reg.fit(X, y)
    assert not hasattr(reg, "module_")
    assert not hasattr(reg, "n_features_in_")


def test_interrupt_outside_the_training_loop_leaves_estimator_as_it_was(
    fast_params, seq_data, monkeypatch
):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**fast_params, max_iter=3).fit(X, y)
    before = reg.predict(X)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sk_alrnn._estimators._base, "check_targets", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X[:10], y[:10])
    monkeypatch.undo()
    np.testing.assert_array_equal(reg.predict(X), before)


def test_interrupt_stops_a_grid_search(fast_params, seq_data, monkeypatch):
    X, y, _ = seq_data
    calls = []
    loss = ALRNNRegressor._loss

    def interrupting(self, *args):
        calls.append(1)
        if len(calls) == 4:  # the second epoch of the first fit
            raise KeyboardInterrupt
        return loss(self, *args)

    monkeypatch.setattr(ALRNNRegressor, "_loss", interrupting)
    search = GridSearchCV(
        ALRNNRegressor(**fast_params),
        {"n_hidden": [4, 8]},
        cv=KFold(2),
        error_score=np.nan,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(KeyboardInterrupt):
            search.fit(X, y)
    assert len(calls) == 4  # no other candidate or fold was trained
    assert not hasattr(search, "cv_results_")


# -- resume ----------------------------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("via_pickle", [False, True])
def test_warm_start_5_plus_5_equals_10_bitwise(Est, via_pickle, fast_params, seq_data):
    X, y = seq_data[0], _target(Est, seq_data)
    params = {**fast_params, **RESUMABLE}
    once = Est(**params, max_iter=10).fit(X, y)
    warm = Est(**params, max_iter=5, warm_start=True).fit(X, y)
    if via_pickle:
        warm = pickle.loads(pickle.dumps(warm))
        assert isinstance(warm._generator_state, torch.Tensor)
    warm.fit(X, y)
    _assert_same_model(warm, once, X)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_ten_partial_fits_equal_fit_with_ten_epochs(Est, fast_params, seq_data):
    """partial_fit = one epoch of fit on the same data, order carried across calls."""
    X, y = seq_data[0], _target(Est, seq_data)
    params = {**fast_params, **RESUMABLE}
    once = Est(**params, max_iter=10).fit(X, y)
    inc = Est(**params)
    extra = {} if Est is ALRNNRegressor else {"classes": np.unique(y)}
    for _ in range(10):
        inc.partial_fit(X, y, **extra)
    _assert_same_model(inc, once, X)


def test_cold_refit_reseeds_the_batch_order(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**fast_params, max_iter=3).fit(X, y)
    first = list(reg.loss_curve_)
    reg.fit(X, y)  # warm_start=False: random_state decides again
    assert reg.loss_curve_ == first
