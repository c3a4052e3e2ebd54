"""What a forecaster says about a table it cannot use: the problem and the fix."""

import warnings

import numpy as np
import pytest

from sk_alrnn.forecasting import ALRNNForecaster, NaiveForecaster

pd = pytest.importorskip("pandas")

QUICK = dict(n_hidden=4, n_nonlinear=1, window=5, max_iter=1, random_state=0)


@pytest.fixture
def table():
    t = np.arange(60.0)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=60, freq="D"),
            "level": np.sin(0.3 * t),
            "other": np.cos(0.2 * t),
        }
    )


def test_a_date_column_is_a_type_error_with_the_fix(table):
    with pytest.raises(TypeError) as exc:
        ALRNNForecaster(**QUICK).fit(table)
    message = str(exc.value)
    assert "column 'date' holds dates/times (datetime64" in message
    assert "drop the column or set it as the index (X.set_index('date'))" in message
    assert isinstance(exc.value, ValueError)  # what callers caught before
    # the advice works
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ALRNNForecaster(**QUICK).fit(table.set_index("date"))


def test_every_non_numeric_column_is_named(table):
    mixed = table.assign(
        label=["a", "b"] * 30,
        kind=pd.Categorical(["x"] * 60),
        lag=pd.to_timedelta(np.arange(60), unit="s"),
    )
    with pytest.raises(TypeError) as exc:
        NaiveForecaster().fit(mixed)
    message = str(exc.value)
    assert "columns 'date' (datetime64" in message and "'lag' (timedelta64" in message
    assert "columns 'label' (" in message and "'kind' (category)" in message
    assert "are not numeric" in message and "pandas.to_numeric" in message


def test_a_text_array_names_the_column_and_value():
    X = np.column_stack([np.arange(20.0).astype(str), ["May"] * 20])
    expected = r"X column 1 is not numeric \(holds 'May' at row 0\)"
    with pytest.raises(TypeError, match=expected):
        ALRNNForecaster(**QUICK).fit(X)


def test_missing_values_are_counted_and_located(table):
    gaps = table.drop(columns="date")
    gaps.loc[[4, 11, 30, 41], "level"] = np.nan
    gaps.loc[11, "other"] = np.inf
    with pytest.raises(ValueError) as exc:
        ALRNNForecaster(**QUICK).fit(gaps)
    message = str(exc.value)
    assert "X has 5 missing (NaN) or infinite value(s)" in message
    assert "rows 4, 11, 30, ...; columns 'level', 'other'" in message
    assert "interpolate()" in message and "every time step" in message
    assert "HistGradientBoosting" not in message  # not sklearn's generic text


def test_score_checks_its_targets(table):
    X = table[["other"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = ALRNNForecaster(**QUICK).fit(X, table["level"])
    gaps = table["level"].where(table.index != 7)
    with pytest.raises(ValueError, match=r"y has 1 missing .*rows 7; columns 'level'"):
        fc.score(X, gaps)
    with pytest.raises(TypeError, match=r"y column 'date' holds dates/times"):
        fc.score(X, table["date"])  # was scored as nanoseconds
