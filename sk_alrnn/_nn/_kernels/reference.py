"""Reference AL-RNN recurrence: a plain autograd loop over time.

This is the ground truth that faster kernels are tested against; it is never the fast
path. Shapes: B batch, T time steps, M latent units, P nonlinear (ReLU) units, which
are the last P of the M units.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from sk_alrnn._core._layout import relu_mask
from sk_alrnn._nn._kernels._inputs import RolloutInputs, kernel

# The nonlinearity of the last P units; only "relu" has the fused kernels.
ACTIVATION_FNS = {
    "relu": lambda z: z.clamp_min(0.0),
    "tanh": torch.tanh,
    "gelu": F.gelu,
}


@kernel
def rollout_reference(inputs: RolloutInputs, activation: str = "relu") -> Tensor:
    """Run ``z_t = A * z_{t-1} + W phi(z_{t-1}) + u_t`` over all time steps.

    Parameters
    ----------
    U : Tensor of shape (B, T, M)
        Input drive ``u_t = C s_t + h`` for every step.
    A : Tensor of shape (M,)
        Diagonal self-coupling (zero on the linear units).
    W : Tensor of shape (M, M)
        Full coupling matrix acting on ``phi(z)``.
    n_nonlinear : int
        P, the number of ReLU units (the last P units); 0 <= P <= M.
    z0 : Tensor of shape (B, M), optional
        Initial state; zeros when omitted.
    lengths : Tensor of shape (B,), optional
        Valid steps per sequence; ``Z`` is zero from ``lengths[b]`` on.
    activation : {"relu", "tanh", "gelu"}, default="relu"
        The nonlinearity of the last P units (identity on the others).

    Returns
    -------
    Z : Tensor of shape (B, T, M)
        The state after the update at each step, ``z_1 ... z_T``.

    Examples
    --------
    >>> import torch
    >>> U = torch.ones(1, 3, 2)
    >>> Z = rollout_reference(U, torch.zeros(2), torch.zeros(2, 2), n_nonlinear=1)
    >>> Z.shape
    torch.Size([1, 3, 2])
    """
    U, A, W, n_nonlinear, _, lengths = inputs
    is_relu = torch.from_numpy(relu_mask(U.shape[-1], n_nonlinear)).to(U.device)  # (M,)
    act = ACTIVATION_FNS[activation]
    z = inputs.initial_state()  # (B, M)
    states = []
    for u_t in U.unbind(1):  # u_t: (B, M); unbind once, indexing U[:, t] is O(T^2)
        phi = torch.where(is_relu, act(z), z)  # (B, M), out of place
        z = A * z + phi @ W.T + u_t  # (B, M)
        states.append(z)
    Z = torch.stack(states, dim=1)  # (B, T, M)
    if lengths is None:
        return Z
    steps = torch.arange(Z.shape[1], device=Z.device)
    valid = steps < lengths.to(Z.device)[:, None]  # (B, T)
    return Z * valid[:, :, None].to(Z.dtype)
