"""The numba loops of the free run (:mod:`sk_alrnn._nn._kernels.free_run`).

Shapes: B batch, S states (S - 1 steps), M latent units, P ReLU units (the last
P). A forecaster's free run is short (S = horizon) and narrow (M of a few tens),
where each torch op of a step costs more than its arithmetic; these loops run
a whole batch's steps in one call. Arrays are C-contiguous, of one float dtype;
sums are accumulated in that dtype; no fastmath (NaN and inf propagate).
"""

from __future__ import annotations

import sk_alrnn._nn._kernels._numba_cache  # noqa: F401  (sets NUMBA_CACHE_DIR first)

# isort: split
import numba


@numba.njit(cache=True)
def free_forward(z0, GT, WrT, U, states):
    """Fill ``states`` (B, S, M): ``z_{s+1} = z_s GT + relu(z_s[M-P:]) WrT + U_s``."""
    n_batch, n_states, n_hidden = states.shape
    n_lin = n_hidden - WrT.shape[0]
    zero = states.dtype.type(0)
    for b in range(n_batch):
        states[b, 0] = z0[b]
        for s in range(n_states - 1):
            z, out = states[b, s], states[b, s + 1]
            out[:] = U[b, s]
            for i in range(n_hidden):
                x = z[i]
                for j in range(n_hidden):
                    out[j] += x * GT[i, j]
            for p in range(n_hidden - n_lin):
                x = z[n_lin + p]
                if x > zero or x != x:  # relu(x) = 0 adds nothing; relu(NaN) = NaN
                    for j in range(n_hidden):
                        out[j] += x * WrT[p, j]


@numba.njit(cache=True)
def free_backward(dS, states, G, Wr, dU, dz0, acc):
    """BPTT of :func:`free_forward`: fill ``dU`` (B, S - 1, M) and ``dz0`` (B, M).

    ``g_s = dS_s + G g_{s+1} + [0, (W_r g_{s+1}) * 1[z_s > 0]]``, with
    ``dU_s = g_{s+1}`` and ``dz0 = g_0``; ``dG^T`` and ``dW_r^T`` are left to
    one matrix product each over all steps. ``G`` (M, M) and ``Wr`` (M, P) are
    passed transposed from the forward's (rows of them are added, so that the
    inner loops run along contiguous memory and vectorise); ``acc`` (P,) is
    scratch.
    """
    n_batch, n_states, n_hidden = states.shape
    n_relu = Wr.shape[1]
    n_lin = n_hidden - n_relu
    zero = states.dtype.type(0)
    for b in range(n_batch):
        g = dz0[b]  # the running gradient, g_0 at the end
        g[:] = dS[b, n_states - 1]
        for s in range(n_states - 2, -1, -1):
            dU[b, s] = g
            nxt = dU[b, s]  # g_{s+1}
            g[:] = dS[b, s]
            acc[:] = zero
            for j in range(n_hidden):
                x = nxt[j]
                for i in range(n_hidden):
                    g[i] += G[j, i] * x
                for p in range(n_relu):
                    acc[p] += Wr[j, p] * x
            for p in range(n_relu):
                if states[b, s, n_lin + p] > zero:
                    g[n_lin + p] += acc[p]
