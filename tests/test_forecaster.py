"""ALRNNForecaster: one table, rows = consecutive time steps."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score

from sk_alrnn.datasets import make_lorenz63
from sk_alrnn.forecasting import ALRNNForecaster
from sk_alrnn.forecasting._forecaster_train import (
    TeacherForced,
    make_training_windows,
    window_starts,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Small and quick; float64 so that identities hold to 1e-10.
QUICK = dict(
    n_hidden=8,
    n_nonlinear=2,
    window=10,
    max_iter=5,
    learning_rate_init=1e-2,
    random_state=0,
    dtype="float64",
)


def noisy_sine(n=600, noise=0.1, seed=0):
    t = np.arange(n)
    rng = np.random.RandomState(seed)
    return np.sin(0.2 * t)[:, None] + noise * rng.normal(size=(n, 1))  # (n, 1)


def ar2(n=800, seed=0):
    """x_t = 1.5 x_{t-1} - 0.75 x_{t-2} + e_t: a damped oscillation driven by noise."""
    rng = np.random.RandomState(seed)
    x = np.zeros(n)
    for t in range(2, n):
        x[t] = 1.5 * x[t - 1] - 0.75 * x[t - 2] + rng.normal()
    return x[:, None]  # (n, 1)


def persistence_r2(X):
    """R^2 of predicting each row by the one before."""
    return r2_score(X[1:], X[:-1])


@pytest.fixture(scope="module")
def sine_fit():
    X = noisy_sine()
    params = dict(n_hidden=16, window=20, max_iter=60, batch_size=4)
    f = ALRNNForecaster(**{**QUICK, **params})
    return f.fit(X[:500]), X


# -- learning --
def test_beats_persistence_on_noisy_sine(sine_fit):
    f, X = sine_fit
    test = X[500:]
    assert f.score(test) > persistence_r2(test) + 0.03  # ~0.96 vs 0.91
    assert f.loss_curve_[-1] < f.loss_curve_[0]


def test_linear_model_beats_persistence_on_ar2():
    X = ar2()
    f = ALRNNForecaster(**{**QUICK, "n_nonlinear": 0, "max_iter": 40, "batch_size": 8})
    f.fit(X[:600])
    test = X[600:]
    # The optimal one-step R^2 here is about 0.8; persistence scores about 0.6.
    assert f.score(test) > persistence_r2(test) + 0.1


def test_no_relu_units_give_an_exactly_affine_map():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 2))
    f = ALRNNForecaster(**{**QUICK, "n_nonlinear": 0, "context": "reset"}).fit(X)
    X1, X2 = rng.normal(size=(2, 30, 2))
    zero = f.predict(np.zeros((30, 2)))
    lhs = f.predict(2.0 * X1 - X2) - zero
    rhs = 2.0 * (f.predict(X1) - zero) - (f.predict(X2) - zero)
    np.testing.assert_allclose(lhs, rhs, atol=1e-10)


def test_exported_params_reproduce_reset_predictions():
    rng = np.random.RandomState(1)
    X = 3.0 + 2.0 * rng.normal(size=(60, 2))
    f = ALRNNForecaster(**{**QUICK, "context": "reset"}).fit(X)
    p = f.get_alrnn_params()
    m = p.W.shape[0]
    z = np.zeros(m)
    expected = []
    for x in X:
        phi = np.where(np.arange(m) >= m - p.n_nonlinear, np.maximum(z, 0.0), z)
        z = p.A * z + p.W @ phi + p.C @ x + p.h
        expected.append(p.B @ z + p.b)
    np.testing.assert_allclose(f.predict(X), np.array(expected), atol=1e-9)


# -- context rules --
def test_context_rules():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(120, 3))
    train, test = X[:90], X[90:]
    f = ALRNNForecaster(**QUICK).fit(train)
    carry = f.predict(test)
    f.set_params(context="reset")
    reset = f.predict(test)
    # "carry" continues from the end of the training table ...
    np.testing.assert_allclose(carry, f.predict(X)[90:], atol=1e-10)
    # ... "reset" starts from zero at the first row: prefixes do not see later rows ...
    np.testing.assert_allclose(reset[:7], f.predict(test[:7]))
    assert not np.allclose(reset, carry)
    # ... and "warmup" starts from zero but answers only after `window` rows.
    warm = f.set_params(context="warmup").predict(test)
    assert np.isnan(warm[:10]).all() and np.isfinite(warm[10:]).all()
    np.testing.assert_allclose(warm[10:], reset[10:])


def test_predict_does_not_change_the_estimator():
    X = np.random.RandomState(3).normal(size=(50, 2))
    f = ALRNNForecaster(**QUICK).fit(X)
    state = f.last_state_.copy()
    weights = {k: v.clone() for k, v in f.module_.state_dict().items()}
    first = f.predict(X[:20])
    f.forecast(5, X[:20])
    np.testing.assert_array_equal(f.predict(X[:20]), first)
    np.testing.assert_array_equal(f.last_state_, state)
    for k, v in f.module_.state_dict().items():
        assert torch.equal(v, weights[k])


def test_score_uses_next_rows_and_skips_warmup():
    X = np.random.RandomState(4).normal(size=(60, 2))
    f = ALRNNForecaster(**QUICK).fit(X[:40])
    test = X[40:]
    assert f.score(test) == pytest.approx(r2_score(test[1:], f.predict(test)[:-1]))
    f.set_params(context="warmup")
    pred = f.predict(test)
    assert f.score(test) == pytest.approx(r2_score(test[11:], pred[10:-1]))


# -- forecast --
def test_forecast_shapes_determinism_and_feedback(sine_fit):
    f, X = sine_fit
    out = f.forecast(7)
    assert out.shape == (7, 1)
    np.testing.assert_array_equal(out, f.forecast(7))
    # The first forecast is the one-step forecast from the last training row ...
    reset = f.set_params(context="reset")
    try:
        np.testing.assert_allclose(out[0], reset.predict(X[:500])[-1], atol=1e-10)
        # ... and each later one is the one-step forecast after feeding the
        # earlier forecasts back as rows.
        fed = reset.predict(np.vstack([X[:500], out[:3]]))
        np.testing.assert_allclose(out[1:4], fed[-3:], atol=1e-10)
    finally:
        f.set_params(context="carry")
    # With X, the forecast starts after X's last row.
    after = f.forecast(4, X[500:520])
    np.testing.assert_allclose(after[0], f.predict(X[500:520])[-1], atol=1e-10)
    # A forecast of a noisy sine stays near it for a few steps.
    assert np.abs(out[:5, 0] - np.sin(0.2 * np.arange(500, 505))).max() < 0.5


def test_forecast_with_targets_needs_future_inputs():
    rng = np.random.RandomState(5)
    X = rng.normal(size=(80, 2))
    y = np.r_[0.0, X[:-1, 0] + X[:-1, 1]]  # y[t] depends on X[t - 1]
    f = ALRNNForecaster(**QUICK).fit(X[:60], y[:60])
    assert not f.autonomous_ and f.predict(X[60:]).shape == (20,)
    assert f.forecast(1).shape == (1,)
    with pytest.raises(ValueError, match="X_future with n_steps - 1 = 4 rows"):
        f.forecast(5)
    out = f.forecast(5, X_future=X[60:64])
    assert out.shape == (5,)
    np.testing.assert_allclose(out[1:], f.predict(X[60:64]), atol=1e-10)
    with pytest.raises(ValueError, match="n_steps - 1 = 4"):
        f.forecast(5, X_future=X[60:62])
    with pytest.raises(ValueError, match="pass them to score"):
        f.score(X[60:])
    assert np.isfinite(f.score(X[60:], y[60:]))


def test_teacher_forcing_trains_and_needs_autonomous_targets():
    X = noisy_sine(300)
    f = ALRNNForecaster(**{**QUICK, "teacher_forcing_interval": 4}).fit(X[:250])
    assert np.isfinite(f.score(X[250:]))
    with pytest.raises(ValueError, match="teacher_forcing_interval=4"):
        f.fit(X[:250], X[:250, 0])


def with_index(X, index):
    """Append the window-index column that TeacherForced reads."""
    column = torch.full((*X.shape[:2], 1), float(index), dtype=X.dtype)
    return torch.cat([X, column], dim=2)


def test_teacher_forced_module_feeds_predictions_between_observations():
    f = ALRNNForecaster(**QUICK).fit(np.random.RandomState(6).normal(size=(40, 2)))
    net = f.module_
    X = torch.randn(3, 9, 2, dtype=torch.float64)
    wrapped = TeacherForced(net, 3, n_windows=1).eval()
    out = wrapped(with_index(X, 0))
    # Steps 0, 3, 6 see the observed row, so changing rows 1, 2, 4, ... is invisible.
    X2 = X.clone()
    X2[:, [1, 2, 4, 5, 7, 8]] = 100.0
    torch.testing.assert_close(wrapped(with_index(X2, 0)), out)
    every_step = TeacherForced(net, None, n_windows=1).eval()
    torch.testing.assert_close(every_step(with_index(X, 0)), net(X, sequence=True))


@pytest.mark.parametrize("interval", [None, 3])
def test_windows_carry_the_state_of_their_predecessor(interval):
    f = ALRNNForecaster(**QUICK).fit(np.random.RandomState(6).normal(size=(40, 2)))
    net = f.module_
    X = torch.randn(1, 12, 2, dtype=torch.float64)
    wrapped = TeacherForced(net, interval, n_windows=2)  # training mode
    first = wrapped(with_index(X[:, :6], 0))
    second = wrapped(with_index(X[:, 6:], 1))
    if interval is None:  # the same as one pass over both windows
        whole = net(X, sequence=True)
        torch.testing.assert_close(torch.cat([first, second], 1), whole)
    else:  # forcing restarts at the window's first step, from the carried state
        z = wrapped.carried[1][None]
        expected = net.step(z, X[:, 6]) @ net.B.T + net.b
        torch.testing.assert_close(second[:, 0], expected)
    # Evaluation does not move the carried states.
    before = wrapped.carried.clone()
    wrapped.eval()(with_index(X[:, :6], 0))
    torch.testing.assert_close(wrapped.carried, before)


def test_training_windows_tile_the_table_up_to_its_end():
    assert window_starts(10, 4).tolist() == [2, 6]
    assert window_starts(4, 4).tolist() == [0]
    X = np.arange(12.0)[:, None]
    inputs, targets = make_training_windows(X, 10 * X, 5)  # 11 pairs, 2 windows
    assert inputs.shape == (2, 5, 2) and targets.shape == (2, 5, 1)
    np.testing.assert_array_equal(inputs[:, :, 0].ravel(), np.arange(1.0, 11.0))
    np.testing.assert_array_equal(targets[:, :, 0], 10 * (inputs[:, :, 0] + 1))
    np.testing.assert_array_equal(inputs[:, :, 1], [[0.0] * 5, [1.0] * 5])


# -- model selection and input types --
def test_cross_val_score_with_time_series_split():
    X = noisy_sine(400)
    f = ALRNNForecaster(**{**QUICK, "max_iter": 15, "batch_size": 4})
    scores = cross_val_score(f, X, cv=TimeSeriesSplit(n_splits=3))
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert scores.mean() > 0.5


def test_grid_search_over_n_nonlinear():
    X = noisy_sine(300)
    search = GridSearchCV(
        ALRNNForecaster(**QUICK),
        {"n_nonlinear": [0, 2]},
        cv=TimeSeriesSplit(n_splits=2),
    ).fit(X)
    assert search.best_params_["n_nonlinear"] in (0, 2)
    assert search.best_estimator_.predict(X[-20:]).shape == (20, 1)


@pytest.mark.parametrize("with_y", [False, True])
def test_save_and_load_round_trip(tmp_path, with_y):
    persistence = pytest.importorskip("sk_alrnn.persistence")
    X = np.random.RandomState(10).normal(size=(50, 2))
    f = ALRNNForecaster(**QUICK).fit(X, X[:, 0] if with_y else None)
    path = tmp_path / "forecaster.safetensors"
    persistence.save(f, path)
    g = persistence.load(path)
    np.testing.assert_array_equal(g.predict(X), f.predict(X))
    np.testing.assert_array_equal(g.forecast(1), f.forecast(1))
    np.testing.assert_array_equal(g.last_state_, f.last_state_)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_pandas_input():
    rng = np.random.RandomState(7)
    df = pd.DataFrame(rng.normal(size=(50, 2)), columns=["a", "b"])
    target = pd.Series(rng.normal(size=50), name="y")
    f = ALRNNForecaster(**QUICK).fit(df)
    assert list(f.feature_names_in_) == ["a", "b"]
    np.testing.assert_allclose(f.predict(df), f.predict(df.to_numpy()))
    assert f.forecast(3, df).shape == (3, 2)
    assert ALRNNForecaster(**QUICK).fit(df, target).predict(df).shape == (50,)


def test_float32_default_and_repeatable_fits():
    X = noisy_sine(120)
    params = {**QUICK, "dtype": "float32"}
    a = ALRNNForecaster(**params).fit(X).predict(X)
    b = ALRNNForecaster(**params).fit(X).predict(X)
    assert a.dtype == np.float64
    np.testing.assert_array_equal(a, b)


# -- errors --
@pytest.mark.parametrize(
    "X, match",
    [
        (np.arange(30.0), "Expected 2D array"),
        (np.ones((10, 2)), "n_samples=10 rows.*window=10 needs at least 11"),
        (np.ones((1, 2)), "n_samples=1"),
        (np.where(np.eye(30, 2) > 0, np.nan, 1.0), "NaN"),
    ],
)
def test_clear_errors_on_bad_tables(X, match):
    with pytest.raises(ValueError, match=match):
        ALRNNForecaster(**QUICK).fit(X)


def test_errors_after_fit():
    X = np.random.RandomState(8).normal(size=(40, 2))
    f = ALRNNForecaster(**QUICK).fit(X)
    with pytest.raises(ValueError, match="X has 3 features"):
        f.predict(np.ones((5, 3)))
    with pytest.raises(ValueError, match="only 5 rows"):
        f.set_params(context="warmup").predict(X[:5])
    with pytest.raises(ValueError, match="n_steps must be an int >= 1"):
        f.forecast(0)
    with pytest.raises(ValueError, match="X_future is only for a model fitted with y"):
        f.forecast(2, X_future=X[:1])
    with pytest.raises(ValueError, match="n_nonlinear=9 exceeds n_hidden=8"):
        clone(f).set_params(n_nonlinear=9).fit(X)


def test_failed_fit_leaves_a_fitted_estimator_unchanged():
    X = np.random.RandomState(9).normal(size=(40, 2))
    f = ALRNNForecaster(**QUICK).fit(X)
    before = f.predict(X)
    with pytest.raises(ValueError):
        f.fit(X[:5])
    np.testing.assert_array_equal(f.predict(X), before)


def test_convergence_warning_when_max_iter_is_hit():
    X = noisy_sine(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="max_iter=2"):
            ALRNNForecaster(**{**QUICK, "max_iter": 2}).fit(X)


# -- long tables and chaotic systems --
MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, warnings
    import numpy as np
    from sk_alrnn.forecasting import ALRNNForecaster

    def peak_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    X = np.random.RandomState(0).normal(size=({n}, 3))
    f = ALRNNForecaster(n_hidden=64, n_nonlinear=2, window=50, max_iter=1,
                        random_state=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f.fit(X[:200]).predict(X[:200])  # compile kernels, warm up torch
        base = peak_mib()
        f.fit(X).predict(X)
    print(peak_mib() - base)
    """
)


def _peak_increase_mib(n_rows):
    script = MEMORY_SCRIPT.format(n=n_rows)
    env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB on Linux")
def test_memory_stays_bounded_for_long_tables():
    # Backpropagating through all 100,000 rows at once (M = 64) raises the peak
    # RSS by about 107 MiB; window-wise training keeps fit + predict near 35 MiB
    # (the windows themselves plus fixed-size chunks).
    small = _peak_increase_mib(10_000)
    large = _peak_increase_mib(100_000)
    assert large < 70, (small, large)


@pytest.mark.slow
def test_lorenz63_free_run_stays_on_the_attractor():
    X, _ = make_lorenz63(n_timesteps=3000, dt=0.02, random_state=0)
    f = ALRNNForecaster(
        n_hidden=20,
        n_nonlinear=4,
        window=50,
        max_iter=60,
        learning_rate_init=5e-3,
        batch_size=16,
        random_state=0,
    ).fit(X)
    out = f.forecast(2000)
    assert np.all(np.isfinite(out))
    low, high = X.min(axis=0), X.max(axis=0)
    span = high - low
    assert np.all(out >= low - 0.25 * span) and np.all(out <= high + 0.25 * span)
    # Still chaotic-looking at the end: it visits both wings (x changes sign) and
    # has not collapsed onto a fixed point or a small cycle.
    last = out[-1000:]
    assert (last[:, 0] > 5).any() and (last[:, 0] < -5).any()
    assert np.all(last.std(axis=0) > 0.5 * X.std(axis=0))


def test_predict_warns_when_the_state_diverges():
    """An exploding one-step run is flagged, not returned silently."""
    X = np.sin(0.2 * np.arange(120))[:, None]
    f = ALRNNForecaster(n_hidden=4, n_nonlinear=1, window=10, max_iter=1)
    f.fit(X)
    with torch.no_grad():
        f.module_.W.mul_(0).add_(torch.eye(4, dtype=f.module_.W.dtype) * 3.0)
    with pytest.warns(RuntimeWarning, match="diverges on this input"):
        f.predict(X)


def _fault_on_loss_call(monkeypatch, n, make):
    """The ``n``-th training-loss call of the forecaster does ``make(loss)``."""
    import sk_alrnn.forecasting._forecaster_train as ft

    calls = []
    loss = ft.mse_loss

    def patched(*args):
        calls.append(1)
        value = loss(*args)
        return make(value) if len(calls) == n else value

    monkeypatch.setattr(ft, "mse_loss", patched)
    return calls


def _interrupt(loss):
    raise KeyboardInterrupt


def test_interrupt_keeps_the_completed_epochs(monkeypatch):
    """Ctrl-C after completed epochs: fitted with them, warned, re-raised."""
    series = noisy_sine(400)
    params = {**QUICK, "n_iter_no_change": np.inf, "batch_size": 16}
    n_batches = -(-(400 // params["window"]) // 16)  # windows per epoch / batch
    _fault_on_loss_call(monkeypatch, 2 * n_batches + 1, _interrupt)  # epoch 3
    fc = ALRNNForecaster(**params)
    with pytest.warns(UserWarning, match="interrupted by the user after 2 epochs"):
        with pytest.raises(KeyboardInterrupt):
            fc.fit(series)
    assert fc.n_iter_ == 2 and len(fc.loss_curve_) == 2
    monkeypatch.undo()
    reference = ALRNNForecaster(**{**params, "max_iter": 2}).fit(series)
    np.testing.assert_allclose(fc.predict(series), reference.predict(series))
    assert np.isfinite(fc.forecast(5)).all()


def test_interrupt_in_the_first_epoch_leaves_the_forecaster_as_it_was(monkeypatch):
    series = noisy_sine(400)
    _fault_on_loss_call(monkeypatch, 1, _interrupt)
    fc = ALRNNForecaster(**QUICK)
    with pytest.warns(UserWarning, match="before the first epoch"):
        with pytest.raises(KeyboardInterrupt):
            fc.fit(series)
    assert not hasattr(fc, "module_")


def test_divergence_keeps_the_completed_epochs_and_names_the_epoch(monkeypatch):
    series = noisy_sine(400)
    params = {**QUICK, "n_iter_no_change": np.inf, "batch_size": 16}
    n_batches = -(-(400 // params["window"]) // 16)
    _fault_on_loss_call(monkeypatch, 2 * n_batches + 2, lambda loss: loss * np.nan)
    fc = ALRNNForecaster(**params)
    with pytest.raises(FloatingPointError, match="epoch 3"):
        fc.fit(series)
    assert fc.n_iter_ == 2
    assert np.isfinite(fc.predict(series)).all()


@pytest.mark.parametrize(
    "column, match",
    [
        (pd.date_range("2020", periods=60, freq="D"), r"column 'extra' holds dates"),
        (pd.to_timedelta(np.arange(60), unit="s"), r"column 'extra' holds dates"),
        (["x"] * 60, r"column 'extra' is not numeric"),
        (pd.Categorical(["x", "y"] * 30), r"column 'extra' is not numeric"),
    ],
    ids=["datetime", "timedelta", "strings", "category"],
)
def test_unreadable_columns_are_named_with_the_fix(column, match):
    table = pd.DataFrame({"a": np.sin(np.arange(60.0)), "extra": column})
    with pytest.raises(ValueError, match=match):
        ALRNNForecaster(**QUICK).fit(table)


def test_missing_values_name_rows_and_columns_with_the_fix():
    table = pd.DataFrame({"a": np.sin(np.arange(60.0)), "b": np.cos(np.arange(60.0))})
    table.loc[7, "b"] = np.nan
    table.loc[9, "a"] = np.inf
    with pytest.raises(
        ValueError, match=r"2 missing .*rows 7, 9; columns 'a', 'b'.*interpolate"
    ):
        ALRNNForecaster(**QUICK).fit(table)
    fc = ALRNNForecaster(**QUICK).fit(table.fillna(0.0).replace(np.inf, 0.0))
    with pytest.raises(ValueError, match=r"rows 7"):
        fc.predict(table)
    nullable = (
        table.fillna(0.0)
        .replace(np.inf, 0.0)
        .assign(c=pd.array([1, None] + [2] * 58, dtype="Int64"))
    )
    with pytest.raises(ValueError, match=r"rows 1; columns 'c'"):
        ALRNNForecaster(**QUICK).fit(nullable)
    ALRNNForecaster(**QUICK).fit(nullable.fillna(0))  # nullable ints are numbers
