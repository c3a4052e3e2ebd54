"""The benchmark scripts run in quick mode and write the JSON they promise."""

import importlib.util
import json
import os

import pytest
import support
from support import REPO, run_python

BENCHMARKS = REPO / "benchmarks"
TIME_LIMIT_S = 300


def run_script(name, tmp_path, block=None):
    """Run benchmarks/<name> with ``--quick --out``; return its JSON and stdout.

    ``block`` names a module that the script must not be able to import (a stand-in
    raising ImportError goes first on PYTHONPATH), to exercise the fallbacks.
    """
    out = tmp_path / f"{name}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if block is not None:
        stubs = tmp_path / "stubs"
        stubs.mkdir()
        (stubs / f"{block}.py").write_text(f"raise ImportError('{block} blocked')\n")
        paths = [str(stubs), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    result = support.run_script(
        BENCHMARKS / name,
        "--quick",
        "--out",
        out,
        cwd=tmp_path,
        env=env,
        time_limit=TIME_LIMIT_S,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(out.read_text(encoding="utf-8")), result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("block", [None, "numba"], ids=["as-installed", "no-numba"])
def test_bench_kernels_quick(tmp_path, block):
    doc, stdout = run_script("bench_kernels.py", tmp_path, block)
    assert doc["benchmark"] == "bench_kernels"
    for key in ("settings", "machine", "kernels", "results", "first_call", "targets"):
        assert key in doc
    for key in ("torch", "torch_threads", "dtype", "cpu_model"):
        assert key in doc["machine"]
    assert set(doc["kernels"]) == {"numba", "torch", "reference"}
    assert doc["kernels"]["torch"]["available"]
    assert set(doc["results"]) == {"train", "inference"}
    rows = doc["results"]["train"]
    assert list(rows) == ["(8,20,8,1,2)", "(32,100,32,4,2)"]  # the two smallest
    for row in rows.values():
        assert row["ratio_to_rnn"]["nn_rnn"] == pytest.approx(1.0)
        assert row["median_ms"]["alrnn_torch"] > 0
        assert "alrnn_numba" in row["median_ms"]  # None when numba is unavailable
    if doc["kernels"]["numba"]["available"]:
        assert set(doc["first_call"]) == {"cold", "warm"}
        assert doc["first_call"]["cold"]["first_call_s"] > 0
    else:
        assert doc["first_call"] is None
        assert rows["(32,100,32,4,2)"]["median_ms"]["alrnn_numba"] is None
    if block == "numba":
        assert not doc["kernels"]["numba"]["available"]
    statuses = {s for t in doc["targets"] for s in t["status"].values()}
    assert statuses <= {"PASS", "MISS", "n/a"}
    assert "targets" in stdout


@pytest.mark.parametrize(
    "block",
    [None, pytest.param("skorch", marks=pytest.mark.slow)],
    ids=["as-installed", "no-skorch"],
)
def test_bench_fit_skorch_quick(tmp_path, block):
    doc, stdout = run_script("bench_fit_skorch.py", tmp_path, block)
    assert doc["benchmark"] == "bench_fit_skorch"
    for key in ("settings", "environment", "results"):
        assert key in doc
    (row,) = doc["results"]
    assert row["size"] == "small"
    assert row["median_s"]["sk_alrnn"] > 0
    assert row["median_s"]["torch_loop"] > 0
    if doc["settings"]["skorch_available"]:
        assert row["ratio_to_skorch"]["skorch"] == pytest.approx(1.0)
        assert row["target"]["status"] in {"PASS", "MISS"}
    else:
        assert "skorch is not installed" in stdout
        assert row["target"]["status"] == "n/a"
    if block == "skorch":
        assert not doc["settings"]["skorch_available"]


def _check_nonlinearity_outputs(tmp_path):
    doc = json.loads((tmp_path / "bench_nonlinearity.json").read_text())
    assert doc["benchmark"] == "bench_nonlinearity" and doc["mode"] == "smoke"
    assert set(doc["tasks"]) == {"addition", "copy"}
    for result_ in doc["tasks"].values():
        labels = set(result_["summary"])
        assert {"P=0", "P=1", "P=2", "P=4 (=M)", "GRU", "LSTM"} == labels
        assert 0 < result_["sparse_n_nonlinear"] < result_["n_hidden"]
        curve = result_["learning_curve"]
        assert len(curve) == 4  # P=0, sparse P, P=M, GRU
        for points in curve.values():
            assert list(points) == ["10", "20", "40"]
            assert all(p["n_runs"] == 1 for p in points.values())
        fits = result_["learning_curve_runs"]
        assert {r["n_train"] for r in fits} == {10, 20}
        # the default training at every size (the smoke mode's 2 epochs)
        assert {r["max_iter"] for r in fits} == {2}
    table = (tmp_path / "bench_nonlinearity.md").read_text()
    assert "| addition (R^2) |" in table and "Learning curves" in table
    for png in ("nonlinearity_sweep.png", "learning_curves.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name[:-3], BENCHMARKS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_nonlinearity_smoke(tmp_path, capsys):
    """The hidden --smoke size in-process: tiny data and models, every code path."""
    pytest.importorskip("matplotlib")
    bench = _load_script("bench_nonlinearity.py")
    assert bench.main(["--smoke", "--out", str(tmp_path)]) == 0
    assert "Learning curves" in capsys.readouterr().out
    _check_nonlinearity_outputs(tmp_path)


@pytest.mark.slow
def test_bench_nonlinearity_smoke_parallel(tmp_path):
    """As a script, with fits in two worker processes."""
    pytest.importorskip("matplotlib")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    script = str(BENCHMARKS / "bench_nonlinearity.py")
    result = run_python(
        script,
        "--smoke",
        "--n-jobs",
        "2",
        "--out",
        tmp_path,
        cwd=tmp_path,
        env=env,
        timeout=TIME_LIMIT_S,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    _check_nonlinearity_outputs(tmp_path)


@pytest.mark.slow
def test_bench_fit_vs_rnn_quick(tmp_path):
    doc, stdout = run_script("bench_fit_vs_rnn.py", tmp_path)
    assert doc["benchmark"] == "bench_fit_vs_rnn"
    assert doc["cpu"]["model"]
    for row in doc["results"]:
        seconds = row["seconds"]
        assert set(seconds) == {"ours", "rnn", "rnn+ftz"}
        assert all(s > 0 for s in seconds.values())
        assert row["ratios"]["rnn"] == pytest.approx(seconds["ours"] / seconds["rnn"])
    assert "ours/rnn+ftz" in stdout and "CPU:" in stdout


@pytest.mark.slow
def test_bench_multitask_small_run(tmp_path):
    out = tmp_path / "multitask.json"
    args = ["--quick", "--p-values", "0,4", "--seeds", "0", "--n-train", "330"]
    result = run_python(
        BENCHMARKS / "bench_multitask.py", *args,
        "--n-test", "110", "--max-iter", "3", "--out", out,
        cwd=tmp_path, timeout=TIME_LIMIT_S, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["benchmark"] == "bench_multitask"
    assert [row["n_nonlinear"] for row in doc["summary"]] == [0, 4]
    linear, sparse = doc["summary"]
    assert linear["n_regions_mean"] == 1.0 and linear["shared_fraction_mean"] == 1.0
    assert 1 <= sparse["n_regions_mean"] <= 2**4
    for row in doc["results"]:
        assert 0.0 <= row["accuracy"] <= 1.0
        assert 0.0 <= row["shared_fraction"] <= 1.0
        assert len(row["accuracy_per_task"]) == 11
    assert "accuracy" in result.stdout and "shared regions" in result.stdout


def test_bench_crossover_quick(tmp_path):
    doc, stdout = run_script("bench_crossover.py", tmp_path)
    assert doc["benchmark"] == "bench_crossover"
    assert doc["machine"]["cpu"]
    assert [(r["B"], r["M"]) for r in doc["rows"]] == [
        (16, 16),
        (16, 32),
        (32, 16),
        (32, 32),
    ]
    for row in doc["rows"]:
        for mode in ("train", "inference"):
            cell = row[mode]
            assert cell["numba_ms"] > 0 and cell["torch_ms"] > 0
            assert cell["torch_over_numba"] == pytest.approx(
                cell["torch_ms"] / cell["numba_ms"]
            )
        assert row["selected"] in ("numba", "torch")
    assert "select_kernel picks" in stdout
