"""The numba forward and backward (BPTT) loops of the CPU kernel.

Shapes: B batch, T time steps, M latent units, P nonlinear (ReLU) units (the last
P). See :mod:`sk_alrnn._nn._kernels.numba_cpu` for the maths and the dispatch glue.
"""

from __future__ import annotations

import sk_alrnn._nn._kernels._numba_cache  # noqa: F401  (sets NUMBA_CACHE_DIR first)

# isort: split
import numba

from sk_alrnn._nn._kernels._numba_matvec import _matvec1, _matvec_rows, _prefetch_row

# Numba kernels. Arrays are C-contiguous numpy views of the torch tensors, all of one
# float dtype. ``floor`` (M,) is -inf on linear units and 0 on ReLU units, so that
# phi(z) = max(z, floor) and D = 1[z > floor] need no branch on the unit index
# (and P = 0 needs no special case). Scalars are made with ``dtype.type``: a float
# literal would turn float32 arithmetic into float64. No fastmath, so NaN and inf
# propagate as in torch; the products with W use fused multiply-adds (one
# rounding per term, as BLAS does), everything else rounds as written. The per-step
# helpers are inlined ("always"): a call costs about as much as a loop over M.


@numba.njit(cache=True, inline="always")
def _phi(phi, z, floor):
    """``phi = max(z, floor)`` (M,); NaN stays NaN."""
    for i in range(z.shape[0]):
        phi[i] = floor[i] if z[i] < floor[i] else z[i]


@numba.njit(cache=True, inline="always")
def _step_end(z, u, A, prev, floor, phi):
    """``z += u + A * prev`` and ``phi = phi(z)`` (M,); z holds ``W phi(prev)``."""
    for i in range(z.shape[0]):
        v = z[i] + (u[i] + A[i] * prev[i])
        z[i] = v
        phi[i] = floor[i] if v < floor[i] else v


@numba.njit(cache=True, inline="always")
def _group(order, k):
    """Rows k to k + 3 of ``order`` (the last one repeated past the batch's end)."""
    last = order.shape[0] - 1
    return (order[k], order[min(k + 1, last)], order[min(k + 2, last)],
            order[min(k + 3, last)])  # fmt: skip


@numba.njit(cache=True, inline="always")
def _n_active(steps, rows, n_rows, t):
    """How many of the group's first ``n_rows`` rows have a step ``t``.

    The rows are sorted by decreasing length, so these are the first ones.
    """
    n = n_rows
    while n > 0 and steps[rows[n - 1]] <= t:
        n -= 1
    return n


@numba.njit(cache=True)
def _forward(U, A, WT, z0, floor, steps, order, Z, Phi, keep_phi, scratch):
    """Fill ``Z`` (B, T, M) and, if ``keep_phi``, ``Phi`` (B, T, M) = phi(z_{t-1}).

    ``WT`` is W transposed (M, M), C-contiguous. Rows advance four at a time in
    ``order`` (by decreasing length), each step of the group with the rows that
    have it. Steps from ``steps[b]`` on are zero. ``scratch`` (4, M) holds the
    phi rows when they are not kept.
    """
    n_batch = U.shape[0]
    for k in range(0, n_batch, 4):
        n_rows = min(4, n_batch - k)
        rows = _group(order, k)
        b0, b1, b2, b3 = rows
        for r in range(n_rows):
            b = rows[r]
            _phi(Phi[b, 0] if keep_phi and steps[b] > 0 else scratch[r], z0[b], floor)
        for t in range(steps[b0]):
            n = _n_active(steps, rows, n_rows, t)
            # z_t = W phi(z_{t-1}) + ...
            if n == 1:  # (the views of unused rows cost time at small M)
                _matvec1(Z[b0, t], Phi[b0, t] if keep_phi else scratch[0], WT)
            else:
                _matvec_rows(
                    n, Z[b0, t], Z[b1, t], Z[b2, t], Z[b3, t],
                    Phi[b0, t] if keep_phi else scratch[0],
                    Phi[b1, t] if keep_phi else scratch[1],
                    Phi[b2, t] if keep_phi else scratch[2],
                    Phi[b3, t] if keep_phi else scratch[3],
                    WT,
                )  # fmt: skip
            for r in range(n):  # ... + u_t + A * z_{t-1}, and phi(z_t)
                b = rows[r]
                prev = z0[b] if t == 0 else Z[b, t - 1]  # (M,)
                keep = keep_phi and t + 1 < steps[b]
                phi = Phi[b, t + 1] if keep else scratch[r]  # phi(z_t)
                _step_end(Z[b, t], U[b, t], A, prev, floor, phi)
        for r in range(n_rows):  # padded steps
            Z[rows[r], steps[rows[r]] :] = 0
            if keep_phi:
                Phi[rows[r], steps[rows[r]] :] = 0


@numba.njit(cache=True, inline="always")
def _grad_step(g, G_t, A, g_next, z_t, floor, Wg, prev, dA, need_dA):
    """One step of BPTT for one row, everything (M,) and of one dtype:

    ``g = G_t + A * g_next + D(z_t) * Wg`` with ``Wg = W^T g_next``, and
    ``dA += g * prev``. One loop (one dtype, so one vector width: a wide load of
    a value that narrower stores wrote cannot be forwarded from the store buffer).
    """
    zero = g.dtype.type(0)
    for i in range(g.shape[0]):
        v = G_t[i] + (A[i] * g_next[i] + (Wg[i] if z_t[i] > floor[i] else zero))
        g[i] = v
        if need_dA:
            dA[i] += v * prev[i]


@numba.njit(cache=True, inline="always")
def _prefetch_step(G, Z, dU, b, t, last_only):
    """Prefetch the rows of G, dU (step t) and Z (step t - 1) of batch row b."""
    if t >= 1:
        if not last_only:
            _prefetch_row(G[b, t])
        _prefetch_row(dU[b, t])
        _prefetch_row(Z[b, t - 1])


@numba.njit(cache=True)
def _backward(
    G, Z, A, W, z0, floor, steps, order, need_dA, prefetch, dU, dA, dz0, Wg, dA_rows,
    last_only, zero_row,
):  # fmt: skip
    """BPTT: fill ``dU`` (B, T, M) and ``dz0`` (B, M), add to ``dA`` (M,) (float64).

    Rows are grouped as in :func:`_forward`; steps are visited backwards, which
    the hardware prefetcher follows poorly: with ``prefetch`` the rows needed a
    few steps later are requested ahead (worth it once G, Z and dU no longer fit
    in the L2 cache; without, their loads took as long as the arithmetic). dA is
    summed per group in the dtype (``dA_rows`` (4, M)), then added in float64.
    ``Wg`` (4, M) holds W^T g_{t+1} of the group's rows. With ``last_only``,
    ``G`` is (B, 1, M): the gradient reaches row b at its last valid step only
    (``zero_row`` (M,) of zeros stands for the other steps), as for a readout of
    the last step, and no dense (B, T, M) gradient is built or read.
    """
    n_batch, _, n_hidden = G.shape
    ahead = 4  # steps between a prefetch and the use of its rows
    zero = G.dtype.type(0)
    for k in range(0, n_batch, 4):
        n_rows = min(4, n_batch - k)
        rows = _group(order, k)
        Wg[:] = 0  # a row's Wg stays 0 until its last step: no later gradient
        dA_rows[:] = 0
        for r in range(n_rows):
            dU[rows[r], steps[rows[r]] :] = 0  # padded steps carry no gradient
        for t in range(steps[rows[0]] - 1, -1, -1):
            n = _n_active(steps, rows, n_rows, t)
            for r in range(n):
                b = rows[r]
                if prefetch:
                    _prefetch_step(G, Z, dU, b, t - ahead, last_only)
                g_next = Wg[r] if t == steps[b] - 1 else dU[b, t + 1]  # (M,)
                prev = z0[b] if t == 0 else Z[b, t - 1]  # z_{t-1}
                if last_only:
                    G_t = G[b, 0] if t == steps[b] - 1 else zero_row
                else:
                    G_t = G[b, t]
                _grad_step(
                    dU[b, t], G_t, A, g_next, Z[b, t], floor, Wg[r], prev,
                    dA_rows[r], need_dA,
                )  # fmt: skip
            b0, b1, b2, b3 = rows
            if n == 1:
                _matvec1(Wg[0], dU[b0, t], W)
            else:
                _matvec_rows(
                    n, Wg[0], Wg[1], Wg[2], Wg[3],
                    dU[b0, t], dU[b1, t], dU[b2, t], dU[b3, t], W,
                )  # fmt: skip
        for r in range(n_rows):
            b = rows[r]
            for i in range(n_hidden):  # dz0 = A * g_1 + D(z0) * W^T g_1
                Wg_i = Wg[r, i] if z0[b, i] > floor[i] else zero
                dz0[b, i] = A[i] * dU[b, 0, i] + Wg_i if steps[b] > 0 else zero
            for i in range(n_hidden):
                dA[i] += dA_rows[r, i]  # float64 total
