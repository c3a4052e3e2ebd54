"""benchmarks/bench_gridsearch.py runs in quick mode and writes the JSON it promises."""

import json
import os

import pytest
from support import REPO, run_script

SCRIPT = REPO / "benchmarks" / "bench_gridsearch.py"
TIME_LIMIT_S = 300


def run(tmp_path, *options):
    """Run the script with ``--quick --out``; return (exit status, JSON, stdout)."""
    out = tmp_path / "bench_gridsearch.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = run_script(
        SCRIPT,
        "--quick",
        "--out",
        out,
        *options,
        cwd=tmp_path,
        env=env,
        time_limit=TIME_LIMIT_S,
    )
    assert out.exists(), f"no JSON written:\n{result.stdout}\n{result.stderr}"
    return result.returncode, json.loads(out.read_text(encoding="utf-8")), result.stdout


@pytest.mark.slow
def test_search_mode_times_serial_cold_and_warm_runs(tmp_path):
    code, doc, stdout = run(tmp_path)
    assert code == 0, stdout
    assert doc["benchmark"] == "bench_gridsearch"
    assert doc["mode"] == "search" and doc["quick"]
    assert doc["settings"]["n_fits"] == 6
    runs = [row["run"] for row in doc["results"]]
    assert runs == ["n_jobs=1", "n_jobs=2 cold", "n_jobs=2 warm"]
    for row in doc["results"]:
        assert row["identical"], row
        assert row["max_abs_diff"] == 0.0
        assert row["seconds"] > 0
        assert row["fit_threads"] == [1.0]  # --threads 1 reaches every fit
    assert doc["results"][0]["speedup"] == pytest.approx(1.0)
    assert doc["speedup_warm"] == pytest.approx(doc["results"][2]["speedup"])
    assert {w["torch_threads"] for w in doc["workers"]} == {1}
    assert "warm speed-up" in stdout
    for key in ("cpu_count", "torch", "joblib", "load_average"):
        assert key in doc["environment"]


@pytest.mark.slow
def test_load_mode_measures_memory_and_fails_over_the_limit(tmp_path):
    # A 1 MiB limit cannot be met: exercises the failure path with real figures.
    code, doc, stdout = run(tmp_path, "--load", "--memory-limit-mib", "1")
    assert code == 1, stdout
    assert doc["mode"] == "load"
    assert doc["settings"]["n_fits"] == 4
    serial, parallel = doc["results"]
    assert (serial["run"], parallel["run"]) == ("n_jobs=1", "n_jobs=2")
    assert serial["identical"] and parallel["identical"] and doc["identical"]
    assert serial["processes"] >= 1
    assert parallel["processes"] >= 3  # this process and two loky workers
    roles = [p["process"] for p in parallel["at_peak"]]
    assert roles.count("loky worker") == 2 and "parent" in roles
    assert 0 < serial["peak_pss_sum_mib"] <= serial["peak_rss_sum_mib"]
    assert parallel["peak_pss_sum_mib"] > serial["peak_pss_sum_mib"]
    assert doc["peak_pss_sum_mib"] > 1 and not doc["memory_ok"]
    assert "EXCEEDED" in stdout
