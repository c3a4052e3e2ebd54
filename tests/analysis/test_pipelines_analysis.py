"""Analysis and plotting functions read a fitted Pipeline ending in an AL-RNN:
its earlier steps transform X (and a constant input) before the analysis."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline

from sk_alrnn import ALRNNRegressor
from sk_alrnn.analysis import (
    as_params,
    cycles,
    fixed_points,
    latent_trajectories,
    nonlinearity_usage,
    region_codes,
    region_statistics,
)
from sk_alrnn.preprocessing import SequenceScaler


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(40.0, 15.0, size=(24, 8, 2))  # far from unit scale on purpose
    return X, X[:, :, 0].mean(axis=1)


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    pipe = make_pipeline(
        SequenceScaler(),
        ALRNNRegressor(n_hidden=6, n_nonlinear=3, max_iter=3, random_state=0),
    ).fit(X, y)
    return pipe, X


def _assert_same_stats(a, b):
    for name in ("regions", "counts", "visits", "transition_counts"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_region_statistics_of_pipeline_equal_bare_estimator_on_scaled_X(fitted):
    pipe, X = fitted
    est, Xs = pipe[-1], pipe[:-1].transform(X)
    _assert_same_stats(region_statistics(pipe, X), region_statistics(est, Xs))
    groups = np.arange(len(X)) % 2
    a = region_statistics(pipe, X, groups=groups)
    b = region_statistics(est, Xs, groups=groups)
    np.testing.assert_array_equal(a.group_counts, b.group_counts)


def test_trajectories_codes_and_usage_see_the_scaled_inputs(fitted):
    pipe, X = fitted
    est, Xs = pipe[-1], pipe[:-1].transform(X)
    z = latent_trajectories(pipe, X)
    np.testing.assert_allclose(z, latent_trajectories(est, Xs))
    # raw X given to the bare estimator is the user's choice, and differs
    assert not np.allclose(z, latent_trajectories(est, X))
    np.testing.assert_array_equal(region_codes(pipe, X)[1], region_codes(est, Xs)[1])
    u, v = nonlinearity_usage(pipe, X), nonlinearity_usage(est, Xs)
    np.testing.assert_allclose(u.active_fraction, v.active_fraction)
    np.testing.assert_allclose(u.switch_rate, v.switch_rate)


def test_ragged_lists_go_through_the_pipeline(fitted):
    pipe, X = fitted
    ragged = [X[i, : 3 + i % 5] for i in range(len(X))]
    scaled = pipe[:-1].transform(ragged)
    z = latent_trajectories(pipe, ragged)
    assert isinstance(z, list) and [len(zi) for zi in z] == [len(x) for x in ragged]
    for a, b in zip(z, latent_trajectories(pipe[-1], scaled), strict=True):
        np.testing.assert_allclose(a, b)


def test_fixed_points_and_cycles_transform_X_and_the_constant_input(fitted):
    pipe, X = fitted
    est, scaler = pipe[-1], pipe[0]
    s = np.array([55.0, 30.0])  # a constant input in X's units
    s_scaled = (s - scaler.mean_) / scaler.scale_
    a = fixed_points(pipe, input=s)
    b = fixed_points(est, input=s_scaled)
    assert [fp.region for fp in a] == [fp.region for fp in b]
    for fa, fb in zip(a, b, strict=True):
        np.testing.assert_allclose(fa.z, fb.z)
    visited = fixed_points(pipe, regions="visited", X=X)
    expected = fixed_points(est, regions="visited", X=pipe[:-1].transform(X))
    assert [fp.region for fp in visited] == [fp.region for fp in expected]
    # None stays s = 0 as the model sees it
    assert [fp.region for fp in fixed_points(pipe)] == [
        fp.region for fp in fixed_points(est)
    ]
    ca = cycles(pipe, k_max=2, input=s, include_virtual=True)
    cb = cycles(est, k_max=2, input=s_scaled, include_virtual=True)
    assert [c.regions.tolist() for c in ca] == [c.regions.tolist() for c in cb]


def test_plots_accept_a_pipeline(fitted):
    pytest.importorskip("matplotlib")
    from sk_alrnn.plotting import plot_region_raster, plot_spectra

    pipe, X = fitted
    est, Xs = pipe[-1], pipe[:-1].transform(X)

    def labels(ax):
        return [t.get_text() for t in ax.get_yticklabels()]

    assert labels(plot_region_raster(pipe, X)) == labels(plot_region_raster(est, Xs))
    a, b = plot_spectra(pipe, X=X), plot_spectra(est, X=Xs)
    assert [c.get_label() for c in a.collections] == [
        c.get_label() for c in b.collections
    ]


def test_single_step_pipeline_reads_X_as_is(fitted):
    pipe, X = fitted
    est, Xs = pipe[-1], pipe[:-1].transform(X)
    one = Pipeline([("alrnn", est)])
    _assert_same_stats(region_statistics(one, Xs), region_statistics(est, Xs))
    assert as_params(one).n_hidden == 6


def test_unfitted_pipeline_raises_not_fitted():
    pytest.importorskip("matplotlib")
    from sk_alrnn.plotting import plot_region_raster

    X, _ = _data()
    pipe = make_pipeline(SequenceScaler(), ALRNNRegressor(n_hidden=4, n_nonlinear=1))
    with pytest.raises(NotFittedError, match="Pipeline"):
        region_statistics(pipe, X)
    with pytest.raises(NotFittedError):
        fixed_points(pipe)
    with pytest.raises(NotFittedError):
        plot_region_raster(pipe, X)


def test_pipeline_not_ending_in_an_alrnn_raises_type_error_naming_it():
    X, _ = _data()
    pipe = make_pipeline(SequenceScaler(), Ridge())
    with pytest.raises(TypeError, match=r"last step 'ridge' is Ridge"):
        region_statistics(pipe, X)
    with pytest.raises(TypeError, match="SequenceScaler\\(\\), ALRNNRegressor"):
        as_params(pipe)  # the message says what to pass instead
