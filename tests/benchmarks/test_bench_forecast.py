"""benchmarks/bench_forecast.py runs end to end with tiny settings."""

import importlib.util
import json

import numpy as np
import pytest
from support import REPO

SCRIPT = REPO / "benchmarks" / "bench_forecast.py"


@pytest.fixture(scope="module")
def bench():
    pytest.importorskip("statsmodels")
    pytest.importorskip("pandas")
    spec = importlib.util.spec_from_file_location("bench_forecast", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run_writes_json_and_markdown(bench, tmp_path, capsys):
    out, markdown = tmp_path / "bench.json", tmp_path / "bench.md"
    argv = [
        "--quick", "--series", "nile,unemp", "--max-iter", "2",
        "--lorenz-train", "300", "--lorenz-steps", "100", "--timing-rows", "0",
        "--out", str(out), "--markdown", str(markdown),
    ]  # fmt: skip
    assert bench.main(argv) == 0
    document = json.loads(out.read_text())
    rows = {row["series"]: row for row in document["series"]}
    assert set(rows) == {"nile", "unemp"}
    for row in rows.values():
        assert set(row["mae"]) == {"naive", "seasonal naive", "Ridge on lags"}
        scores = [*row["mae"].values(), *row["forecaster_mae"]]
        assert all(np.isfinite(v) and v >= 0 for v in scores)
        assert row["horizon"] == min(12, row["test_rows"] // 2)
        assert len(row["forecaster_mae"]) == 1  # --quick: one seed
    assert rows["unemp"]["season"] in (None, 4)  # quarterly
    assert 0.0 <= np.nanmean(rows["unemp"]["coverage"]) <= 1.0
    summary = document["summary"]
    assert summary["geomean_ratio_to_ridge"] > 0
    assert isinstance(summary["beats_naive_on_all"], bool)
    lorenz = {row["method"]: row for row in document["lorenz"]}
    assert "true trajectory, other start (floor)" in lorenz
    assert "linear autoregression (LagRidgeForecaster)" in lorenz
    assert "ALRNNForecaster() seed 0" in lorenz
    assert document["timing"] is None
    text = markdown.read_text()
    assert "| nile |" in text and "| unemp |" in text and "ratio to Ridge" in text
    assert "CPU:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name, rows",
    [("co2", 526), ("elnino", 732), ("nile", 100), ("sunspots", 309), ("infl", 203)],
)
def test_bundled_series_are_complete(bench, name, rows):
    series = bench.load_series(name)
    assert series.shape == (rows,)
    assert np.all(np.isfinite(series.to_numpy()))
    assert series.index.is_monotonic_increasing


def test_unknown_series_is_refused(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(["--series", "co2,nope"])


def test_distances_separate_a_copy_from_noise(bench):
    rng = np.random.default_rng(0)
    t = np.arange(2000)[:, None]
    truth = np.sin(0.05 * t + np.array([0.0, 1.0, 2.0]))  # (2000, 3)
    assert bench.state_space_divergence(truth, truth) < 1e-9
    assert bench.spectrum_distance(truth, truth) < 1e-6
    noise = rng.standard_normal((2000, 3))
    assert bench.state_space_divergence(truth, noise) > 1.0
    assert bench.spectrum_distance(truth, noise) > 0.5
