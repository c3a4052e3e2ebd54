"""The forecasting baselines: naive, seasonal naive, ridge on lags, ETS/ARIMA."""

import numpy as np
import pandas as pd
import pytest

from sk_alrnn.forecasting import (
    LagRidgeForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    StatsmodelsForecaster,
    backtest,
    infer_season,
)


def seasonal(n=240, season=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (np.sin(2 * np.pi * t / season) + 0.01 * t + 0.05 * rng.normal(size=n))[
        :, None
    ]


@pytest.mark.parametrize("season", [4, 7, 12, 24])
def test_infer_season_finds_the_period_of_an_array(season):
    assert infer_season(seasonal(20 * season, season)) == season


def test_infer_season_reads_the_index_frequency():
    for freq, season in [("MS", 12), ("QS", 4), ("D", 7), ("h", 24), ("YS", None)]:
        index = pd.date_range("2000-01-01", periods=50, freq=freq)
        assert infer_season(pd.Series(np.arange(50.0), index=index)) == season


def test_infer_season_of_white_noise_is_none():
    rng = np.random.default_rng(1)
    assert infer_season(rng.normal(size=(500, 2))) is None


def test_naive_and_seasonal_naive_follow_their_definitions():
    X = np.arange(10.0).reshape(5, 2)
    assert np.array_equal(NaiveForecaster().fit(X).forecast(3), np.repeat(X[-1:], 3, 0))
    f = SeasonalNaiveForecaster(season=2).fit(X)
    assert np.array_equal(f.forecast(3), X[[3, 4, 3]])
    assert np.array_equal(f.forecast(1, X[:3]), X[[1]])  # the contract: after X
    inferred = SeasonalNaiveForecaster().fit(seasonal())
    assert inferred.season_ == 12


def test_lag_ridge_forecasts_a_seasonal_series_better_than_seasonal_naive():
    X = seasonal(360)
    ridge = backtest(LagRidgeForecaster(), X, test_size=72, horizon=12)
    snaive = backtest(SeasonalNaiveForecaster(), X, test_size=72, horizon=12)
    assert ridge.mae.mean() < 0.8 * snaive.mae.mean()


def test_lag_ridge_beyond_its_horizon_feeds_back_its_forecasts():
    t = np.arange(400.0)
    X = np.sin(0.3 * t)[:, None]
    f = LagRidgeForecaster(horizon=4).fit(X)
    out = f.forecast(20)
    assert out.shape == (20, 1)
    assert np.abs(out[:, 0] - np.sin(0.3 * np.arange(400, 420))).max() < 0.05


def test_predict_is_the_one_step_forecast_of_the_rows_so_far():
    X = seasonal(200)
    f = LagRidgeForecaster(horizon=3).fit(X)
    pred = f.predict(X)
    for t in (f.n_lags_ - 1, 50, 199):
        assert np.allclose(pred[t], f.forecast(1, X[: t + 1])[0])


def test_baselines_refuse_bad_tables_with_the_fix():
    frame = pd.DataFrame({"t": pd.date_range("2000", periods=30), "x": np.ones(30)})
    with pytest.raises(ValueError, match="set it as the index"):
        NaiveForecaster().fit(frame)
    with pytest.raises(ValueError, match="n_lags=8 and horizon=12 need at least 21"):
        LagRidgeForecaster(n_lags=8).fit(np.ones((20, 1)))
    X = np.ones((30, 1))
    X[4] = np.nan
    with pytest.raises(ValueError, match=r"rows 4\b.*interpolate"):
        NaiveForecaster().fit(X)
    with pytest.raises(ValueError, match="no covariates"):
        NaiveForecaster().fit(X[5:]).forecast(2, X_future=np.ones((2, 1)))


@pytest.mark.parametrize("model", ["ets", "arima"])
def test_statsmodels_baselines_forecast_a_seasonal_series(model):
    pytest.importorskip("statsmodels")
    X = seasonal(180)
    f = StatsmodelsForecaster(model=model).fit(X[:150])
    assert f.season_ == 12
    out = f.forecast(12, X[:168])
    assert out.shape == (12, 1)
    assert np.abs(out - X[168:180]).mean() < 0.2
