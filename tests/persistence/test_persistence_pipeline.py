"""sk_alrnn.save/load of Pipelines: allowlisted steps round trip, others refused."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load as st_load
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

from sk_alrnn import ALRNNClassifier, ALRNNRegressor, persistence
from sk_alrnn.baselines import RNNRegressor
from sk_alrnn.persistence import load, save
from sk_alrnn.persistence._pipeline import TRANSFORMER_ATTRIBUTES
from sk_alrnn.preprocessing import SequenceScaler

TINY = dict(n_hidden=5, max_iter=3, batch_size=8, random_state=0)
RNG = np.random.RandomState(0)
X3 = RNG.normal(loc=3.0, scale=2.0, size=(24, 6, 2))  # (N, T, K)
X2 = X3[:, :, 0]  # (N, T): univariate sequences
Y = X3[:, :, 0].sum(axis=1)
LABELS = np.where(Y > Y.mean(), "pos", "neg")


def _fit(est, X_, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X_, y)


def _round_trip(pipe, tmp_path):
    path = tmp_path / "pipe.safetensors"
    save(pipe, path)
    loaded = load(path)
    assert type(loaded) is Pipeline
    assert [n for n, _ in loaded.steps] == [n for n, _ in pipe.steps]
    for (_, a), (_, b) in zip(loaded.steps, pipe.steps, strict=True):
        assert type(a) is type(b)
        if not isinstance(a, str | None):
            pa, pb = a.get_params(deep=False), b.get_params(deep=False)
            assert list(pa) == list(pb)
            assert all(repr(pa[k]) == repr(pb[k]) for k in pa)
    return loaded


def test_sequence_scaler_and_regressor_on_3d_data(tmp_path):
    pipe = _fit(make_pipeline(SequenceScaler(), ALRNNRegressor(**TINY)), X3, Y)
    loaded = _round_trip(pipe, tmp_path)
    assert np.array_equal(loaded.predict(X3), pipe.predict(X3))
    assert np.array_equal(loaded[:-1].transform(X3), pipe[:-1].transform(X3))
    assert np.array_equal(loaded[0].scale_, pipe[0].scale_)
    assert loaded.score(X3, Y) == pipe.score(X3, Y)


@pytest.mark.parametrize(
    "scaler",
    [
        StandardScaler(),
        StandardScaler(with_mean=False),
        MinMaxScaler(feature_range=(-1, 2), clip=True),
        MaxAbsScaler(),
        RobustScaler(quantile_range=(10.0, 90.0), unit_variance=True),
    ],
    ids=lambda s: type(s).__name__,
)
def test_sklearn_scaler_and_estimator_on_univariate_input(scaler, tmp_path):
    pipe = _fit(make_pipeline(scaler, ALRNNRegressor(**TINY)), X2, Y)
    loaded = _round_trip(pipe, tmp_path)
    assert np.array_equal(loaded.predict(X2), pipe.predict(X2))
    assert np.array_equal(loaded[0].transform(X2), pipe[0].transform(X2))


def test_classifier_with_passthrough_and_feature_names(tmp_path):
    df = pd.DataFrame(X2, columns=[f"t{i}" for i in range(X2.shape[1])])
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("skip", "passthrough"),
            ("none", None),
            ("clf", ALRNNClassifier(n_nonlinear=2, **TINY)),
        ],
        verbose=False,
    )
    _fit(pipe, df, LABELS)
    loaded = _round_trip(pipe, tmp_path)
    assert np.array_equal(loaded.predict_proba(df), pipe.predict_proba(df))
    assert np.array_equal(loaded.predict(df), pipe.predict(df))
    assert loaded.classes_.tolist() == ["neg", "pos"]
    assert loaded.feature_names_in_.tolist() == pipe.feature_names_in_.tolist()
    assert loaded.feature_names_in_.dtype == object


def test_two_sk_alrnn_scalers_and_a_baseline(tmp_path):
    pipe = make_pipeline(
        SequenceScaler(with_std=False), SequenceScaler(), RNNRegressor(**TINY)
    )
    _fit(pipe, X3, Y)
    loaded = _round_trip(pipe, tmp_path)
    assert np.array_equal(loaded.predict(X3), pipe.predict(X3))


def test_loaded_pipeline_continues_training_like_the_saved_one(tmp_path):
    pipe = _fit(make_pipeline(SequenceScaler(), ALRNNRegressor(**TINY)), X3, Y)
    loaded = _round_trip(pipe, tmp_path)
    for p in (pipe, loaded):
        p.set_params(alrnnregressor__warm_start=True, alrnnregressor__max_iter=2)
        _fit(p, X3, Y)
    assert np.array_equal(loaded.predict(X3), pipe.predict(X3))


def test_init_params_of_a_step_round_trip(tmp_path):
    first = _fit(ALRNNRegressor(**TINY), X3, Y)
    start = first.get_alrnn_params()
    pipe = make_pipeline(SequenceScaler(), ALRNNRegressor(init=start, **TINY))
    _fit(pipe, X3, Y)
    loaded = _round_trip(pipe, tmp_path)
    assert np.array_equal(loaded[-1].init.W, start.W)
    assert np.array_equal(loaded.predict(X3), pipe.predict(X3))


# -- refusals at save time ---------------------------------------------------------
@pytest.mark.parametrize(
    "step, cls_name",
    [
        (FunctionTransformer(np.abs), "FunctionTransformer"),
        (PolynomialFeatures(), "PolynomialFeatures"),
        (make_pipeline(StandardScaler()), "nested pipelines"),
    ],
)
def test_unsupported_step_is_refused_naming_it(step, cls_name, tmp_path):
    pipe = Pipeline([("odd", step), ("reg", ALRNNRegressor(**TINY))])
    _fit(pipe, X2, Y)
    with pytest.raises(TypeError, match=cls_name) as info:
        save(pipe, tmp_path / "p.safetensors")
    message = str(info.value)
    assert "'odd'" in message and "sklearn.preprocessing.StandardScaler" in message
    assert "sk_alrnn.preprocessing.SequenceScaler" in message
    assert not (tmp_path / "p.safetensors").exists()


def test_subclass_of_an_allowlisted_scaler_is_refused(tmp_path):
    class MyScaler(StandardScaler):
        pass

    pipe = _fit(make_pipeline(MyScaler(), ALRNNRegressor(**TINY)), X2, Y)
    with pytest.raises(TypeError, match="MyScaler"):
        save(pipe, tmp_path / "p.safetensors")


def test_unfitted_pipeline_is_refused_naming_the_step(tmp_path):
    pipe = make_pipeline(SequenceScaler(), ALRNNRegressor(**TINY))
    with pytest.raises(NotFittedError, match="'sequencescaler'"):
        save(pipe, tmp_path / "p.safetensors")
    pipe[0].fit(X3)
    with pytest.raises(NotFittedError, match=r"'alrnnregressor'.*not fitted"):
        save(pipe, tmp_path / "p.safetensors")


def test_memory_and_stray_attributes_are_refused(tmp_path):
    pipe = _fit(make_pipeline(StandardScaler(), ALRNNRegressor(**TINY)), X2, Y)
    pipe.set_params(memory=str(tmp_path))
    with pytest.raises(TypeError, match="memory=None"):
        save(pipe, tmp_path / "p.safetensors")
    pipe.set_params(memory=None)
    pipe[0].note_ = "hello"
    with pytest.raises(TypeError, match="'note_'"):
        save(pipe, tmp_path / "p.safetensors")
    del pipe[0].note_
    pipe[0].scale_ = [torch.zeros(2)]  # not a plain value
    with pytest.raises(TypeError, match=r"'scale_'.*may hold only"):
        save(pipe, tmp_path / "p.safetensors")


# -- refusals at load time ---------------------------------------------------------
def _reseal(src, dst, edit):
    """Rewrite a saved file with an edited JSON header and a valid digest."""
    data = src.read_bytes()
    header = json.loads(persistence._read_header(data)["__metadata__"]["sk_alrnn"])
    tensors = st_load(data)
    edit(header, tensors)
    dst.write_bytes(persistence._pack(header, tensors))
    return dst


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "pipe.safetensors"
    pipe = make_pipeline(StandardScaler(), ALRNNRegressor(**TINY))
    save(_fit(pipe, X2, Y), path)
    return path


def _step(header, i):
    return header["params"]["steps"][i][1]


def _drop_tensor(h, t):
    t.pop(next(k for k in t if k.startswith("steps.alrnnregressor.")))


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda h, t: _step(h, 0).update(
                estimator="sklearn.preprocessing.FunctionTransformer"
            ),
            "'standardscaler' names the class 'sklearn.preprocessing.Function",
        ),
        (
            lambda h, t: _step(h, 0).update(estimator="os.system"),
            "does not load; a step may be only one of",
        ),
        (
            lambda h, t: _step(h, 1).update(estimator="builtins.eval"),
            "names the class 'builtins.eval'",
        ),
        (
            lambda h, t: _step(h, 0)["params"].update(func="os.system"),
            r"unknown names \['func'\]",
        ),
        (
            lambda h, t: _step(h, 0)["attributes"].update(__class__="x"),
            "unknown names",
        ),
        (
            lambda h, t: _step(h, 1)["attributes"].update(evil_=1),
            "unknown attribute 'evil_'",
        ),
        (
            lambda h, t: _step(h, 0)["attributes"].update(
                mean_={"$type": "device", "value": "cpu"}
            ),
            "must hold plain values",
        ),
        (
            lambda h, t: _step(h, 0)["attributes"].update(n_features_in_=7),
            r"expected \[7\]",
        ),
        (lambda h, t: h["params"].update(memory="/tmp"), "memory"),
        (lambda h, t: h["params"].update(extra=1), "exactly steps, memory"),
        (lambda h, t: h["params"]["steps"].append(["a__b", None]), "'a__b'"),
        (lambda h, t: h["params"]["steps"].append(["standardscaler", None]), "repe"),
        (lambda h, t: h["params"].update(steps=[["x", "passthrough"]]), "no step"),
        (lambda h, t: h["params"]["steps"][0].append(1), "must be \\[name, step\\]"),
        (lambda h, t: h["params"]["steps"][0].__setitem__(1, 3), "'passthrough', null"),
        (lambda h, t: h["attributes"].update(x=1), "no attributes"),
        (lambda h, t: t.update(extra=torch.zeros(1)), r"tensors \['extra'\]"),
        (_drop_tensor, "missing or reused tensor"),
    ],
)
def test_tampered_pipeline_file_is_refused(saved, tmp_path, edit, message):
    path = _reseal(saved, tmp_path / "bad.safetensors", edit)
    with pytest.raises(ValueError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)


def test_reseal_helper_keeps_a_valid_file(saved, tmp_path):
    path = _reseal(saved, tmp_path / "same.safetensors", lambda h, t: None)
    assert np.array_equal(load(path).predict(X2), load(saved).predict(X2))


def test_flipped_byte_in_a_step_tensor_says_digest(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0x01
    (tmp_path / "flip.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="digest"):
        load(tmp_path / "flip.safetensors")


def test_loading_a_pipeline_never_unpickles(saved, request):
    expected = load(saved).predict(X2)
    request.getfixturevalue("no_unpickling")  # from here on: no unpickling
    assert np.array_equal(load(saved).predict(X2), expected)


def test_single_estimator_files_keep_format_1(tmp_path):
    assert persistence.FORMAT_VERSION == 1
    reg = _fit(ALRNNRegressor(**TINY), X3, Y)
    save(reg, tmp_path / "r.safetensors")
    data = (tmp_path / "r.safetensors").read_bytes()
    header = json.loads(persistence._read_header(data)["__metadata__"]["sk_alrnn"])
    assert header["estimator"] == "sk_alrnn.ALRNNRegressor"
    assert not any(k.startswith("steps.") for k in st_load(data))


def test_allowlist_covers_what_fit_sets():
    """Each allowlisted transformer's fit leaves only its listed attributes."""
    for name, (cls, allowed) in TRANSFORMER_ATTRIBUTES.items():
        X_ = X3 if cls is SequenceScaler else X2
        df = pd.DataFrame(X_[:, :, 0] if X_.ndim == 3 else X_).add_prefix("c")
        for data in (X_, df):
            est = cls().fit(data)
            fitted = set(vars(est)) - set(est.get_params(deep=False))
            assert fitted <= allowed, (name, fitted - allowed)
        assert name.rsplit(".", 1)[1] == cls.__name__


def test_docstrings_name_the_allowlist():
    for fn in (save, load):
        doc = " ".join(fn.__doc__.split())
        for name in ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"):
            assert name in doc
        assert "SequenceScaler" in doc and "FunctionTransformer" in doc
