"""Fixtures shared by the persistence tests."""

import os
import pickle
import subprocess

import joblib
import pytest
import torch

# Every way a file could get code run while it is read: pickle's entry points,
# torch.load (with its weights-only guard switched off) and joblib.load, and a shell.
UNPICKLING_ENTRY_POINTS = [
    (pickle, "load"),
    (pickle, "loads"),
    (pickle, "Unpickler"),
    (torch, "load"),
    (joblib, "load"),
    (os, "system"),
    (subprocess, "Popen"),
]


def _forbid(*args, **kwargs):
    raise AssertionError("an unpickling or code-running function was called")


@pytest.fixture
def no_unpickling(monkeypatch):
    """Every pickle entry point (and a shell) fails the test if touched."""
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    for owner, name in UNPICKLING_ENTRY_POINTS:
        monkeypatch.setattr(owner, name, _forbid)
