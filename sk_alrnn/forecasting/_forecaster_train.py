"""Torch and numpy plumbing of ALRNNForecaster: windows, multi-step loss, AR start.

Shapes: n rows (time steps) of one table, K input columns, O targets, N window
origins, L = context rows per window (``window``), H = ``horizon``, M latent
units. All values here are standardised; the estimator scales and unscales.

The forecasting regime, used alike in training, validation, ``predict`` and
``forecast``: a forecast made at origin row ``o`` starts from the zero state,
reads the L observed rows ``o-L+1 .. o`` and then runs free for H steps. Step
``h`` of the free run feeds back the forecast of the target columns (``feedback``)
and the observed values of the other input columns (covariates, known in the
future); its output forecasts row ``o + h``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import RidgeCV
from torch import Tensor, nn

from sk_alrnn._nn._kernels.fpenv import flush_denormals
from sk_alrnn._nn._kernels.free_run import free_run_states
from sk_alrnn._nn._model import ALRNN

_CHUNK = 256  # windows per forward call at predict time (bounds memory)
AR_MAX_ROWS = 5_000  # the AR start's ridge fits read at most the last this many
AR_LAGS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)  # lag counts the AR start tries
RIDGE_ALPHAS = np.logspace(-4, 2, 13)
# Rolling folds that choose the AR start's lag count: with 3, blocks of a few
# origins picked by chance (bench_forecast --quick, 7 series x 3 seeds: the
# geometric mean of MAE / Ridge-on-lags MAE 1.011 with 3 folds, 0.968 with 5).
AR_FOLDS = 5
MIN_BLOCK_ORIGINS = 4  # a fold block without validation rows holds at least 5 origins


@dataclass(frozen=True)
class Layout:
    """Which input columns are fed back: ``feedback[o]`` is target o's column.

    ``feedback`` is None when no input is a target (targets y given apart from X).
    """

    n_inputs: int  # K
    n_outputs: int  # O
    feedback: tuple[int, ...] | None

    def placement(self, like: Tensor) -> tuple[Tensor, Tensor]:
        """(O, K) one-hot placement E of the targets and the (K,) covariate mask.

        Made once per dtype and device (every forward pass asks; read only).
        """
        return _placement(self, like.dtype, like.device)


@functools.lru_cache(maxsize=64)
def _placement(layout: Layout, dtype: torch.dtype, device: torch.device):
    """:meth:`Layout.placement`, cached (the tensors are never written to)."""
    E = torch.zeros(layout.n_outputs, layout.n_inputs, dtype=dtype, device=device)
    keep = torch.ones(layout.n_inputs, dtype=dtype, device=device)
    if layout.feedback is not None:
        E[torch.arange(layout.n_outputs), list(layout.feedback)] = 1.0
        keep[list(layout.feedback)] = 0.0
    return E, keep


class HorizonNet(nn.Module):
    """An :class:`ALRNN` run in the forecasting regime (module docstring).

    ``forward(X)`` takes windows ``X`` (B, L + H - 1, K) of observed rows (their
    target columns after row L are not read) and returns the forecasts
    (B, H, O) of the H rows after each window's origin (row L - 1).

    Examples
    --------
    >>> net = ALRNN(2, 6, 2, 2, generator=torch.Generator().manual_seed(0))
    >>> model = HorizonNet(net, Layout(2, 2, (0, 1)), context=5, horizon=3)
    >>> model(torch.zeros(4, 7, 2)).shape
    torch.Size([4, 3, 2])
    """

    def __init__(self, net: ALRNN, layout: Layout, context: int, horizon: int):
        super().__init__()
        self.net, self.layout = net, layout
        self.context, self.horizon = context, horizon

    def penalized_parameters(self) -> list[nn.Parameter]:
        """The wrapped network's penalised weights."""
        return self.net.penalized_parameters()

    def forward(
        self, X: Tensor, lengths: Tensor | None = None, *, sequence: bool = True
    ) -> Tensor:
        """Forecasts (B, H, O) for windows ``X`` (B, L + H - 1, K)."""
        net, L = self.net, self.context
        if self.layout.feedback is None:  # nothing fed back: one fused rollout
            Z = net.latents(X)  # (B, L + H - 1, M)
            return Z[:, L - 1 :] @ net.B.T + net.b
        z = net.latents(X[:, :L], last=True)  # (B, M)
        return run_free(net, self.layout, z, X[:, L:], self.horizon)


def run_free(net: ALRNN, layout: Layout, z: Tensor, future: Tensor, n_steps: int):
    """Forecasts (B, n_steps, O) from states ``z`` (B, M), feeding back each one.

    ``future`` (B, >= n_steps - 1, K) holds the observed rows after the origin;
    only its covariate columns are read.

    Feeding the forecast ``B z + b`` back through ``C`` is linear in ``z``, so
    it folds into the linear part of the update: with ``phi`` split into its
    linear units ``z_l`` and ReLU units ``z_r``, one step is ``z <- G z +
    W_r relu(z_r) + u_h``, where ``G = diag(A) + [W_l, 0] + C E^T B`` and
    ``u_h = C (keep * x_h) + C E^T b + h`` (two matrix products a step, not
    six; the same values as :meth:`ALRNN.step` up to rounding). The steps run
    as one autograd node with a hand-written backward
    (:func:`~sk_alrnn._nn._kernels.free_run.free_run_states`).

    Examples
    --------
    >>> net = ALRNN(2, 5, 2, 1, generator=torch.Generator().manual_seed(0))
    >>> layout, z = Layout(2, 1, (0,)), torch.randn(3, 5)
    >>> future = torch.randn(3, 3, 2)
    >>> E, keep = layout.placement(z)
    >>> ref, y = [z @ net.B.T + net.b], z
    >>> for h in range(1, 4):
    ...     y = net.step(y, future[:, h - 1] * keep + ref[-1] @ E)
    ...     ref.append(y @ net.B.T + net.b)
    >>> torch.allclose(run_free(net, layout, z, future, 4), torch.stack(ref, 1),
    ...                atol=1e-5)
    True
    """
    E, keep = layout.placement(z)
    n_lin = net.n_hidden - net.n_nonlinear
    back = net.C @ E.T  # (M, O): a fed-back forecast's way into the state
    G = back @ net.B + torch.diag(net.A)  # (M, M)
    G = G + torch.cat(
        [net.W[:, :n_lin], net.W.new_zeros(net.n_hidden, net.n_nonlinear)], 1
    )
    GT = G.T.contiguous()
    WrT = net.W[:, n_lin:].T.contiguous()  # (P, M)
    bias = net.h + back @ net.b  # (M,)
    U = torch.addmm(
        bias, future[:, : n_steps - 1].reshape(-1, future.shape[-1]), (net.C * keep).T
    )
    U = U.view(z.shape[0], n_steps - 1, net.n_hidden)
    states = free_run_states(z, GT, WrT, U)  # (B, n_steps, M), one autograd node
    return states @ net.B.T + net.b  # (B, n_steps, O)


def origins(n_rows: int, context: int, horizon: int) -> np.ndarray:
    """Origins o with a full window: ``context - 1 <= o <= n_rows - 1 - horizon``."""
    return np.arange(context - 1, n_rows - horizon)


def windows(X: Tensor, Y: Tensor, first: int, count: int, L: int, H: int):
    """Inputs (N, L + H - 1, K) and targets (N, H, O) of origins ``first ..``.

    Views into the tables ``X`` (n, K) and ``Y`` (n, O), not copies: a mini-batch
    gathers its windows when it is indexed, so memory stays about one table.
    """
    K, n_out = X.shape[1], Y.shape[1]
    X, Y = X.contiguous(), Y.contiguous()  # the strides below assume row-major
    inputs = X.as_strided(
        (count, L + H - 1, K), (K, K, 1), X.storage_offset() + (first - L + 1) * K
    )
    start = Y.storage_offset() + (first + 1) * n_out
    targets = Y.as_strided((count, H, n_out), (n_out, n_out, 1), start)
    return inputs, targets


def lag_features(Xs: np.ndarray, rows: np.ndarray, lags: int) -> np.ndarray:
    """(N, lags * K) features of the rows: row r's last ``lags`` rows, newest first."""
    idx = rows[:, None] - np.arange(lags)  # (N, lags)
    return Xs[idx].reshape(len(rows), -1)


def fit_ar_start(
    net: ALRNN,
    layout: Layout,
    Xs: np.ndarray,
    Ys: np.ndarray,
    n_fit: int,
    horizon: int,
    lags: int | None = None,
    season: int | None = None,
) -> int | None:
    """Set ``net`` to a linear autoregression on the input lags; its lag count.

    The first ``lags * K`` linear units become a delay line holding the last
    ``lags`` input rows (``C`` writes the row into the first block, ``W`` shifts
    each block on by one), and the readout ``B, b`` is a ridge regression
    (``RidgeCV``) of the next targets on those lags, fitted on rows ``< n_fit``.
    The other units keep their initial weights and start unread (their columns
    of ``B`` are zero), so the network starts as exactly that autoregression.
    Without ``lags`` the count is chosen among :data:`AR_LAGS` by the mean
    absolute error of ``horizon``-step free runs, summed over rolling folds: the
    origins after ``n_fit`` (the validation rows), and up to
    :data:`AR_FOLDS` - 1 earlier blocks of as many rows, each scored by a ridge
    fitted on the rows before it (one small validation block alone picks lags
    by chance). Without validation rows the folds are :data:`AR_FOLDS` blocks at
    the end of the training rows; too short for any: the most lags.
    With a ``season`` (rows per cycle), only counts above it are tried.
    Returns None (and leaves ``net`` unchanged) when no linear unit is free for
    the delay line.
    """
    K = layout.n_inputs
    most = min((net.n_hidden - net.n_nonlinear) // K, max(n_fit // 6, 1))
    if most < 1:
        return None
    if lags is not None:
        candidates = [min(lags, most)]
    else:
        candidates = sorted({c for c in AR_LAGS if c <= most} | {most})
        if season and season < most:  # a season needs a full season of lags
            candidates = [c for c in candidates if c > season]
    block = len(Xs) - n_fit  # validation rows
    if block > horizon:  # the validation block, then earlier ones as long
        cuts = [n_fit - k * block for k in range(AR_FOLDS)]
    else:  # no validation rows: blocks at the end of the training rows
        block = max(horizon + MIN_BLOCK_ORIGINS, n_fit // 5)
        cuts = [n_fit - k * block for k in range(1, AR_FOLDS + 1)]
    cuts = [c for c in cuts if c >= 2 * most + horizon]  # room to fit before it
    if not cuts:  # nothing to choose by: the most lags (the ridge shrinks them)
        candidates = candidates[-1:]
    best = None
    for L in candidates:  # the same folds for every candidate: paired scores
        scores = [
            _ar_free_run_error(
                _ar_ridge(Xs, Ys, L, cut), layout, Xs, Ys,
                _block_origins(cut, block, len(Xs), horizon), L, horizon,
            )
            for cut in (cuts if len(candidates) > 1 else [])
        ]  # fmt: skip
        score = float(np.mean(scores)) if scores else 0.0
        if best is None or score < best[0]:
            best = (score, L)
    L = best[1]
    ridge = _ar_ridge(Xs, Ys, L, n_fit)
    if ridge is None:
        return None
    D = L * K
    dtype = net.B.dtype
    with torch.no_grad():
        net.W[:D] = 0.0
        net.W[K:D, : D - K] = torch.eye(D - K, dtype=dtype)
        net.C[:D] = 0.0
        net.C[:K] = torch.eye(K, dtype=dtype)
        net.h[:D] = 0.0
        net.B.zero_()
        net.B[:, :D] = torch.as_tensor(ridge.coef_.reshape(-1, D), dtype=dtype)
        net.b.copy_(torch.as_tensor(np.atleast_1d(ridge.intercept_), dtype=dtype))
    return L


def _block_origins(cut: int, block: int, n: int, horizon: int) -> np.ndarray:
    """Origins whose targets lie in rows ``cut .. cut + block - 1`` (< n)."""
    ends = origins(min(cut + block, n), 1, horizon)
    return ends[ends >= cut - 1][:AR_MAX_ROWS]


def _ar_ridge(Xs, Ys, L: int, cut: int):
    """RidgeCV of the next targets on ``L`` input lags, fitted on rows ``< cut``."""
    rows = np.arange(max(L - 1, cut - 1 - AR_MAX_ROWS), cut - 1)
    if len(rows) < 2:
        return None
    return RidgeCV(alphas=RIDGE_ALPHAS).fit(lag_features(Xs, rows, L), Ys[rows + 1])


def _ar_free_run_error(ridge, layout, Xs, Ys, starts, L, H) -> float:
    """Mean absolute error of the autoregression's H-step free runs from ``starts``."""
    feats = lag_features(Xs, starts, L)  # (N, L * K)
    K = layout.n_inputs
    errors = []
    for h in range(1, H + 1):
        keep = starts + h < len(Xs)
        if not keep.any():
            break
        starts, feats = starts[keep], feats[keep]
        pred = ridge.predict(feats).reshape(len(starts), -1)  # (N, O)
        errors.append(np.abs(pred - Ys[starts + h]).mean())
        x = Xs[np.minimum(starts + h, len(Xs) - 1)].copy()  # (N, K) observed
        if layout.feedback is not None:
            x[:, list(layout.feedback)] = pred
        feats = np.concatenate([x, feats[:, : (L - 1) * K]], axis=1)
    return float(np.mean(errors)) if errors else np.inf


def one_step_outputs(net: ALRNN, Xs: np.ndarray, context: int) -> np.ndarray:
    """Outputs (n, O) of the state after the ``context`` rows ending at each row.

    Rows with fewer than ``context`` rows before them start from zero at row 0.
    The states are read out chunk by chunk, so memory stays about one chunk of
    windows, whatever the length of ``Xs``.
    """
    n = len(Xs)
    param = next(net.parameters())
    out = torch.empty(n, net.n_outputs, dtype=param.dtype)  # (n, O)
    with torch.no_grad(), flush_denormals():
        head = min(context - 1, n)
        if head:  # short windows: one run from row 0
            X = torch.as_tensor(Xs[:head], dtype=param.dtype)[None]
            torch.addmm(net.b, net.latents(X)[0], net.B.T, out=out[:head])
        if n >= context:
            view = np.lib.stride_tricks.sliding_window_view(Xs, context, axis=0)
            for begin in range(0, len(view), _CHUNK):  # view: (n - L + 1, K, L)
                block = view[begin : begin + _CHUNK].transpose(0, 2, 1)
                X = torch.as_tensor(np.array(block, order="C"), dtype=param.dtype)
                rows = slice(head + begin, head + begin + len(block))
                z = net.latents(X, last=True)  # (chunk, M)
                torch.addmm(net.b, z, net.B.T, out=out[rows])
    return out.numpy()


def forecast_from(
    net: ALRNN, layout: Layout, history: np.ndarray, future: np.ndarray, n_steps: int
) -> np.ndarray:
    """Forecasts (n_steps, O) after reading ``history`` (L, K) from the zero state.

    ``future`` (n_steps - 1, K) holds the covariates of the rows that follow.
    """
    param = next(net.parameters())
    with torch.no_grad(), flush_denormals():
        X = torch.as_tensor(history, dtype=param.dtype)[None]
        z = net.latents(X, last=True)  # (1, M)
        F = torch.as_tensor(future, dtype=param.dtype)[None]
        return run_free(net, layout, z, F, n_steps)[0].numpy()
