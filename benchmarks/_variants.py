"""The models compared by bench_kernels.py, besides sk_alrnn's own ALRNN module.

Shapes: B batch, T time steps, K input features, M latent units, P ReLU units.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sk_alrnn._nn._kernels import KERNELS, rollout, use_kernel
from sk_alrnn._nn._model import ALRNN


class RNNBaseline(nn.Module):
    """``nn.RNN`` with ReLU and a linear readout of the last step (the baseline).

    Parameters
    ----------
    n_features, n_hidden, n_outputs : int
        K, M and O.
    """

    def __init__(self, n_features: int, n_hidden: int, n_outputs: int) -> None:
        super().__init__()
        self.rnn = nn.RNN(n_features, n_hidden, nonlinearity="relu", batch_first=True)
        self.readout = nn.Linear(n_hidden, n_outputs)

    def forward(self, X: Tensor) -> Tensor:
        """Outputs (B, O) at the last step of X (B, T, K)."""
        states, _ = self.rnn(X)  # (B, T, M)
        return self.readout(states[:, -1])  # (B, O)


class EagerALRNN(nn.Module):
    """An AL-RNN as research code writes it: one Python step at a time.

    ``z_t = A z_{t-1} + W [z_lin, relu(z_nl)] + C x_t + h`` with the ReLU units
    last; every step slices, concatenates and multiplies (nothing precomputed).

    Parameters
    ----------
    net : ALRNN
        The weights are copied from this module, so both compute the same function.
    """

    def __init__(self, net: ALRNN) -> None:
        super().__init__()
        self.n_nonlinear = net.n_nonlinear
        self.A = nn.Parameter(net.A.detach().clone())  # (M,)
        self.W = nn.Parameter(net.W.detach().clone())  # (M, M)
        self.C = nn.Parameter(net.C.detach().clone())  # (M, K)
        self.h = nn.Parameter(net.h.detach().clone())  # (M,)
        self.B = nn.Parameter(net.B.detach().clone())  # (O, M)
        self.b = nn.Parameter(net.b.detach().clone())  # (O,)

    def forward(self, X: Tensor) -> Tensor:
        """Outputs (B, O) at the last step of X (B, T, K)."""
        n_batch, n_steps, _ = X.shape
        n_linear = self.W.shape[0] - self.n_nonlinear
        z = X.new_zeros(n_batch, self.W.shape[0])  # (B, M)
        for t in range(n_steps):
            z_lin = z[:, :n_linear]  # (B, M - P)
            z_nl = torch.relu(z[:, n_linear:])  # (B, P)
            phi = torch.cat([z_lin, z_nl], dim=1)  # (B, M)
            z = self.A * z + phi @ self.W.T + X[:, t] @ self.C.T + self.h  # (B, M)
        return z @ self.B.T + self.b  # (B, O)


def kernel_status(dtype: torch.dtype) -> dict[str, str | None]:
    """Which kernels run here: ``None`` for a working one, else the error text.

    Parameters
    ----------
    dtype : torch.dtype
        Dtype of the probe (a kernel may support only some).

    Returns
    -------
    status : dict
        Kernel name -> None or the reason it is unavailable.
    """
    status: dict[str, str | None] = {}
    for name in KERNELS:
        U = torch.zeros(1, 2, 2, dtype=dtype, requires_grad=True)
        try:
            with use_kernel(name):
                rollout(U, torch.zeros(2, dtype=dtype), torch.eye(2, dtype=dtype), 1)
        except Exception as exc:  # any failure means: not usable here
            status[name] = f"{type(exc).__name__}: {exc}"
        else:
            status[name] = None
    return status


def _rel_error(got: Tensor, want: Tensor) -> float:
    scale = want.abs().max().item()
    return (got - want).abs().max().item() / (scale if scale > 0 else 1.0)


def check_agreement(
    models: dict[str, nn.Module], X: Tensor, y: Tensor, kernels: dict[str, str | None]
) -> dict:
    """Largest relative deviation of outputs and gradients from the reference.

    Parameters
    ----------
    models : dict
        Variant key -> model; the AL-RNN variants (not the nn.RNN ones) are compared.
    X : Tensor of shape (B, T, K)
    y : Tensor of shape (B, 1)
    kernels : dict
        Variant key -> the kernel it forces (None: none).

    Returns
    -------
    errors : dict
        Variant key -> max over the output and every parameter's gradient of
        ``max|got - want| / max|want|``.
    """

    def run(model: nn.Module, kernel: str | None) -> list[Tensor]:
        model.zero_grad(set_to_none=True)
        with use_kernel(kernel):
            out = model(X)
            nn.functional.mse_loss(out, y).backward()
        grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
        model.zero_grad(set_to_none=True)
        # The eager copy stores A for all M units; the module only the P ReLU ones.
        A = grads.pop("A") if "A" in grads else None
        if A is not None:
            grads["a"] = A[A.shape[0] - model.n_nonlinear :]
        return [out.detach()] + [grads[k] for k in ("a", "W", "C", "h", "B", "b")]

    want = run(models["alrnn_reference"], "reference")
    errors = {}
    for key, model in models.items():
        if key in ("nn_rnn", "nn_rnn_ftz", "alrnn_reference"):
            continue
        got = run(model, kernels[key])
        errors[key] = max(
            _rel_error(g, w) for g, w in zip(got, want, strict=True) if w.numel()
        )
    return errors
