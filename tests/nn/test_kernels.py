"""Every recurrence kernel against the autograd reference loop.

Shapes: B batch, T time steps, K input features, M latent units, P ReLU units.
"""

import warnings

import numpy as np
import pytest
import torch

from sk_alrnn import ALRNNRegressor
from sk_alrnn._nn._kernels import (
    KERNELS,
    _numba_rollout,
    rollout,
    select_kernel,
    use_kernel,
)
from sk_alrnn._nn._model import ALRNN

HAVE_NUMBA = _numba_rollout() is not None
FAST = [
    pytest.param(
        "numba", marks=pytest.mark.skipif(not HAVE_NUMBA, reason="numba missing")
    ),
    "torch",
]
M = 6


def make_case(P, n_batch, ragged, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    net = ALRNN(3, M, P, 2, generator=g, dtype=dtype)
    with torch.no_grad():  # weights large enough for ReLU units to switch often
        for p in net.parameters():
            p.normal_(0.0, 0.6, generator=g)
    X = torch.randn(n_batch, 9, 3, generator=g, dtype=dtype, requires_grad=True)
    lengths = None
    if ragged:
        lengths = torch.randint(1, 10, (n_batch,), generator=g)
        lengths[0] = 9
    R = torch.randn(n_batch, 9, 2, generator=g, dtype=dtype)  # loss weights
    return net, X, lengths, R


def outputs_and_grads(kernel, net, X, lengths, R, sequence):
    net.zero_grad()
    X.grad = None
    with use_kernel(kernel):
        out = net(X, lengths, sequence=sequence)
    weights = R if sequence else R[:, 0]
    (out * weights).sum().backward()
    grads = {n: p.grad.clone() for n, p in net.named_parameters()}
    grads["X"] = X.grad.clone()
    return out.detach(), grads


@pytest.mark.parametrize("kernel", FAST)
@pytest.mark.parametrize("P", [0, 1, M])
@pytest.mark.parametrize("sequence", [False, True], ids=["last", "sequence"])
@pytest.mark.parametrize("ragged", [False, True], ids=["equal", "ragged"])
@pytest.mark.parametrize("n_batch", [1, 4])
@pytest.mark.parametrize(
    "dtype, rtol, atol",
    [(torch.float64, 1e-10, 1e-10), (torch.float32, 1e-4, 1e-5)],
    ids=["float64", "float32"],
)
def test_kernel_matches_reference(
    kernel, P, sequence, ragged, n_batch, dtype, rtol, atol
):
    net, X, lengths, R = make_case(P, n_batch, ragged, dtype, seed=P + 10 * n_batch)
    expected, expected_grads = outputs_and_grads(
        "reference", net, X, lengths, R, sequence
    )
    out, grads = outputs_and_grads(kernel, net, X, lengths, R, sequence)
    torch.testing.assert_close(out, expected, rtol=rtol, atol=atol)
    for name, grad in expected_grads.items():
        torch.testing.assert_close(grads[name], grad, rtol=rtol, atol=atol, msg=name)
    assert any(g.abs().max() > 0.1 for g in grads.values() if g.numel())  # not zero


@pytest.mark.parametrize("kernel", [*FAST, "reference"])
@pytest.mark.parametrize("P", [0, 2, 4])
def test_gradcheck(kernel, P):
    """Finite differences in float64, with states kept away from the ReLU kink."""
    g = torch.Generator().manual_seed(P)
    U = (torch.randn(2, 5, 4, generator=g, dtype=torch.float64)).requires_grad_()
    A = (0.3 * torch.rand(4, generator=g, dtype=torch.float64)).requires_grad_()
    W = (0.5 * torch.randn(4, 4, generator=g, dtype=torch.float64)).requires_grad_()
    z0 = torch.randn(2, 4, generator=g, dtype=torch.float64).requires_grad_()
    lengths = torch.tensor([5, 3])

    def f(u, a, w, z):
        with use_kernel(kernel):
            return rollout(u, a, w, P, z, lengths)

    with torch.no_grad():  # the check is meaningful only off the kink
        Z = f(U, A, W, z0)
        relu_states = torch.cat([Z[0, :, 4 - P :], Z[1, :3, 4 - P :]])  # valid steps
        assert P == 0 or relu_states.abs().min() > 1e-3
    assert torch.autograd.gradcheck(f, (U, A, W, z0))


@pytest.mark.parametrize("kernel", FAST)
def test_padded_steps_are_zero_and_carry_no_gradient(kernel):
    net, X, _, _ = make_case(3, 3, ragged=False, dtype=torch.float64)
    lengths = torch.tensor([9, 4, 1])
    with use_kernel(kernel):
        Z = net.latents(X, lengths)
    assert torch.all(Z[1, 4:] == 0) and torch.all(Z[2, 1:] == 0)
    Z.sum().backward()
    assert torch.all(X.grad[1, 4:] == 0) and torch.all(X.grad[2, 1:] == 0)


@pytest.mark.parametrize("kernel", FAST)
def test_fit_with_each_kernel_gives_the_reference_loss_curve(kernel, seq_data):
    X, y, _ = seq_data
    params = dict(
        n_hidden=8, n_nonlinear=3, max_iter=6, learning_rate_init=1e-2, dtype="float64"
    )
    curves = {}
    for name in ("reference", kernel):
        with use_kernel(name), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = ALRNNRegressor(**params, random_state=0).fit(X, y)
        curves[name] = est.loss_curve_
    np.testing.assert_allclose(curves[kernel], curves["reference"], rtol=1e-6)


def test_dispatch_prefers_fused_kernels_and_can_be_forced():
    U = torch.zeros(1, 2, 3)
    assert select_kernel(U) == ("numba" if HAVE_NUMBA else "torch")
    assert select_kernel(U.to(torch.float16)) == "torch"
    for name in KERNELS:
        with use_kernel(name):
            assert select_kernel(U) == name
    assert select_kernel(U) == ("numba" if HAVE_NUMBA else "torch")
    with pytest.raises(ValueError, match="Unknown kernel"):
        with use_kernel("cuda-magic"):
            pass


@pytest.mark.parametrize("kernel", [*FAST, "reference"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("ragged", [False, True])
def test_last_states_match_the_full_trajectory(kernel, dtype, ragged):
    """``last=True`` (what a readout of the last step uses) gives each row's state
    at its last valid step, zeros for empty rows, with the gradients of the full
    trajectory's selection; with and without autograd."""
    from sk_alrnn._nn._kernels import last_states

    g = torch.Generator().manual_seed(3)
    B, T, P = 9, 7, 2
    U = torch.randn(B, T, M, generator=g, dtype=dtype)
    A = 0.5 * torch.rand(M, generator=g, dtype=dtype)
    W = 0.4 * torch.randn(M, M, generator=g, dtype=dtype)
    z0 = torch.randn(B, M, generator=g, dtype=dtype)
    lengths = torch.tensor([7, 0, 3, 1, 7, 5, 2, 6, 4]) if ragged else None
    weights = torch.randn(B, M, generator=g, dtype=dtype)

    def run(last):
        leaves = [x.clone().requires_grad_() for x in (U, A, W, z0)]
        with use_kernel(kernel):
            out = rollout(*leaves[:3], P, z0=leaves[3], lengths=lengths, last=last)
        states = out if last else last_states(out, lengths)
        (states * weights).sum().backward()
        return [states.detach()] + [x.grad for x in leaves]

    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {}
    want, got = run(False), run(True)
    for w, g_ in zip(want, got, strict=True):
        torch.testing.assert_close(g_, w, **tol)
    if ragged:
        assert torch.equal(got[0][1], torch.zeros(M, dtype=dtype))  # empty row
    with torch.no_grad(), use_kernel(kernel):
        plain = rollout(U, A, W, P, z0=z0, lengths=lengths, last=True)
    torch.testing.assert_close(plain, want[0], **tol)
