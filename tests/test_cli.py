"""The command line: ``python -m sk_alrnn [sweep] ...`` (sk_alrnn.cli.main)."""

import json
import subprocess
import sys

import pytest
import torch

from sk_alrnn._task_suite import TASKS
from sk_alrnn.cli import _build_parser, main

# One epoch on 32 training sequences: about a second for the whole sweep.
TINY = ["--n-hidden", "4", "--max-iter", "1", "--n-samples", "40", "--n-timesteps", "6"]


def _table_rows(out):
    """The table's data rows: the lines after the dashed rule, up to a blank line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line.split())
    return rows


def test_sweep_prints_one_row_per_n_nonlinear(capsys):
    assert main(["sweep", "--n-nonlinear", "0,1,3", *TINY]) == 0
    out = capsys.readouterr().out
    assert "n_nonlinear" in out and "test R^2" in out
    rows = _table_rows(out)
    assert [row[0] for row in rows] == ["0", "1", "3"]
    for row in rows:
        float(row[1]), float(row[2])  # test and train R^2
        assert row[3] == "1*"  # one epoch, stopped by max_iter
        assert float(row[4]) >= 0  # seconds
    assert "Conclusion: P=" in out
    assert "ConvergenceWarning" not in out


def test_sweep_is_the_default_command(capsys):
    assert main(["--n-nonlinear", "2", *TINY]) == 0
    assert [row[0] for row in _table_rows(capsys.readouterr().out)] == ["2"]


@pytest.mark.parametrize(
    "values", [["2, 0,2"], ["2", "0", "2"], ["2,0", "2"]], ids=["comma", "space", "mix"]
)
def test_n_nonlinear_list_is_sorted_and_deduplicated(values, capsys):
    main(["--n-nonlinear", *values, *TINY])
    assert [row[0] for row in _table_rows(capsys.readouterr().out)] == ["0", "2"]


def test_sweep_writes_parseable_json(tmp_path, capsys):
    path = tmp_path / "out" / "sweep.json"  # missing folders are created
    assert main(["sweep", "--n-nonlinear", "0,2", "--json", str(path), *TINY]) == 0
    assert str(path) in capsys.readouterr().out
    doc = json.loads(path.read_text())
    assert [r["n_nonlinear"] for r in doc["results"]] == [0, 2]
    for r in doc["results"]:
        assert set(r) >= {"test_score", "train_score", "n_iter", "fit_seconds"}
        assert r["n_iter"] == [1] and r["converged"] is False
    assert doc["task"] == "addition" and doc["score"] == "R^2"
    assert doc["settings"]["n_hidden"] == 4
    assert doc["settings"]["n_train"] + doc["settings"]["n_test"] == 40
    assert doc["chosen_n_nonlinear"] in (0, 2) and "within 0.02" in doc["rule"]
    best = max(doc["results"], key=lambda r: r["test_score"])
    assert doc["best_n_nonlinear"] == best["n_nonlinear"]


def test_sweep_is_reproducible(tmp_path):
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    for path in paths:
        main(["--n-nonlinear", "1", "--json", str(path), *TINY])
    a, b = (json.loads(p.read_text())["results"][0] for p in paths)
    assert a["test_score"] == b["test_score"]


def test_sweep_saves_a_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "sweep.png"
    assert main(["--n-nonlinear", "0,1", "--plot", str(path), *TINY]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)  # absent
    with pytest.raises(SystemExit) as exc:
        main(["--n-nonlinear", "0", "--plot", str(tmp_path / "x.png"), *TINY])
    assert exc.value.code == 2
    assert 'pip install "sk-alrnn[plot]"' in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_threads_are_restored(capsys):
    before = torch.get_num_threads()
    main(["--n-nonlinear", "0", "--threads", "1", *TINY])
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--n-nonlinear", "a,b"], "space- or comma-separated"),
        (["--n-nonlinear", "1", "x"], "space- or comma-separated"),
        (["--n-nonlinear", "-1"], ">= 0"),
        (["--n-nonlinear", "5", "--n-hidden", "4"], "exceeds --n-hidden"),
        (["--n-hidden", "0"], "--n-hidden"),
        (["--max-iter", "x"], "--max-iter"),
        (["--n-samples", "3"], "--n-samples"),
        (["--test-size", "1.5"], "--test-size"),
        (["--n-timesteps", "1"], "--n-timesteps"),
        (["--learning-rate-init", "-1"], "--learning-rate-init"),
        (["--device", "no-such-device"], "not a torch device"),
        (["--random-state", "-1"], "--random-state"),
        (["--within", "nan"], "--within"),
        (["sweep", "--no-such-option"], "unrecognized arguments"),
        (["no-such-command"], "invalid choice"),
        (["--task", "no-such-task"], "invalid choice"),
        (["--cv", "1"], "--cv"),
        (["--cv", "50", "--n-samples", "40"], "--cv 50 needs at least 50"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--task", "digits", "--n-timesteps", "5"], "always have 8 time steps"),
        (["--task", "digits", "--n-samples", "5000"], "has 1797 images"),
        (["--task", "copy", "--n-timesteps", "4"], "needs n_timesteps >= 7"),
    ],
)
def test_bad_arguments_exit_with_code_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1, err  # one line, no usage block
    assert "--help" in err  # says where to look


def test_help_documents_every_option():
    parser = _build_parser()
    sweep = parser._subparsers._group_actions[0].choices["sweep"]
    text = sweep.format_help()
    for action in sweep._actions:
        for flag in action.option_strings:
            assert flag in text
        assert action.help, f"{action.option_strings} has no help text"
    for name in TASKS:
        assert name in text


@pytest.mark.parametrize("task", sorted(TASKS))
def test_sweep_runs_on_every_task(task, tmp_path, capsys):
    size = ["--n-hidden", "4", "--max-iter", "2", "--n-samples", "40"]
    path = tmp_path / "out.json"
    argv = ["sweep", "--task", task, "--n-nonlinear", "0", "2", "--json", str(path)]
    assert main([*argv, *size, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert [row[0] for row in _table_rows(out)] == ["0", "2"]
    assert f"test {TASKS[task].score_name}" in out and "Trivial:" in out
    doc = json.loads(path.read_text())
    assert doc["task"] == task and doc["settings"]["n_samples"] == 40
    for r in doc["results"]:
        assert 0.0 <= r["test_score"] <= 1.0 or task == "addition"


def test_cv_scores_every_fold(tmp_path, capsys):
    path = tmp_path / "cv.json"
    assert (
        main(["--n-nonlinear", "0", "1", "--cv", "3", "--json", str(path), *TINY]) == 0
    )
    out = capsys.readouterr().out
    assert "3-fold cross-validation on 40 sequences" in out
    assert "mean test R^2" in out and "one standard error" in out
    rows = _table_rows(out)
    assert [row[0] for row in rows] == ["0", "1"] and len(rows[0]) == 6  # + std
    doc = json.loads(path.read_text())
    assert doc["settings"]["cv"] == 3 and doc["settings"]["test_size"] is None
    for r in doc["results"]:
        assert len(r["fold_test_scores"]) == 3 and len(r["n_iter"]) == 3
        assert r["test_score"] == pytest.approx(sum(r["fold_test_scores"]) / 3)


@pytest.mark.slow
def test_parallel_fits_match_sequential_ones(tmp_path):
    docs = []
    for n_jobs in ("1", "2"):
        path = tmp_path / f"{n_jobs}.json"
        argv = ["--n-nonlinear", "0", "2", "--cv", "2", "--n-jobs", n_jobs]
        assert main([*argv, "--json", str(path), *TINY]) == 0
        docs.append(json.loads(path.read_text()))
    for a, b in zip(docs[0]["results"], docs[1]["results"], strict=True):
        assert a["fold_test_scores"] == pytest.approx(b["fold_test_scores"], abs=1e-5)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("sk_alrnn ")


def test_python_dash_m_help():
    result = subprocess.run(
        [sys.executable, "-m", "sk_alrnn", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: python -m sk_alrnn" in result.stdout
    assert "sweep" in result.stdout
