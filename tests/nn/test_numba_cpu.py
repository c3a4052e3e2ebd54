"""The numba CPU kernel: agreement with the reference, dtypes, layouts, threads, cache.

Shapes: B batch, T time steps, M latent units, P ReLU units (the last P).
The kernel-agnostic checks (every kernel against the reference) live in
tests/nn/test_kernels.py; these are the ones specific to numba_cpu.py.
"""

import os
from pathlib import Path

import numba
import numpy as np
import pytest
import torch
from support import run_python

from sk_alrnn._core._layout import floor as layout_floor
from sk_alrnn._nn._kernels import numba_cpu
from sk_alrnn._nn._kernels.numba_cpu import numba_cache_dir, rollout_numba
from sk_alrnn._nn._kernels.reference import rollout_reference

T = 9  # time steps
# M = 20 covers the vector strips of both dtypes (16 float32 or 8 float64 lanes)
# and the columns left over; M = 5 only the leftover path.
RAGGED = {1: [4], 3: [0, T, 2], 6: [T, 3, 0, T - 1, 1, 5]}


def make_inputs(B, M, dtype=torch.float64, seed=0, with_z0=True):
    """Contractive weights, so that states and gradients stay of order one."""
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape, scale=1.0):
        x = scale * torch.randn(*shape, generator=gen, dtype=torch.float64)
        return x.to(dtype).requires_grad_()

    U = randn(B, T, M)
    A = randn(M, scale=0.5)
    W = randn(M, M, scale=0.5 / M**0.5)
    z0 = randn(B, M) if with_z0 else None
    G = torch.randn(B, T, M, generator=gen, dtype=torch.float64).to(dtype)
    return U, A, W, z0, G


def outputs_and_grads(kernel, U, A, W, P, z0, lengths, G):
    """Z and the gradients of sum(Z * G) with respect to U, A, W (and z0)."""
    Z = kernel(U, A, W, P, z0, lengths)
    inputs = [U, A, W] + ([z0] if z0 is not None else [])
    return [Z, *torch.autograd.grad((Z * G).sum(), inputs)]


@pytest.mark.parametrize("M", [5, 20])
@pytest.mark.parametrize("P_of", ["none", "one", "all"])
@pytest.mark.parametrize("B", [1, 3, 6])
@pytest.mark.parametrize("ragged", [False, True])
def test_matches_reference_float64(M, P_of, B, ragged):
    P = {"none": 0, "one": 1, "all": M}[P_of]
    U, A, W, z0, G = make_inputs(B, M)
    lengths = torch.tensor(RAGGED[B]) if ragged else None
    got = outputs_and_grads(rollout_numba, U, A, W, P, z0, lengths, G)
    want = outputs_and_grads(rollout_reference, U, A, W, P, z0, lengths, G)
    for name, g, w in zip(["Z", "dU", "dA", "dW", "dz0"], got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-10, msg=name)
    if ragged:  # padded steps: zero, and no gradient reaches U there
        for b, n in enumerate(RAGGED[B]):
            assert not got[0][b, n:].any() and not got[1][b, n:].any()


def test_lengths_longer_than_T_and_zero_z0():
    U, A, W, _, G = make_inputs(4, 20, with_z0=False)
    lengths = torch.tensor([T + 5, T, 0, 3], dtype=torch.int32)
    got = outputs_and_grads(rollout_numba, U, A, W, 2, None, lengths, G)
    want = outputs_and_grads(rollout_reference, U, A, W, 2, None, lengths, G)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float32_and_float64(dtype):
    U, A, W, z0, G = make_inputs(5, 20, dtype=dtype)
    lengths = torch.tensor([T, 2, T, 7, 5])
    got = outputs_and_grads(rollout_numba, U, A, W, 3, z0, lengths, G)
    U64, A64, W64, z064 = (x.detach().double().requires_grad_() for x in (U, A, W, z0))
    want = outputs_and_grads(rollout_reference, U64, A64, W64, 3, z064, lengths, G)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    for g, w in zip(got, want, strict=True):
        assert g.dtype == dtype
        torch.testing.assert_close(g.double(), w, rtol=tol, atol=tol)


def test_non_contiguous_inputs():
    U, A, W, z0, G = make_inputs(3, 20)
    # same values, strided layouts: U (B, M, T) transposed, A every other
    # element, W transposed, z0 a column slice
    U_nc = U.detach().transpose(1, 2).contiguous().transpose(1, 2).requires_grad_()
    A_nc = torch.stack([A.detach(), A.detach()], 1)[:, 0].requires_grad_()
    W_nc = W.detach().T.contiguous().T.requires_grad_()
    z0_nc = torch.cat([z0.detach(), z0.detach()], 1)[:, :20].requires_grad_()
    G_nc = G.transpose(1, 2).contiguous().transpose(1, 2)
    for x in (U_nc, A_nc, W_nc, z0_nc, G_nc):
        assert not x.is_contiguous()
    got = outputs_and_grads(rollout_numba, U_nc, A_nc, W_nc, 4, z0_nc, None, G_nc)
    want = outputs_and_grads(rollout_reference, U, A, W, 4, z0, None, G)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-10)


def test_gradcheck_away_from_the_kink():
    U, A, W, z0, _ = make_inputs(3, 6, seed=1)
    lengths = torch.tensor([T, 4, 6])
    with torch.no_grad():
        Z = rollout_reference(U, A, W, 3, z0, lengths)
    valid = torch.arange(T)[None, :] < lengths[:, None]  # (B, T)
    # finite differences (eps 1e-6) must not cross z = 0 on the ReLU units
    assert Z[..., 3:][valid].abs().min() > 1e-3
    assert z0[:, 3:].abs().min() > 1e-3
    assert torch.autograd.gradcheck(
        lambda U, A, W, z0: rollout_numba(U, A, W, 3, z0, lengths), (U, A, W, z0)
    )


def test_only_some_inputs_need_gradients():
    U, A, W, _, G = make_inputs(4, 20)
    A, W = A.detach(), W.detach()
    (dU,) = torch.autograd.grad((rollout_numba(U, A, W, 2) * G).sum(), [U])
    (dU_ref,) = torch.autograd.grad((rollout_reference(U, A, W, 2) * G).sum(), [U])
    torch.testing.assert_close(dU, dU_ref, rtol=1e-10, atol=1e-10)


def test_no_grad_gives_the_same_states():
    U, A, W, z0, _ = make_inputs(5, 20)
    with torch.no_grad():
        Z = rollout_numba(U, A, W, 4, z0)
    torch.testing.assert_close(Z, rollout_numba(U, A, W, 4, z0).detach())


def test_nan_propagates_like_the_reference():
    U, A, W, _, _ = make_inputs(2, 20)
    U = U.detach().clone()
    U[0, 3, -1] = float("nan")  # on a ReLU unit: phi(NaN) must stay NaN
    Z = rollout_numba(U, A.detach(), W.detach(), 5)
    torch.testing.assert_close(
        Z, rollout_reference(U, A.detach(), W.detach(), 5), equal_nan=True
    )
    assert Z[0, 4:].isnan().all() and not Z[1].isnan().any()


@pytest.mark.parametrize("shape", [(0, T, 4), (3, 0, 4), (2, T, 0)])
def test_empty_shapes(shape):
    B, n_steps, M = shape
    U = torch.randn(B, n_steps, M, dtype=torch.float64, requires_grad=True)
    A = torch.zeros(M, dtype=torch.float64, requires_grad=True)
    W = torch.zeros(M, M, dtype=torch.float64, requires_grad=True)
    Z = rollout_numba(U, A, W, 0)
    Z.sum().backward()
    assert Z.shape == shape and U.grad.shape == shape and W.grad.shape == (M, M)


def test_bad_inputs_are_rejected():
    U = torch.zeros(2, 3, 4)
    with pytest.raises(TypeError, match="float32 or float64"):
        rollout_numba(U.long(), torch.zeros(4).long(), torch.eye(4).long(), 1)
    with pytest.raises(TypeError, match="one dtype"):
        rollout_numba(U, torch.zeros(4, dtype=torch.float64), torch.eye(4), 1)
    with pytest.raises(ValueError, match=r"W must have shape \(4, 4\)"):
        rollout_numba(U, torch.zeros(4), torch.eye(3), 1)
    with pytest.raises(ValueError, match=r"lengths must have shape \(2,\)"):
        rollout_numba(U, torch.zeros(4), torch.eye(4), 1, lengths=torch.ones(3))
    with pytest.raises(ValueError, match="n_nonlinear"):
        rollout_numba(U, torch.zeros(4), torch.eye(4), 5)


def test_numba_thread_pool_never_starts():
    """numba's thread pool fights torch's; the serial kernels must not start it."""
    U, A, W, z0, G = make_inputs(5, 20, dtype=torch.float32)
    (rollout_numba(U, A, W, 3, z0) * G).sum().backward()
    with pytest.raises(ValueError, match="not initialized"):
        numba.threading_layer()


def test_compiles_on_first_call_not_at_import():
    code = (
        "import sk_alrnn._nn._kernels.numba_cpu as m\n"
        "assert not m._forward.signatures and not m._backward.signatures\n"
    )
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr


# -- where numba caches the compiled kernels -----------------------------------------
def test_cache_dir_kept_when_numba_cache_dir_is_set(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *args: False)
    assert numba_cache_dir(tmp_path, {"NUMBA_CACHE_DIR": "/somewhere"}) is None


def test_cache_dir_kept_when_package_dir_is_writable(tmp_path):
    assert numba_cache_dir(tmp_path, {}) is None
    (tmp_path / "__pycache__").mkdir()
    assert numba_cache_dir(tmp_path, {}) is None


def test_cache_dir_moves_to_xdg_cache_home_when_read_only(tmp_path, monkeypatch):
    checked = []

    def access(path, mode):
        checked.append((Path(path), mode))
        return False

    monkeypatch.setattr(os, "access", access)
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert numba_cache_dir(tmp_path, env) == str(tmp_path / "xdg/sk_alrnn/numba")
    assert checked == [(tmp_path, os.W_OK)]
    (tmp_path / "__pycache__").mkdir()  # numba writes there: that one counts
    numba_cache_dir(tmp_path, env)
    assert checked[-1] == (tmp_path / "__pycache__", os.W_OK)


def test_cache_dir_defaults_to_home_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *args: False)
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".cache" / "sk_alrnn" / "numba"
    assert numba_cache_dir(tmp_path / "pkg", {}) == str(expected)
    assert numba_cache_dir(tmp_path / "pkg", {"XDG_CACHE_HOME": ""}) == str(expected)


def test_cache_dir_is_set_before_numba_is_imported(tmp_path):
    """A read-only package directory: the module points numba at the user cache."""
    code = (
        "import os, sys\n"
        "os.access = lambda *args, **kwargs: False\n"
        "import sk_alrnn._nn._kernels.numba_cpu as m\n"
        "import numba\n"
        "print(os.environ['NUMBA_CACHE_DIR'], numba.config.CACHE_DIR)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    out = run_python("-c", code, env=env)
    assert out.returncode == 0, out.stderr
    expected = str(tmp_path / "sk_alrnn" / "numba")
    assert out.stdout.split() == [expected, expected]


def test_module_constants():
    assert numba_cpu._PREFETCH_ABOVE > 0
    floor = layout_floor(5, 0, np.float32)  # P = 0: no ReLU unit at all
    assert np.isneginf(floor).all()
    assert list(layout_floor(3, 3, np.float64)) == [0.0, 0.0, 0.0]
