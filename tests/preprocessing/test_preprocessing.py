"""SequenceScaler: statistics over valid steps, containers kept, sklearn's checks,
and a pipeline with an AL-RNN inside a grid search."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn_compat import STRICT

from sk_alrnn import ALRNNRegressor
from sk_alrnn.preprocessing import SequenceScaler

# As in test_common.py: sklearn reads a 2D X as (n_samples, n_features); here it
# is (n_sequences, n_timesteps), univariate sequences whose length may change
# between calls, and n_features_in_ counts features per time step (1).
PER_STEP = (
    "n_features_in_ counts features per time step; a 2D X holds univariate "
    "sequences, so its column count is a sequence length, which may change "
    "between calls (by design)"
)
EXPECTED_FAILED_CHECKS = {
    "check_n_features_in": PER_STEP,
    "check_n_features_in_after_fitting": PER_STEP,
    "check_estimators_partial_fit_n_features": PER_STEP,
    # both also demand that transform(X[:, :-1]) raises: for sequences that is a
    # valid input (the same sequences, one step shorter)
    "check_transformer_general": PER_STEP,
    "check_transformer_data_not_an_array": PER_STEP,
}


@parametrize_with_checks(
    [SequenceScaler(), SequenceScaler(with_mean=False, with_std=False)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
    **STRICT,
)
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)


def test_dataframe_column_names_consistency():
    from sklearn.utils.estimator_checks import (
        check_dataframe_column_names_consistency,
    )

    check_dataframe_column_names_consistency("SequenceScaler", SequenceScaler())


def _ragged(seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(loc=[3.0, -1.0], scale=[2.0, 0.5], size=(n, 2)) for n in (4, 7, 2)
    ]


def test_ragged_statistics_pool_only_the_valid_steps():
    X = _ragged()
    scaler = SequenceScaler().fit(X)
    pooled = np.concatenate(X)  # (13, 2): every valid step once, no padding
    np.testing.assert_allclose(scaler.mean_, pooled.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, pooled.std(axis=0))
    assert scaler.n_steps_seen_ == 13 and scaler.n_features_in_ == 2
    out = scaler.transform(X)
    assert isinstance(out, list) and [x.shape for x in out] == [x.shape for x in X]
    together = np.concatenate(out)
    np.testing.assert_allclose(together.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(together.std(axis=0), 1.0)


def test_containers_are_kept_and_inverse_transform_round_trips():
    rng = np.random.default_rng(1)
    X3 = rng.normal(5.0, 3.0, size=(6, 5, 3))
    X2 = rng.normal(5.0, 3.0, size=(6, 5))
    X1 = [rng.normal(size=4), rng.normal(size=2)]  # univariate, 1D items
    for X in (X3, X2):
        before = X.copy()
        scaler = SequenceScaler().fit(X)
        out = scaler.transform(X)
        np.testing.assert_array_equal(X, before)  # the input is never modified
        assert isinstance(out, np.ndarray) and out.shape == X.shape
        np.testing.assert_allclose(scaler.inverse_transform(out), X)
    scaler = SequenceScaler().fit(X1)
    out = scaler.transform(X1)
    assert [x.shape for x in out] == [(4,), (2,)]
    back = scaler.inverse_transform(out)
    for a, b in zip(back, X1, strict=True):
        np.testing.assert_allclose(a, b)
    # a 2D X is univariate sequences: one mean over every entry
    np.testing.assert_allclose(SequenceScaler().fit(X2).mean_, [X2.mean()])


def test_equal_length_list_comes_back_as_a_list():
    X = [np.ones((3, 2)), np.zeros((3, 2))]
    out = SequenceScaler().fit_transform(X)
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_allclose(out[0], 1.0)
    np.testing.assert_allclose(out[1], -1.0)


def test_zero_variance_feature_gets_scale_one_and_is_centred():
    X = np.stack([np.full((4, 3), 7.0), np.full((4, 3), 7.0)])
    X[..., 0] = np.arange(8.0).reshape(2, 4)
    scaler = SequenceScaler().fit(X)
    assert scaler.scale_[1] == 1.0 and scaler.scale_[2] == 1.0
    out = scaler.transform(X)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[..., 1:], 0.0)


def test_with_mean_and_with_std_switch_off_each_step():
    X = np.random.default_rng(2).normal(4.0, 2.0, size=(5, 6, 2))
    only_scale = SequenceScaler(with_mean=False).fit(X)
    np.testing.assert_allclose(only_scale.transform(X), X / only_scale.scale_)
    only_centre = SequenceScaler(with_std=False).fit(X)
    np.testing.assert_array_equal(only_centre.scale_, [1.0, 1.0])
    np.testing.assert_allclose(only_centre.transform(X), X - only_centre.mean_)


def test_partial_fit_equals_one_fit_on_everything():
    X = _ragged(3)
    inc = SequenceScaler()
    for chunk in (X[:1], X[1:]):
        inc.partial_fit(chunk)
    whole = SequenceScaler().fit(X)
    np.testing.assert_allclose(inc.mean_, whole.mean_)
    np.testing.assert_allclose(inc.var_, whole.var_)
    assert inc.n_steps_seen_ == whole.n_steps_seen_
    # fit starts over
    refit = inc.fit(X[:1])
    assert refit.n_steps_seen_ == len(X[0])


def test_float32_is_kept():
    X = np.random.default_rng(0).normal(size=(4, 3, 2)).astype(np.float32)
    assert SequenceScaler().fit_transform(X).dtype == np.float32
    ragged = [x.astype(np.float32) for x in _ragged()]
    assert SequenceScaler().fit_transform(ragged)[0].dtype == np.float32


def test_errors_name_what_was_received():
    scaler = SequenceScaler()
    with pytest.raises(NotFittedError):
        scaler.transform(np.zeros((2, 3, 1)))
    scaler.fit(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="features per time step"):
        scaler.transform(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="1D array"):
        SequenceScaler().fit(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        SequenceScaler().fit(np.array([[[np.nan]]]))


def test_dataframe_input_sets_feature_names_and_is_checked():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(np.arange(12.0).reshape(3, 4), columns=list("abcd"))
    scaler = SequenceScaler().fit(X)
    assert list(scaler.feature_names_in_) == list("abcd")
    out = scaler.transform(X)
    assert isinstance(out, np.ndarray) and out.shape == (3, 4)
    with pytest.warns(UserWarning, match="fitted with feature names"):
        scaler.transform(X.to_numpy())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inverse_transform of plain output: quiet
        np.testing.assert_allclose(scaler.inverse_transform(out), X.to_numpy())


def test_pipeline_with_alrnn_runs_in_grid_search():
    rng = np.random.default_rng(0)
    X = rng.normal(50.0, 20.0, size=(40, 6, 2))  # far from unit scale
    y = X[:, :, 0].mean(axis=1)
    pipe = make_pipeline(
        SequenceScaler(),
        ALRNNRegressor(n_hidden=6, n_nonlinear=1, max_iter=3, random_state=0),
    )
    search = GridSearchCV(pipe, {"alrnnregressor__n_nonlinear": [0, 2]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["alrnnregressor__n_nonlinear"] in (0, 2)
    best = search.best_estimator_
    np.testing.assert_allclose(best[0].mean_, X.reshape(-1, 2).mean(axis=0))
    assert best.predict(X).shape == (40,)
    # ragged lists travel through the pipeline as lists
    ragged = [X[i, : 3 + i % 3] for i in range(40)]
    pipe.fit(ragged, y)
    assert pipe.predict(ragged).shape == (40,)
