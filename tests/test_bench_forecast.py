"""benchmarks/bench_forecast.py runs end to end with tiny settings."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "bench_forecast.py"


@pytest.fixture(scope="module")
def bench():
    pytest.importorskip("statsmodels")
    spec = importlib.util.spec_from_file_location("bench_forecast", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run_writes_json_and_markdown(bench, tmp_path, capsys):
    out, markdown = tmp_path / "bench.json", tmp_path / "bench.md"
    argv = [
        "--n-splits", "2", "--test-size", "6", "--max-iter", "1",
        "--n-hidden", "4", "--n-nonlinear", "0,4",
        "--lorenz-train", "120", "--lorenz-steps", "100",
        "--out", str(out), "--markdown", str(markdown),
    ]  # fmt: skip
    assert bench.main(argv) == 0
    document = json.loads(out.read_text())
    methods = [row["method"] for row in document["co2"]]
    assert methods[:3] == ["seasonal naive", "Ridge on lags", "MLPRegressor on lags"]
    assert "ALRNNRegressor P=0" in methods and "ALRNNRegressor P=4" in methods
    if bench.forecaster_ready():
        assert "ALRNNForecaster P=4" in methods
    for row in document["co2"]:
        assert set(row["mae"]) == {"1", "3", "6", "12"}
        assert all(np.isfinite(v) and v >= 0 for v in row["mae"].values())
        assert all(row["rmse"][h] >= row["mae"][h] - 1e-12 for h in row["mae"])
    lorenz = {row["method"]: row for row in document["lorenz"]}
    assert any(name.startswith("true trajectory") for name in lorenz)
    assert "linear autoregression (Ridge)" in lorenz
    assert "ALRNNRegressor P=4, window 4" in lorenz
    assert "| Ridge on lags |" in markdown.read_text()
    assert "MAE h=12" in capsys.readouterr().out


def test_co2_is_monthly_and_complete(bench):
    series = bench.load_co2()
    assert series.shape == (526,)
    assert np.all(np.isfinite(series))
    assert 310 < series.min() < series.max() < 380


def test_distances_separate_a_copy_from_noise(bench):
    rng = np.random.default_rng(0)
    t = np.arange(2000)[:, None]
    truth = np.sin(0.05 * t + np.array([0.0, 1.0, 2.0]))  # (2000, 3)
    assert bench.state_space_divergence(truth, truth) < 1e-9
    assert bench.spectrum_distance(truth, truth) < 1e-6
    noise = rng.standard_normal((2000, 3))
    assert bench.state_space_divergence(truth, noise) > 1.0
    assert bench.spectrum_distance(truth, noise) > 0.5
