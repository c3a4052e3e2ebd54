"""The AL-RNN recurrence, forward and backward; ``rollout`` picks the kernel.

Shapes: B batch, T time steps, M latent units, P nonlinear (ReLU) units.

Kernels (each ``rollout_*(U, A, W, n_nonlinear, z0=None, lengths=None) -> Z``,
written on one :class:`~sk_alrnn._nn._kernels._inputs.RolloutInputs`):

- ``"numba"``: fused CPU loops compiled with numba, hand-written BPTT (CPU default);
- ``"torch"``: the same backward written in torch ops, for any device (GPU default);
- ``"reference"``: plain autograd loop, the ground truth for tests.

Steps at or after a sequence's length are zero in ``Z`` and carry no gradient.

The CPU rule is "numba at every size", measured on two CPUs with
``python benchmarks/bench_crossover.py`` (the fused kernel against the
per-step-GEMM path ``"torch"``, one ``torch.mm`` over the whole batch per step;
T = 100, one thread, subnormals flushed; time of the torch path / the fused one):

- Intel Xeon (AVX-512, AMX), B in {8, ..., 256}, M in {16, ..., 192}: train
  1.17x to 3.01x, inference 1.04x to 4.74x except B = 256 with M = 16 (0.80x);
- AMD EPYC (AVX-512), B in {4, ..., 128}, M in {16, ..., 128}: train 1.2x to
  7.7x except B = 128 with M <= 32 (0.81x at M = 16, 0.93x at M = 32).

The per-step GEMM itself is fast (one 128^3 ``torch.mm`` takes 34 us on the
Xeon), but the torch path pays the per-op dispatch of 7 small ops per step,
which the fused loops do not; at (128, 100, 128) the fused train step is within
2.5x of three single-thread ``torch.mm`` per step, the arithmetic floor
(``benchmarks/bench_kernels.py``). The two corners where the GEMM path won are
batches far above ``batch_size="auto"`` (at most 32) with tiny M, and won by
less than the run-to-run noise of a shared machine, so no size switches to it;
a CPU where it wins in the range people train belongs in
:func:`select_kernel`, with its data.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import torch
from torch import Tensor

from sk_alrnn._nn._kernels._inputs import RolloutInputs, kernel
from sk_alrnn._nn._kernels.reference import rollout_reference
from sk_alrnn._nn._kernels.torch_bptt import last_states, rollout_torch

__all__ = [
    "KERNELS",
    "last_states",
    "rollout",
    "rollout_reference",
    "select_kernel",
    "use_kernel",
]

KERNELS = ("numba", "torch", "reference")
_forced: ContextVar[str | None] = ContextVar("sk_alrnn_kernel", default=None)


@functools.cache  # looked up on every forward pass: import (or fail) only once
def _numba_rollout() -> Callable[..., Tensor] | None:
    try:
        from sk_alrnn._nn._kernels.numba_cpu import rollout_numba
    except ImportError:  # numba missing or broken: the torch kernel still works
        return None
    return rollout_numba


def select_kernel(U: Tensor) -> str:
    """Name of the kernel ``rollout`` uses for ``U`` (device and dtype).

    Examples
    --------
    >>> import torch
    >>> select_kernel(torch.zeros(1, 1, 1)) in KERNELS
    True
    """
    forced = _forced.get()
    if forced is not None:
        return forced
    cpu_float = U.device.type == "cpu" and U.dtype in (torch.float32, torch.float64)
    if cpu_float and _numba_rollout() is not None:
        return "numba"
    return "torch"


@contextlib.contextmanager
def use_kernel(name: str | None) -> Iterator[None]:
    """Force a kernel inside a ``with`` block (for tests and benchmarks).

    Examples
    --------
    >>> import torch
    >>> with use_kernel("reference"):
    ...     select_kernel(torch.zeros(1, 1, 1))
    'reference'
    """
    if name is not None and name not in KERNELS:
        raise ValueError(f"Unknown kernel {name!r}; choose one of {KERNELS}.")
    token = _forced.set(name)
    try:
        yield
    finally:
        _forced.reset(token)


@kernel
def rollout(
    inputs: RolloutInputs, *, last: bool = False, activation: str = "relu"
) -> Tensor:
    """Latent trajectory ``Z`` (B, T, M) for the input drive ``U`` (B, T, M).

    See :func:`sk_alrnn._nn._kernels.reference.rollout_reference` for the parameters.
    ``last=True`` returns only each row's state at its last valid step (B, M)
    (zeros for rows of length 0), what a readout of the last step needs; the
    numba kernel then skips the dense (B, T, M) gradient of the unused steps.
    ``activation`` other than ``"relu"`` (``"tanh"``, ``"gelu"``) runs the
    autograd loop of the reference kernel: the fused kernels are ReLU only.

    Examples
    --------
    >>> import torch
    >>> rollout(torch.ones(2, 4, 3), torch.zeros(3), torch.eye(3), 3).shape
    torch.Size([2, 4, 3])
    """
    if activation != "relu":
        Z = rollout_reference(*inputs, activation)
        return last_states(Z, inputs.lengths) if last else Z
    name = select_kernel(inputs.U)
    if name == "numba":
        fused = _numba_rollout()
        if fused is None:
            raise RuntimeError("The numba kernel was requested but numba is missing.")
        return fused(*inputs, last=last)
    Z = (rollout_torch if name == "torch" else rollout_reference)(*inputs)
    return last_states(Z, inputs.lengths) if last else Z
