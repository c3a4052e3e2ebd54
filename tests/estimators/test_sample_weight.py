"""sample_weight for every sequence estimator, class_weight for the classifiers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn.baselines import RNNClassifier, RNNRegressor

FAST = dict(n_hidden=6, n_nonlinear=2, max_iter=4, random_state=0, dtype="float64")


def _fast(Estimator):
    if issubclass(Estimator, (RNNRegressor, RNNClassifier)):
        return {k: v for k, v in FAST.items() if k != "n_nonlinear"}
    return FAST


def _data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5, 2))
    y = X[:, :, 0].sum(axis=1)
    return X, y


@pytest.mark.parametrize("Estimator", [ALRNNRegressor, RNNRegressor])
@pytest.mark.parametrize("n", [60, 150])  # 150: a validation split is held out
def test_a_zero_weight_equals_leaving_the_sequence_out(Estimator, n):
    X, y = _data(n)
    w = np.ones(n)
    w[::4] = 0.0
    y_bad = y.copy()
    y_bad[w == 0] = 1e3  # garbage that a weight of 0 must ignore
    keep = w > 0
    weighted = Estimator(**_fast(Estimator)).fit(X, y_bad, sample_weight=w)
    removed = Estimator(**_fast(Estimator)).fit(X[keep], y[keep])
    np.testing.assert_array_equal(weighted.predict(X), removed.predict(X))
    assert weighted.loss_curve_ == removed.loss_curve_


def test_uniform_weights_match_the_unweighted_fit():
    X, y = _data()
    plain = ALRNNRegressor(**FAST).fit(X, y)
    for scale in (1.0, 3.5):
        weighted = ALRNNRegressor(**FAST).fit(X, y, sample_weight=np.full(60, scale))
        np.testing.assert_allclose(weighted.predict(X), plain.predict(X), rtol=1e-8)


def test_weights_pull_the_fit_towards_the_heavy_sequences():
    X, y = _data(80)
    shifted = y + np.where(np.arange(80) % 2 == 0, 3.0, -3.0)  # two groups disagree
    heavy_even = np.where(np.arange(80) % 2 == 0, 10.0, 1.0)
    params = dict(FAST, max_iter=30)
    reg = ALRNNRegressor(**params).fit(X, shifted, sample_weight=heavy_even)
    err = (reg.predict(X) - shifted) ** 2
    assert err[::2].mean() < err[1::2].mean() / 2


def test_per_step_weights_with_sequence_outputs_ignore_zero_weighted_steps():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 2))
    y = np.cumsum(X[:, :, 0], axis=1)  # (N, T)
    w = np.ones((40, 6))
    w[:, :2] = 0.0  # the first two steps of every sequence do not count
    params = dict(FAST, output="sequence")
    fits = []
    for garbage in (0.0, 1e4):
        y_mod = y.copy()
        y_mod[:, :2] = garbage
        fits.append(ALRNNRegressor(**params).fit(X, y_mod, sample_weight=w))
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    # ragged: one weight array per sequence
    Xr = [X[i, : 3 + i % 4] for i in range(40)]
    yr = [y[i, : 3 + i % 4] for i in range(40)]
    wr = [np.ones(len(s)) for s in yr]
    reg = ALRNNRegressor(**params).fit(Xr, yr, sample_weight=wr)
    assert len(reg.predict(Xr)) == 40


@pytest.mark.parametrize(
    "weight, match",
    [
        (-np.ones(60), "negative"),
        (np.full(60, np.nan), "NaN"),
        (np.ones(59), r"shape \(59,\)"),
        (np.zeros(60), "every sample_weight is zero"),
        (np.ones((60, 5)), r"shape \(60, 5\)"),  # per-step weights need output=seq
    ],
)
def test_bad_weights_are_refused_before_training(weight, match, monkeypatch):
    X, y = _data()
    reg = ALRNNRegressor(**FAST)
    with pytest.raises(ValueError, match=match):
        reg.fit(X, y, sample_weight=weight)
    assert not hasattr(reg, "module_")


def test_grid_search_and_cross_validate_pass_the_weights():
    X, y = _data(60)
    w = np.ones(60)
    w[::3] = 0.0
    y_bad = np.where(w == 0, 1e3, y)
    search = GridSearchCV(
        ALRNNRegressor(**FAST),
        {"n_nonlinear": [0, 2]},
        cv=KFold(2),
        error_score="raise",
    )
    search.fit(X, y_bad, sample_weight=w)
    plain = ALRNNRegressor(**dict(FAST, n_nonlinear=search.best_params_["n_nonlinear"]))
    plain.fit(X[w > 0], y[w > 0])
    np.testing.assert_array_equal(search.predict(X), plain.predict(X))
    res = cross_validate(
        ALRNNRegressor(**FAST), X, y_bad, cv=KFold(2), params={"sample_weight": w}
    )
    assert np.all(np.isfinite(res["test_score"]))


@pytest.mark.parametrize("Estimator", [ALRNNClassifier, RNNClassifier])
def test_classifier_zero_weights_equal_removal(Estimator):
    X, y = _data()
    labels = np.where(y > 0, "pos", "neg")
    w = np.ones(60)
    w[1::5] = 0.0
    flipped = np.where(w == 0, np.where(labels == "pos", "neg", "pos"), labels)
    a = Estimator(**_fast(Estimator)).fit(X, flipped, sample_weight=w)
    b = Estimator(**_fast(Estimator)).fit(X[w > 0], labels[w > 0])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_class_weight_balanced_raises_minority_recall():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(200, 6, 2))
    score = X[:, :, 0].sum(axis=1)
    y = np.where(score > 2.0, "rare", "common")  # about 15 % rare
    params = dict(FAST, max_iter=15)
    plain = ALRNNClassifier(**params).fit(X, y)
    balanced = ALRNNClassifier(**params, class_weight="balanced").fit(X, y)
    rare = y == "rare"
    recall = [np.mean(m.predict(X)[rare] == "rare") for m in (plain, balanced)]
    assert recall[1] > recall[0]
    # a dict keyed by labels weighs like the equivalent sample weights
    weights = {"rare": 4.0}
    by_class = ALRNNClassifier(**FAST, class_weight=weights).fit(X, y)
    by_sample = ALRNNClassifier(**FAST).fit(X, y, sample_weight=np.where(rare, 4.0, 1))
    np.testing.assert_allclose(
        by_class.predict_proba(X), by_sample.predict_proba(X), rtol=1e-10
    )


def test_class_weight_errors_name_the_labels():
    X, y = _data()
    labels = np.where(y > 0, "pos", "neg")
    with pytest.raises(ValueError, match=r"\['maybe'\]"):
        ALRNNClassifier(**FAST, class_weight={"maybe": 2.0}).fit(X, labels)
    with pytest.raises(ValueError, match="class_weight"):
        ALRNNClassifier(**FAST, class_weight="uniform").fit(X, labels)


def test_class_weight_per_step_with_sequence_outputs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 2))
    y = (np.cumsum(X[:, :, 0], axis=1) > 1.5).astype(int)
    clf = ALRNNClassifier(**FAST, output="sequence", class_weight="balanced")
    assert clf.fit(X, y).predict(X).shape == (40, 6)
