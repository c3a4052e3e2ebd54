"""sk_alrnn.persistence: safe save/load round trips, refusals and atomic writes."""

import errno
import math
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from support import run_python

from sk_alrnn import ALRNNClassifier, ALRNNRegressor, persistence
from sk_alrnn.baselines import RNNClassifier, RNNRegressor
from sk_alrnn.persistence import load, save

TINY = dict(n_hidden=5, max_iter=3, batch_size=8, random_state=0)
X = np.random.RandomState(0).normal(size=(24, 6, 2))
Y = X[:, :, 0].sum(axis=1)
LABELS = np.where(Y > 0, "pos", "neg")


def _fit(est, X_=X, y=Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X_, y)


def _cases():
    df = pd.DataFrame(X[:, :, 0], columns=[f"t{i}" for i in range(6)])
    seq_y = np.stack([Y, -Y], axis=1)  # two outputs
    return {
        "regressor": (ALRNNRegressor(n_nonlinear=2, **TINY), X, Y),
        "regressor_sequence_2out": (
            ALRNNRegressor(n_nonlinear=1, output="sequence", dtype="float64", **TINY),
            X,
            np.repeat(seq_y[:, None, :], 6, axis=1),
        ),
        "classifier_str": (ALRNNClassifier(n_nonlinear=2, **TINY), X, LABELS),
        "classifier_multiclass_df": (
            ALRNNClassifier(n_nonlinear=0, early_stopping=True, **TINY),
            df,
            np.digitize(Y, [-1, 1]),
        ),
        "rnn_regressor_lstm": (RNNRegressor(cell="lstm", **TINY), X, Y),
        "rnn_classifier_gru": (RNNClassifier(dtype="float64", **TINY), X, LABELS),
    }


CASES = _cases()


def _same(a, b, path="") -> None:
    """Deep equality of attribute values, types included; NaN equals NaN."""
    assert type(a) is type(b), path
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}.{i}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a, b), path
    elif isinstance(a, torch.nn.Module):
        _same(a.state_dict(), b.state_dict(), path)
    elif isinstance(a, torch.Generator):
        assert torch.equal(a.get_state(), b.get_state()), path
    elif isinstance(a, np.random.RandomState):
        _same(a.get_state(), b.get_state(), path)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, path


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_every_estimator(case, tmp_path):
    est, X_, y = CASES[case]
    est = _fit(est, X_, y)
    path = tmp_path / "model.safetensors"
    save(est, path)
    loaded = load(path)
    assert type(loaded) is type(est)
    _same(vars(est), vars(loaded))
    for method in ("predict", "predict_proba", "decision_function"):
        if hasattr(est, method):
            np.testing.assert_array_equal(
                getattr(loaded, method)(X_), getattr(est, method)(X_)
            )
    if hasattr(est, "classes_"):
        assert loaded.score(X_, y) == est.score(X_, y)
    assert not list(tmp_path.glob("*.tmp"))


def test_classifier_string_labels_and_feature_names(tmp_path):
    df = pd.DataFrame(X[:, :, 0], columns=[f"t{i}" for i in range(6)])
    clf = _fit(ALRNNClassifier(n_nonlinear=1, **TINY), df, LABELS)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded.classes_.tolist() == ["neg", "pos"]
    assert loaded.feature_names_in_.dtype == object
    assert loaded.feature_names_in_.tolist() == list(df.columns)
    np.testing.assert_array_equal(loaded.predict(df), clf.predict(df))


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_training_continues_bitwise_after_load(how, tmp_path):
    """The optimizer state and fitted state travel: continuing a loaded model
    equals continuing the in-memory one, bitwise on CPU."""
    reg = _fit(ALRNNRegressor(n_nonlinear=2, **TINY))
    save(reg, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    for est in (reg, loaded):
        if how == "partial_fit":
            est.partial_fit(X, Y)
        else:
            _fit(est.set_params(warm_start=True, max_iter=2))
    _same(vars(reg), vars(loaded))
    assert loaded.n_iter_ == reg.n_iter_ > 3


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_resume_from_file_equals_uninterrupted_training(how, tmp_path):
    """5 epochs, save, load, 5 more epochs == 10 epochs, bitwise on CPU."""
    kw = dict(n_hidden=5, n_nonlinear=2, batch_size=8, random_state=0)
    kw["n_iter_no_change"] = 100
    kw["learning_rate"] = "constant"  # a schedule restarts with each fit call
    path = tmp_path / "m.safetensors"
    if how == "warm_start":
        straight = _fit(ALRNNRegressor(max_iter=10, **kw))
        save(_fit(ALRNNRegressor(max_iter=5, **kw)), path)
        resumed = _fit(load(path).set_params(warm_start=True))
    else:
        straight = ALRNNRegressor(**kw)
        half = ALRNNRegressor(**kw)
        for _ in range(5):
            straight.partial_fit(X, Y)
            half.partial_fit(X, Y)
        save(half, path)
        resumed = load(path)
        for _ in range(5):
            straight.partial_fit(X, Y)
            resumed.partial_fit(X, Y)
    _same(straight.module_.state_dict(), resumed.module_.state_dict())
    assert straight.loss_curve_ == resumed.loss_curve_
    assert resumed.n_iter_ == 10


def test_unfitted_round_trip(tmp_path):
    rs = np.random.RandomState(3)
    rs.normal(size=5)  # a state that is not the seed's
    reg = ALRNNRegressor(
        random_state=rs, device=torch.device("cpu"), n_iter_no_change=np.inf
    )
    save(reg, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    _same(reg.get_params(), loaded.get_params())
    assert loaded.random_state.normal() == rs.normal()
    assert not hasattr(loaded, "module_")


def test_weird_values_round_trip(tmp_path):
    reg = _fit(ALRNNRegressor(n_nonlinear=1, **TINY))
    reg.best_loss_ = math.inf
    reg.loss_curve_ = [*reg.loss_curve_, math.nan, -math.inf, 1e-320, 1.0]
    # any value an allowlisted attribute may hold (the format does not know types)
    reg._fit_signature = {
        0: (np.float64(0.5), np.int32(-3), np.bool_(True), np.str_("é")),
        "k": [None, True, 2**70, "", {"nested": np.zeros((0, 3))}],
        "arrays": [np.arange(4, dtype=np.uint32), np.array([[True], [False]])],
        "objects": np.array(["a", 1, None, 2.5], dtype=object),
        "generator": torch.Generator().manual_seed(7),
        "tensor": torch.arange(3, dtype=torch.int16),
    }
    save(reg, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    _same(vars(reg), vars(loaded))
    assert loaded.best_loss_ == math.inf


def test_attribute_not_fitted_by_the_class_is_refused_at_save(tmp_path):
    """save writes only the fitted attributes that load accepts, so every file
    that save writes loads."""
    reg = _fit(ALRNNRegressor(n_nonlinear=1, **TINY))
    reg._extra_ = 1
    with pytest.raises(TypeError, match=r"'_extra_'.*del estimator\._extra_"):
        save(reg, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []
    del reg._extra_
    save(reg, tmp_path / "m.safetensors")
    assert not hasattr(load(tmp_path / "m.safetensors"), "_extra_")


def test_unsupported_attribute_and_class_refused_at_save(tmp_path):
    reg = _fit(ALRNNRegressor(n_nonlinear=1, **TINY))
    reg._fit_signature = lambda: None
    with pytest.raises(TypeError, match=r"'_fit_signature' of type builtins\.func"):
        save(reg, tmp_path / "m.safetensors")

    class MyRegressor(ALRNNRegressor):
        pass

    with pytest.raises(TypeError, match="not subclasses"):
        save(MyRegressor(), tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="saves only"):
        save({"not": "an estimator"}, tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


# -- devices -----------------------------------------------------------------------
def test_cuda_model_loads_on_cpu_only_machine(tmp_path, monkeypatch):
    """safetensors stores no device: a model saved with device='cuda' loads on a
    CPU-only machine; the parameter is kept and a warning says how to train on."""
    reg = _fit(ALRNNRegressor(n_nonlinear=1, device="cpu", **TINY))
    reg.set_params(device="cuda")
    save(reg, tmp_path / "m.safetensors")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="CUDA is not available"):
        loaded = load(tmp_path / "m.safetensors")
    assert loaded.device == "cuda"
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_real_cuda_fit_loads_in_cpu_only_process(tmp_path):
    reg = _fit(ALRNNRegressor(n_nonlinear=1, device="cuda", **TINY))
    save(reg, tmp_path / "m.safetensors")
    np.save(tmp_path / "X.npy", X)
    code = (
        "import sys, numpy as np, torch; from sk_alrnn.persistence import load;"
        "assert not torch.cuda.is_available();"
        "m = load(sys.argv[1] + '/m.safetensors');"
        "np.save(sys.argv[1] + '/p.npy', m.predict(np.load(sys.argv[1] + '/X.npy')))"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    result = run_python("-c", code, tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), reg.predict(X), atol=1e-5)


# -- atomic writes -----------------------------------------------------------------
@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
def test_failed_save_keeps_previous_file(fail_at, tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    first = _fit(ALRNNRegressor(n_nonlinear=1, **TINY))
    save(first, path)
    before = path.read_bytes()

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, fail_at, disk_full)
    second = _fit(ALRNNRegressor(n_nonlinear=2, **TINY))
    with pytest.raises(OSError, match="No space left"):
        save(second, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
    np.testing.assert_array_equal(load(path).predict(X), first.predict(X))


def test_next_save_removes_stale_temporary_files(tmp_path):
    path = tmp_path / "m.safetensors"
    stale = tmp_path / ".m.safetensors.dead.tmp"  # left by a save killed mid-write
    fresh = tmp_path / ".m.safetensors.busy.tmp"  # a save running elsewhere
    other = tmp_path / ".other.safetensors.dead.tmp"
    for p in (stale, fresh, other):
        p.write_bytes(b"half a model")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    save(ALRNNRegressor(), path)
    assert not stale.exists()
    assert fresh.exists() and other.exists()


def test_save_overwrites_and_refuses_directories(tmp_path):
    path = tmp_path / "m.safetensors"
    save(ALRNNRegressor(), path)
    reg = _fit(ALRNNRegressor(n_nonlinear=1, **TINY))
    save(reg, path)
    assert hasattr(load(path), "module_")
    with pytest.raises(IsADirectoryError, match="pass a file path"):
        save(reg, tmp_path)


# -- forecaster --------------------------------------------------------------------
def test_forecaster_round_trip(tmp_path):
    from sk_alrnn.forecasting import ALRNNForecaster

    if not hasattr(ALRNNForecaster, "fit"):
        pytest.skip("ALRNNForecaster is still a placeholder")
    t = np.arange(120) * 0.2
    table = np.column_stack([np.sin(t), np.cos(t)])
    fc = ALRNNForecaster(n_hidden=6, n_nonlinear=2, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(table)
    save(fc, tmp_path / "fc.safetensors")
    loaded = load(tmp_path / "fc.safetensors")
    _same(vars(fc), vars(loaded))
    np.testing.assert_array_equal(loaded.predict(table), fc.predict(table))
    if hasattr(fc, "forecast"):
        np.testing.assert_array_equal(loaded.forecast(5), fc.forecast(5))


_SAVE_LOOP = """
import sys, numpy as np
from sk_alrnn import ALRNNRegressor
from sk_alrnn.persistence import save
est = ALRNNRegressor()
est._y_mean = np.arange(4_000_000, dtype=np.float64)  # 32 MB per save
save(est, sys.argv[1])
print("ready", flush=True)
while True:
    save(est, sys.argv[1])
"""


@pytest.mark.slow
def test_sigkill_during_save_never_leaves_a_broken_file(tmp_path):
    """Kill a process that saves in a loop at random moments: the file at the
    final path always loads (the write is a temporary file + os.replace)."""
    import signal

    path = tmp_path / "m.safetensors"
    rng = np.random.RandomState(0)
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVE_LOOP, str(path)], stdout=subprocess.PIPE
        )
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert load(path)._y_mean.shape == (4_000_000,)
    # kills that landed mid-write leave a temporary file, never a broken model
    stale = list(tmp_path.glob(".m.safetensors.*.tmp"))
    assert sorted(p.name for p in tmp_path.iterdir() if p not in stale) == [path.name]


def test_docs_say_pickle_is_unsafe():
    doc = " ".join(persistence.__doc__.split())
    assert "can run arbitrary code" in doc
    assert "only from trusted sources" in doc
    assert "load` is the safe path" in doc
