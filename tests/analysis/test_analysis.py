"""Tests for sk_alrnn.analysis on hand-built params with known answers.

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), O outputs.
"""

import numpy as np
import pytest
from support import DATA

from sk_alrnn._core._params import ALRNNParams
from sk_alrnn.analysis import (
    codes_to_int,
    cycles,
    fixed_points,
    int_to_code,
    latent_trajectories,
    nonlinearity_usage,
    region_codes,
    region_linear_map,
    region_statistics,
    spectrum,
)


def make_params(A, W, C, h, n_nonlinear, B=None, b=None) -> ALRNNParams:
    W = np.atleast_2d(np.asarray(W, dtype=float))
    m = W.shape[0]
    return ALRNNParams(
        A=np.asarray(A, dtype=float).reshape(m),
        W=W,
        C=np.asarray(C, dtype=float).reshape(m, -1),
        h=np.asarray(h, dtype=float).reshape(m),
        B=np.eye(m) if B is None else B,
        b=np.zeros(m) if b is None else b,
        n_nonlinear=n_nonlinear,
    )


def random_params(m=5, p=2, k=3, seed=0) -> ALRNNParams:
    rng = np.random.default_rng(seed)
    A = np.zeros(m)
    A[m - p :] = rng.uniform(0.2, 0.8, size=p)
    return make_params(
        A, 0.3 * rng.normal(size=(m, m)), rng.normal(size=(m, k)), rng.normal(size=m), p
    )


# -- stage 1: trajectories, codes, linear maps, spectra, usage ---------------------
def test_one_unit_known_trajectory():
    # z_t = 0.5 z_{t-1} - relu(z_{t-1}) + s_t: slope -0.5 when on, 0.5 when off
    p = make_params(A=[0.5], W=[[-1.0]], C=[[1.0]], h=[0.0], n_nonlinear=1)
    z = latent_trajectories(p, np.array([[2.0, 0.0, 0.0, -1.0]]))
    expected = [2.0, -1.0, -0.5, -1.25]
    np.testing.assert_allclose(z[0, :, 0], expected)
    codes, ints = region_codes(p, np.array([[2.0, 0.0, 0.0, -1.0]]))
    np.testing.assert_array_equal(codes[0, :, 0], [True, False, False, False])
    np.testing.assert_array_equal(ints[0], [1, 0, 0, 0])


def test_p_zero_is_one_region_and_linear():
    p = make_params(
        A=np.zeros(3), W=0.5 * np.eye(3), C=np.ones((3, 2)), h=[1, 0, -1], n_nonlinear=0
    )
    X = np.random.default_rng(0).normal(size=(4, 6, 2))
    codes, ints = region_codes(p, X)
    assert codes.shape == (4, 6, 0)
    assert np.all(ints == 0)
    J, offset = region_linear_map(p, np.zeros(0, dtype=bool))
    np.testing.assert_allclose(J, p.W)
    np.testing.assert_allclose(offset, p.h)
    usage = nonlinearity_usage(p, X)
    assert usage.active_fraction.shape == (0,)
    assert usage.effective_n_nonlinear == 0


def test_trajectory_follows_region_linear_map():
    p = random_params()
    X = np.random.default_rng(1).normal(size=(3, 8, 3))
    z = latent_trajectories(p, X)
    _, ints = region_codes(p, X)
    for i in range(3):
        for t in range(1, 8):
            J, offset = region_linear_map(p, int(ints[i, t - 1]))
            np.testing.assert_allclose(
                z[i, t], J @ z[i, t - 1] + offset + p.C @ X[i, t]
            )


def test_input_formats_agree():
    p = random_params(k=1)
    X = np.random.default_rng(2).normal(size=(3, 7))
    z2 = latent_trajectories(p, X)
    z3 = latent_trajectories(p, X[:, :, None])
    np.testing.assert_allclose(z2, z3)
    ragged = [X[0, :7, None], X[1, :4, None], X[2, :2]]
    zl = latent_trajectories(p, ragged)
    assert [z.shape for z in zl] == [(7, 5), (4, 5), (2, 5)]
    np.testing.assert_allclose(zl[1], z3[1, :4])
    codes, ints = region_codes(p, ragged)
    assert isinstance(codes, list) and codes[2].shape == (2, 2)
    np.testing.assert_array_equal(ints[0], codes_to_int(codes[0]))
    with pytest.raises(ValueError, match="input features"):
        latent_trajectories(p, np.zeros((2, 3, 4)))


def test_int_code_round_trip_msb_first():
    assert int_to_code(4, 3).tolist() == [True, False, False]
    for i in range(8):
        assert codes_to_int(int_to_code(i, 3)) == i


def test_region_linear_map_masks_columns():
    p = make_params(
        A=[0, 0.3, 0.4],
        W=np.arange(9.0).reshape(3, 3),
        C=np.zeros((3, 1)),
        h=[1, 2, 3],
        n_nonlinear=2,
    )
    J, _ = region_linear_map(p, [True, False])
    expected = np.diag([0, 0.3, 0.4]) + np.arange(9.0).reshape(3, 3) * [1, 1, 0]
    np.testing.assert_allclose(J, expected)
    J2, _ = region_linear_map(p, 2)  # 0b10 = first ReLU unit on
    np.testing.assert_allclose(J, J2)
    with pytest.raises(ValueError, match="length P=2"):
        region_linear_map(p, [True])


def test_spectrum_slow_modes():
    s = spectrum(np.diag([0.1, -1.0, 0.5]), tol=0.01)
    assert s.spectral_radius == pytest.approx(1.0)
    np.testing.assert_allclose(s.slow_modes, [-1.0])
    assert s.slow_vectors.shape == (3, 1)


def test_nonlinearity_usage_counts_switches():
    # unit 0 follows the input sign, unit 1 is always on
    p = make_params(
        A=[0, 0], W=np.zeros((2, 2)), C=[[1.0], [0.0]], h=[0, 1], n_nonlinear=2
    )
    X = [np.array([[1.0], [1.0], [-1.0]]), np.array([[-1.0], [1.0]])]
    u = nonlinearity_usage(p, X)
    np.testing.assert_allclose(u.active_fraction, [3 / 5, 1.0])
    np.testing.assert_allclose(u.switch_rate, [2 / 3, 0.0])
    assert u.effective_n_nonlinear == 1
    assert nonlinearity_usage(p, X, threshold=0.9).effective_n_nonlinear == 0


def test_agrees_with_fitted_estimator():
    from sk_alrnn import ALRNNRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 6, 2))
    y = X.sum(axis=(1, 2))
    reg = ALRNNRegressor(
        n_hidden=5, n_nonlinear=2, max_iter=3, random_state=0, dtype="float64"
    ).fit(X, y)
    params = reg.get_alrnn_params()
    z = latent_trajectories(reg, X)
    pred = z[:, -1] @ params.B.T + params.b  # (n, O)
    np.testing.assert_allclose(pred.ravel(), reg.predict(X), rtol=1e-6, atol=1e-8)
    codes, _ = region_codes(reg, X)
    np.testing.assert_array_equal(codes, z[:, :, 3:] > 0)
    # the torch module's own latent trajectory gives the same states and codes
    import torch

    with torch.no_grad():
        z_torch = reg.module_.latents(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(z, z_torch, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(codes, z_torch[:, :, 3:] > 0)


# -- stage 2: region statistics and fixed points ----------------------------------
def test_region_statistics_counts_dwell_transitions_groups():
    # one ReLU unit copying the input sign
    p = make_params(A=[0], W=[[0.0]], C=[[1.0]], h=[0], n_nonlinear=1)
    X = np.array(
        [[1, 1, 1, -1, -1, 1], [-1, -1, -1, -1, 1, 1], [-1, -1, -1, -1, -1, -1]],
        dtype=float,
    )
    st = region_statistics(p, X, groups=[0, 0, 1])
    np.testing.assert_array_equal(st.regions, [0, 1])  # 12 steps off, 6 on
    np.testing.assert_array_equal(st.counts, [12, 6])
    np.testing.assert_allclose(st.frequencies, [12 / 18, 6 / 18])
    np.testing.assert_array_equal(st.visits, [3, 3])
    np.testing.assert_allclose(st.dwell_times, [4.0, 2.0])
    np.testing.assert_array_equal(st.transition_counts, [[0, 2], [1, 0]])
    np.testing.assert_allclose(st.transition_matrix, [[0, 1], [1, 0]])
    np.testing.assert_array_equal(st.codes, [[False], [True]])
    assert st.n_regions == 2
    assert st.n_regions_per_group == {0: 2, 1: 1}
    np.testing.assert_array_equal(st.group_counts, [[6, 6], [6, 0]])
    ragged = region_statistics(p, [X[0, :, None], X[1, :3, None]])
    np.testing.assert_array_equal(ragged.counts, [5, 4])
    assert ragged.groups is None
    with pytest.raises(ValueError, match="one label per sequence"):
        region_statistics(p, X, groups=[0, 1])


def test_one_unit_known_fixed_point():
    # z_t = 0.5 z_{t-1} + 1 (P = 0): z* = 2, stable, one region
    p = make_params(A=[0], W=[[0.5]], C=[[1.0]], h=[1.0], n_nonlinear=0)
    (fp,) = fixed_points(p)
    np.testing.assert_allclose(fp.z, [2.0])
    assert fp.is_real and fp.stable and not fp.singular
    assert fp.region == 0 and fp.code.shape == (0,)
    np.testing.assert_allclose(fp.eigenvalues, [0.5])
    z = latent_trajectories(p, np.zeros((1, 60)))
    np.testing.assert_allclose(z[0, -1], fp.z, atol=1e-12)
    (fp_in,) = fixed_points(p, input=[1.0])  # constant input shifts it to 4
    np.testing.assert_allclose(fp_in.z, [4.0])


def test_fixed_point_virtual_in_one_region_real_in_other():
    # slope 0.5 when off (z <= 0), -0.5 when on: off-solution 2 > 0 is virtual,
    # on-solution 2/3 > 0 is real and attracts the free run
    p = make_params(A=[0.5], W=[[-1.0]], C=[[0.0]], h=[1.0], n_nonlinear=1)
    off, on = fixed_points(p)
    assert off.region == 0 and not off.is_real
    np.testing.assert_allclose(off.z, [2.0])
    assert on.region == 1 and on.is_real and on.stable
    np.testing.assert_allclose(on.z, [2 / 3])
    z = latent_trajectories(p, np.zeros((1, 80)))
    np.testing.assert_allclose(z[0, -1], on.z, atol=1e-10)
    (visited,) = fixed_points(p, regions="visited", X=np.zeros((1, 80)))
    assert visited.region == 1
    assert [fp.region for fp in fixed_points(p, regions=[0])] == [0]


def test_singular_fixed_point_system_is_handled():
    # integrator z_t = z_{t-1} + h: a line of fixed points when h = 0, none else
    line = make_params(A=[0], W=[[1.0]], C=[[1.0]], h=[0.0], n_nonlinear=0)
    (fp,) = fixed_points(line)
    assert fp.singular and not fp.stable
    np.testing.assert_allclose(fp.z, [0.0])
    drift = make_params(A=[0], W=[[1.0]], C=[[1.0]], h=[1.0], n_nonlinear=0)
    assert fixed_points(drift) == []


def test_fixed_points_large_p_needs_x():
    p = random_params(m=14, p=13, k=1)
    with pytest.raises(ValueError, match="X="):
        fixed_points(p)
    X = np.random.default_rng(0).normal(size=(2, 5, 1))
    fps = fixed_points(p, X=X)
    _, ints = region_codes(p, X)
    assert sorted(fp.region for fp in fps) == sorted(np.unique(ints).tolist())
    with pytest.raises(ValueError, match="regions must be"):
        fixed_points(p, regions="some")


def test_fixed_points_of_fitted_estimator():
    from sk_alrnn import ALRNNClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    clf = ALRNNClassifier(
        n_hidden=4, n_nonlinear=2, max_iter=2, random_state=0, dtype="float64"
    ).fit(X, y)
    fps = fixed_points(clf)
    assert 1 <= len(fps) <= 4
    for fp in fps:
        J, offset = region_linear_map(clf, fp.code)
        np.testing.assert_allclose(J @ fp.z + offset, fp.z, atol=1e-8)
    st = region_statistics(clf, X, groups=y)
    assert set(st.n_regions_per_group) == {0, 1}
    assert st.group_counts.sum() == 20 * 5


# -- stage 3: cycles ---------------------------------------------------------------
def two_cycle_params() -> ALRNNParams:
    # f(z) = 0.5 z + 1 for z <= 0 and -1.5 z + 1 for z > 0: a stable 2-cycle
    # {-2/7, 6/7} (product slope -0.75) around an unstable fixed point 0.4
    return make_params(A=[0.5], W=[[-2.0]], C=[[1.0]], h=[1.0], n_nonlinear=1)


def test_known_two_cycle():
    p = two_cycle_params()
    (cyc,) = cycles(p, k_max=4)
    np.testing.assert_allclose(cyc.points.ravel(), [-2 / 7, 6 / 7])
    np.testing.assert_array_equal(cyc.codes, [[False], [True]])
    np.testing.assert_array_equal(cyc.regions, [0, 1])
    assert cyc.is_real and cyc.stable and not cyc.singular
    np.testing.assert_allclose(cyc.eigenvalues, [-0.75])
    # the free run settles onto the orbit
    z = latent_trajectories(p, np.zeros((1, 200)))[0, -2:, 0]
    np.testing.assert_allclose(sorted(z), [-2 / 7, 6 / 7], atol=1e-10)
    (fp,) = [f for f in fixed_points(p) if f.is_real]
    np.testing.assert_allclose(fp.z, [0.4])
    assert not fp.stable


def test_cycles_virtual_and_visited_search():
    p = two_cycle_params()
    everything = cycles(p, k_max=3, include_virtual=True)
    assert any(not c.is_real for c in everything)
    assert sum(c.is_real for c in everything) == 1
    # period 1 gives the fixed points, each orbit reported once
    assert len(cycles(p, k_max=1, k_min=1, include_virtual=True)) == 2
    X = np.zeros((1, 50))
    (cyc,) = cycles(p, k_max=2, X=X, max_sequences=1)  # only sequences seen on X
    np.testing.assert_allclose(cyc.points.ravel(), [-2 / 7, 6 / 7])
    with pytest.raises(ValueError, match="X="):
        cycles(p, k_max=2, max_sequences=1)
    with pytest.raises(ValueError, match="k_min"):
        cycles(p, k_max=0)


def test_cycle_with_input_and_no_cycle_for_contraction():
    # a contraction has no cycles; the 2-cycle moves with a constant input
    p = make_params(A=[0.5], W=[[-0.8]], C=[[1.0]], h=[1.0], n_nonlinear=1)
    assert cycles(p, k_max=4) == []
    (cyc,) = cycles(two_cycle_params(), k_max=2, input=[1.0])
    z = latent_trajectories(two_cycle_params(), np.ones((1, 300)))[0, -2:, 0]
    np.testing.assert_allclose(sorted(z), sorted(cyc.points.ravel()), atol=1e-9)


def test_addition_problem_model_gates_on_the_markers():
    """A fitted adding-problem model uses a ReLU unit as a gate at the marker steps."""
    from sk_alrnn import ALRNNRegressor
    from sk_alrnn.datasets import make_addition_problem

    X, y = make_addition_problem(n_samples=1000, n_timesteps=10, random_state=0)
    reg = ALRNNRegressor(
        n_hidden=8, n_nonlinear=2, max_iter=40, learning_rate_init=1e-2, random_state=0
    ).fit(X, y)
    assert reg.score(X, y) > 0.7
    codes, _ = region_codes(reg, X)  # (n, T, P)
    marker = X[:, :, 1] > 0  # (n, T)
    on_at_marker = codes[marker].mean(axis=0)  # (P,)
    on_elsewhere = codes[~marker].mean(axis=0)  # (P,)
    assert np.max(np.abs(on_at_marker - on_elsewhere)) > 0.5
    assert nonlinearity_usage(reg, X).effective_n_nonlinear >= 1


@pytest.mark.parametrize("P", [0, 1, 3, 6])
def test_latent_trajectories_reproduce_golden_vectors(P):

    golden = np.load(DATA / "alrnn_golden.npz")
    g = {k.split("_", 1)[1]: golden[k] for k in golden.files if k.startswith(f"P{P}_")}
    params = ALRNNParams(
        A=g["A"], W=g["W"], C=g["C"], h=g["h"], B=g["B"], b=g["b"], n_nonlinear=P
    )
    Z = latent_trajectories(params, g["X"])
    np.testing.assert_allclose(Z, g["Z"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(Z @ g["B"].T + g["b"], g["Y_sequence"], atol=1e-12)
