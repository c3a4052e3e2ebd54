"""The estimators inside scikit-learn's tools (search, CV, pipelines, cloning,
persistence), sequence outputs, probabilities, and the exported parameters.

Shapes: N sequences, T time steps, K features per step, M latent units, P ReLU
units, O outputs, C classes.
"""

import dataclasses
import pickle

import joblib
import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score
from sklearn.model_selection import (
    GridSearchCV,
    TimeSeriesSplit,
    cross_val_score,
    learning_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sk_alrnn import ALRNNClassifier, ALRNNRegressor

ESTIMATORS = [ALRNNRegressor, ALRNNClassifier]


def numpy_rollout(params, X):
    """Readout y_t (N, T, O) of the AL-RNN equations, in plain numpy.

    z_t = A*z_{t-1} + W phi(z_{t-1}) + C x_t + h from z_0 = 0, phi the identity on
    the first M - P units and ReLU on the last P; y_t = B z_t + b.
    """
    n_seq, n_steps, _ = X.shape
    m, p = params.n_hidden, params.n_nonlinear
    relu = np.arange(m) >= m - p  # (M,) the last P units
    z = np.zeros((n_seq, m))
    outputs = []
    for t in range(n_steps):
        phi = np.where(relu, np.maximum(z, 0.0), z)  # (N, M)
        z = params.A * z + phi @ params.W.T + X[:, t] @ params.C.T + params.h
        outputs.append(z @ params.B.T + params.b)  # (N, O)
    return np.stack(outputs, axis=1)


# -- model selection ---------------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_grid_search_over_n_nonlinear(Est, fast_params, seq_data):
    X, y, labels = seq_data
    target = y if Est is ALRNNRegressor else labels
    search = GridSearchCV(
        Est(**fast_params),
        {"n_nonlinear": [0, 2, 8]},
        cv=3,
        n_jobs=2,
        error_score="raise",
    ).fit(X, target)
    assert fast_params["n_hidden"] >= 8
    assert search.cv_results_["param_n_nonlinear"].tolist() == [0, 2, 8]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert best.n_nonlinear == search.best_params_["n_nonlinear"]
    assert best.module_.n_nonlinear == best.n_nonlinear
    assert search.predict(X[:3]).shape == (3,)


def test_learning_curve(fast_params, seq_data):
    X, y, _ = seq_data
    sizes, train_scores, test_scores = learning_curve(
        ALRNNRegressor(**fast_params), X, y, train_sizes=[0.5, 1.0], cv=3
    )
    assert sizes.tolist() == [13, 26]
    assert train_scores.shape == test_scores.shape == (2, 3)
    assert np.isfinite(test_scores).all()


def test_cross_val_score_with_time_series_split(fast_params, seq_data):
    X, y, labels = seq_data
    cv = TimeSeriesSplit(n_splits=3)
    scores = cross_val_score(ALRNNRegressor(**fast_params), X, y, cv=cv)
    assert scores.shape == (3,)
    assert np.isfinite(scores).all()
    acc = cross_val_score(ALRNNClassifier(**fast_params), X, labels, cv=cv)
    assert ((acc >= 0) & (acc <= 1)).all()


def test_pipeline_with_scaler_on_univariate_2d_input(fast_params, seq_data):
    X, y, _ = seq_data
    X2 = X[:, :, 0] * 10 + 3  # (N, T) univariate sequences
    pipe = make_pipeline(StandardScaler(), ALRNNRegressor(**fast_params)).fit(X2, y)
    scaler, reg = pipe.named_steps.values()
    assert scaler.n_features_in_ == X2.shape[1]  # the scaler sees time steps
    assert reg.n_features_in_ == 1  # the AL-RNN sees one feature per step
    np.testing.assert_array_equal(pipe.predict(X2), reg.predict(scaler.transform(X2)))
    assert np.isfinite(pipe.score(X2, y))


# -- cloning and persistence ---------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_clone_is_unfitted_with_equal_params(Est, fast_params, seq_data):
    X, y, labels = seq_data
    est = Est(**{**fast_params, "alpha": 0.1, "output": "last"})
    est.fit(X, y if Est is ALRNNRegressor else labels)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "module_")
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_persistence_round_trip(Est, how, fast_params, seq_data, tmp_path):
    X, y, labels = seq_data
    est = Est(**fast_params).fit(X, y if Est is ALRNNRegressor else labels)
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "est.joblib")
        loaded = joblib.load(tmp_path / "est.joblib")
    assert np.array_equal(loaded.predict(X), est.predict(X))
    if Est is ALRNNClassifier:
        assert np.array_equal(loaded.predict_proba(X), est.predict_proba(X))
        assert np.array_equal(loaded.classes_, est.classes_)
    assert loaded.get_params() == est.get_params()


# -- sequence outputs ----------------------------------------------------------------
def test_regressor_sequence_output_2d_targets(fast_params, seq_data):
    X, _, _ = seq_data
    y = np.cumsum(X[:, :, 0], axis=1)  # (N, T)
    reg = ALRNNRegressor(**{**fast_params, "output": "sequence"}).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert reg.score(X, y) == pytest.approx(r2_score(y.ravel(), pred.ravel()))


def test_regressor_sequence_output_3d_targets(fast_params, seq_data):
    X, _, _ = seq_data
    y = np.stack([np.cumsum(X[:, :, 0], axis=1), X[:, :, 1] * 5], axis=-1)
    reg = ALRNNRegressor(**{**fast_params, "output": "sequence"}).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (40, 6, 2)
    manual = r2_score(y.reshape(-1, 2), pred.reshape(-1, 2))  # mean over outputs
    assert reg.score(X, y) == pytest.approx(manual)


def test_regressor_sequence_output_ragged(fast_params, rng):
    X = [rng.normal(size=(t, 2)) for t in (3, 7, 5, 4, 6) * 4]
    y = [np.cumsum(x[:, 0]) for x in X]
    reg = ALRNNRegressor(**{**fast_params, "output": "sequence"}).fit(X, y)
    pred = reg.predict(X)
    assert isinstance(pred, list)
    assert [p.shape for p in pred] == [yi.shape for yi in y]
    manual = r2_score(np.concatenate(y), np.concatenate(pred))  # valid steps only
    assert reg.score(X, y) == pytest.approx(manual)
    # padding values in a padded y are ignored by the score
    padded = np.full((len(y), 7), 1e6)
    for row, yi in zip(padded, y, strict=True):
        row[: len(yi)] = yi
    assert reg.score(X, padded) == pytest.approx(manual)


def test_classifier_sequence_output(fast_params, seq_data):
    X, _, _ = seq_data
    y = np.where(np.cumsum(X[:, :, 0], axis=1) > 0, "up", "down")  # (N, T)
    clf = ALRNNClassifier(**{**fast_params, "output": "sequence"}).fit(X, y)
    pred = clf.predict(X)
    assert pred.shape == y.shape
    assert set(np.unique(pred)) <= {"down", "up"}
    assert clf.score(X, y) == pytest.approx(np.mean(pred == y))
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 6, 2)
    np.testing.assert_allclose(proba.sum(-1), 1.0)


def test_classifier_sequence_output_ragged(fast_params, rng):
    X = [rng.normal(size=(t, 2)) for t in (3, 7, 5, 4, 6) * 4]
    y = [np.where(np.cumsum(x[:, 0]) > 0, 1, 0) for x in X]
    clf = ALRNNClassifier(**{**fast_params, "output": "sequence"}).fit(X, y)
    pred = clf.predict(X)
    assert [p.shape for p in pred] == [yi.shape for yi in y]
    manual = np.mean(np.concatenate(pred) == np.concatenate(y))
    assert clf.score(X, y) == pytest.approx(manual)
    proba = clf.predict_proba(X)
    assert [p.shape for p in proba] == [(len(x), 2) for x in X]


# -- probabilities -------------------------------------------------------------------
@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities_and_decision_function(n_classes, fast_params, seq_data):
    X, y, _ = seq_data
    names = np.array(["cat", "dog", "emu"][:n_classes])
    bins = np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1])
    labels = names[np.digitize(y, bins)]
    clf = ALRNNClassifier(**fast_params).fit(X, labels)
    assert clf.classes_.tolist() == names.tolist()
    proba = clf.predict_proba(X)
    assert proba.shape == (40, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    scores = clf.decision_function(X)
    if n_classes == 2:
        assert scores.shape == (40,)
        np.testing.assert_allclose(proba[:, 1], expit(scores), atol=1e-12)
    else:
        assert scores.shape == (40, n_classes)
        np.testing.assert_allclose(proba, softmax(scores, axis=1), atol=1e-12)


# -- exported parameters reproduce the model -----------------------------------------
def _float64(fast_params, **extra):
    return {**fast_params, "dtype": "float64", "max_iter": 10, **extra}


def test_params_reproduce_regressor_predict(fast_params, seq_data):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**_float64(fast_params, learning_rate_init=0.01)).fit(X, y)
    params = reg.get_alrnn_params()
    assert params.n_nonlinear == 2
    assert (params.A[: params.n_hidden - 2] == 0).all()
    ours = numpy_rollout(params, X)[:, -1, 0]  # (N,) last step, one output
    np.testing.assert_allclose(ours, reg.predict(X), rtol=0, atol=1e-10)
    # The check is sharp: dropping the ReLUs (and their A) changes the outputs.
    linear = dataclasses.replace(params, A=np.zeros(8), n_nonlinear=0)
    assert np.abs(numpy_rollout(linear, X)[:, -1, 0] - reg.predict(X)).max() > 1e-6


def test_params_reproduce_multi_output_sequence_regressor(fast_params, seq_data):
    X, _, _ = seq_data
    y = np.stack([np.cumsum(X[:, :, 0], axis=1), 3 * X[:, :, 1] - 1], axis=-1)
    reg = ALRNNRegressor(
        **_float64(fast_params, output="sequence", learning_rate_init=0.01)
    ).fit(X, y)
    params = reg.get_alrnn_params()
    assert params.B.shape == (2, 8)
    np.testing.assert_allclose(
        numpy_rollout(params, X), reg.predict(X), rtol=0, atol=1e-10
    )


def test_params_reproduce_multi_output_last_regressor(fast_params, seq_data):
    X, y, _ = seq_data
    Y = np.column_stack([y, 100 * X[:, -1, 1]])  # (N, 2), different scales
    reg = ALRNNRegressor(**_float64(fast_params, learning_rate_init=0.01)).fit(X, Y)
    pred = reg.predict(X)
    assert pred.shape == (40, 2)
    ours = numpy_rollout(reg.get_alrnn_params(), X)[:, -1]
    np.testing.assert_allclose(ours, pred, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_params_reproduce_classifier_logits(n_classes, fast_params, seq_data):
    X, y, _ = seq_data
    labels = np.digitize(y, np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1]))
    clf = ALRNNClassifier(**_float64(fast_params, learning_rate_init=0.01))
    clf.fit(X, labels)
    logits = numpy_rollout(clf.get_alrnn_params(), X)[:, -1]  # (N, O)
    if n_classes == 2:
        assert logits.shape == (40, 1)
        np.testing.assert_allclose(logits[:, 0], clf.decision_function(X), atol=1e-10)
        np.testing.assert_allclose(
            expit(logits[:, 0]), clf.predict_proba(X)[:, 1], atol=1e-10
        )
    else:
        assert logits.shape == (40, 3)
        np.testing.assert_allclose(logits, clf.decision_function(X), atol=1e-10)
        np.testing.assert_allclose(
            softmax(logits, axis=1), clf.predict_proba(X), atol=1e-10
        )
