"""The papers' methods: MAR, the kind of nonlinearity, initialisation presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sk_alrnn
from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn._nn._kernels import rollout
from sk_alrnn._nn._model import ALRNN
from sk_alrnn.analysis import region_statistics

FAST = dict(n_hidden=8, n_nonlinear=2, max_iter=4, random_state=0, dtype="float64")


def _data(n=48, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2))
    return X, X[:, :, 0].sum(axis=1)


# -- MAR -------------------------------------------------------------------------
def test_mar_penalty_is_the_papers_formula():
    net = ALRNN(2, 6, 2, 1, generator=torch.Generator().manual_seed(0))
    W = net.W.detach().numpy().astype(float)
    A = net.A.detach().numpy().astype(float)
    h = net.h.detach().numpy().astype(float)
    for r in (1, 3, 5, 6):  # linear units only, then into the ReLU units
        expected = sum(
            (W[i, i] + A[i] - 1) ** 2
            + sum(W[i, j] ** 2 for j in range(6) if j != i)
            + h[i] ** 2
            for i in range(r)
        )
        assert float(net.mar_penalty(r)) == pytest.approx(expected, rel=1e-6)
    assert float(net.mar_penalty(100)) == pytest.approx(float(net.mar_penalty(6)))


def test_mar_off_by_default_is_todays_fit_bitwise():
    X, y = _data()
    plain = ALRNNRegressor(**FAST).fit(X, y)
    off = ALRNNRegressor(**FAST, mar_strength=0.0, mar_units=3).fit(X, y)
    np.testing.assert_array_equal(plain.predict(X), off.predict(X))
    assert plain.get_params()["mar_strength"] == 0.0


def test_mar_pulls_its_units_towards_line_attractors():
    X, y = _data(64)
    params = dict(FAST, n_nonlinear=4, max_iter=40, init="sequence")
    fits = {
        s: ALRNNRegressor(**params, mar_strength=s, mar_units=6).fit(X, y)
        for s in (0.0, 1.0)
    }

    def distance(reg, units):
        p = reg.get_alrnn_params()
        a_eff = np.diag(p.W) + p.A
        off = p.W - np.diag(np.diag(p.W))
        return np.abs(a_eff[units] - 1).mean() + np.abs(off[units]).mean()

    regularised, rest = slice(0, 6), slice(6, 8)
    assert distance(fits[1.0], regularised) < 0.3 * distance(fits[0.0], regularised)
    p = fits[1.0].get_alrnn_params()
    a_eff = np.diag(p.W) + p.A  # W_ii on the linear units
    assert np.all(a_eff[:6] > 0.6) and np.all(np.abs(a_eff[:6] - 1) < 0.4)
    assert (
        np.abs(a_eff[:6] - 1).mean()
        < 0.6 * np.abs(np.diag(fits[0.0].get_alrnn_params().W)[:6] - 1).mean()
    )
    off = np.abs(p.W - np.diag(np.diag(p.W)))[:6]
    assert off.max() < 0.01
    assert np.abs(fits[1.0].module_.h.detach().numpy()[:6]).max() < 0.05
    # the two units MAR does not touch stay free
    assert distance(fits[1.0], rest) > distance(fits[1.0], regularised)


def test_mar_units_default_and_validation():
    X, y = _data()
    reg = ALRNNRegressor(**FAST, mar_strength=0.1)
    assert reg._regularization() == {"mar_strength": 0.1, "mar_units": 4}  # M // 2
    reg.set_params(mar_units=50)
    assert reg._regularization()["mar_units"] == 8  # clipped to M
    reg.fit(X, y)  # clipped, no crash (the reference code's M_reg > M bug)
    with pytest.raises(ValueError, match="mar_strength"):
        ALRNNRegressor(**FAST, mar_strength=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="mar_units"):
        ALRNNRegressor(**FAST, mar_units=1.5).fit(X, y)


# -- activation --------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "gelu"])
def test_other_activations_follow_their_equation(activation):
    torch.manual_seed(0)
    U = torch.randn(3, 7, 5, dtype=torch.float64, requires_grad=True)
    A = torch.rand(5, dtype=torch.float64) * torch.tensor([0, 0, 1, 1, 1.0])
    W = torch.randn(5, 5, dtype=torch.float64) * 0.3
    act = {"tanh": torch.tanh, "gelu": torch.nn.functional.gelu}[activation]
    z = torch.zeros(3, 5, dtype=torch.float64)
    states = []
    for t in range(7):
        phi = torch.cat([z[:, :2], act(z[:, 2:])], dim=1)
        z = A * z + phi @ W.T + U[:, t]
        states.append(z)
    expected = torch.stack(states, 1)
    lengths = torch.tensor([7, 4, 0])
    Z = rollout(U, A, W, 3, activation=activation)
    torch.testing.assert_close(Z, expected)
    last = rollout(U, A, W, 3, lengths=lengths, last=True, activation=activation)
    torch.testing.assert_close(last[0], expected[0, -1])
    torch.testing.assert_close(last[1], expected[1, 3])
    assert torch.all(last[2] == 0)
    (g,) = torch.autograd.grad(Z.sum(), U)
    (g_ref,) = torch.autograd.grad(expected.sum(), U)
    torch.testing.assert_close(g, g_ref)


def test_relu_is_the_default_and_differs_from_tanh():
    X, y = _data()
    relu = ALRNNRegressor(**FAST).fit(X, y)
    tanh = ALRNNRegressor(**FAST, activation="tanh").fit(X, y)
    assert relu.get_alrnn_params().activation == "relu"
    assert tanh.get_alrnn_params().activation == "tanh"
    assert np.all(np.isfinite(tanh.predict(X)))
    assert not np.allclose(relu.predict(X), tanh.predict(X))
    # P = 0 has no nonlinear unit: the activation changes nothing
    lin = [
        ALRNNRegressor(**dict(FAST, n_nonlinear=0), activation=a).fit(X, y)
        for a in ("relu", "gelu")
    ]
    np.testing.assert_allclose(lin[0].predict(X), lin[1].predict(X), rtol=1e-10)


def test_region_analysis_refuses_other_activations():
    X, y = _data()
    tanh = ALRNNRegressor(**FAST, activation="tanh").fit(X, y)
    with pytest.raises(ValueError, match=r"needs activation='relu'.*'tanh'"):
        region_statistics(tanh, X)


def test_tanh_models_save_load_and_refuse_a_changed_warm_start(tmp_path):
    X, y = _data()
    labels = y > 0
    clf = ALRNNClassifier(**FAST, activation="gelu").fit(X, labels)
    sk_alrnn.save(clf, tmp_path / "m.safetensors")
    back = sk_alrnn.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.activation == "gelu"
    clf.set_params(warm_start=True, activation="relu")
    with pytest.raises(ValueError, match="activation"):
        clf.fit(X, labels)
    with pytest.raises(ValueError, match="activation"):
        ALRNNRegressor(activation="sigmoid").fit(X, y)


# -- init presets ----------------------------------------------------------------
def test_init_presets():
    nets = {
        init: ALRNN(2, 20, 5, 1, generator=torch.Generator().manual_seed(0), init=init)
        for init in ("sequence", "paper", "dsr", "multitask", "memory")
    }
    for name, p in nets["sequence"].state_dict().items():
        torch.testing.assert_close(p, nets["paper"].state_dict()[name], rtol=0, atol=0)
    dsr = nets["dsr"]
    self_coupling = (dsr.W.diagonal() + dsr.A).detach()
    assert torch.all((self_coupling > 0.2) & (self_coupling < 0.85))
    assert torch.all(dsr.h == 0)
    mt = nets["multitask"]
    assert abs(float(mt.a.mean()) - 0.9) < 0.1 and torch.all(mt.h == 0)
    assert abs(float(mt.W.std()) - 0.1 / np.sqrt(20)) < 0.01
    X, y = _data()
    for init in ("sequence", "dsr", "multitask"):
        reg = ALRNNRegressor(**FAST, init=init).fit(X, y)
        assert np.all(np.isfinite(reg.predict(X)))
