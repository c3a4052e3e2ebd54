"""Products with W for the numba kernels: 64-byte strips held in vector registers.

Shapes: M latent units; ``mat`` is W^T (M, M), C-contiguous, rows of the batch are
(M,) vectors. The strips are built by a small LLVM intrinsic
(:func:`_strip_matvec`); ``_matvec1/2/4`` multiply one, two or four rows at once.

``_matvec4``, the product of every full group of rows, is inlined into the
loops (numba ``inline="always"``): as a call it cost about 0.3 us more per
group-step on an Intel Xeon, 5x the product itself at M = 32 (forward 1.6x
faster at (32, 100, 32), 1.1x at (128, 100, 128)), for about 1 s more of
compilation on the first call. The others run only for the last rows of
ragged batches and stay calls.

numba's cache does not notice edits of this module in the kernels that use it
(its key is the source file of the cached function): after changing it, delete
``__pycache__/*.nbi`` and ``*.nbc`` next to ``_numba_loops.py``, or touch that
file.
"""

from __future__ import annotations

import sk_alrnn._nn._kernels._numba_cache  # noqa: F401  (sets NUMBA_CACHE_DIR first)

# isort: split
import numba
import numba.core.cgutils
import numba.extending
from llvmlite import ir as llvm_ir


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


def _intrinsic(n_rows: int, codegen):
    """numba intrinsic ``(out_0, .., x_0, .., mat, i0)`` of 1, 2 or 4 rows.

    Typed only for C-contiguous ``out_r`` and ``mat`` (the strips are vector
    loads from contiguous rows); ``codegen`` emits the body.
    """

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

    return _intrinsic(n_rows, codegen)


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
    if i >= mat.shape[1]:  # nothing left: skip the empty loop over the rows of mat
        return
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


@numba.njit(cache=True, inline="always")
def _matvec4(o0, o1, o2, o3, x0, x1, x2, x3, mat):
    """:func:`_matvec1` for four rows at once (four independent sums in flight).

    Inlined where it is used: see the module docstring.
    """
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
