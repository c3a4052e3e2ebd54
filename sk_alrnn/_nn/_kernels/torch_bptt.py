"""AL-RNN rollout with a hand-written backward (BPTT) in torch ops, for any device.

Shapes: B batch, T time steps, M latent units, P nonlinear (ReLU) units (the last P).
One autograd node covers the whole rollout, so no per-step graph is built:

    forward   z_t = A*z_{t-1} + W phi(z_{t-1}) + u_t
    backward  g_t = dL/dz_t (direct) + A*g_{t+1} + D_t * (W^T g_{t+1})
              dU = g,  dA = sum g_t * z_{t-1},  dW = sum g_t phi(z_{t-1})^T,
              dz_0 = A*g_1 + D_0 * (W^T g_1)

with D_t = phi'(z_t) (1 on linear units, 1[z > 0] on ReLU units).
"""

from __future__ import annotations

import torch
from torch import Tensor

from sk_alrnn._core._layout import floor as layout_floor
from sk_alrnn._nn._kernels._inputs import RolloutInputs, kernel


def _floor(n_hidden: int, n_nonlinear: int, like: Tensor) -> Tensor:
    """phi(z) = maximum(z, floor): -inf on linear units, 0 on ReLU units (M,)."""
    floor = layout_floor(n_hidden, n_nonlinear)  # float64, read-only: copied here
    return torch.tensor(floor, dtype=like.dtype, device=like.device)


def step_mask(lengths: Tensor | None, n_steps: int, like: Tensor) -> Tensor | None:
    """(B, T, 1) float mask, 1 on valid steps; None when every step is valid."""
    if lengths is None:
        return None
    steps = torch.arange(n_steps, device=like.device)
    return (steps < lengths.to(like.device)[:, None]).to(like.dtype)[:, :, None]


def last_states(Z: Tensor, lengths: Tensor | None) -> Tensor:
    """(B, M): each row's state at its last valid step; zeros for empty rows.

    Examples
    --------
    >>> import torch
    >>> Z = torch.arange(12.0).reshape(2, 3, 2)
    >>> last_states(Z, torch.tensor([3, 1]))
    tensor([[4., 5.],
            [6., 7.]])
    """
    if lengths is None:
        return Z[:, -1]
    lengths = lengths.to(Z.device)
    rows = torch.arange(Z.shape[0], device=Z.device)
    out = Z[rows, (lengths - 1).clamp(min=0)]  # (B, M)
    return out * (lengths > 0).to(Z.dtype)[:, None]


class _Rollout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, U, A, W, z0, mask, n_nonlinear):
        n_batch, n_steps, n_hidden = U.shape
        floor = _floor(n_hidden, n_nonlinear, U)
        U_tm = U.transpose(0, 1)  # (T, B, M) view
        Z_tm = U.new_empty(n_steps, n_batch, n_hidden)  # (T, B, M)
        Wt = W.T  # (M, M) view
        z = z0
        for t in range(n_steps):
            phi = torch.maximum(z, floor)  # (B, M)
            base = torch.addcmul(U_tm[t], A, z)  # u_t + A*z
            z = torch.addmm(base, phi, Wt, out=Z_tm[t])  # + phi W^T
        ctx.save_for_backward(Z_tm, z0, A, W, floor, mask)
        Z = Z_tm.transpose(0, 1)  # (B, T, M)
        return Z * mask if mask is not None else Z.contiguous()

    @staticmethod
    def backward(ctx, G):
        Z_tm, z0, A, W, floor, mask = ctx.saved_tensors
        n_steps = Z_tm.shape[0]
        if mask is not None:
            G = G * mask  # padded steps carry no gradient
        G_tm = G.transpose(0, 1)  # (T, B, M)
        Zprev = torch.cat([z0[None], Z_tm[:-1]])  # (T, B, M): z_{t-1}
        Dprev = (Zprev > floor).to(Z_tm.dtype)  # (T, B, M): phi'(z_{t-1})
        dU_tm = torch.empty_like(Z_tm)  # (T, B, M)
        carry = torch.zeros_like(z0)  # gradient reaching z_t from the future
        for t in range(n_steps - 1, -1, -1):
            g = torch.add(G_tm[t], carry, out=dU_tm[t])  # (B, M)
            carry = torch.addcmul(A * g, torch.mm(g, W), Dprev[t])
        flat = Z_tm.shape[0] * Z_tm.shape[1]
        dU_flat = dU_tm.reshape(flat, -1)  # (T*B, M)
        phi_prev = torch.maximum(Zprev, floor).reshape(flat, -1)  # (T*B, M)
        dW = dU_flat.T @ phi_prev  # (M, M)
        dA = (dU_tm * Zprev).sum((0, 1))  # (M,)
        dU = dU_tm.transpose(0, 1)  # (B, T, M)
        return dU, dA, dW, carry, None, None


@kernel
def rollout_torch(inputs: RolloutInputs) -> Tensor:
    """Latent trajectory ``Z`` (B, T, M); one autograd node, torch-op BPTT.

    Parameters are those of :func:`sk_alrnn._nn._kernels.reference.rollout_reference`.

    Examples
    --------
    >>> import torch
    >>> U = torch.ones(1, 3, 2, requires_grad=True)
    >>> Z = rollout_torch(U, torch.zeros(2), torch.eye(2), n_nonlinear=1)
    >>> Z.sum().backward()
    >>> U.grad.shape
    torch.Size([1, 3, 2])
    """
    U, A, W, n_nonlinear, _, lengths = inputs
    mask = step_mask(lengths, U.shape[1], U)
    return _Rollout.apply(U, A, W, inputs.initial_state(), mask, n_nonlinear)
