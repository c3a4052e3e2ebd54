"""FusedAdam: torch.optim.Adam(fused=True)'s updates without importing torch.optim."""

import textwrap

import pytest
import torch
from support import run_python

import sk_alrnn._nn._optim as optim
from sk_alrnn._nn._optim import FusedAdam, make_adam

CPU_KERNEL = optim._fused_kernel_runs(torch.device("cpu"), torch.float32)
needs_cpu_kernel = pytest.mark.skipif(
    not CPU_KERNEL, reason="this torch has no fused Adam kernel for the CPU (< 2.4)"
)


def _pair(dtype):
    gen = torch.Generator().manual_seed(0)
    shapes = [(5, 3), (4,), (2, 2)]
    ours = [
        torch.nn.Parameter(torch.randn(s, generator=gen, dtype=dtype)) for s in shapes
    ]
    theirs = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    return ours, theirs


def _step(optimizers_and_params, gen):
    grads = None
    for opt, params in optimizers_and_params:
        if grads is None:
            grads = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params]
        for p, g in zip(params, grads, strict=True):
            p.grad = g.clone()
        opt.step()


@needs_cpu_kernel
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bitwise_equal_to_torch_fused_adam(dtype):
    ours, theirs = _pair(dtype)
    a = FusedAdam(ours, lr=1e-2)
    b = torch.optim.Adam(theirs, lr=1e-2, fused=True)
    gen = torch.Generator().manual_seed(1)
    for _ in range(8):
        _step([(a, ours), (b, theirs)], gen)
    assert all(torch.equal(p, q) for p, q in zip(ours, theirs, strict=True))
    sa, sb = a.state_dict(), b.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    for i, slots in sb["state"].items():
        for key, value in slots.items():
            assert torch.equal(sa["state"][i][key], value)


@needs_cpu_kernel
def test_state_dicts_move_between_the_two():
    ours, theirs = _pair(torch.float32)
    a = FusedAdam(ours, lr=1e-2)
    b = torch.optim.Adam(theirs, lr=1e-2, fused=True)
    gen = torch.Generator().manual_seed(2)
    for _ in range(3):
        _step([(a, ours), (b, theirs)], gen)
    # Swap states: each continues from the other's moments and step counts.
    a2 = FusedAdam([torch.nn.Parameter(p.detach().clone()) for p in theirs], lr=1e-2)
    a2.load_state_dict(b.state_dict())
    b2_params = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    b2 = torch.optim.Adam(b2_params, lr=1e-2, fused=True)
    b2.load_state_dict(a.state_dict())
    _step([(a2, a2.params), (b2, b2_params)], gen)
    assert all(torch.equal(p, q) for p, q in zip(a2.params, b2_params, strict=True))


@needs_cpu_kernel
def test_parameters_without_gradient_are_left_alone():
    w, v = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = FusedAdam([w, v], lr=0.5)
    w.grad = torch.ones(2)
    opt.step()
    assert torch.equal(v.detach(), torch.ones(2)) and 1 not in opt.state
    opt.zero_grad()
    assert w.grad is None


def test_load_state_dict_checks_parameter_count():
    opt = FusedAdam([torch.nn.Parameter(torch.ones(2))], lr=0.1)
    other = FusedAdam([torch.nn.Parameter(torch.ones(2))] * 2, lr=0.1)
    with pytest.raises(ValueError, match="2 parameters, but the model has 1"):
        opt.load_state_dict(other.state_dict())


def test_make_adam_uses_the_fused_kernel_where_it_runs():
    opt = make_adam(torch.nn.Linear(2, 1), 1e-3)
    assert isinstance(opt, FusedAdam) == CPU_KERNEL  # torch >= 2.4 on the CPU


def test_make_adam_falls_back_where_the_kernel_does_not_run(monkeypatch):
    """torch 2.3 has torch._fused_adam_ for CUDA only: torch's Adam then."""
    monkeypatch.setattr(optim, "_fused_kernel_runs", lambda device, dtype: False)
    layer = torch.nn.Linear(2, 1)
    opt = make_adam(layer, 1e-2)
    assert isinstance(opt, torch.optim.Adam)
    before = layer.weight.detach().clone()
    layer(torch.ones(3, 2)).sum().backward()
    opt.step()
    assert not torch.equal(layer.weight.detach(), before)


def test_the_kernel_probe_says_no_for_devices_without_it():
    assert not optim._fused_kernel_runs(torch.device("meta"), torch.float32)


@needs_cpu_kernel  # else make_adam falls back to torch.optim.Adam, which imports it
def test_a_fit_never_imports_torch_dynamo():
    """torch.optim would pull in torch._dynamo and sympy (seconds, ~55 MiB)."""
    code = textwrap.dedent(
        """
        import sys, warnings
        import numpy as np
        from sk_alrnn import ALRNNRegressor
        warnings.simplefilter("ignore")
        X = np.random.default_rng(0).normal(size=(20, 5, 2))
        ALRNNRegressor(n_hidden=4, max_iter=2).fit(X, X.sum(axis=(1, 2)))
        print("torch._dynamo" in sys.modules)
        """
    )
    out = run_python("-c", code, check=True)
    assert out.stdout.strip() == "False"
