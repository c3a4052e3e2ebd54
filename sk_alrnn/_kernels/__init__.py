"""The AL-RNN recurrence, forward and backward; ``rollout`` picks the kernel.

Shapes: B batch, T time steps, M latent units, P nonlinear (ReLU) units.
Only the autograd reference loop exists so far; fused kernels plug in here.
"""

from __future__ import annotations

from torch import Tensor

from sk_alrnn._kernels.reference import rollout_reference

__all__ = ["rollout", "rollout_reference"]


def rollout(
    U: Tensor, A: Tensor, W: Tensor, n_nonlinear: int, z0: Tensor | None = None
) -> Tensor:
    """Latent trajectory ``Z`` of shape (B, T, M) for the input drive ``U`` (B, T, M).

    See :func:`sk_alrnn._kernels.reference.rollout_reference` for the parameters.

    Examples
    --------
    >>> import torch
    >>> rollout(torch.ones(2, 4, 3), torch.zeros(3), torch.eye(3), 3).shape
    torch.Size([2, 4, 3])
    """
    return rollout_reference(U, A, W, n_nonlinear, z0)
