"""A free run with a folded feedback, as one autograd node with a hand-written BPTT.

Shapes: B batch, S states (S - 1 steps), M latent units, P ReLU units (the last
P), so M - P linear ones. The update of a free run whose forecasts are fed back
(see ``sk_alrnn.forecasting._forecaster_train.run_free``) is

    z_{s+1} = z_s G^T + relu(z_s[:, M-P:]) W_r^T + u_s,    s = 0 .. S - 2

with ``GT`` = G^T (M, M) and ``WrT`` = W_r^T (P, M). The backward walks the steps
once,

    g_{S-1} = dL/dz_{S-1},   g_s = dL/dz_s + g_{s+1} G + [0, (g_{s+1} W_r) * 1[z_s > 0]]

and forms dG^T = sum_s z_s^T g_{s+1} and dW_r^T = sum_s relu(z_s)^T g_{s+1} as
one product each over all steps. On the CPU (float32/float64, numba installed)
the steps of both passes run in numba loops (:mod:`._numba_free_run`): at a
forecaster's sizes (B = 32, M = 32, S = 12) the ~6 torch ops of a step cost
more than its arithmetic. Elsewhere (CUDA, or ``use_kernel("torch")``) they
run as torch ops. :func:`sk_alrnn._nn._kernels.select_kernel` decides.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from sk_alrnn._nn._kernels import select_kernel
from sk_alrnn._nn._kernels._inputs import as_array

__all__ = ["free_run_states"]


def _forward_torch(z0, GT, WrT, U, states):
    n_lin = z0.shape[1] - WrT.shape[0]
    states[:, 0] = z0
    z = z0
    for s in range(U.shape[1]):
        nxt = torch.addmm(U[:, s], z, GT)
        if n_lin < z0.shape[1]:
            nxt = torch.addmm(nxt, z[:, n_lin:].clamp_min(0.0), WrT)
        states[:, s + 1] = nxt
        z = nxt


def _backward_torch(dS, states, GT, WrT, dU):
    n_hidden = states.shape[2]
    n_lin = n_hidden - WrT.shape[0]
    K = torch.cat([GT, WrT]).T  # (M, M + P): g @ K = [g G, g W_r]
    g = dS[:, -1]
    for s in range(states.shape[1] - 2, -1, -1):
        dU[:, s] = g
        back = g @ K  # (B, M + P)
        grad = dS[:, s] + back[:, :n_hidden]
        if n_lin < n_hidden:
            grad[:, n_lin:] += back[:, n_hidden:] * (states[:, s, n_lin:] > 0)
        g = grad
    return g


class _FreeRun(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z0, GT, WrT, U):
        n_batch, n_hidden = z0.shape
        states = z0.new_empty(n_batch, U.shape[1] + 1, n_hidden)  # (B, S, M)
        loops = None
        if select_kernel(U) == "numba":  # numba imports (or was forced)
            from sk_alrnn._nn._kernels import _numba_free_run as loops

            loops.free_forward(*map(as_array, (z0, GT, WrT, U)), states.numpy())
        else:
            _forward_torch(z0, GT, WrT, U, states)
        ctx.save_for_backward(states, GT, WrT)
        ctx.loops = loops
        return states

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dS):
        states, GT, WrT = ctx.saved_tensors
        n_batch, n_states, n_hidden = states.shape
        n_lin = n_hidden - WrT.shape[0]
        dU = dS.new_empty(n_batch, n_states - 1, n_hidden)  # g_1 .. g_{S-1}
        if ctx.loops is not None:
            dz0 = dS.new_empty(n_batch, n_hidden)
            dS_np, states_np, G_np, Wr_np = map(as_array, (dS, states, GT.T, WrT.T))
            ctx.loops.free_backward(
                dS_np, states_np, G_np, Wr_np, dU.numpy(), dz0.numpy(),
                np.empty(Wr_np.shape[1], dtype=Wr_np.dtype),
            )  # fmt: skip
        else:
            dz0 = _backward_torch(dS, states, GT, WrT, dU)
        prev = states[:, :-1].reshape(-1, n_hidden)  # z_0 .. z_{S-2}
        dU_flat = dU.reshape(-1, n_hidden)
        dGT = prev.T @ dU_flat
        dWrT = prev[:, n_lin:].clamp_min(0.0).T @ dU_flat
        return dz0, dGT, dWrT, dU


def free_run_states(z0: Tensor, GT: Tensor, WrT: Tensor, U: Tensor) -> Tensor:
    """States (B, S, M) of the free run from ``z0`` (B, M), ``z0`` first.

    Parameters
    ----------
    z0 : Tensor of shape (B, M)
        The state at the forecast origin.
    GT : Tensor of shape (M, M)
        G^T, the linear part of the update, feedback included.
    WrT : Tensor of shape (P, M)
        W_r^T, the coupling of the P ReLU units (the last P of the M).
    U : Tensor of shape (B, S - 1, M)
        The input drive of each step.

    Returns
    -------
    states : Tensor of shape (B, S, M)

    Examples
    --------
    >>> import torch
    >>> z0, U = torch.ones(2, 3), torch.zeros(2, 4, 3)
    >>> states = free_run_states(z0, 0.5 * torch.eye(3), torch.zeros(1, 3), U)
    >>> states[0, :, 0]
    tensor([1.0000, 0.5000, 0.2500, 0.1250, 0.0625])
    """
    return _FreeRun.apply(z0, GT, WrT, U)
