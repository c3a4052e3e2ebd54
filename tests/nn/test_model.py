"""The AL-RNN equation: golden vectors, numpy twin, linear and PLRNN limits."""

import numpy as np
import pytest
import torch
from support import DATA

from sk_alrnn import ALRNNParams
from sk_alrnn._nn._kernels import rollout, rollout_reference
from sk_alrnn._nn._model import ALRNN

GOLDEN = DATA / "alrnn_golden.npz"


def numpy_rollout(X, A, W, C, h, n_nonlinear):
    """z_t = A*z_{t-1} + W phi(z_{t-1}) + C x_t + h from z_0 = 0; returns (N, T, M)."""
    n, t_max, _ = X.shape
    m = W.shape[0]
    z = np.zeros((n, m))
    out = np.empty((n, t_max, m))
    for t in range(t_max):
        phi = z.copy()
        phi[:, m - n_nonlinear :] = np.maximum(phi[:, m - n_nonlinear :], 0.0)
        z = A * z + phi @ W.T + X[:, t] @ C.T + h
        out[:, t] = z
    return out


def make_module(n_features, n_hidden, n_nonlinear, n_outputs=1, seed=0, scale=1.0):
    net = ALRNN(
        n_features,
        n_hidden,
        n_nonlinear,
        n_outputs,
        generator=torch.Generator().manual_seed(seed),
        dtype=torch.float64,
    )
    with torch.no_grad():  # larger weights so that the ReLU units switch often
        for p in net.parameters():
            p.mul_(scale)
    return net


def set_weights(net, A, W, C, h, B, b):
    m, p = net.n_hidden, net.n_nonlinear
    with torch.no_grad():
        net.a.copy_(torch.as_tensor(A[m - p :]))
        net.W.copy_(torch.as_tensor(W))
        net.C.copy_(torch.as_tensor(C))
        net.h.copy_(torch.as_tensor(h))
        net.B.copy_(torch.as_tensor(B))
        net.b.copy_(torch.as_tensor(b))


@pytest.mark.parametrize("P", [0, 1, 3, 6])
def test_golden_vectors(P):
    g = {
        k.split("_", 1)[1]: v
        for k, v in np.load(GOLDEN).items()
        if k.startswith(f"P{P}_")
    }
    n_hidden, n_features = g["C"].shape
    net = make_module(n_features, n_hidden, P, g["B"].shape[0])
    set_weights(net, g["A"], g["W"], g["C"], g["h"], g["B"], g["b"])
    X = torch.as_tensor(g["X"])
    np.testing.assert_allclose(net.A.detach().numpy(), g["A"], rtol=0, atol=0)
    with torch.no_grad():
        np.testing.assert_allclose(net.latents(X).numpy(), g["Z"], rtol=0, atol=1e-12)
        seq = net(X, sequence=True).numpy()
        last = net(X).numpy()
    np.testing.assert_allclose(seq, g["Y_sequence"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(last, g["Y_last"], rtol=0, atol=1e-12)
    # the golden trajectories really switch ReLU units (else the test has no teeth)
    if P > 0:
        signs = g["Z"][..., n_hidden - P :] > 0
        assert signs.any() and not signs.all()


@pytest.mark.parametrize("P", [0, 1, 2, 5, 6])
def test_torch_matches_numpy_equation(P):
    rng = np.random.RandomState(P)
    net = make_module(3, 6, P, 2, seed=P, scale=40.0)
    X = rng.normal(size=(4, 9, 3))
    with torch.no_grad():
        Z = net.latents(torch.as_tensor(X)).numpy()
    p = {k: v.detach().numpy() for k, v in net.named_parameters()}
    expected = numpy_rollout(X, net.A.detach().numpy(), p["W"], p["C"], p["h"], P)
    np.testing.assert_allclose(Z, expected, rtol=0, atol=1e-10)


def test_ragged_last_output_is_each_sequences_own_last_step():
    net = make_module(2, 5, 2, 1, scale=20.0)
    X = torch.randn(
        3, 7, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64
    )
    lengths = torch.tensor([7, 3, 5])
    with torch.no_grad():
        out = net(X, lengths)
        for i, n in enumerate(lengths.tolist()):
            alone = net(X[i : i + 1, :n])
            torch.testing.assert_close(out[i : i + 1], alone, rtol=0, atol=1e-12)


def test_linear_rnn_obeys_superposition():
    """P = 0 is linear: with z_0 = 0 and h = 0, Z(x1 + c x2) = Z(x1) + c Z(x2)."""
    net = make_module(2, 6, 0, scale=30.0)
    with torch.no_grad():
        net.h.zero_()
    g = torch.Generator().manual_seed(3)
    x1 = torch.randn(2, 12, 2, generator=g, dtype=torch.float64)
    x2 = torch.randn(2, 12, 2, generator=g, dtype=torch.float64)
    with torch.no_grad():
        lhs = net.latents(x1 - 2.5 * x2)
        rhs = net.latents(x1) - 2.5 * net.latents(x2)
    assert lhs.abs().max() > 1.0  # a non-trivial trajectory
    torch.testing.assert_close(lhs, rhs, rtol=1e-12, atol=1e-12)


def test_nonlinear_rnn_breaks_superposition():
    net = make_module(2, 6, 3, scale=30.0)
    with torch.no_grad():
        net.h.zero_()
        x = torch.randn(2, 12, 2, generator=torch.Generator().manual_seed(3)).double()
        assert not torch.allclose(net.latents(-x), -net.latents(x))


def test_zero_nonlinear_units_never_applies_relu():
    """The P = 0 slicing pitfall: z[:, -0:] selects every unit; no ReLU may apply."""
    A, W = torch.zeros(3, dtype=torch.float64), 0.5 * torch.eye(3, dtype=torch.float64)
    U = -torch.ones(1, 4, 3, dtype=torch.float64)  # drives all states negative
    Z = rollout_reference(U, A, W, n_nonlinear=0)
    # linear: z_t = 0.5 z_{t-1} - 1  ->  -1, -1.5, -1.75, -1.875
    expected = torch.tensor([-1.0, -1.5, -1.75, -1.875], dtype=torch.float64)
    torch.testing.assert_close(Z[0, :, 0], expected)
    # applying ReLU everywhere would have given -1 at every step
    Z_relu = rollout_reference(U, A, W, n_nonlinear=3)
    torch.testing.assert_close(Z_relu[0, :, 0], -torch.ones(4, dtype=torch.float64))


def test_all_units_nonlinear_equals_plrnn():
    """P = M is the PLRNN z_t = A z + W relu(z) + C s + h with a full diagonal A."""
    rng = np.random.RandomState(7)
    m, k = 5, 2
    net = make_module(k, m, m, scale=30.0)
    X = rng.normal(size=(3, 10, k))
    A = net.A.detach().numpy()
    W, C, h = (getattr(net, n).detach().numpy() for n in ("W", "C", "h"))
    assert np.all(A != 0)  # every unit has its own self-coupling
    z = np.zeros((3, m))
    expected = []
    for t in range(10):
        z = A * z + np.maximum(z, 0) @ W.T + X[:, t] @ C.T + h
        expected.append(z)
    with torch.no_grad():
        Z = net.latents(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(Z, np.stack(expected, 1), rtol=0, atol=1e-10)


@pytest.mark.parametrize("P", [0, 2, 4])
def test_parameter_layout_and_initialisation(P):
    net = ALRNN(3, 400, P, 2, generator=torch.Generator().manual_seed(0))
    assert net.a.shape == (P,)
    A = net.A.detach()
    assert A.shape == (400,)
    assert torch.all(A[: 400 - P] == 0)  # linear units have no A entry
    assert net.W.shape == (400, 400) and net.C.shape == (400, 3)
    assert net.B.shape == (2, 400) and net.b.shape == (2,)
    assert torch.all(net.b == 0)
    # the paper's sequence-task initialisation: std 0.01 for W, h; 0.1 for C, B
    assert net.W.std().item() == pytest.approx(0.01, rel=0.02)
    assert net.h.std().item() == pytest.approx(0.01, rel=0.25)
    assert net.C.std().item() == pytest.approx(0.1, rel=0.1)
    assert net.B.std().item() == pytest.approx(0.1, rel=0.1)


def test_initialisation_comes_from_the_generator_only():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = ALRNN(2, 8, 2, 1, generator=torch.Generator().manual_seed(5))
    b = ALRNN(2, 8, 2, 1, generator=torch.Generator().manual_seed(5))
    assert torch.equal(torch.get_rng_state(), state)  # global RNG untouched
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


@pytest.mark.parametrize("P", [-1, 9])
def test_module_rejects_out_of_range_nonlinear_units(P):
    with pytest.raises(ValueError, match="n_nonlinear"):
        ALRNN(2, 8, P, 1)


def test_reference_rollout_gradients():
    g = torch.Generator().manual_seed(0)
    U = torch.randn(2, 5, 4, generator=g, dtype=torch.float64, requires_grad=True)
    A = (0.3 * torch.rand(4, generator=g, dtype=torch.float64)).requires_grad_()
    W = (0.5 * torch.randn(4, 4, generator=g, dtype=torch.float64)).requires_grad_()
    # states stay away from the ReLU kink for these inputs (checked by gradcheck)
    assert torch.autograd.gradcheck(lambda u, a, w: rollout(u, a, w, 2), (U, A, W))


def test_params_snapshot_validates_and_is_read_only():
    m = 4
    good = dict(
        A=np.r_[0, 0, 0.5, 0.2],
        W=np.eye(m),
        C=np.ones((m, 2)),
        h=np.zeros(m),
        B=np.ones((1, m)),
        b=np.zeros(1),
    )
    p = ALRNNParams(**good, n_nonlinear=2)
    assert (p.n_hidden, p.n_features, p.n_outputs, p.n_nonlinear) == (4, 2, 1, 2)
    with pytest.raises(ValueError, match="read-only"):
        p.W[0, 0] = 3.0
    with pytest.raises(ValueError, match="zero on the M - P linear units"):
        ALRNNParams(**good, n_nonlinear=1)
    with pytest.raises(ValueError, match=r"W must have shape \(4, 4\)"):
        ALRNNParams(**{**good, "W": np.eye(3)}, n_nonlinear=2)
    with pytest.raises(ValueError, match="n_nonlinear"):
        ALRNNParams(**good, n_nonlinear=5)
