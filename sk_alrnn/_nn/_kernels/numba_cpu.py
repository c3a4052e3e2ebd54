"""AL-RNN rollout on the CPU: forward and BPTT loops compiled with numba.

Shapes: B batch, T time steps, M latent units, P nonlinear (ReLU) units (the last P
of the M units). The maths is that of :mod:`sk_alrnn._nn._kernels.torch_bptt`:

    forward   z_t = A*z_{t-1} + W phi(z_{t-1}) + u_t
    backward  g_t = dL/dz_t (direct) + A*g_{t+1} + D_t * (W^T g_{t+1})
              dU = g,  dA = sum g_t * z_{t-1},  dW = sum g_t phi(z_{t-1})^T,
              dz_0 = A*g_1 + D_0 * (W^T g_1)

with phi the identity on the first M - P units and ReLU on the last P, and
D_t = phi'(z_t) (1 on linear units, 1[z > 0] on ReLU units). Steps at or after
``lengths[b]`` are not computed: they are zero in ``Z`` and carry no gradient.

How it is fast: rows of the batch advance four at a time (sorted by length, so a
group's rows that still have step t are its first ones), which keeps four
independent sums in flight; the products with W run in a small intrinsic that holds
64-byte strips of the result in vector registers (:func:`_strip_matvec`); every
per-step loop is fused into one pass over M of one dtype; and the backward, which
walks time backwards, prefetches the rows it will need. dW is one matmul over the
phi(z_{t-1}) kept by the forward. The kernels are serial on purpose: numba's
parallel thread pool competes with torch's and slows torch down for the rest of
the process. They compile on the first call per dtype and are cached on disk (see
:func:`numba_cache_dir`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from sk_alrnn._core._layout import floor as layout_floor
from sk_alrnn._nn._kernels._inputs import RolloutInputs, as_array, kernel
from sk_alrnn._nn._kernels._numba_cache import numba_cache_dir
from sk_alrnn._nn._kernels._numba_loops import _backward, _forward
from sk_alrnn._nn._kernels.torch_bptt import last_states

__all__ = ["numba_cache_dir", "rollout_numba"]


def _rows_by_length(
    lengths: Tensor | None, n_batch: int, n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Valid steps per row (B,) clipped to [0, T], and the rows by decreasing length."""
    if lengths is None:
        steps = np.full(n_batch, n_steps, dtype=np.int64)
        return steps, np.arange(n_batch, dtype=np.int64)
    steps = np.clip(lengths.detach().cpu().numpy().astype(np.int64), 0, n_steps)
    return steps, np.argsort(-steps, kind="stable").astype(np.int64)


# Software prefetch in the backward pays once G, Z and dU together exceed this many
# bytes (measured: a loss below about 1 MB, a gain of 1.5-3x on the loads above).
_PREFETCH_ABOVE = 4 * 2**20


def _run_forward(U, A, W, z0, lengths, n_nonlinear, keep_phi):
    """(Z, Phi, steps, order, floor): the forward pass on detached tensors."""
    n_batch, n_steps, n_hidden = U.shape
    steps, order = _rows_by_length(lengths, n_batch, n_steps)
    U_np = as_array(U)
    floor = layout_floor(n_hidden, n_nonlinear, U_np.dtype)  # (M,), read-only
    Z = U.new_empty(n_batch, n_steps, n_hidden)  # (B, T, M)
    # phi(z_{t-1}) (B, T, M), kept for dW = sum_t g_t phi(z_{t-1})^T
    Phi = U.new_empty((n_batch, n_steps, n_hidden) if keep_phi else (0, 0, 0))
    WT = as_array(W.T)  # (M, M), a contiguous copy of W^T
    scratch = np.empty((4, n_hidden), dtype=U_np.dtype)  # phi rows of a group
    _forward(
        U_np, as_array(A), WT, as_array(z0), floor, steps, order, Z.numpy(),
        Phi.numpy(), keep_phi, scratch,
    )  # fmt: skip
    return Z, Phi, steps, order, floor


def _last(Z: Tensor, lengths: Tensor | None, steps: np.ndarray) -> Tensor:
    """:func:`last_states` of ``Z`` with the lengths clipped to [0, T]."""
    return last_states(Z, None if lengths is None else torch.from_numpy(steps))


class _Rollout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, U, A, W, z0, lengths, n_nonlinear, keep_phi, last):
        Z, Phi, steps, order, floor = _run_forward(
            U, A, W, z0, lengths, n_nonlinear, keep_phi
        )
        ctx.save_for_backward(Z, Phi, z0, A, W)
        ctx.steps, ctx.order, ctx.floor, ctx.last = steps, order, floor, last
        return _last(Z, lengths, steps).clone() if last else Z  # not a view

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, G):
        Z, Phi, z0, A, W = ctx.saved_tensors
        n_batch, n_steps, n_hidden = Z.shape
        need_U, need_A, need_W, need_z0 = ctx.needs_input_grad[:4]
        dU = torch.empty_like(Z)  # (B, T, M)
        dA64 = np.zeros(n_hidden, dtype=np.float64)  # summed in float64
        dz0 = torch.empty_like(z0)  # (B, M)
        Wg, dA_rows = np.empty((2, 4, n_hidden), dtype=ctx.floor.dtype)  # scratch
        n_dense = 2 if ctx.last else 3  # (B, T, M) arrays streamed: G, Z, dU
        prefetch = n_dense * Z.numel() * Z.element_size() > _PREFETCH_ABOVE
        G_np = as_array(G[:, None] if ctx.last else G)  # (B, 1 or T, M)
        _backward(
            G_np, Z.numpy(), as_array(A), as_array(W), as_array(z0),
            ctx.floor, ctx.steps, ctx.order, need_A, prefetch, dU.numpy(), dA64,
            dz0.numpy(), Wg, dA_rows, ctx.last, np.zeros(n_hidden, ctx.floor.dtype),
        )  # fmt: skip
        dW = None
        if need_W:
            # (M, B*T) @ (B*T, M): the sum over b, t of g_t phi(z_{t-1})^T
            flat = (n_batch * n_steps, n_hidden)
            dW = dU.view(flat).T @ Phi.view(flat)
        dA = torch.from_numpy(dA64).to(Z.dtype) if need_A else None
        return (
            dU if need_U else None,
            dA,
            dW,
            dz0 if need_z0 else None,
            None,
            None,
            None,
            None,
        )


def _check_inputs(U, A, W, z0, lengths, n_nonlinear) -> None:
    """Refuse inputs the kernels cannot take, saying what is wrong and the fix."""
    n_batch, _, n_hidden = U.shape
    shapes = {"A": (n_hidden,), "W": (n_hidden, n_hidden), "z0": (n_batch, n_hidden)}
    if lengths is not None:
        shapes["lengths"] = (n_batch,)
    for name, shape in shapes.items():  # the kernels do not check their bounds
        got = tuple({"A": A, "W": W, "z0": z0, "lengths": lengths}[name].shape)
        if got != shape:
            raise ValueError(
                f"{name} must have shape {shape} for U of shape {tuple(U.shape)}; "
                f"got {got}."
            )
    for name, x in (("U", U), ("A", A), ("W", W), ("z0", z0)):
        if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
            raise TypeError(
                f"rollout_numba needs float32 or float64 CPU tensors; got {name} of "
                f"dtype {x.dtype} on {x.device}. Use sk_alrnn._nn._kernels.rollout, "
                "which picks a kernel for the device."
            )
        if x.dtype != U.dtype:
            raise TypeError(
                f"rollout_numba needs tensors of one dtype; got U {U.dtype} and "
                f"{name} {x.dtype}. Convert them with .to(U.dtype)."
            )
    if not 0 <= n_nonlinear <= n_hidden:
        raise ValueError(
            f"n_nonlinear must lie in [0, M={n_hidden}]; got {n_nonlinear}."
        )


@kernel
def rollout_numba(inputs: RolloutInputs, *, last: bool = False) -> Tensor:
    """Latent trajectory ``Z`` (B, T, M); numba-compiled forward and BPTT on the CPU.

    Parameters are those of :func:`sk_alrnn._nn._kernels.reference.rollout_reference`;
    ``U``, ``A``, ``W`` and ``z0`` must be float32 or float64 CPU tensors of one
    dtype. The first call per dtype compiles the kernels (seconds; well under a
    second from numba's disk cache). With ``last=True`` only each row's state at
    its last valid step is returned, (B, M) (zeros for rows of length 0), and
    the backward never builds a dense (B, T, M) gradient.

    Examples
    --------
    >>> import torch
    >>> U = torch.ones(2, 3, 4, requires_grad=True)
    >>> Z = rollout_numba(U, torch.zeros(4), torch.eye(4), n_nonlinear=1)
    >>> Z.sum().backward()
    >>> Z.shape, U.grad.shape
    (torch.Size([2, 3, 4]), torch.Size([2, 3, 4]))
    """
    U, A, W, n_nonlinear, _, lengths = inputs
    if U.dim() != 3:
        raise ValueError(f"U must have shape (B, T, M); got shape {tuple(U.shape)}.")
    z0 = inputs.initial_state()
    _check_inputs(U, A, W, z0, lengths, n_nonlinear)  # the kernels check no bounds
    if not (
        torch.is_grad_enabled() and any(x.requires_grad for x in (U, A, W, z0))
    ):  # inference: no autograd node, no kept phi
        detached = (x.detach() for x in (U, A, W, z0))
        Z, _, steps, _, _ = _run_forward(*detached, lengths, n_nonlinear, False)
        return _last(Z, lengths, steps) if last else Z
    keep_phi = W.requires_grad
    return _Rollout.apply(U, A, W, z0, lengths, n_nonlinear, keep_phi, bool(last))
