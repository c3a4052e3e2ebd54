"""Collection rules for the whole test run (tests/ and the package's doctests)."""

import pytest
import torch


def pytest_collection_modifyitems(config, items):
    """Skip the FusedAdam doctest where torch has no fused Adam kernel for the CPU.

    torch 2.3 (the declared floor) has it for CUDA only; there
    ``make_adam`` falls back to ``torch.optim.Adam`` (tests/nn/test_optim.py).
    """
    from sk_alrnn._nn._optim import _fused_kernel_runs

    if _fused_kernel_runs(torch.device("cpu"), torch.float32):
        return
    skip = pytest.mark.skip(reason="this torch has no fused Adam kernel for the CPU")
    for item in items:
        if item.name.endswith("_optim.FusedAdam"):
            item.add_marker(skip)
