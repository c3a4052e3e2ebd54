"""Torch plumbing of ALRNNForecaster: training windows, teacher forcing, rollouts.

Shapes: n rows (time steps) of one table, N windows, T = ``window`` steps per
window, K input features, M latent units, O outputs. All values here are in
standardised units; the estimator scales and unscales.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from sk_alrnn._base import _adam
from sk_alrnn._kernels.fpenv import flush_denormals
from sk_alrnn._model import ALRNN
from sk_alrnn._training import (
    DivergenceError,
    History,
    SequenceData,
    TrainConfig,
    train,
)

_CHUNK = 8192  # rows per rollout call at predict time (bounds memory for long X)


def window_starts(n_pairs: int, window: int) -> np.ndarray:
    """First pair index of each training window.

    Consecutive, non-overlapping windows that end at the last pair; the first
    ``n_pairs % window`` pairs (fewer than one window) are left out, so that every
    window but the first directly follows another one.

    Examples
    --------
    >>> window_starts(10, 4).tolist()
    [2, 6]
    >>> window_starts(8, 4).tolist()
    [0, 4]
    """
    n_windows = n_pairs // window
    return n_pairs - n_windows * window + window * np.arange(n_windows)


def make_training_windows(
    Xs: np.ndarray, Ys: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (N, T, K + 1) = rows t..t+T-1 and targets (N, T, O) = rows t+1..t+T.

    ``Xs`` (n, K) are the standardised inputs and ``Ys`` (n, O) the standardised
    per-row targets; the target of input row t is ``Ys[t + 1]``. The extra last
    input column holds the window's index (0 .. N-1), which :class:`TeacherForced`
    uses to carry the state from one window to the next.

    Examples
    --------
    >>> X = np.arange(7.0)[:, None]
    >>> inputs, targets = make_training_windows(X, X, 3)
    >>> inputs[:, :, 0].tolist(), targets[:, :, 0].tolist()
    ([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> inputs[:, 0, 1].tolist()  # window index
    [0.0, 1.0]
    """
    starts = window_starts(len(Xs) - 1, window)
    rows = starts[:, None] + np.arange(window)  # (N, T) input rows
    index = np.broadcast_to(np.arange(len(starts))[:, None, None], (*rows.shape, 1))
    inputs = np.concatenate([Xs[rows], index.astype(Xs.dtype)], axis=2)  # (N, T, K+1)
    return inputs, Ys[rows + 1]


class TeacherForced(nn.Module):
    """Wraps an :class:`ALRNN` for training on windows with sparse teacher forcing.

    The windows tile the table in order (their index is the last input column).
    Window i starts from the state reached at the end of window i - 1 when that
    was last trained (detached: truncated backpropagation through time, with the
    state carried as in stateful training); the first window, and any window
    whose predecessor has not been seen yet, starts from zero. Training thus sees
    the long-run states that ``context="carry"`` meets at predict time.

    With ``interval`` None or 1 the observed row is the input at every step
    (one-step-ahead training, fused kernel). With ``interval = tau > 1`` (only
    when the model forecasts its own inputs) the observed row is fed at steps 0,
    tau, 2 tau, ... of the window and the model's own previous forecast at the
    steps in between, with gradients flowing through those forecasts: the loss
    then covers free-running forecasts of up to tau steps.

    Examples
    --------
    >>> net = ALRNN(2, 6, 2, 2, generator=torch.Generator().manual_seed(0))
    >>> X = torch.randn(4, 10, 2, generator=torch.Generator().manual_seed(1))
    >>> index = torch.arange(4.0)[:, None, None].expand(4, 10, 1)
    >>> TeacherForced(net, 3, n_windows=4)(torch.cat([X, index], 2)).shape
    torch.Size([4, 10, 2])
    """

    def __init__(self, net: ALRNN, interval: int | None, n_windows: int) -> None:
        super().__init__()
        self.net = net
        self.interval = interval
        p = next(net.parameters())
        self.register_buffer("carried", p.new_zeros(n_windows + 1, net.n_hidden))

    def penalized_parameters(self) -> list[nn.Parameter]:
        """The wrapped network's penalised weights."""
        return self.net.penalized_parameters()

    def forward(
        self, X: Tensor, lengths: Tensor | None = None, *, sequence: bool = True
    ) -> Tensor:
        """Outputs (B, T, O) for windows ``X`` (B, T, K + 1); ``lengths`` unused."""
        index = X[:, 0, -1].long()  # (B,) window index
        X = X[..., :-1]  # (B, T, K)
        z = self.carried[index]  # (B, M), no gradient
        net = self.net
        tau = self.interval
        if tau is None or tau <= 1:
            Z = net.latents(X, z0=z)  # (B, T, M)
            out, z = Z @ net.B.T + net.b, Z[:, -1]  # (B, T, O), (B, M)
        else:
            outs = []
            x_in = X[:, 0]  # (B, K)
            for t, x_obs in enumerate(X.unbind(1)):  # x_obs: (B, K)
                if t % tau == 0:
                    x_in = x_obs
                z = net.step(z, x_in)  # (B, M)
                x_in = z @ net.B.T + net.b  # (B, O), with O == K
                outs.append(x_in)
            out = torch.stack(outs, dim=1)  # (B, T, O)
        if self.training:  # the next window starts where this one ended
            self.carried[index + 1] = z.detach()
        return out


def mse_loss(out: Tensor, y: Tensor, mask: Tensor | None) -> Tensor:
    """Mean squared error over all windows, steps and outputs (no padding here)."""
    return ((out - y) ** 2).mean()


def train_on_windows(
    net: ALRNN,
    Xs: np.ndarray,
    Ys: np.ndarray,
    window: int,
    interval: int | None,
    config: TrainConfig,
    device: torch.device,
    generator: torch.Generator,
) -> History:
    """Train ``net`` in place on the windows of one standardised table.

    ``Xs`` (n, K) and ``Ys`` (n, O) are the standardised rows and their per-row
    targets. Only the windows (about one copy of the table) and one mini-batch
    graph are held at a time. ``net`` ends on the CPU. A fault (Ctrl-C,
    divergence) is returned in ``History.fault``, with ``net`` rolled back to the
    end of the last completed epoch.
    """
    inputs, targets = make_training_windows(Xs, Ys, window)  # (N, T, K+1), (N, T, O)
    dtype = next(net.parameters()).dtype
    model = TeacherForced(net, interval, len(inputs)).to(device)
    data = SequenceData(
        X=torch.tensor(inputs, dtype=dtype, device=device),
        lengths=None,
        y=torch.tensor(targets, dtype=dtype, device=device),
        lengths_cpu=None,
    )
    del inputs, targets  # the tensors hold the windows now
    optimizer = _adam(model, config.learning_rate_init)
    try:
        history = train(model, optimizer, data, config, mse_loss, generator)
    except DivergenceError as exc:  # the caller keeps what completed
        history = exc.history
    net.cpu()
    return history


def run_states(
    net: ALRNN, Xs: np.ndarray, z0: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Outputs (n, O) for each row of ``Xs`` (n, K) and the final state (M,).

    Runs in chunks of rows without gradients, carrying the state between chunks,
    so memory stays bounded for long tables.
    """
    param = next(net.parameters())
    z = None if z0 is None else torch.as_tensor(z0, dtype=param.dtype)[None]  # (1, M)
    out = torch.empty(len(Xs), net.n_outputs, dtype=param.dtype)  # (n, O)
    with torch.no_grad(), flush_denormals():
        for begin in range(0, len(Xs), _CHUNK):
            rows = slice(begin, begin + _CHUNK)
            chunk = torch.as_tensor(Xs[rows], dtype=param.dtype)  # (t, K)
            Z = net.latents(chunk[None], z0=z)  # (1, t, M)
            torch.addmm(net.b, Z[0], net.B.T, out=out[rows])  # (t, O)
            z = Z[:, -1].clone()  # (1, M); lets Z's buffer go
            del Z
    return out.numpy(), z[0].numpy()  # needs at least one row


def free_run(net: ALRNN, z: np.ndarray, n_steps: int) -> np.ndarray:
    """Forecasts (n_steps, O) from state ``z`` (M,), each fed back as the next input."""
    param = next(net.parameters())
    state = torch.as_tensor(z, dtype=param.dtype)[None]  # (1, M)
    outs = []
    with torch.no_grad(), flush_denormals():
        for i in range(n_steps):
            out = state @ net.B.T + net.b  # (1, O)
            outs.append(out[0])
            if i + 1 < n_steps:  # feeding back needs O == K
                state = net.step(state, out)  # (1, M)
    return torch.stack(outs).numpy() if outs else np.zeros((0, net.n_outputs))
