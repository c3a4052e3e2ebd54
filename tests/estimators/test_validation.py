"""Input validation: bad input fails before training with a clear message and leaves
the estimator untouched; the accepted layouts (2D, 3D, ragged, DataFrame) behave.

Shapes: N sequences, T time steps, K features per step.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn._core._validation import check_sequences

ESTIMATORS = [ALRNNRegressor, ALRNNClassifier]
TINY = dict(n_hidden=4, n_nonlinear=2, max_iter=2, batch_size=16, random_state=0)


def _data(Est, n=12, T=5, K=2, seed=0):
    """X (n, T, K) and a matching y: floats for the regressor, two string labels
    for the classifier."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, K))
    s = X[:, :, 0].sum(axis=1)
    if Est is ALRNNRegressor:
        return X, s
    y = np.where(s > np.median(s), "pos", "neg")
    return X, y


def _ragged(n_steps=(3, 5, 4, 6, 2, 5), K=2, seed=1):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(t, K)) for t in n_steps]


def _spy_no_training(est):
    """Make any call of the training loss fail loudly: validation must come first."""

    def loss(*args, **kwargs):
        raise AssertionError("training started although the input is invalid")

    est._loss = loss
    return est


def assert_fit_fails(est, X, y, exc, match):
    """fit raises ``exc`` matching ``match`` before training; nothing is fitted."""
    _spy_no_training(est)
    before = set(vars(est))
    with pytest.raises(exc, match=match):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not hasattr(est, "module_")
    assert not hasattr(est, "n_features_in_")
    assert not hasattr(est, "classes_")
    assert set(vars(est)) == before, "a failed fit left attributes behind"


# -- bad X ---------------------------------------------------------------------------
def _with_value(value):
    def make(X):
        X = X.copy()
        X[1, 2, 0] = value
        return X

    return make


def _object_with_text(X):
    X = X.astype(object)
    X[0, 0, 0] = "high"
    return X


BAD_X = {
    "nan": (_with_value(np.nan), ValueError, r"Input X contains NaN"),
    "inf": (_with_value(np.inf), ValueError, r"Input X contains infinity"),
    "overflows_float32": (
        _with_value(1e300),
        ValueError,
        r"1e\+300.*float32.*dtype='float64'",
    ),
    "one_d": (lambda X: X[:, 0, 0], ValueError, r"1D array.*Reshape your data"),
    "four_d": (lambda X: X[..., None], ValueError, r"4D array.*Flatten the extra"),
    "complex": (
        lambda X: X + 1j,
        ValueError,
        r"^Complex data not supported: .* complex values in X\. .*X\.imag",
    ),
    "ragged_item_complex": (
        lambda X: [np.ones((3, 2))] * (len(X) - 1) + [np.ones((2, 2)) * 1j],
        ValueError,
        r"^Complex data not supported: .* in X\[11\]\.",
    ),
    "object_text": (
        _object_with_text,
        ValueError,
        r"numeric X.*non-numeric values.*Encode categorical values as numbers",
    ),
    "sparse": (
        lambda X: sp.csr_matrix(X[:, :, 0]),
        TypeError,
        r"Sparse data was passed.*dense.*toarray\(\)",
    ),
    "two_d_no_columns": (
        lambda X: np.zeros((X.shape[0], 0)),
        ValueError,
        r"0 feature\(s\)",
    ),
    "three_d_no_steps": (
        lambda X: X[:, :0],
        ValueError,
        r"0 time step\(s\)",
    ),
    "ragged_feature_counts": (
        lambda X: [np.ones((3, 2))] * (len(X) - 1) + [np.ones((4, 3))],
        ValueError,
        r"different numbers of features per step \(\[2, 3\]\)",
    ),
    "ragged_item_nan": (
        lambda X: [np.ones((3, 2))] * (len(X) - 1) + [np.array([[1.0, np.nan]])],
        ValueError,
        r"Input X\[11\] contains NaN",
    ),
    "ragged_item_empty": (
        lambda X: [np.ones((3, 2)), np.ones((0, 2))] + [np.ones((4, 2))] * 10,
        ValueError,
        r"X\[1\] has shape \(0, 2\); every sequence needs at least one time step",
    ),
    "ragged_item_3d": (
        lambda X: [np.ones((3, 2)), np.ones((2, 2, 1))] + [np.ones((4, 2))] * 10,
        ValueError,
        r"X\[1\] has shape \(2, 2, 1\)",
    ),
}


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("case", sorted(BAD_X))
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_bad_X_fails_before_training(Est, case):
    make, exc, match = BAD_X[case]
    X, y = _data(Est)
    assert_fit_fails(Est(**TINY), make(X), y, exc, match)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_empty_X(Est):
    X, y = _data(Est)
    assert_fit_fails(Est(**TINY), X[:0], y[:0], ValueError, r"0 sample\(s\)")


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_empty_list(Est):
    assert_fit_fails(Est(**TINY), [], [], ValueError, r"0 sample\(s\)")


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_beyond_float32_range_is_fine_in_float64():
    X, _ = _data(ALRNNRegressor)
    X[1, 2, 0] = 1e39  # just past float32's max (3.4e38)
    seqs = check_sequences(ALRNNRegressor(), X, reset=True, dtype=np.float64)
    assert seqs.X.dtype == np.float64
    assert seqs.X[1, 2, 0] == 1e39
    with pytest.raises(ValueError, match=r"1e\+39, beyond the range of float32"):
        check_sequences(ALRNNRegressor(), X, reset=True, dtype=np.float32)


# -- bad y ---------------------------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "value, match",
    [(np.nan, r"Input y contains NaN"), (np.inf, r"Input y contains infinity")],
)
def test_non_finite_y(Est, value, match):
    X, y = _data(ALRNNRegressor)
    y = y if Est is ALRNNRegressor else (y > 0).astype(float)
    y[3] = value
    assert_fit_fails(Est(**TINY), X, y, ValueError, match)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_y_length_differs_from_X(Est):
    X, y = _data(Est)
    assert_fit_fails(
        Est(**TINY),
        X,
        y[:-1],
        ValueError,
        r"X holds 12 sequences but y has 11 entries",
    )


def test_regression_targets_too_large_to_standardise():
    X, y = _data(ALRNNRegressor)
    assert_fit_fails(
        ALRNNRegressor(**TINY),
        X,
        y * 1e300,
        ValueError,
        r"y holds values as large as .*e\+300.*Rescale y",
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_ragged_sequence_targets_name_the_offending_index(Est):
    X = _ragged()
    lengths = [len(x) for x in X]
    y = [np.arange(t) % 2 for t in lengths]
    y[4] = np.zeros(lengths[4] + 1)
    assert_fit_fails(
        Est(**{**TINY, "output": "sequence"}),
        X,
        y,
        ValueError,
        r"X\[4\] has 2 steps but y\[4\] has shape \(3,\)",
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sequence_targets_with_wrong_number_of_steps(Est):
    X, _ = _data(Est)
    assert_fit_fails(
        Est(**{**TINY, "output": "sequence"}),
        X,
        np.zeros((12, 4)),
        ValueError,
        r"n_timesteps=5 as in X; got y of shape \(12, 4\)",
    )


def test_classifier_single_class():
    X, _ = _data(ALRNNClassifier)
    assert_fit_fails(
        ALRNNClassifier(**TINY),
        X,
        np.array(["only"] * len(X)),
        ValueError,
        r"at least 2 classes in y, got 1 class",
    )


def test_classifier_continuous_y():
    X, y = _data(ALRNNRegressor)
    assert_fit_fails(
        ALRNNClassifier(**TINY), X, y, ValueError, r"Unknown label type: continuous"
    )


# -- bad parameters --------------------------------------------------------------------
BAD_PARAMS = {
    "n_nonlinear_above_n_hidden": (
        dict(n_hidden=4, n_nonlinear=5),
        ValueError,
        r"n_nonlinear=5 exceeds n_hidden=4.*Lower n_nonlinear or raise n_hidden",
    ),
    "negative_n_nonlinear": (
        dict(n_nonlinear=-1),
        InvalidParameterError,
        r"'n_nonlinear' parameter of ALRNN\w+ must be an int in the range \[0, inf\)",
    ),
    "zero_n_hidden": (
        dict(n_hidden=0, n_nonlinear=0),
        InvalidParameterError,
        r"'n_hidden' parameter of ALRNN\w+ must be an int in the range \[1, inf\)"
        r".*Got 0",
    ),
    "unknown_output": (
        dict(output="all"),
        InvalidParameterError,
        r"'output' parameter of ALRNN\w+ must be a str among .*last.*Got 'all'",
    ),
}


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_bad_parameters(Est, case):
    params, exc, match = BAD_PARAMS[case]
    assert issubclass(exc, ValueError)  # sklearn's InvalidParameterError is one too
    X, y = _data(Est)
    assert_fit_fails(Est(**{**TINY, **params}), X, y, exc, match)


# -- predict-time errors
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_predict_before_fit(Est):
    X, _ = _data(Est)
    est = Est(**TINY)
    methods = ["predict"]
    if Est is ALRNNClassifier:
        methods += ["predict_proba", "predict_log_proba", "decision_function"]
    for method in methods:
        with pytest.raises(NotFittedError, match=r"not fitted yet"):
            getattr(est, method)(X)
    with pytest.raises(NotFittedError):
        est.get_alrnn_params()


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_predict_with_other_number_of_features(Est):
    X, y = _data(Est)
    est = Est(**TINY).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 1 features, but .* expecting 2 "):
        est.predict(X[:, :, :1])
    with pytest.raises(ValueError, match=r"X has 1 features"):
        est.predict(X[:, :, 0])  # 2D: univariate sequences, K=1
    with pytest.raises(ValueError, match=r"X has 3 features"):
        est.predict([np.ones((2, 3)), np.ones((4, 3))])


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_failed_refit_keeps_previous_model(Est):
    X, y = _data(Est)
    est = Est(**TINY).fit(X, y)
    before = est.predict(X)
    attrs = set(vars(est))
    bad = X.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad, y)
    assert set(vars(est)) == attrs
    np.testing.assert_array_equal(est.predict(X), before)
    with pytest.raises(ValueError, match="exceeds n_hidden"):
        est.set_params(n_nonlinear=5).fit(X, y)
    np.testing.assert_array_equal(est.predict(X), before)


# -- accepted layouts
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_2d_X_is_univariate(Est):
    X, y = _data(Est, K=1)
    X2 = X[:, :, 0]  # (N, T)
    est2 = Est(**TINY).fit(X2, y)
    est3 = Est(**TINY).fit(X, y)
    assert est2.n_features_in_ == 1
    np.testing.assert_array_equal(est2.predict(X2), est3.predict(X))
    np.testing.assert_array_equal(est2.predict(X2), est2.predict(X))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_ragged_last_output_uses_each_sequences_own_last_step(Est):
    X = _ragged()
    s = np.array([x[:, 0].sum() for x in X])
    y = s if Est is ALRNNRegressor else np.where(s > np.median(s), "b", "a")
    est = Est(**{**TINY, "dtype": "float64"}).fit(X, y)
    assert est.n_features_in_ == 2
    method = "predict" if Est is ALRNNRegressor else "decision_function"
    together = getattr(est, method)(X)
    assert together.shape == (len(X),)
    alone = np.concatenate([getattr(est, method)(x[None]) for x in X])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)
    # Padding must not leak in: the short sequence padded by hand differs.
    padded = np.zeros((1, 6, 2))
    padded[0, :2] = X[4]
    assert abs(getattr(est, method)(padded)[0] - together[4]) > 1e-8


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_ragged_univariate_list(Est):
    rng = np.random.RandomState(0)
    X = [rng.normal(size=t) for t in (3, 6, 4, 5)]  # (T_i,) each
    y = [0.5, 1.0, -1.0, 2.0] if Est is ALRNNRegressor else ["x", "y", "x", "y"]
    est = Est(**TINY).fit(X, y)
    assert est.n_features_in_ == 1
    pred = est.predict(X)
    assert pred.shape == (4,)
    alone = np.concatenate([est.predict(x[None]) for x in X])  # (1, T_i) each
    if Est is ALRNNRegressor:
        np.testing.assert_allclose(pred, alone, atol=1e-6)
    else:
        np.testing.assert_array_equal(pred, alone)


def test_ragged_sequence_output_matches_sequences_alone():
    X = _ragged()
    y = [np.cumsum(x[:, 0]) for x in X]
    reg = ALRNNRegressor(**{**TINY, "output": "sequence"}).fit(X, y)
    pred = reg.predict(X)
    assert isinstance(pred, list)
    assert [p.shape for p in pred] == [(len(x),) for x in X]
    for x, p in zip(X, pred, strict=True):
        np.testing.assert_allclose(p, reg.predict(x[None])[0], atol=1e-6)


def test_ragged_string_labels_per_step_are_not_truncated():
    X = _ragged(n_steps=(3, 5, 4, 6))
    y = [np.array(["a"] * 3), np.array(["long_label"] * 5)]
    y += [np.array(["a", "long_label"] * 2), np.array(["a"] * 3 + ["long_label"] * 3)]
    clf = ALRNNClassifier(**{**TINY, "output": "sequence"}).fit(X, y)
    assert clf.classes_.tolist() == ["a", "long_label"]
    assert set(np.concatenate(clf.predict(X))) <= {"a", "long_label"}


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_dataframe_feature_names(Est):
    X, y = _data(Est, K=1)
    df = pd.DataFrame(X[:, :, 0], columns=[f"t{i}" for i in range(X.shape[1])])
    est = Est(**TINY).fit(df, y)
    assert est.feature_names_in_.tolist() == ["t0", "t1", "t2", "t3", "t4"]
    assert est.n_features_in_ == 1  # features per step, not columns
    with pytest.warns(UserWarning, match=r"X does not have valid feature names"):
        np.testing.assert_array_equal(est.predict(df), est.predict(X))
    with pytest.raises(ValueError, match=r"feature names should match"):
        est.predict(df[df.columns[::-1]])
    # refitting on plain arrays forgets the names
    est.fit(X, y)
    assert not hasattr(est, "feature_names_in_")


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sequence_length_may_change_between_fit_and_predict(Est):
    X, y = _data(Est, T=5)
    est = Est(**TINY).fit(X, y)
    rng = np.random.RandomState(3)
    for T in (2, 9):
        pred = est.predict(rng.normal(size=(3, T, 2)))
        assert pred.shape == (3,)


def test_sequence_predictions_are_causal_for_longer_inputs():
    X, _ = _data(ALRNNRegressor, T=5)
    reg = ALRNNRegressor(**{**TINY, "output": "sequence"}).fit(X, X[:, :, 0])
    long = np.random.RandomState(4).normal(size=(3, 9, 2))
    full = reg.predict(long)
    assert full.shape == (3, 9)
    np.testing.assert_allclose(full[:, :4], reg.predict(long[:, :4]), atol=1e-6)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_read_only_inputs(Est, dtype):
    X, y = _data(Est)
    X = X.astype(dtype)  # no copy needed for the compute dtype
    X.setflags(write=False)
    y = y.copy()
    y.setflags(write=False)
    est = Est(**{**TINY, "dtype": dtype}).fit(X, y)
    assert est.predict(X).shape == (len(X),)
    ragged = [x[: 2 + i % 3] for i, x in enumerate(X)]  # read-only views
    assert est.fit(ragged, y).predict(ragged).shape == (len(X),)


@pytest.mark.parametrize("X", [None, 1.5, np.array(2.0)])
def test_scalar_or_none_X_says_what_is_expected(X):
    with pytest.raises(ValueError, match=r"got a scalar .* Pass an array of sequences"):
        ALRNNRegressor(max_iter=1).fit(X, [1.0])
