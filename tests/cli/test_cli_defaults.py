"""The command line's defaults and its score-vs-P figure.

Defaults: the estimator parameters come from the estimators' signatures; the
few command-line defaults that differ say so, with the reason, in --help and
in the run's header. The figure's score axis is set by the model scores, not
stretched by the trivial baseline.
"""

import dataclasses
import inspect

import numpy as np
import pytest

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn.cli import main
from sk_alrnn.cli._data import load_data
from sk_alrnn.cli._parser import build_parser
from sk_alrnn.cli._request import CLI_DEFAULTS, SweepRequest, request_from_args
from sk_alrnn.forecasting import SequenceWindower

TINY = ["--n-hidden", "4", "--max-iter", "1", "--n-samples", "40", "--no-progress"]


def _request(*argv):
    return request_from_args(build_parser()[0].parse_args(["sweep", *argv]))


def _help():
    _, sweep = build_parser()
    return " ".join(sweep.format_help().split())


@pytest.mark.parametrize("task", ["addition", "context"])
def test_estimator_settings_default_to_the_estimators(task):
    data = load_data(_request("--task", task, "--n-samples", "20"))
    cls = ALRNNClassifier if data.scoring.classification else ALRNNRegressor
    defaults = cls().get_params()
    settings = data.scoring.settings()
    for name in ("n_hidden", "max_iter", "learning_rate_init"):
        assert settings[name] == defaults[name]


def test_help_shows_the_estimators_defaults():
    text = _help()
    signature = inspect.signature(ALRNNRegressor.__init__).parameters
    for flag, name in [
        ("--n-hidden", "n_hidden"),
        ("--max-iter", "max_iter"),
        ("--learning-rate-init", "learning_rate_init"),
    ]:
        default = signature[name].default
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        assert f"the estimators' {shown}" in text, flag


def test_help_says_where_the_command_line_default_differs_and_why():
    text = _help()
    for name, (value, why) in CLI_DEFAULTS.items():
        assert f"default: {value}; {' '.join(why.split())}" in text, name
    # the window default is SequenceWindower's, read from its signature
    assert CLI_DEFAULTS["window"][0] == SequenceWindower().window
    assert "ALRNNForecaster" in CLI_DEFAULTS["window"][1]


def test_request_records_which_differing_defaults_are_in_effect(tmp_path):
    assert _request().cli_defaults == ("random_state",)
    assert _request("--random-state", "3").cli_defaults == ()
    path = tmp_path / "s.csv"
    path.write_text("a\n" + "\n".join(str(i % 7) for i in range(60)) + "\n")
    request = _request("--csv", str(path), "--target", "a", "--window", "4")
    assert request.cli_defaults == ("random_state", "horizon")
    assert (request.window, request.horizon) == (4, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.window = 5  # type: ignore[misc]


def test_header_prints_the_differing_defaults(capsys):
    assert main(["--n-nonlinear", "0", *TINY]) == 0
    out = capsys.readouterr().out
    assert "random_state=0 (command-line default: the estimators' default" in out
    assert main(["--n-nonlinear", "0", "--random-state", "1", *TINY]) == 0
    assert "command-line default" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--n-hidden", "0"], "argument --n-hidden: The 'n_hidden' parameter"),
        (["--max-iter", "0"], "argument --max-iter: The 'max_iter' parameter"),
        (["--learning-rate-init", "nan"], "--learning-rate-init: The 'learning_rate"),
        (["--random-state", "-1"], "argument --random-state: The 'random_state'"),
    ],
)
def test_estimator_parameters_use_the_estimators_check(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*argv, *TINY[4:]])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_request_is_argparse_free():
    request = SweepRequest(n_nonlinear=(0, 2), n_samples=20)
    data = load_data(request)
    assert data.X.shape[0] == 20 and data.scoring.name == "addition"


# -- the figure -------------------------------------------------------------------
def _rows(scores, std=0.01):
    return [
        {
            "n_nonlinear": p,
            "mean_score": s,
            "std_score": std,
            "mean_train_score": s + 0.01,
        }
        for p, s in zip([0, 1, 2, 4], scores, strict=True)
    ]


def _texts(ax):
    return " ".join(t.get_text() for t in ax.texts)


def test_plot_axis_is_set_by_the_model_scores_not_the_baseline():
    pytest.importorskip("matplotlib")
    from sk_alrnn.cli._figure import sweep_figure

    rows = _rows([0.90, 0.93, 0.95, 0.95])
    fig = sweep_figure(rows, "R^2", trivial_score=0.0, title="t")
    (ax,) = fig.axes
    low, high = ax.get_ylim()
    assert 0.85 < low < 0.89 and 0.96 < high < 0.99  # the scores fill the axis
    assert "trivial = 0 (below the axis)" in _texts(ax)
    # a baseline above the scores is labelled the same way
    fig = sweep_figure(rows, "R^2", trivial_score=1.5, title="t")
    assert "above the axis" in _texts(fig.axes[0])


def test_plot_draws_a_baseline_inside_the_scores_as_a_line():
    pytest.importorskip("matplotlib")
    from sk_alrnn.cli._figure import sweep_figure

    fig = sweep_figure(_rows([0.4, 0.6, 0.7, 0.7]), "acc", 0.5, "t")
    (ax,) = fig.axes
    assert not ax.texts
    lines = [line for line in ax.get_lines() if line.get_label() == "trivial"]
    assert len(lines) == 1 and np.allclose(lines[0].get_ydata(), 0.5)
    low, high = ax.get_ylim()
    assert low < 0.39 and high > 0.71
