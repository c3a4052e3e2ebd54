"""Smoke tests of sk_alrnn.plotting with the Agg backend (hand-built params, no fit)."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sk_alrnn._core._params import ALRNNParams  # noqa: E402
from sk_alrnn.plotting import (  # noqa: E402
    plot_learning_curves,
    plot_region_raster,
    plot_score_vs_nonlinear,
    plot_spectra,
)


@pytest.fixture
def params():
    """M = 3, P = 2, K = 1: unit 1 follows the input, unit 2 its negative."""
    return ALRNNParams(
        A=np.array([0.0, 0.3, 0.3]),
        W=np.array([[0.9, 0.1, 0.0], [0.0, 0.0, 0.2], [0.0, -0.2, 0.0]]),
        C=np.array([[1.0], [1.0], [-1.0]]),
        h=np.zeros(3),
        B=np.ones((1, 3)),
        b=np.zeros(1),
        n_nonlinear=2,
    )


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(6, 12, 1))


def _cv_results(extra=False):
    values = [0, 1, 2, 4]
    params = [{"n_nonlinear": v} for v in values]
    if extra:  # a second parameter: two lines
        params = [{"n_nonlinear": v, "alpha": a} for a in (0.0, 0.1) for v in values]
    n = len(params)
    return {
        "param_n_nonlinear": np.ma.masked_array(
            [d["n_nonlinear"] for d in params], dtype=object
        ),
        "params": params,
        "mean_test_score": np.linspace(0.1, 0.9, n),
        "std_test_score": np.full(n, 0.05),
        "mean_train_score": np.linspace(0.2, 1.0, n),
    }


def test_region_raster_returns_axes_and_draws(params, X):
    ax = plot_region_raster(params, X, n_sequences=3)
    assert isinstance(ax, Axes)
    assert isinstance(ax.figure, Figure)
    assert len(ax.lines) == 3
    assert len(ax.lines[0].get_xdata()) == X.shape[1]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and all(len(lab) == 2 and set(lab) <= {"0", "1"} for lab in labels)
    ax.figure.savefig(__import__("io").BytesIO(), format="png")  # renders


def test_region_raster_ragged_and_few_sequences(params):
    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(t, 1)) for t in (4, 9)]
    ax = plot_region_raster(params, seqs, n_sequences=5)
    assert len(ax.lines) == 2
    assert [len(line.get_xdata()) for line in ax.lines] == [4, 9]


def test_region_raster_rejects_bad_n_sequences(params, X):
    with pytest.raises(ValueError, match="n_sequences"):
        plot_region_raster(params, X, n_sequences=0)


def test_spectra_all_regions_with_unit_circle(params):
    ax = plot_spectra(params)
    assert isinstance(ax, Axes)
    circle = [line for line in ax.lines if line.get_label() == "unit circle"]
    assert len(circle) == 1
    radius = np.hypot(circle[0].get_xdata(), circle[0].get_ydata())
    np.testing.assert_allclose(radius, 1.0)
    assert len(ax.collections) == 4  # 2**P regions
    assert all(len(c.get_offsets()) == 3 for c in ax.collections)  # M eigenvalues


def test_spectra_visited_regions_and_explicit_regions(params, X):
    ax = plot_spectra(params, X=X)
    assert 1 <= len(ax.collections) <= 4
    ax = plot_spectra(params, regions=[3])
    assert [c.get_label() for c in ax.collections] == ["region 3 (11)"]
    with pytest.raises(ValueError, match="regions must be integers"):
        plot_spectra(params, regions=[4])


def test_spectra_large_p_needs_x():
    m = 6
    p = ALRNNParams(
        A=np.zeros(m),
        W=np.zeros((m, m)),
        C=np.ones((m, 1)),
        h=np.zeros(m),
        B=np.ones((1, m)),
        b=np.zeros(1),
        n_nonlinear=m,
    )
    with pytest.raises(ValueError, match="pass X="):
        plot_spectra(p)


def test_score_vs_nonlinear_draws_error_bars():
    ax = plot_score_vs_nonlinear(_cv_results())
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "n_nonlinear"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0, 1, 2, 4])
    assert ax.collections  # the error bars
    assert any(line.get_label() == "train" for line in ax.lines)


def test_score_vs_nonlinear_one_line_per_other_setting():
    ax = plot_score_vs_nonlinear(_cv_results(extra=True))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "alpha=0.0" in labels and "alpha=0.1" in labels


def test_score_vs_nonlinear_missing_param_is_a_clear_error():
    cv = _cv_results()
    with pytest.raises(ValueError, match="did not vary 'alrnn__n_nonlinear'"):
        plot_score_vs_nonlinear(cv, param="alrnn__n_nonlinear")


def test_score_vs_nonlinear_from_grid_search():
    from sklearn.dummy import DummyRegressor
    from sklearn.model_selection import GridSearchCV

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    search = GridSearchCV(
        DummyRegressor(strategy="quantile"),
        {"quantile": [0.25, 0.5, 0.75]},
        cv=3,
    ).fit(X, y)
    ax = plot_score_vs_nonlinear(search.cv_results_, param="quantile")
    assert len(ax.lines[0].get_xdata()) == 3


@pytest.mark.parametrize("which", ["raster", "spectra", "score"])
def test_draws_into_given_axes(which, params, X):
    fig = Figure()
    ax = fig.add_subplot()
    if which == "raster":
        out = plot_region_raster(params, X, ax=ax)
    elif which == "spectra":
        out = plot_spectra(params, ax=ax)
    else:
        out = plot_score_vs_nonlinear(_cv_results(), ax=ax)
    assert out is ax
    assert len(fig.axes) == 1
    assert ax.lines or ax.collections


def test_plotting_does_not_import_torch():
    import ast
    from pathlib import Path

    import sk_alrnn.plotting as mod

    files = sorted(Path(mod.__file__).parent.glob("*.py"))  # the whole package
    assert len(files) > 1
    for path in files:
        tree = ast.parse(path.read_text())
        imported = {
            (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            and not getattr(n, "level", 0)
            for a in n.names
        }
        assert "torch" not in imported, path.name


def test_learning_curves_mean_band_and_baseline():
    scores = np.array([[0.5, 0.7], [0.8, 0.8], [0.9, 0.95]])  # (S, R)
    ax = plot_learning_curves(
        {"P=2": ([200, 50, 100], scores), "GRU": ([50, 100], [0.6, 0.7])},
        score_name="accuracy",
        baseline=0.25,
    )
    assert isinstance(ax, Axes) and ax.get_xscale() == "log"
    first = ax.lines[0]
    # sorted by size: 50 -> 0.8, 100 -> 0.925, 200 -> 0.6
    np.testing.assert_allclose(first.get_xdata(), [50, 100, 200])
    np.testing.assert_allclose(first.get_ydata(), [0.8, 0.925, 0.6])
    assert len(ax.collections) == 1  # a band for the curve with two runs only
    assert ax.get_ylabel() == "test accuracy"
    assert [line.get_label() for line in ax.lines][-1] == "baseline"


def test_learning_curves_reject_bad_shapes():
    with pytest.raises(ValueError, match="empty"):
        plot_learning_curves({})
    with pytest.raises(ValueError, match="3 train sizes"):
        plot_learning_curves({"a": ([1, 2, 3], np.zeros((2, 2)))})


def _sixteen_regions():
    """M = 5, P = 4: 16 regions, all drawn without X."""
    rng = np.random.default_rng(1)
    return ALRNNParams(
        A=np.r_[0.0, rng.uniform(0.2, 0.5, 4)],
        W=rng.normal(scale=0.3, size=(5, 5)),
        C=np.ones((5, 1)),
        h=np.zeros(5),
        B=np.ones((1, 5)),
        b=np.zeros(1),
        n_nonlinear=4,
    )


def test_spectra_16_regions_legend_outside_top_k_distinct_colours():
    ax = plot_spectra(_sixteen_regions(), legend_top=10)
    colours = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    assert len(colours) == 16 and len(set(colours)) == 16  # no colour repeats
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == 11 and texts[-1] == "(+6 more)"
    assert texts[0] == "region 0 (0000)"
    ax.figure.canvas.draw()
    box = legend.get_window_extent()
    axes_box = ax.get_window_extent()
    assert box.x0 >= axes_box.x1  # right of the axes: off the unit circle


@pytest.mark.parametrize("n", [16, 64])
def test_distinct_colours_up_to_64_regions(n):
    from sk_alrnn.plotting import _distinct_colors

    assert len(set(_distinct_colors(n))) == n


def test_region_raster_thins_tick_labels_and_legend_outside(params, X):
    ax = plot_region_raster(params, X, n_sequences=3)
    assert len(ax.get_yticks()) <= 24
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    colours = {tuple(line.get_color()) for line in ax.get_lines()}
    assert len(colours) == 3
