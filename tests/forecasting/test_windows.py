"""make_windows and SequenceWindower: shapes, column order, pandas, errors, CV rule."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_alrnn import ALRNNRegressor
from sk_alrnn.forecasting import SequenceWindower, make_windows


def _table(n_rows=20, n_columns=3):
    """Entry (r, c) = 100 r + c, so every value tells its row and column."""
    return 100.0 * np.arange(n_rows)[:, None] + np.arange(n_columns)  # (R, F)


# -- make_windows: shapes and order ---------------------------------------------------
@pytest.mark.parametrize("window", [1, 3, 7])
@pytest.mark.parametrize("horizon", [1, 2, 5])
def test_windows_hold_the_right_rows_and_targets(window, horizon):
    table = _table()
    X, y = make_windows(table, window, horizon=horizon)
    n = 20 - window - horizon + 1
    assert X.shape == (n, window, 3)
    assert y.shape == (n, horizon * 3)
    for i in range(n):
        np.testing.assert_array_equal(X[i], table[i : i + window])
        # column k * n_targets + j: target j, k + 1 steps after the window
        expected = table[i + window : i + window + horizon].reshape(-1)
        np.testing.assert_array_equal(y[i], expected)


def test_target_selection_and_column_order():
    table = _table()
    X, y = make_windows(table, 4, horizon=3, target=[2, 0])
    assert X.shape == (14, 4, 3)  # inputs keep every column
    by_step = y.reshape(len(y), 3, 2)  # (n, horizon, n_targets)
    for i in range(len(y)):
        for k in range(3):
            assert by_step[i, k, 0] == table[i + 4 + k, 2]
            assert by_step[i, k, 1] == table[i + 4 + k, 0]


def test_one_target_one_step_gives_1d_y():
    table = _table()
    _, y = make_windows(table, 5, target=1)
    assert y.shape == (15,)
    np.testing.assert_array_equal(y, table[5:, 1])
    _, y = make_windows(table, 5, target=-1)  # negative positions count from the end
    np.testing.assert_array_equal(y, table[5:, 2])
    _, y = make_windows(table, 5, target=[1])  # a list stays 2D
    assert y.shape == (15, 1)
    _, y = make_windows(table[:, 0], 5)  # a 1D series is one column
    assert y.shape == (15,)
    _, y = make_windows(table, 5, horizon=2, target=1)
    assert y.shape == (14, 2)


def test_pandas_dataframe_and_series():
    table = _table()
    df = pd.DataFrame(table, columns=["a", "b", "c"])
    X, y = make_windows(df, 3, horizon=2, target=["c", "a"])
    X_np, y_np = make_windows(table, 3, horizon=2, target=[2, 0])
    np.testing.assert_array_equal(X, X_np)
    np.testing.assert_array_equal(y, y_np)
    _, y = make_windows(df, 3, target="b")
    np.testing.assert_array_equal(y, table[3:, 1])
    X, y = make_windows(df["b"], 3)
    assert X.shape == (17, 3, 1)
    np.testing.assert_array_equal(y, table[3:, 1])
    # integer positions also work on named columns, arrays and Index act as lists
    np.testing.assert_array_equal(make_windows(df, 3, target=1)[1], y)
    np.testing.assert_array_equal(make_windows(df, 3, target=np.int64(1))[1], y)
    _, y2 = make_windows(df, 3, target=pd.Index(["c", "a"]))
    np.testing.assert_array_equal(
        y2, make_windows(table, 3, target=np.array([2, 0]))[1]
    )
    assert y2.shape == (17, 2)
    # repeated column names: positions still work
    twice = pd.DataFrame(table[:, :2], columns=["a", "a"])
    assert make_windows(twice, 3, target=1)[1].shape == (17,)
    with pytest.raises(ValueError, match=r"2 columns named 'a'.*position"):
        make_windows(twice, 3, target="a")


def test_dtypes():
    X, y = make_windows(_table().astype(np.float32), 3)
    assert X.dtype == y.dtype == np.float32
    df = pd.DataFrame(_table().astype(np.float32))
    assert make_windows(df, 3)[0].dtype == np.float32
    X, y = make_windows(np.arange(10), 3)  # integers become float64
    assert X.dtype == y.dtype == np.float64
    assert make_windows(np.ones(5, dtype=np.float16), 2)[0].dtype == np.float64
    X[0, 0, 0] = -1.0  # writable, independent copies
    assert make_windows(np.arange(10), 3)[0][0, 0, 0] == 0


# -- make_windows: errors -------------------------------------------------------------
def test_too_few_rows():
    with pytest.raises(ValueError, match=r"n_rows=5 .*window=4.*horizon=2.* 6"):
        make_windows(np.zeros((5, 2)), 4, horizon=2)
    make_windows(np.zeros((6, 2)), 4, horizon=2)  # exactly enough: one window


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"window": 0}, ValueError, "window must be at least 1, got 0"),
        ({"window": 2, "horizon": 0}, ValueError, "horizon must be at least 1"),
        ({"window": 2.5}, TypeError, "window must be an int"),
        ({"window": 2, "target": 3}, ValueError, "out of range .* 3 columns"),
        ({"window": 2, "target": "a"}, ValueError, "unknown target column 'a'"),
        ({"window": 2, "target": [0, 0]}, ValueError, "names a column twice"),
        ({"window": 2, "target": []}, ValueError, "empty"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_windows(np.zeros((10, 3)), **kwargs)


def test_bad_tables():
    table = np.ones((10, 2))
    table[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite.*first at row 4.*interpol"):
        make_windows(table, 3)
    table[4, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        make_windows(table, 3)
    df = pd.DataFrame({"x": np.arange(6.0), "label": list("abcdef")})
    with pytest.raises(ValueError, match=r"columns \['label'\] are not numeric"):
        make_windows(df, 2)
    with pytest.raises(ValueError, match=r"unknown target column 'z'.*'x', 'label'"):
        make_windows(df[["x"]].assign(label=1), 2, target="z")
    with pytest.raises(ValueError, match="must hold numbers"):
        make_windows(np.array([["a", "b"]] * 5), 2)
    with pytest.raises(ValueError, match="complex"):
        make_windows(np.ones((5, 2), dtype=complex), 2)
    with pytest.raises(ValueError, match=r"shape \(4, 3, 2\)"):
        make_windows(np.zeros((4, 3, 2)), 2)


# -- the TimeSeriesSplit rule ---------------------------------------------------------
@pytest.mark.parametrize("window", [1, 2, 5])
@pytest.mark.parametrize("horizon", [1, 2, 3, 7])
@pytest.mark.parametrize("n_splits", [2, 3, 5])
def test_gap_of_horizon_minus_one_keeps_training_targets_before_test(
    window, horizon, n_splits
):
    """Rule: with gap = horizon - 1, max(training target row) <= first test origin.

    Window i's origin (last input row) is i + window - 1 and its target rows are
    i + window .. i + window + horizon - 1. The rows are tracked through the data
    itself (column 0 is the row number), not recomputed from the formula.
    """
    n_rows = 60
    rows = np.arange(n_rows, dtype=float)  # value = row number
    X, y = make_windows(rows, window, horizon=horizon)
    y = y.reshape(len(y), -1)  # (n, horizon)
    split = TimeSeriesSplit(n_splits=n_splits, gap=horizon - 1)
    for train, test in split.split(X):
        last_train_target = y[train].max()
        first_test_origin = X[test, -1, 0].min()
        first_test_target = y[test].min()
        assert last_train_target <= first_test_origin < first_test_target
        # the bound is tight: the last training target is the first test origin
        assert last_train_target == first_test_origin
    if horizon >= 2:  # one step less of gap leaks a test target into training
        leaky = TimeSeriesSplit(n_splits=n_splits, gap=horizon - 2)
        train, test = next(iter(leaky.split(X)))
        assert y[train].max() == y[test].min()


# -- SequenceWindower -----------------------------------------------------------------
def test_windower_rows_and_padding():
    table = _table(6, 2)
    out = SequenceWindower(window=3).fit_transform(table)
    assert out.shape == (6, 3, 2)
    for t in range(2, 6):
        np.testing.assert_array_equal(out[t], table[t - 2 : t + 1])
    np.testing.assert_array_equal(out[0], table[[0, 0, 0]])  # edge padding
    np.testing.assert_array_equal(out[1], table[[0, 0, 1]])
    zeros = SequenceWindower(window=3, padding="zeros").fit_transform(table)
    np.testing.assert_array_equal(zeros[1], [[0, 0], table[0], table[1]])
    np.testing.assert_array_equal(zeros[2:], out[2:])
    # the last window of each row matches make_windows on the whole table
    X, _ = make_windows(table, 3)
    np.testing.assert_array_equal(out[2:5], X)
    assert SequenceWindower(window=1).fit_transform(table).shape == (6, 1, 2)


def test_windower_is_stateless_and_checks_columns():
    table = _table(6, 2)
    unfitted = SequenceWindower(window=2)
    assert unfitted.transform(table).shape == (6, 2, 2)  # needs no fit
    fitted = clone(unfitted).fit(pd.DataFrame(table, columns=["u", "v"]))
    assert fitted.n_features_in_ == 2
    assert list(fitted.feature_names_in_) == ["u", "v"]
    with pytest.raises(ValueError, match="3 features"):
        clone(unfitted).fit(table).transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="window"):
        SequenceWindower(window=0).fit(table)
    with pytest.raises(ValueError, match="padding"):
        SequenceWindower(padding="reflect").transform(table)
    with pytest.raises(ValueError, match="NaN"):
        SequenceWindower().fit(np.full((4, 2), np.nan))
    assert unfitted.transform(table.astype(np.float32)).dtype == np.float32


def test_pipeline_under_cross_val_score_with_time_series_split():
    rng = np.random.default_rng(0)
    t = np.arange(160)
    series = np.sin(0.3 * t) + 0.05 * rng.standard_normal(160)
    X, y = series[:-1, None], series[1:]  # y[t] = value at row t + 1
    pipe = make_pipeline(
        SequenceWindower(window=8),
        ALRNNRegressor(
            n_hidden=8, n_nonlinear=2, max_iter=30, learning_rate_init=1e-2,
            random_state=0,
        ),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X, y, cv=TimeSeriesSplit(n_splits=3))
    assert scores.shape == (3,)
    assert np.all(np.isfinite(scores))
    assert scores.mean() > 0.5  # a sine is easy to continue from 8 steps


ROWS_ARE_TIME = (
    "rows are consecutive time steps: each output row is a window of the rows "
    "before it, so reordering or subsetting the rows changes the windows (by design)"
)


@parametrize_with_checks(
    [SequenceWindower(window=3)],
    expected_failed_checks=lambda est: {
        "check_methods_sample_order_invariance": ROWS_ARE_TIME,
        "check_methods_subset_invariance": ROWS_ARE_TIME,
    },
)
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_make_windows_returns_the_origin_of_each_window():
    import pandas as pd

    index = pd.date_range("2020-01-01", periods=10, freq="D")
    frame = pd.DataFrame({"a": np.arange(10.0), "b": np.ones(10)}, index=index)
    X, y, origins = make_windows(frame, 3, horizon=2, target="a", return_index=True)
    assert isinstance(origins, pd.DatetimeIndex) and len(origins) == len(X) == 6
    assert origins[0] == index[2] and origins[-1] == index[7]
    for i, origin in enumerate(origins):  # the window ends at its origin
        assert X[i, -1, 0] == frame.loc[origin, "a"]
        assert y[i, 0] == frame["a"].iloc[index.get_loc(origin) + 1]
    _, _, positions = make_windows(np.arange(10.0), 4, return_index=True)
    assert positions.tolist() == list(range(3, 10 - 1))
