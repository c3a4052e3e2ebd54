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

import numpy as np
import torch
from torch import Tensor, nn

from sk_alrnn._core._layout import n_linear
from sk_alrnn._core._params import ACTIVATIONS, ALRNNParams
from sk_alrnn._nn._kernels import rollout
from sk_alrnn._nn._kernels.reference import ACTIVATION_FNS

# "paper" is the name "sequence" had before the other presets came.
INITS = ("memory", "sequence", "paper", "dsr", "multitask")
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


def _normalized_positive_definite(
    n_hidden: int, generator: torch.Generator | None, dtype: torch.dtype
) -> Tensor:
    """diag(K) / lambda_max(K) for K = R^T R / M + I, R ~ N(0, 1)^{M x M}: (M,)."""
    R = torch.empty(n_hidden, n_hidden, dtype=torch.float64)
    R.normal_(0.0, 1.0, generator=generator)
    K = R.T @ R / n_hidden + torch.eye(n_hidden, dtype=torch.float64)
    return (K.diagonal() / torch.linalg.eigvalsh(K)[-1]).to(dtype)


class ALRNN(nn.Module):
    """Almost-linear RNN with a linear readout.

    Parameters
    ----------
    n_features : int
        K, input features per time step.
    n_hidden : int
        M, latent units.
    n_nonlinear : int
        P, nonlinear units (0 <= P <= M); P = 0 is a linear RNN, P = M a PLRNN.
    n_outputs : int
        O, readout dimension.
    generator : torch.Generator, optional
        Source of the initial weights. Every scheme first draws A, W, h ~
        N(0, 0.01^2), C, B ~ N(0, 0.1^2) and sets b = 0 (the paper's
        sequence-task initialisation); see ``init`` for what each changes.
    dtype : torch.dtype, default=torch.float32
        Parameter dtype.
    init : {"memory", "sequence", "paper", "dsr", "multitask"}, default="paper"
        ``"sequence"`` (alias ``"paper"``): the sequence-task initialisation of
        the papers' code, whose units forget their input after a step or two
        (W_ii ~ 0.01), so gradients through time start out vanishing.
        ``"memory"``: adds :func:`memory_diagonal` to W's diagonal, so every
        unit starts as a leaky integrator (a memory of about ten steps), which
        removes most of the long loss plateaus before a recurrent model learns
        to remember. ``"dsr"``: the dynamical-systems-reconstruction code's
        "normalised positive-definite" self-couplings (R ~ N(0, 1)^{M x M},
        K = R^T R / M + I, diag(A) = diag(K) / lambda_max(K), about 0.3-0.7; on
        a linear unit it sits on W's diagonal, which acts the same) and h = 0.
        ``"multitask"``: the multi-task code's A ~ 0.9 + 0.1 N(0, 1) on the P
        nonlinear units, W ~ N(0, (0.1 / sqrt(M))^2), h = 0.
    activation : {"relu", "tanh", "gelu"}, default="relu"
        The nonlinearity of the last P units. ``"relu"`` (the AL-RNN) runs the
        fused kernels and keeps the model piecewise linear; the others run an
        autograd loop over time (slower) and have no linear regions.

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
        activation: str = "relu",
    ) -> None:
        super().__init__()
        n_linear(n_hidden, n_nonlinear)  # raises unless 0 <= P <= M
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {init!r}.")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {ACTIVATIONS}; got {activation!r}."
            )
        self.n_features = n_features
        self.n_hidden = n_hidden
        self.n_nonlinear = n_nonlinear
        self.n_outputs = n_outputs
        self.activation = activation

        def normal(*shape: int, std: float) -> nn.Parameter:
            t = torch.empty(shape, dtype=dtype).normal_(0.0, std, generator=generator)
            return nn.Parameter(t)

        self.a = normal(n_nonlinear, std=0.01)  # (P,) self-coupling of ReLU units
        self.W = normal(n_hidden, n_hidden, std=0.01)  # (M, M)
        self.C = normal(n_hidden, n_features, std=0.1)  # (M, K)
        self.h = normal(n_hidden, std=0.01)  # (M,)
        self.B = normal(n_outputs, n_hidden, std=0.1)  # (O, M)
        self.b = nn.Parameter(torch.zeros(n_outputs, dtype=dtype))  # (O,)
        with torch.no_grad():
            if init == "memory":
                self.W.diagonal().add_(memory_diagonal(n_hidden))
            elif init == "dsr" and not self.W.is_meta:  # (meta: shapes only)
                self.h.zero_()
                a_full = _normalized_positive_definite(n_hidden, generator, dtype)
                n_lin = n_linear(n_hidden, n_nonlinear)
                self.a.copy_(a_full[n_lin:])
                self.W.diagonal()[:n_lin].add_(a_full[:n_lin])
            elif init == "multitask":
                self.h.zero_()
                self.a.normal_(0.9, 0.1, generator=generator)
                self.W.normal_(0.0, 0.1 / math.sqrt(n_hidden), generator=generator)

    def load_params(self, start, scale, offset, name: str) -> None:
        """Copy the weights of an :class:`ALRNNParams` ``start`` into the network.

        Its readout is mapped to the network's output units: ``B / scale``,
        ``(b - offset) / scale`` (``scale``, ``offset`` of shape (O,)). Raises
        ValueError, naming what differs, unless the sizes and activation match.
        """
        _check_start(start, self, name)
        with torch.no_grad():
            for key, value in (
                ("a", start.A[n_linear(self.n_hidden, self.n_nonlinear) :]),
                ("W", start.W),
                ("C", start.C),
                ("h", start.h),
                ("B", start.B / scale[:, None]),  # (O, M)
                ("b", (start.b - offset) / scale),  # (O,)
            ):
                value = torch.tensor(np.array(value), dtype=self.W.dtype)  # a copy
                getattr(self, key).copy_(value)

    def to_params(self, out_scale, out_offset, in_scale=None, in_offset=None):
        """Frozen float64 :class:`ALRNNParams` of the weights, in the data's units.

        The network reads standardised inputs ``(x - in_offset) / in_scale``
        (folded into C and h; None: raw inputs) and its outputs are mapped as
        ``out_scale * (B z + b) + out_offset`` (folded into B and b).
        """

        def arr(t):
            return t.detach().cpu().double().numpy()

        C, h = arr(self.C), arr(self.h)
        if in_scale is not None:
            C = C / in_scale  # (M, K)
            h = h - C @ in_offset
        return ALRNNParams(
            A=arr(self.A),
            W=arr(self.W),
            C=C,
            h=h,
            B=out_scale[:, None] * arr(self.B),  # (O, M)
            b=out_scale * arr(self.b) + out_offset,  # (O,)
            n_nonlinear=self.n_nonlinear,
            activation=self.activation,
        )

    def mar_penalty(self, n_units: int) -> Tensor:
        """Manifold-attractor regularisation of the first ``n_units`` units.

        ``sum_i [(a_eff_i - 1)^2 + sum_{j != i} W_ij^2 + h_i^2]`` over
        ``i < n_units``, with ``a_eff_i = W_ii + A_i`` (``A_i = 0`` on a linear
        unit): it pulls those units towards a line attractor (self-coupling 1,
        no input from the other units, no bias), a memory that does not decay.
        The linear units come first, so they are regularised first.

        Examples
        --------
        >>> import torch
        >>> net = ALRNN(1, 3, 1, 1, generator=torch.Generator().manual_seed(0))
        >>> with torch.no_grad():
        ...     _ = net.W.copy_(torch.eye(3)), net.h.zero_()
        >>> float(net.mar_penalty(2))
        0.0
        """
        r = min(int(n_units), self.n_hidden)
        diag = self.W.diagonal()[:r]  # (r,)
        rows = self.W[:r]  # (r, M)
        a_eff = diag + self.A[:r]
        off_diagonal = (rows * rows).sum() - (diag * diag).sum()
        return ((a_eff - 1.0) ** 2).sum() + off_diagonal + (self.h[:r] ** 2).sum()

    def penalized_parameters(self) -> list[nn.Parameter]:
        """Weights under the L2 penalty ``alpha`` (A, W, C, B; not the biases)."""
        return [self.a, self.W, self.C, self.B]

    @property
    def A(self) -> Tensor:
        """Diagonal of A as a length-M vector, zero on the M - P linear units."""
        zeros = self.a.new_zeros(n_linear(self.n_hidden, self.n_nonlinear))
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
            U, self.A, self.W, self.n_nonlinear, z0=z0, lengths=lengths, last=last,
            activation=self.activation,
        )  # fmt: skip

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
        n_lin = n_linear(self.n_hidden, self.n_nonlinear)
        act = ACTIVATION_FNS[self.activation]
        phi = torch.cat([z[:, :n_lin], act(z[:, n_lin:])], dim=1)  # (B, M)
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


def _check_start(start, module: ALRNN, name: str) -> None:
    """ValueError unless the starting weights ``init`` fit the network to train."""
    wanted = {
        "n_hidden": module.n_hidden,
        "n_nonlinear": module.n_nonlinear,
        "n_features": module.n_features,
        "n_outputs": module.n_outputs,
        "activation": module.activation,
    }
    given = {key: getattr(start, key) for key in wanted}
    wrong = {
        key: (given[key], want) for key, want in wanted.items() if given[key] != want
    }
    if wrong:
        shown = ", ".join(f"{k}={g!r} (needs {w!r})" for k, (g, w) in wrong.items())
        raise ValueError(
            f"{name}: init is an ALRNNParams that does not fit this model and "
            f"data: {shown}. Pass weights of a model with the same n_hidden, "
            "n_nonlinear and activation, fitted on data with as many features and "
            "outputs, or use a named init such as 'memory'."
        )
