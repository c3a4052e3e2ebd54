"""The AL-RNN as a torch module: parameters, initialisation and forward pass.

Shapes: B batch, T time steps, K input features, M latent units (``n_hidden``),
P nonlinear ReLU units (``n_nonlinear``, the last P of the M units), O outputs.

    z_t = A z_{t-1} + W phi(z_{t-1}) + C s_t + h,   z_0 = 0 (or a given initial state)
    y_t = B z_t + b

``A`` is diagonal and non-zero only on the P ReLU units (a linear unit's
self-coupling lives in ``W``'s diagonal); it is stored as the length-P parameter
``a`` and exposed as the length-M vector :attr:`ALRNN.A`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from sk_alrnn._kernels import rollout

INITS = ("memory", "paper")
MEMORY_SELF_COUPLING = 0.9  # W_ii of init="memory": a memory of about ten steps
SPECTRAL_BOUND = 0.99  # ... lowered for large M to keep W's spectral radius below


def memory_diagonal(n_hidden: int) -> float:
    """Self-coupling added to W's diagonal by ``init="memory"``.

    ``0.9``, lowered for large M so that W stays contractive at the start: by the
    circular law the N(0, 0.01^2) entries spread W's eigenvalues over a disc of
    radius about ``0.01 * sqrt(M)`` around the diagonal value, so the value is
    ``min(0.9, 0.99 - 0.01 * sqrt(M))``.

    Examples
    --------
    >>> memory_diagonal(32), round(memory_diagonal(256), 3)
    (0.9, 0.83)
    """
    return min(MEMORY_SELF_COUPLING, SPECTRAL_BOUND - 0.01 * math.sqrt(n_hidden))


class ALRNN(nn.Module):
    """Almost-linear RNN with a linear readout.

    Parameters
    ----------
    n_features : int
        K, input features per time step.
    n_hidden : int
        M, latent units.
    n_nonlinear : int
        P, ReLU units (0 <= P <= M); P = 0 is a linear RNN, P = M a PLRNN.
    n_outputs : int
        O, readout dimension.
    generator : torch.Generator, optional
        Source of the initial weights. Both schemes draw A, W, h ~ N(0, 0.01^2),
        C, B ~ N(0, 0.1^2) and set b = 0 (the paper's sequence-task
        initialisation); ``init="memory"`` then adds :func:`memory_diagonal`
        to W's diagonal.
    dtype : torch.dtype, default=torch.float32
        Parameter dtype.
    init : {"memory", "paper"}, default="paper"
        ``"paper"``: the papers' initialisation, whose units forget their input
        after a step or two (W_ii ~ 0.01), so gradients through time start out
        vanishing. ``"memory"``: every unit starts as a leaky integrator
        (W_ii about 0.9, a memory of about ten steps), which removes most of the
        long loss plateaus before a recurrent model learns to remember.

    Examples
    --------
    >>> import torch
    >>> net = ALRNN(n_features=2, n_hidden=4, n_nonlinear=1, n_outputs=1,
    ...             generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(3, 5, 2)).shape
    torch.Size([3, 1])
    """

    def __init__(
        self,
        n_features: int,
        n_hidden: int,
        n_nonlinear: int,
        n_outputs: int,
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
        init: str = "paper",
    ) -> None:
        super().__init__()
        if not 0 <= n_nonlinear <= n_hidden:
            raise ValueError(
                f"n_nonlinear must lie in [0, n_hidden={n_hidden}]; got {n_nonlinear}."
            )
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {init!r}.")
        self.n_features = n_features
        self.n_hidden = n_hidden
        self.n_nonlinear = n_nonlinear
        self.n_outputs = n_outputs

        def normal(*shape: int, std: float) -> nn.Parameter:
            t = torch.empty(shape, dtype=dtype).normal_(0.0, std, generator=generator)
            return nn.Parameter(t)

        self.a = normal(n_nonlinear, std=0.01)  # (P,) self-coupling of ReLU units
        self.W = normal(n_hidden, n_hidden, std=0.01)  # (M, M)
        self.C = normal(n_hidden, n_features, std=0.1)  # (M, K)
        self.h = normal(n_hidden, std=0.01)  # (M,)
        self.B = normal(n_outputs, n_hidden, std=0.1)  # (O, M)
        self.b = nn.Parameter(torch.zeros(n_outputs, dtype=dtype))  # (O,)
        if init == "memory":
            with torch.no_grad():
                self.W.diagonal().add_(memory_diagonal(n_hidden))

    def penalized_parameters(self) -> list[nn.Parameter]:
        """Weights under the L2 penalty ``alpha`` (A, W, C, B; not the biases)."""
        return [self.a, self.W, self.C, self.B]

    @property
    def A(self) -> Tensor:
        """Diagonal of A as a length-M vector, zero on the M - P linear units."""
        zeros = self.a.new_zeros(self.n_hidden - self.n_nonlinear)
        return torch.cat([zeros, self.a])  # (M,)

    def latents(
        self,
        X: Tensor,
        lengths: Tensor | None = None,
        z0: Tensor | None = None,
        *,
        last: bool = False,
    ) -> Tensor:
        """Latent trajectory ``Z`` (B, T, M) for inputs ``X`` (B, T, K).

        The state starts at ``z0`` (B, M), zeros when omitted. Steps at or after
        ``lengths[b]`` (when given) are zero. ``last=True``: only the state at
        each sequence's last valid step, (B, M).
        """
        n_batch, n_steps, n_features = X.shape
        # One addmm over all steps: (B*T, K) @ (K, M) + h -> (B*T, M). C^T is made
        # contiguous so that the backward computes dC^T as (K, B*T) @ (B*T, M); for
        # a transposed view it computes (M, B*T) @ (B*T, K), 5x slower at K = 8.
        U = torch.addmm(self.h, X.reshape(-1, n_features), self.C.T.contiguous())
        U = U.view(n_batch, n_steps, self.n_hidden)  # (B, T, M)
        return rollout(
            U, self.A, self.W, self.n_nonlinear, z0=z0, lengths=lengths, last=last
        )

    def step(self, z: Tensor, x: Tensor) -> Tensor:
        """One update: state ``z_t`` (B, M) from ``z_{t-1}`` (B, M) and ``x_t`` (B, K).

        A plain autograd step, for loops that choose each input from the previous
        output (teacher forcing, free-running forecasts).

        Examples
        --------
        >>> import torch
        >>> net = ALRNN(2, 4, 1, 2, generator=torch.Generator().manual_seed(0))
        >>> X = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(1))
        >>> z = torch.zeros(3, 4)
        >>> for x in X.unbind(1):
        ...     z = net.step(z, x)
        >>> torch.allclose(z, net.latents(X)[:, -1], atol=1e-6)
        True
        """
        n_linear = self.n_hidden - self.n_nonlinear  # never slice with -P
        phi = torch.cat([z[:, :n_linear], z[:, n_linear:].clamp_min(0.0)], dim=1)
        return self.A * z + phi @ self.W.T + x @ self.C.T + self.h  # (B, M)

    def forward(
        self,
        X: Tensor,
        lengths: Tensor | None = None,
        *,
        sequence: bool = False,
        z0: Tensor | None = None,
    ) -> Tensor:
        """Readout at each sequence's last valid step, or at every step.

        Parameters
        ----------
        X : Tensor of shape (B, T, K)
            Inputs, zero padded after each sequence's end.
        lengths : Tensor of shape (B,), optional
            Valid steps per sequence; all T when omitted.
        sequence : bool, default=False
            Return outputs for every step (B, T, O) instead of the last (B, O).
        z0 : Tensor of shape (B, M), optional
            Initial state; zeros when omitted.
        """
        if sequence:
            Z = self.latents(X, lengths, z0)  # (B, T, M)
            return Z @ self.B.T + self.b  # (B, T, O)
        z_last = self.latents(X, lengths, z0, last=True)  # (B, M)
        return z_last @ self.B.T + self.b  # (B, O)
