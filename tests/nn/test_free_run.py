"""free_run_states: the numba loops and the torch ops agree with autograd."""

import pytest
import torch

from sk_alrnn._nn._kernels import use_kernel
from sk_alrnn._nn._kernels.free_run import free_run_states


def _autograd_states(z0, GT, WrT, U):
    n_lin = z0.shape[1] - WrT.shape[0]
    states, z = [z0], z0
    for s in range(U.shape[1]):
        z = z @ GT + z[:, n_lin:].clamp_min(0.0) @ WrT + U[:, s]
        states.append(z)
    return torch.stack(states, 1)


def _inputs(n_batch, n_states, n_hidden, n_relu, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape, scale=1.0):
        x = scale * torch.randn(*shape, generator=gen, dtype=dtype)
        return x.requires_grad_()

    return (
        rand(n_batch, n_hidden),
        rand(n_hidden, n_hidden, scale=0.4),
        rand(n_relu, n_hidden, scale=0.4),
        rand(n_batch, n_states - 1, n_hidden),
    )


@pytest.mark.parametrize("kernel", ["numba", "torch"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(
    "size", [(4, 6, 5, 2), (3, 1, 4, 1), (5, 12, 7, 0), (2, 4, 3, 3), (9, 3, 33, 5)]
)
def test_values_and_gradients_equal_autograd(kernel, dtype, size):
    inputs = _inputs(*size, dtype)
    want = _autograd_states(*inputs)
    with use_kernel(kernel):
        got = free_run_states(*inputs)
    double = dtype == torch.float64  # float32: sums in another order, 12 steps deep
    tol = {"rtol": 1e-12, "atol": 1e-12} if double else {"rtol": 1e-4, "atol": 1e-4}
    torch.testing.assert_close(got, want, **tol)
    weights = torch.randn(want.shape, generator=torch.Generator().manual_seed(1))
    weights = weights.to(dtype)
    g_want = torch.autograd.grad((want * weights).sum(), inputs, allow_unused=True)
    # one state (no step): GT, WrT and U take no part; the node gives zeros
    g_want = [
        torch.zeros_like(x) if g is None else g
        for g, x in zip(g_want, inputs, strict=True)
    ]
    with use_kernel(kernel):
        g_got = torch.autograd.grad((free_run_states(*inputs) * weights).sum(), inputs)
    for a, b in zip(g_got, g_want, strict=True):
        torch.testing.assert_close(a, b, **tol)


def test_inference_without_grad_and_nan_propagates():
    z0, GT, WrT, U = (x.detach() for x in _inputs(3, 5, 4, 2, torch.float32))
    z0[1, 3] = float("nan")  # a ReLU unit: relu(nan) is nan, as in torch
    with torch.no_grad():
        got = free_run_states(z0, GT, WrT, U)
    assert torch.isnan(got[1, 1:]).any() and not torch.isnan(got[[0, 2]]).any()
    with use_kernel("torch"), torch.no_grad():
        ref = free_run_states(z0, GT, WrT, U)
    torch.testing.assert_close(got, ref, equal_nan=True)
