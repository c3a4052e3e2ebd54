"""The command line: ``python -m sk_alrnn [sweep] ...`` (sk_alrnn.cli.main)."""

import json
import sys
import warnings

import numpy as np
import pytest
import torch
from support import run_python

from sk_alrnn._task_suite import TASKS
from sk_alrnn.cli import main
from sk_alrnn.cli._data import load_data
from sk_alrnn.cli._parser import build_parser
from sk_alrnn.cli._request import request_from_args


def _load(argv):
    """The sweep's data for ``argv``: parser -> request -> load_data."""
    return load_data(request_from_args(build_parser()[0].parse_args(argv)))


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
    # one epoch: every fit still improving, so the sweep withholds its answer
    assert "No conclusion:" in out and "Raise --max-iter (now 1)" in out
    assert "ConvergenceWarning" not in out and "Warning" not in out


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
    assert doc["chosen_n_nonlinear"] is None  # one epoch: no answer ...
    assert "under-trained" in doc["withheld"]  # ... and why
    assert "not credibly worse" in doc["rule"]
    assert set(doc["baselines"]) == {"trivial", "linear"}
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
        (["--tolerance", "nan"], "--tolerance"),
        (["--n-repeats", "0"], "--n-repeats"),
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
    parser, _ = build_parser()
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
    assert "mean test R^2" in out and "Reference models" in out
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
    result = run_python("-m", "sk_alrnn", "--help", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage: python -m sk_alrnn" in result.stdout
    assert "sweep" in result.stdout


# -- --csv: the user's own time series ------------------------------------------------
# --no-statsmodels: ETS / ARIMA fits take seconds; one test below keeps them
CSV_FAST = ["--n-hidden", "4", "--max-iter", "2", "--no-progress", "--no-statsmodels"]
CSV_TINY = [*CSV_FAST, "--window", "8"]


@pytest.fixture
def sine_csv(tmp_path):
    """A noisy sine, a second (cosine) column and a date column: 120 rows."""
    pd = pytest.importorskip("pandas")
    t = np.arange(120)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=120, freq="D").astype(str),
            "signal": np.sin(0.3 * t) + 0.1 * rng.normal(size=120),
            "other": np.cos(0.15 * t),
        }
    )
    path = tmp_path / "sine.csv"
    frame.to_csv(path, index=False)
    return path


def _csv_args(path, *extra):
    return ["sweep", "--csv", str(path), "--target", "signal", *extra]


def test_csv_sweep_prints_the_table_and_writes_json(sine_csv, tmp_path, capsys):
    out_json = tmp_path / "csv.json"
    argv = _csv_args(sine_csv, "--time-column", "date", "--n-nonlinear", "0,2")
    assert main([*argv, "--cv", "2", "--json", str(out_json), *CSV_TINY]) == 0
    out = capsys.readouterr().out
    assert "sine.csv: forecast 'signal' 1 step ahead" in out
    assert "time column 'date' dropped" in out
    assert "2-fold time-series cross-validation on 112 windows (120 rows)" in out
    assert "mean test R^2" in out and "MAE h=1" in out
    assert [row[0] for row in _table_rows(out)] == ["0", "2"]
    # persistence is the baselines block's naive row (and the JSON trivial score)
    naive = next(line for line in out.splitlines() if line.startswith("naive"))
    assert "naive (last value)" in naive
    doc = json.loads(out_json.read_text())
    assert doc["trivial_score"] == doc["baselines"]["naive"]["mean_score"]
    assert f"{doc['trivial_score']:.3f}" in naive.split(")")[1].split()
    assert doc["task"] == "csv" and doc["score"] == "R^2"
    assert doc["data"]["target"] == "signal"
    assert doc["data"]["inputs"] == ["signal", "other"]
    assert doc["data"]["cv"] == "TimeSeriesSplit(n_splits=2, gap=0)"
    assert doc["settings"]["n_timesteps"] == 8 and doc["settings"]["cv"] == 2
    for r in doc["results"]:
        assert len(r["fold_test_scores"]) == 2 and np.isfinite(r["test_score"])


def test_csv_horizon_forecasts_every_step_with_a_gap(sine_csv, capsys):
    argv = _csv_args(sine_csv, "--time-column", "date", "--horizon", "3")
    args = build_parser()[0].parse_args([*argv, "--window", "8"])
    data = load_data(request_from_args(args))
    n = 120 - 8 - 3 + 1
    assert data.X.shape == (n, 8, 2) and data.y.shape == (n, 3)
    assert len(data.splits) == 3  # the documented default number of folds
    for train, test in data.splits:
        # gap = horizon - 1: the last training target (row train[-1] + 8 + 2)
        # is at or before the first test origin (row test[0] + 7)
        assert test[0] - train[-1] - 1 == 2
        assert train[-1] + 8 + 2 <= test[0] + 7
    assert main([*argv, "--n-nonlinear", "1", *CSV_TINY]) == 0
    out = capsys.readouterr().out
    assert "'signal' 3 steps ahead" in out and "(gap 2)" in out


def test_csv_features_choose_the_inputs(sine_csv):
    argv = _csv_args(sine_csv, "--features", "signal", "--window", "5")
    data = _load(argv)
    assert data.X.shape[2] == 1 and data.source["inputs"] == ["signal"]
    signal = np.loadtxt(sine_csv, delimiter=",", skiprows=1, usecols=1)
    np.testing.assert_array_equal(data.y, signal[5:])  # targets in the file's units
    # inputs are standardised with the first training fold's rows
    seen = data.X[data.splits[0][0]]
    assert abs(seen.mean()) < 0.2 and 0.8 < seen.std() < 1.2


def _write(path, text):
    path.write_text(text)
    return path


def _csv_error_cases(tmp_path, sine):
    lines = [f"{np.sin(v):.3f},{v}" for v in range(40)]
    lines[3], lines[9], lines[7] = ",3", ",9", "0.5,"  # 2 gaps in a, 1 in b
    with_nan = _write(tmp_path / "nan.csv", "a,b\n" + "\n".join(lines) + "\n")
    ragged = _write(tmp_path / "r.csv", "a,b\n1,2\n1,2,3,4\n")
    short = _write(tmp_path / "short.csv", "a\n" + "\n".join("1234567890") + "\n")
    return [
        (["--csv", str(tmp_path / "none.csv"), "--target", "a"], "no such file"),
        (["--csv", str(tmp_path), "--target", "a"], "is a folder"),
        (["--csv", str(_write(tmp_path / "e.csv", "")), "--target", "a"], "empty"),
        (
            ["--csv", str(_write(tmp_path / "h.csv", "a,b\n")), "--target", "a"],
            "no data rows",
        ),
        (
            ["--csv", str(ragged), "--target", "a"],
            "could not read it as CSV",
        ),
        (
            ["--csv", str(sine), "--target", "nope"],
            "no column 'nope' in",
        ),
        (["--csv", str(sine)], "needs --target COLUMN, one of the columns"),
        (["--csv", str(sine), "--target", "signal"], "['date'] are not numeric"),
        (["--csv", str(with_nan), "--target", "a"], "3 missing or infinite"),
        (["--csv", str(short), "--target", "a"], "too few for --window 10"),
        (
            ["--csv", str(sine), "--target", "signal", "--task", "copy"],
            "not allowed with argument --csv",
        ),
        (
            ["--csv", str(sine), "--target", "signal", "--n-samples", "40"],
            "--n-samples does not apply to --csv",
        ),
        (["--target", "signal"], "--target applies to --csv data only"),
        (
            ["--csv", str(sine), "--target", "signal", "--time-column", "signal"],
            "also the target",
        ),
        (
            ["--csv", str(sine), "--target", "signal", "--features", "x"],
            "--features: no column 'x'",
        ),
    ]


def test_csv_errors_are_one_line_with_exit_code_2(sine_csv, tmp_path, capsys):
    for argv, message in _csv_error_cases(tmp_path, sine_csv):
        with pytest.raises(SystemExit) as exc:
            main(["sweep", *argv])
        assert exc.value.code == 2, argv
        err = capsys.readouterr().err
        assert message in err, (argv, err)
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err and "--help" in err


def test_csv_separated_by_semicolons_is_read(tmp_path):
    rows = "\n".join(f"{i};{np.sin(0.3 * i):.4f}" for i in range(40))
    path = _write(tmp_path / "semi.csv", "step;level\n" + rows + "\n")
    argv = ["--csv", str(path), "--target", "level", "--time-column", "step"]
    data = _load(["sweep", *argv])
    assert data.source["inputs"] == ["level"] and data.X.shape == (30, 10, 1)


def test_csv_unknown_target_lists_the_columns(sine_csv, capsys):
    with pytest.raises(SystemExit):
        main([*_csv_args(sine_csv)[:-1], "temperature"])
    assert "['date', 'signal', 'other']" in capsys.readouterr().err


def test_csv_nan_message_says_where(tmp_path, capsys):
    path = _write(tmp_path / "gap.csv", "a,b\n" + "1,2\n" * 5 + ",2\n" + "1,2\n" * 30)
    with pytest.raises(SystemExit):
        main(["--csv", str(path), "--target", "a"])
    err = capsys.readouterr().err
    assert "'a': 1 (first at data row 5)" in err and "interpolate" in err


def test_csv_without_pandas_says_how_to_install(sine_csv, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    with pytest.raises(SystemExit) as exc:
        main(_csv_args(sine_csv))
    assert exc.value.code == 2
    assert "needs pandas" in capsys.readouterr().err


def test_csv_error_from_the_shell_has_no_traceback(tmp_path):
    missing = str(tmp_path / "x.csv")
    result = run_python(
        "-m", "sk_alrnn", "--csv", missing, "--target", "a", timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_help_documents_the_csv_options():
    sweep = build_parser()[0]._subparsers._group_actions[0].choices["sweep"]
    text = " ".join(sweep.format_help().split())
    for flag in ("--csv", "--target", "--window", "--horizon", "--time-column"):
        assert flag in text
    assert "--features" in text and "TimeSeriesSplit" in text and "gap=H-1" in text


def _column_csv(tmp_path, name, values):
    path = tmp_path / f"{name}.csv"
    path.write_text(name + "\n" + "\n".join(f"{v:.6f}" for v in values) + "\n")
    return path


def _baseline_lines(out):
    """The baselines block's rows: name -> the line's numbers."""
    lines = out.splitlines()
    start = lines.index(next(x for x in lines if x.startswith("baseline ")))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip() or line.startswith(" "):
            break
        name, numbers = line.split("  ")[0], line.split()
        rows[name] = [float(v) for v in numbers[-(len(numbers) - len(name.split())) :]]
    return rows


def test_csv_reports_mae_per_horizon_and_the_naive_one_by_hand(tmp_path, capsys):
    """MAE per step ahead, in the target's units: hand-computed for naive."""
    t = np.arange(40)
    values = 100 + 5 * np.sin(0.5 * t) + 0.1 * t**1.5  # not standardised
    path = _column_csv(tmp_path, "level", values)
    out_json = tmp_path / "mae.json"
    argv = ["--csv", str(path), "--target", "level", "--window", "4"]
    argv += ["--horizon", "2", "--cv", "2", "--n-nonlinear", "0", "1"]
    assert main([*argv, *CSV_FAST, "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("n_nonlinear"))
    assert "std  MAE h=1  MAE h=2  train" in header  # next to R^2
    doc = json.loads(out_json.read_text())
    assert doc["mae"]["horizons"] == [1, 2] and "'level'" in doc["mae"]["units"]
    # by hand: window i's origin is row i + 3; naive repeats it at rows +1, +2
    data = _load(["sweep", *argv])
    per_fold = []
    for _, test in data.splits:
        origin = test + 3
        per_fold.append(
            [np.abs(values[origin + h] - values[origin]).mean() for h in (1, 2)]
        )
    naive = doc["baselines"]["naive"]
    np.testing.assert_allclose(naive["mae_per_horizon"], np.mean(per_fold, axis=0))
    np.testing.assert_allclose(naive["fold_mae_per_horizon"], per_fold)
    printed = _baseline_lines(out)["naive (last value)"]
    np.testing.assert_allclose(printed[2:], np.mean(per_fold, axis=0), atol=6e-3)
    assert printed[0] == pytest.approx(naive["mean_score"], abs=5e-4)
    # the swept rows: finite, one MAE per step ahead, one list per fold
    for r in doc["results"]:
        assert len(r["test_mae_per_horizon"]) == 2
        assert np.all(np.isfinite(r["test_mae_per_horizon"]))
        assert len(r["fold_test_mae_per_horizon"]) == 2
        np.testing.assert_allclose(
            r["test_mae_per_horizon"], np.mean(r["fold_test_mae_per_horizon"], axis=0)
        )
    assert {"trivial", "linear"} <= set(doc["baselines"])  # the sweep's references
    assert len(doc["baselines"]["linear"]["mae_per_horizon"]) == 2
    assert "ETS: omitted, --no-statsmodels" in out
    assert doc["baselines"]["ets"]["omitted"] == "--no-statsmodels"


def test_csv_seasonal_naive_beats_naive_on_a_seasonal_series(tmp_path, capsys):
    t = np.arange(96)
    noise = 0.05 * np.random.default_rng(0).normal(size=96)
    path = _column_csv(tmp_path, "sales", 10 + np.sin(2 * np.pi * t / 6) + noise)
    out_json = tmp_path / "season.json"
    argv = ["--csv", str(path), "--target", "sales", "--window", "6"]
    argv += ["--horizon", "3", "--n-nonlinear", "0", "--json", str(out_json)]
    assert main([*argv, *CSV_FAST]) == 0
    out = capsys.readouterr().out
    rows = _baseline_lines(out)
    assert "seasonal naive (season 6)" in rows
    baselines = json.loads(out_json.read_text())["baselines"]
    seasonal, naive = baselines["seasonal_naive"], baselines["naive"]
    assert seasonal["seasons"] == [6, 6, 6]
    assert seasonal["mean_score"] > 0.9 > naive["mean_score"]
    assert np.all(np.less(seasonal["mae_per_horizon"], naive["mae_per_horizon"]))


def test_csv_without_a_season_leaves_seasonal_naive_out(tmp_path, capsys):
    line = 3.0 + 0.5 * np.arange(40)  # constant differences: no season to find
    path = _column_csv(tmp_path, "walk", line)
    argv = ["--csv", str(path), "--target", "walk", "--window", "4"]
    assert main([*argv, "--n-nonlinear", "0", *CSV_FAST]) == 0
    out = capsys.readouterr().out
    assert "seasonal naive: omitted, no season found" in out
    assert not any(name.startswith("seasonal") for name in _baseline_lines(out))


def test_csv_statsmodels_baselines_when_installed(tmp_path, capsys):
    pytest.importorskip("statsmodels")
    t = np.arange(60)  # the first of 2 folds trains on 25 rows (>= 20)
    noise = 0.2 * np.random.default_rng(2).normal(size=60)
    path = _column_csv(tmp_path, "y", 0.05 * t + np.cumsum(noise))  # no season
    out_json = tmp_path / "sm.json"
    argv = ["--csv", str(path), "--target", "y", "--window", "4", "--horizon", "2"]
    argv += ["--n-nonlinear", "0", "--cv", "2", "--json", str(out_json)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main([*argv, "--n-hidden", "4", "--max-iter", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert not [w for w in caught if "statsmodels" in w.filename]  # kept silent
    rows = _baseline_lines(out)
    assert {"ETS (y alone)", "ARIMA (y alone)"} <= set(rows), out
    baselines = json.loads(out_json.read_text())["baselines"]
    for name in ("ets", "arima"):
        assert "omitted" not in baselines[name]
        assert len(baselines[name]["mae_per_horizon"]) == 2
        assert np.all(np.isfinite(baselines[name]["fold_mae_per_horizon"]))


def test_csv_long_horizon_shows_a_subset_and_the_json_all(tmp_path, capsys):
    path = _column_csv(tmp_path, "x", np.sin(0.4 * np.arange(60)))
    out_json = tmp_path / "h.json"
    argv = ["--csv", str(path), "--target", "x", "--window", "5", "--horizon", "7"]
    argv += ["--cv", "2", "--n-nonlinear", "1", "--json", str(out_json)]
    assert main([*argv, *CSV_FAST]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("n_nonlinear"))
    assert "MAE h=1" in header and "MAE h=4" in header and "MAE h=7" in header
    assert "MAE h=2" not in header
    doc = json.loads(out_json.read_text())
    assert len(doc["results"][0]["test_mae_per_horizon"]) == 7
    assert all(
        len(b.get("mae_per_horizon", [0] * 7)) == 7 for b in doc["baselines"].values()
    )


def test_no_statsmodels_applies_to_csv_only(capsys):
    with pytest.raises(SystemExit):
        main(["--no-statsmodels", *TINY])
    assert "--no-statsmodels applies to --csv data only" in capsys.readouterr().err


@pytest.mark.slow
def test_default_training_reaches_a_conclusion_with_evidence(capsys):
    argv = ["--n-nonlinear", "0", "2", "--n-samples", "360", "--cv", "3"]
    assert main([*argv, "--n-jobs", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Conclusion: P=2 is the smallest n_nonlinear not credibly worse" in out
    assert "P=0: -0." in out and "(worse)" in out  # the evidence
    assert "Reference models on the same split(s): trivial" in out
