"""Subnormal floats are flushed during fit and predict, and the user's setting kept."""

import threading
import warnings

import numpy as np
import pytest
import torch
from support import run_python

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn._nn._kernels import rollout, rollout_reference, use_kernel
from sk_alrnn._nn._kernels.fpenv import denormals_flushed, flush_denormals
from sk_alrnn.forecasting import ALRNNForecaster

OFF, ON = (False, False), (True, True)


@pytest.fixture(autouse=True)
def _default_environment():
    torch.set_flush_denormal(False)
    yield
    torch.set_flush_denormal(False)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6, 2)).astype(np.float32)
    return X, X[:, :, 0].sum(axis=1)


def test_probe_reads_the_thread_setting():
    assert denormals_flushed() == OFF
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    assert denormals_flushed() == ON


def test_flushes_inside_and_restores_on_every_exit():
    with flush_denormals() as switched:
        flushed_inside = denormals_flushed()
    assert (switched, flushed_inside) in ((True, ON), (False, OFF))
    assert denormals_flushed() == OFF
    for error in (ValueError, KeyboardInterrupt):
        with pytest.raises(error):
            with flush_denormals():
                raise error
        assert denormals_flushed() == OFF
    with flush_denormals(enabled=False) as switched:
        assert not switched and denormals_flushed() == OFF


def test_nested_blocks_and_a_user_setting_are_left_alone():
    with flush_denormals():
        with flush_denormals() as inner:
            assert not inner  # the outer block owns the setting
        assert denormals_flushed() in (ON, OFF)
    assert denormals_flushed() == OFF
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    with flush_denormals() as switched:
        assert not switched
    assert denormals_flushed() == ON  # the user's choice stays


def test_other_threads_are_not_touched():
    seen = []
    inside, release = threading.Event(), threading.Event()

    def worker():
        with flush_denormals():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(10)
    seen.append(denormals_flushed())
    release.set()
    thread.join()
    assert seen == [OFF]


def _loss_spy(est, seen):
    loss = est._loss

    def spy(*args):
        seen.append(denormals_flushed())
        return loss(*args)

    est._loss = spy


@pytest.mark.parametrize("user", [OFF, ON])
def test_fit_and_predict_flush_and_restore_the_user_setting(user, data):
    X, y = data
    if user == ON and not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    seen = []
    reg = ALRNNRegressor(n_hidden=8, n_nonlinear=2, max_iter=2, random_state=0)
    _loss_spy(reg, seen)
    reg.fit(X, y)
    assert denormals_flushed() == user
    assert set(seen) == {ON}  # every training step ran flushed
    reg.predict(X)
    assert denormals_flushed() == user


def test_interrupted_and_failing_fits_restore_the_setting(data):
    X, y = data
    reg = ALRNNRegressor(n_hidden=8, max_iter=3, random_state=0)
    calls = []

    def interrupt(*args):
        calls.append(1)
        raise KeyboardInterrupt

    reg._loss = interrupt
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    assert calls and denormals_flushed() == OFF
    wild = ALRNNRegressor(
        n_hidden=8, max_iter=3, learning_rate_init=1e6, clip_grad_norm=None
    )
    with pytest.raises(FloatingPointError):
        wild.fit(X, y)
    assert denormals_flushed() == OFF


def test_classifier_and_forecaster_restore_the_setting(data):
    X, y = data
    ALRNNClassifier(n_hidden=8, max_iter=2, random_state=0).fit(X, y > 0).predict(X)
    assert denormals_flushed() == OFF
    series = np.sin(np.arange(80) / 5.0)[:, None]
    fc = ALRNNForecaster(window=8, n_hidden=8, max_iter=2, random_state=0)
    fc.fit(series).predict(series)
    fc.forecast(3)
    assert denormals_flushed() == OFF


def test_fits_stay_bitwise_reproducible(data):
    X, y = data
    params = dict(n_hidden=8, n_nonlinear=2, max_iter=4, random_state=0)
    a = ALRNNRegressor(**params).fit(X, y).predict(X)
    b = ALRNNRegressor(**params).fit(X, y).predict(X)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kernel", ["numba", "torch"])
def test_flushed_kernels_match_the_unflushed_reference(kernel):
    """A contractive model over 300 steps: the gradients of the last step's output
    decay into subnormals going back in time; flushing them changes nothing above
    float tolerance."""
    gen = torch.Generator().manual_seed(0)
    M, P = 16, 4
    U = torch.randn(8, 300, M, generator=gen)
    A = 0.5 * torch.rand(M, generator=gen)
    W = 0.01 * torch.randn(M, M, generator=gen)

    def run(flush, kernel_name=None):
        leaves = [t.clone().requires_grad_() for t in (U, A, W)]
        with flush_denormals(enabled=flush), use_kernel(kernel_name):
            Z = rollout(*leaves, P) if kernel_name else rollout_reference(*leaves, P)
            Z[:, -1].sum().backward()
        return [Z.detach()] + [t.grad for t in leaves]

    ref = run(False)
    tiny = torch.finfo(torch.float32).tiny
    assert ((ref[1] != 0) & (ref[1].abs() < tiny)).any()  # subnormal dU occur
    got = run(True, kernel)
    for r, g in zip(ref, got, strict=True):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6 * float(r.abs().max()))


def test_no_numpy_subnormal_warning_reaches_the_user():
    code = (
        "import warnings, numpy as np\n"
        "warnings.filterwarnings('error', message='.*subnormal')\n"
        "from sk_alrnn import ALRNNRegressor\n"
        "X = np.random.default_rng(0).normal(size=(20, 5, 2))\n"
        "reg = ALRNNRegressor(n_hidden=4, max_iter=2, random_state=0)\n"
        "reg.fit(X, X.sum(axis=(1, 2)))\n"
        "reg.score(X, X.sum(axis=(1, 2)))\n"
        "print(np.finfo(np.float32).smallest_subnormal > 0)\n"
    )
    with warnings.catch_warnings():
        out = run_python("-c", code, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("True")
