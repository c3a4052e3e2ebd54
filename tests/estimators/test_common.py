"""scikit-learn's own estimator checks on both estimators.

The checks run in float64 (``dtype="float64"``): in float32, a matrix product's
rounding depends on how many sequences share a batch, so predictions on a subset
differ from those on the whole set by ~1e-7 (``check_methods_subset_invariance``
demands 1e-7). Float32 predictions on subsets are tested to a float32 tolerance
below, and so is the part of check_classifiers_train that does apply.
"""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn_compat import STRICT

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn.baselines import RNNClassifier, RNNRegressor
from sk_alrnn.forecasting import (
    ALRNNForecaster,
    LagRidgeForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
)
from sk_alrnn.model_selection import ReferenceClassifier, ReferenceRegressor

# The default training (max_iter, schedule, stopping rule) on a small network,
# with a larger step: check_regressors_train's data (200 "sequences" of 10 steps
# whose target is one step's value plus noise) needs R^2 > 0.5, which the
# default learning rate reaches only with n_hidden=32 (0.81 vs 0.82 here).
CHECK_PARAMS = dict(
    n_hidden=16,
    n_nonlinear=4,
    learning_rate_init=1e-2,
    random_state=0,
    dtype="float64",
)

# sklearn reads a 2D X as (n_samples, n_features); for these estimators a 2D X is
# (n_sequences, n_timesteps): n univariate sequences whose length may change
# between fit and predict. n_features_in_ counts features per time step (1 here).
PER_STEP = (
    "n_features_in_ counts features per time step; a 2D X holds univariate "
    "sequences, so its column count is a sequence length, which may change "
    "between calls (by design)"
)
EXPECTED_FAILED_CHECKS = {
    "check_n_features_in": PER_STEP,
    "check_n_features_in_after_fitting": PER_STEP,
    "check_estimators_partial_fit_n_features": PER_STEP,
    # The classifier check also predicts on X.T, which for sequences is a valid
    # input (n_timesteps sequences of length n_samples) and must not raise.
    "check_classifiers_train": PER_STEP,
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch training: a weight of 2 and a repeated sequence put other "
        "sequences in each batch, so the two fits differ; a weight of 0 equals "
        "leaving the sequence out, bitwise (tests/estimators/test_sample_weight.py)"
    ),
}


# ALRNNForecaster reads a 2D X as one table whose rows are consecutive time steps
# (n_features_in_ is the column count, as sklearn expects), and predict(X)[t]
# forecasts the target of row t + 1 from rows <= t.
ROWS_ARE_TIME = (
    "rows are consecutive time steps: predict(X)[t] depends on the rows before t "
    "(and, with context='carry', on the end of the training table), so reordering "
    "or subsetting the rows changes the predictions (by design)"
)
FORECASTER_PARAMS = dict(
    n_hidden=8,
    n_nonlinear=2,
    window=4,
    horizon=2,
    max_iter=10,
    learning_rate_init=1e-2,
    random_state=0,
    dtype="float64",
    early_stopping=False,  # the checks' tables are too short to validate: train
)
FORECASTER_EXPECTED_FAILED_CHECKS = {
    "check_methods_sample_order_invariance": ROWS_ARE_TIME,
    "check_methods_subset_invariance": ROWS_ARE_TIME,
    # make_regression's rows are independent samples with y[i] = f(X[i]); the
    # forecaster predicts y[t + 1] from rows <= t, which such data cannot inform.
    "check_regressors_train": (
        "the forecaster predicts the next row's target from past rows; the check's "
        "rows are independent samples, so there is nothing to forecast (R^2 ~ 0)"
    ),
}


def expected_failed_checks(estimator):
    """Every expected failure with its reason; the regressor passes its train check."""
    if isinstance(estimator, ALRNNForecaster):
        return dict(FORECASTER_EXPECTED_FAILED_CHECKS)
    if isinstance(estimator, LagRidgeForecaster):  # reads the rows before each one
        return {
            "check_methods_sample_order_invariance": ROWS_ARE_TIME,
            "check_methods_subset_invariance": ROWS_ARE_TIME,
        }
    if isinstance(estimator, NaiveForecaster | SeasonalNaiveForecaster):
        return {}  # the previous row (season 1 on the checks' data) passes them
    failures = dict(EXPECTED_FAILED_CHECKS)
    if isinstance(estimator, ALRNNRegressor | ReferenceRegressor):
        del failures["check_classifiers_train"]
    if isinstance(estimator, ReferenceRegressor | ReferenceClassifier):
        del failures["check_estimators_partial_fit_n_features"]  # no partial_fit
        del failures["check_sample_weight_equivalence_on_dense_data"]
    return failures


# The GRU/LSTM baselines share the estimators' code and are checked the same way.
BASELINE_PARAMS = {k: v for k, v in CHECK_PARAMS.items() if k != "n_nonlinear"}


@parametrize_with_checks(
    [
        ALRNNRegressor(**CHECK_PARAMS),
        ALRNNClassifier(**CHECK_PARAMS),
        RNNRegressor(cell="gru", **BASELINE_PARAMS),
        RNNClassifier(cell="lstm", **BASELINE_PARAMS),
        ALRNNForecaster(**FORECASTER_PARAMS),
        # the forecasting baselines (their fit ignores y: X's columns are forecast)
        NaiveForecaster(),
        SeasonalNaiveForecaster(),
        LagRidgeForecaster(n_lags=3, horizon=2),
        # the sweep's reference models take the same sequences
        ReferenceRegressor(),
        ReferenceClassifier(),
        ReferenceClassifier(kind="constant"),
    ],
    expected_failed_checks=expected_failed_checks,
    **STRICT,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("Estimator", [ALRNNRegressor, ALRNNClassifier])
def test_dataframe_column_names_consistency(Estimator):
    """Not part of parametrize_with_checks: run it explicitly."""
    from sklearn.utils.estimator_checks import (
        check_dataframe_column_names_consistency,
    )

    check_dataframe_column_names_consistency(
        Estimator.__name__, Estimator(**CHECK_PARAMS)
    )


def test_forecaster_dataframe_column_names_consistency():
    from sklearn.utils.estimator_checks import (
        check_dataframe_column_names_consistency,
    )

    check_dataframe_column_names_consistency(
        "ALRNNForecaster", ALRNNForecaster(**FORECASTER_PARAMS)
    )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_reaches_sklearn_accuracy_threshold(n_classes):
    """check_classifiers_train's data and threshold (accuracy > 0.83), without X.T."""
    X, y = make_blobs(n_samples=300, random_state=0)
    X, y = shuffle(X, y, random_state=7)
    X = StandardScaler().fit_transform(X)
    keep = y < n_classes
    X, y = X[keep], y[keep]
    clf = ALRNNClassifier(**CHECK_PARAMS).fit(X, y)
    assert clf.score(X, y) > 0.83
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


@pytest.mark.parametrize("Estimator", [ALRNNRegressor, ALRNNClassifier])
def test_float32_predictions_on_subsets_agree_to_float32_precision(Estimator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 7, 2))
    y = (X[:, :, 0].sum(1) > 0).astype(int)
    est = Estimator(**{**CHECK_PARAMS, "dtype": "float32", "max_iter": 5}).fit(X, y)
    method = "predict" if Estimator is ALRNNRegressor else "predict_proba"
    whole = getattr(est, method)(X)
    parts = np.concatenate(
        [getattr(est, method)(X[i : i + 7]) for i in range(0, 60, 7)]
    )
    np.testing.assert_allclose(parts, whole, rtol=1e-5, atol=1e-6)
