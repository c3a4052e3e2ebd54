"""AL-RNN rollout on the CPU: forward and BPTT loops compiled with numba.

Shapes: B batch, T time steps, M latent units, P nonlinear (ReLU) units (the last P
of the M units). The maths is that of :mod:`sk_alrnn._kernels.torch_bptt`:

    forward   z_t = A*z_{t-1} + W phi(z_{t-1}) + u_t
    backward  g_t = dL/dz_t (direct) + A*g_{t+1} + D_t * (W^T g_{t+1})
              dU = g,  dA = sum g_t * z_{t-1},  dW = sum g_t phi(z_{t-1})^T,
              dz_0 = A*g_1 + D_0 * (W^T g_1)

with phi the identity on the first M - P units and ReLU on the last P, and
D_t = phi'(z_t) (1 on linear units, 1[z > 0] on ReLU units). Steps at or after
``lengths[b]`` are not computed: they are zero in ``Z`` and carry no gradient.

How it is fast: rows of the batch advance four at a time (sorted by length, so a
group's rows that still have step t are its first ones), which keeps four
independent sums in flight; the products with W run in a small intrinsic that holds
64-byte strips of the result in vector registers (:func:`_strip_matvec`); every
per-step loop is fused into one pass over M of one dtype; and the backward, which
walks time backwards, prefetches the rows it will need. dW is one matmul over the
phi(z_{t-1}) kept by the forward. The kernels are serial on purpose: numba's
parallel thread pool competes with torch's and slows torch down for the rest of
the process. They compile on the first call per dtype and are cached on disk (see
:func:`numba_cache_dir`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from sk_alrnn._kernels.torch_bptt import last_states
from sk_alrnn._layout import floor as layout_floor

__all__ = ["numba_cache_dir", "rollout_numba"]


def numba_cache_dir(
    package_dir: str | os.PathLike[str], environ: Mapping[str, str]
) -> str | None:
    """Directory numba should cache compiled kernels in, or None to keep its default.

    numba's ``cache=True`` writes next to the source file. When the package
    directory is not writable (a system-wide install) and ``NUMBA_CACHE_DIR`` is
    unset, this returns ``$XDG_CACHE_HOME/sk_alrnn/numba`` (``~/.cache`` when
    ``XDG_CACHE_HOME`` is unset), so that the compiled kernels are kept between
    processes. Importing this module then sets ``NUMBA_CACHE_DIR`` for the
    process, before numba is imported (numba reads it once, at import).

    Parameters
    ----------
    package_dir : path
        Directory holding this module.
    environ : mapping
        Environment variables (``os.environ``).

    Returns
    -------
    cache_dir : str or None
        The directory to put in ``NUMBA_CACHE_DIR``; None when the variable is
        already set or the package directory is writable.

    Examples
    --------
    >>> numba_cache_dir("/any/dir", {"NUMBA_CACHE_DIR": "/tmp/x"}) is None
    True
    """
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    pycache = Path(package_dir) / "__pycache__"
    target = pycache if pycache.is_dir() else Path(package_dir)
    if os.access(target, os.W_OK):
        return None
    xdg = environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return str(base / "sk_alrnn" / "numba")


# numba reads NUMBA_CACHE_DIR when it is imported: decide before the import.
_cache_dir = numba_cache_dir(Path(__file__).parent, os.environ)
if _cache_dir is not None:
    os.environ["NUMBA_CACHE_DIR"] = _cache_dir

import numba  # noqa: E402
import numba.core.cgutils  # noqa: E402
import numba.extending  # noqa: E402
from llvmlite import ir as llvm_ir  # noqa: E402

# Numba kernels. Arrays are C-contiguous numpy views of the torch tensors, all of one
# float dtype. ``floor`` (M,) is -inf on linear units and 0 on ReLU units, so that
# phi(z) = max(z, floor) and D = 1[z > floor] need no branch on the unit index
# (and P = 0 needs no special case). Scalars are made with ``dtype.type``: a float
# literal would turn float32 arithmetic into float64. No fastmath, so NaN and inf
# propagate as in torch; the products with W use fused multiply-adds (one
# rounding per term, as BLAS does), everything else rounds as written. The per-step
# helpers are inlined ("always"): a call costs about as much as a loop over M.


@numba.extending.intrinsic
def _prefetch(typingctx, array, index):
    """Ask the CPU to bring the cache line of ``array[index]`` (1D) into L2."""
    sig = numba.types.void(array, index)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        ary = context.make_array(array_type)(context, builder, args[0])
        ptr = numba.core.cgutils.get_item_pointer(
            context, builder, array_type, ary, [args[1]], wraparound=False
        )
        i8_ptr = llvm_ir.IntType(8).as_pointer()
        i32 = llvm_ir.IntType(32)
        fn_type = llvm_ir.FunctionType(llvm_ir.VoidType(), [i8_ptr, i32, i32, i32])
        # llvmlite mangles the name for the pointer type (p0i8 or p0)
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8_ptr], fn_type)
        # read (0), into L2 but not L1 (locality 2: L1 holds W), data cache (1)
        builder.call(fn, [builder.bitcast(ptr, i8_ptr), i32(0), i32(2), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, inline="always")
def _prefetch_row(row):
    """Prefetch every cache line (64 bytes) of a row (M,)."""
    for i in range(0, row.shape[0], 64 // row.itemsize):
        _prefetch(row, i)


def _strip_matvec(n_rows: int, n_strips: int, vec_bytes: int = 64):
    """Intrinsic ``out_r[c] = x_r @ mat[:, c]`` for ``n_rows`` rows r, columns c.

    The columns are ``n_strips`` strips of one ``vec_bytes``-byte vector each (for
    64 bytes, 16 float32 or 8 float64) from column ``i0`` on; 32- and 16-byte
    strips cover the columns left over after the 64-byte ones. The strips of
    ``out`` stay in vector registers for the whole sum over the K rows of ``mat``
    (K, N): numba's own loops cannot do that, as LLVM must assume that ``out``
    may overlap ``mat`` and reloads it after every row (with run-time overlap
    checks). Sums run in order of j, as in the plain loop, each term added by a
    fused multiply-add (``llvm.fma``: one rounding, one instruction where the
    CPU has FMA units, where a separate multiply and add take two).
    Signature: ``(out_0, .., x_0, .., mat, i0)``; out_r and x_r are (N,) and (K,).
    """
    vec_ptr = numba.core.cgutils.get_item_pointer

    def codegen(context, builder, signature, args):
        out_types = signature.args[:n_rows]
        x_types = signature.args[n_rows : 2 * n_rows]
        mat_type = signature.args[2 * n_rows]
        arrays = [
            context.make_array(t)(context, builder, a)
            for t, a in zip(signature.args[: 2 * n_rows + 1], args, strict=False)
        ]
        outs, xs, mat = arrays[:n_rows], arrays[n_rows:-1], arrays[-1]
        elem = context.get_data_type(mat_type.dtype)
        itemsize = context.get_abi_sizeof(elem)
        lanes = vec_bytes // itemsize
        vec = llvm_ir.VectorType(elem, lanes)
        intp = context.get_value_type(numba.types.intp)
        cols = [builder.add(args[-1], intp(k * lanes)) for k in range(n_strips)]

        def strip(array_type, array, index):  # pointer to a vector at array[index]
            ptr = vec_ptr(context, builder, array_type, array, index, wraparound=False)
            return builder.bitcast(ptr, vec.as_pointer())

        # accumulators: stack slots that LLVM promotes to registers; start at 0
        acc = {}
        for r in range(n_rows):
            for k in range(n_strips):
                acc[r, k] = numba.core.cgutils.alloca_once(builder, vec)
                builder.store(llvm_ir.Constant(vec, None), acc[r, k])
        n_in = numba.core.cgutils.unpack_tuple(builder, mat.shape, 2)[0]
        zeros = llvm_ir.Constant(llvm_ir.VectorType(llvm_ir.IntType(32), lanes), None)
        undef = llvm_ir.Constant(vec, llvm_ir.Undefined)
        bits = 8 * itemsize
        fma = numba.core.cgutils.get_or_insert_function(
            builder.module,
            llvm_ir.FunctionType(vec, [vec, vec, vec]),
            f"llvm.fma.v{lanes}f{bits}",
        )
        with numba.core.cgutils.for_range(builder, n_in) as loop:
            j = loop.index
            w = [
                builder.load(strip(mat_type, mat, [j, cols[k]]), align=itemsize)
                for k in range(n_strips)
            ]
            for r in range(n_rows):
                x_ptr = vec_ptr(
                    context, builder, x_types[r], xs[r], [j], wraparound=False
                )
                x = builder.insert_element(undef, builder.load(x_ptr), intp(0))
                x = builder.shuffle_vector(x, undef, zeros)  # broadcast x_r[j]
                for k in range(n_strips):
                    total = builder.call(fma, [x, w[k], builder.load(acc[r, k])])
                    builder.store(total, acc[r, k])
        for r in range(n_rows):
            for k in range(n_strips):
                last = strip(out_types[r], outs[r], [cols[k]])
                builder.store(builder.load(acc[r, k]), last, align=itemsize)
        return context.get_dummy_value()

    def signature(outs, xs, mat, i0):
        # vectors are loaded from contiguous rows of out and mat
        if any(a.layout != "C" for a in (*outs, mat)):
            return None
        return numba.types.void(*outs, *xs, mat, i0)

    if n_rows == 4:

        def typer(typingctx, out0, out1, out2, out3, x0, x1, x2, x3, mat, i0):
            outs, xs = (out0, out1, out2, out3), (x0, x1, x2, x3)
            return signature(outs, xs, mat, i0), codegen

    elif n_rows == 2:

        def typer(typingctx, out0, out1, x0, x1, mat, i0):
            return signature((out0, out1), (x0, x1), mat, i0), codegen

    else:

        def typer(typingctx, out0, x0, mat, i0):
            return signature((out0,), (x0,), mat, i0), codegen

    return numba.extending.intrinsic(typer)


_strips_1x1 = _strip_matvec(1, 1)
_strips_1x2 = _strip_matvec(1, 2)
_strips_2x1 = _strip_matvec(2, 1)
_strips_2x2 = _strip_matvec(2, 2)
_strips_4x1 = _strip_matvec(4, 1)
# narrower strips for the last columns (M = 100 in float32: 6 x 16 + one of 4)
_half_1 = _strip_matvec(1, 1, 32)
_half_2 = _strip_matvec(2, 1, 32)
_half_4 = _strip_matvec(4, 1, 32)
_quarter_1 = _strip_matvec(1, 1, 16)
_quarter_2 = _strip_matvec(2, 1, 16)
_quarter_4 = _strip_matvec(4, 1, 16)


@numba.njit(cache=True, inline="always")
def _matvec_tail(out, x, mat, i):
    """:func:`_matvec1` on the columns from ``i`` on (fewer than a quarter vector)."""
    out[i:] = 0
    for j in range(mat.shape[0]):
        for c in range(i, mat.shape[1]):
            out[c] += x[j] * mat[j, c]


@numba.njit(cache=True)
def _matvec1(out, x, mat):
    """``out = x @ mat``: out (N,), x (K,), mat (K, N)."""
    n_out = mat.shape[1]
    lanes = 64 // mat.itemsize  # one vector register
    i = 0
    while i + 2 * lanes <= n_out:
        _strips_1x2(out, x, mat, i)
        i += 2 * lanes
    if i + lanes <= n_out:
        _strips_1x1(out, x, mat, i)
        i += lanes
    if i + lanes // 2 <= n_out:
        _half_1(out, x, mat, i)
        i += lanes // 2
    if i + lanes // 4 <= n_out:
        _quarter_1(out, x, mat, i)
        i += lanes // 4
    _matvec_tail(out, x, mat, i)


@numba.njit(cache=True)
def _matvec2(out0, out1, x0, x1, mat):
    """:func:`_matvec1` for two rows at once: each row of mat is loaded once."""
    n_out = mat.shape[1]
    lanes = 64 // mat.itemsize
    i = 0
    while i + 2 * lanes <= n_out:
        _strips_2x2(out0, out1, x0, x1, mat, i)
        i += 2 * lanes
    if i + lanes <= n_out:
        _strips_2x1(out0, out1, x0, x1, mat, i)
        i += lanes
    if i + lanes // 2 <= n_out:
        _half_2(out0, out1, x0, x1, mat, i)
        i += lanes // 2
    if i + lanes // 4 <= n_out:
        _quarter_2(out0, out1, x0, x1, mat, i)
        i += lanes // 4
    _matvec_tail(out0, x0, mat, i)
    _matvec_tail(out1, x1, mat, i)


@numba.njit(cache=True)
def _matvec4(o0, o1, o2, o3, x0, x1, x2, x3, mat):
    """:func:`_matvec1` for four rows at once (four independent sums in flight)."""
    n_out = mat.shape[1]
    lanes = 64 // mat.itemsize
    i = 0
    while i + lanes <= n_out:
        _strips_4x1(o0, o1, o2, o3, x0, x1, x2, x3, mat, i)
        i += lanes
    if i + lanes // 2 <= n_out:
        _half_4(o0, o1, o2, o3, x0, x1, x2, x3, mat, i)
        i += lanes // 2
    if i + lanes // 4 <= n_out:
        _quarter_4(o0, o1, o2, o3, x0, x1, x2, x3, mat, i)
        i += lanes // 4
    for out, x in ((o0, x0), (o1, x1), (o2, x2), (o3, x3)):
        _matvec_tail(out, x, mat, i)


@numba.njit(cache=True, inline="always")
def _matvec_rows(n, o0, o1, o2, o3, x0, x1, x2, x3, mat):
    """:func:`_matvec1` for the first ``n`` (2 to 4) of four rows."""
    if n == 4:
        _matvec4(o0, o1, o2, o3, x0, x1, x2, x3, mat)
    else:
        _matvec2(o0, o1, x0, x1, mat)
        if n == 3:
            _matvec1(o2, x2, mat)


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


def _as_array(x: Tensor) -> np.ndarray:
    """C-contiguous numpy view (shared memory when possible) of a CPU tensor."""
    return x.detach().contiguous().numpy()


def _rows_by_length(
    lengths: Tensor | None, n_batch: int, n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Valid steps per row (B,) clipped to [0, T], and the rows by decreasing length."""
    if lengths is None:
        steps = np.full(n_batch, n_steps, dtype=np.int64)
        return steps, np.arange(n_batch, dtype=np.int64)
    steps = np.clip(lengths.detach().cpu().numpy().astype(np.int64), 0, n_steps)
    return steps, np.argsort(-steps, kind="stable").astype(np.int64)


# Software prefetch in the backward pays once G, Z and dU together exceed this many
# bytes (measured: a loss below about 1 MB, a gain of 1.5-3x on the loads above).
_PREFETCH_ABOVE = 4 * 2**20


def _run_forward(U, A, W, z0, lengths, n_nonlinear, keep_phi):
    """(Z, Phi, steps, order, floor): the forward pass on detached tensors."""
    n_batch, n_steps, n_hidden = U.shape
    steps, order = _rows_by_length(lengths, n_batch, n_steps)
    U_np = _as_array(U)
    floor = layout_floor(n_hidden, n_nonlinear, U_np.dtype)  # (M,), read-only
    Z = U.new_empty(n_batch, n_steps, n_hidden)  # (B, T, M)
    # phi(z_{t-1}) (B, T, M), kept for dW = sum_t g_t phi(z_{t-1})^T
    Phi = U.new_empty((n_batch, n_steps, n_hidden) if keep_phi else (0, 0, 0))
    WT = _as_array(W.T)  # (M, M), a contiguous copy of W^T
    scratch = np.empty((4, n_hidden), dtype=U_np.dtype)  # phi rows of a group
    _forward(
        U_np, _as_array(A), WT, _as_array(z0), floor, steps, order, Z.numpy(),
        Phi.numpy(), keep_phi, scratch,
    )  # fmt: skip
    return Z, Phi, steps, order, floor


def _last(Z: Tensor, lengths: Tensor | None, steps: np.ndarray) -> Tensor:
    """:func:`last_states` of ``Z`` with the lengths clipped to [0, T]."""
    return last_states(Z, None if lengths is None else torch.from_numpy(steps))


class _Rollout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, U, A, W, z0, lengths, n_nonlinear, keep_phi, last):
        Z, Phi, steps, order, floor = _run_forward(
            U, A, W, z0, lengths, n_nonlinear, keep_phi
        )
        ctx.save_for_backward(Z, Phi, z0, A, W)
        ctx.steps, ctx.order, ctx.floor, ctx.last = steps, order, floor, last
        return _last(Z, lengths, steps).clone() if last else Z  # not a view

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, G):
        Z, Phi, z0, A, W = ctx.saved_tensors
        n_batch, n_steps, n_hidden = Z.shape
        need_U, need_A, need_W, need_z0 = ctx.needs_input_grad[:4]
        dU = torch.empty_like(Z)  # (B, T, M)
        dA64 = np.zeros(n_hidden, dtype=np.float64)  # summed in float64
        dz0 = torch.empty_like(z0)  # (B, M)
        Wg, dA_rows = np.empty((2, 4, n_hidden), dtype=ctx.floor.dtype)  # scratch
        n_dense = 2 if ctx.last else 3  # (B, T, M) arrays streamed: G, Z, dU
        prefetch = n_dense * Z.numel() * Z.element_size() > _PREFETCH_ABOVE
        G_np = _as_array(G[:, None] if ctx.last else G)  # (B, 1 or T, M)
        _backward(
            G_np, Z.numpy(), _as_array(A), _as_array(W), _as_array(z0),
            ctx.floor, ctx.steps, ctx.order, need_A, prefetch, dU.numpy(), dA64,
            dz0.numpy(), Wg, dA_rows, ctx.last, np.zeros(n_hidden, ctx.floor.dtype),
        )  # fmt: skip
        dW = None
        if need_W:
            # (M, B*T) @ (B*T, M): the sum over b, t of g_t phi(z_{t-1})^T
            flat = (n_batch * n_steps, n_hidden)
            dW = dU.view(flat).T @ Phi.view(flat)
        dA = torch.from_numpy(dA64).to(Z.dtype) if need_A else None
        return (
            dU if need_U else None,
            dA,
            dW,
            dz0 if need_z0 else None,
            None,
            None,
            None,
            None,
        )


def _check_inputs(U, A, W, z0, lengths, n_nonlinear) -> None:
    """Refuse inputs the kernels cannot take, saying what is wrong and the fix."""
    n_batch, _, n_hidden = U.shape
    shapes = {"A": (n_hidden,), "W": (n_hidden, n_hidden), "z0": (n_batch, n_hidden)}
    if lengths is not None:
        shapes["lengths"] = (n_batch,)
    for name, shape in shapes.items():  # the kernels do not check their bounds
        got = tuple({"A": A, "W": W, "z0": z0, "lengths": lengths}[name].shape)
        if got != shape:
            raise ValueError(
                f"{name} must have shape {shape} for U of shape {tuple(U.shape)}; "
                f"got {got}."
            )
    for name, x in (("U", U), ("A", A), ("W", W), ("z0", z0)):
        if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
            raise TypeError(
                f"rollout_numba needs float32 or float64 CPU tensors; got {name} of "
                f"dtype {x.dtype} on {x.device}. Use sk_alrnn._kernels.rollout, "
                "which picks a kernel for the device."
            )
        if x.dtype != U.dtype:
            raise TypeError(
                f"rollout_numba needs tensors of one dtype; got U {U.dtype} and "
                f"{name} {x.dtype}. Convert them with .to(U.dtype)."
            )
    if not 0 <= n_nonlinear <= n_hidden:
        raise ValueError(
            f"n_nonlinear must lie in [0, M={n_hidden}]; got {n_nonlinear}."
        )


def rollout_numba(
    U: Tensor,
    A: Tensor,
    W: Tensor,
    n_nonlinear: int,
    z0: Tensor | None = None,
    lengths: Tensor | None = None,
    *,
    last: bool = False,
) -> Tensor:
    """Latent trajectory ``Z`` (B, T, M); numba-compiled forward and BPTT on the CPU.

    Parameters are those of :func:`sk_alrnn._kernels.reference.rollout_reference`;
    ``U``, ``A``, ``W`` and ``z0`` must be float32 or float64 CPU tensors of one
    dtype. The first call per dtype compiles the kernels (seconds; well under a
    second from numba's disk cache). With ``last=True`` only each row's state at
    its last valid step is returned, (B, M) (zeros for rows of length 0), and
    the backward never builds a dense (B, T, M) gradient.

    Examples
    --------
    >>> import torch
    >>> U = torch.ones(2, 3, 4, requires_grad=True)
    >>> Z = rollout_numba(U, torch.zeros(4), torch.eye(4), n_nonlinear=1)
    >>> Z.sum().backward()
    >>> Z.shape, U.grad.shape
    (torch.Size([2, 3, 4]), torch.Size([2, 3, 4]))
    """
    if U.dim() != 3:
        raise ValueError(f"U must have shape (B, T, M); got shape {tuple(U.shape)}.")
    n_batch, _, n_hidden = U.shape
    if z0 is None:
        z0 = U.new_zeros(n_batch, n_hidden)
    _check_inputs(U, A, W, z0, lengths, n_nonlinear)  # the kernels check no bounds
    if not (
        torch.is_grad_enabled() and any(x.requires_grad for x in (U, A, W, z0))
    ):  # inference: no autograd node, no kept phi
        detached = (x.detach() for x in (U, A, W, z0))
        Z, _, steps, _, _ = _run_forward(*detached, lengths, n_nonlinear, False)
        return _last(Z, lengths, steps) if last else Z
    keep_phi = W.requires_grad
    return _Rollout.apply(U, A, W, z0, lengths, n_nonlinear, keep_phi, bool(last))
