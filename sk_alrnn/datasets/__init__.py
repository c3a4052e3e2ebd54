"""Synthetic sequence tasks (numpy only; no torch, no estimators)."""

from sk_alrnn.datasets._tasks import make_addition_problem

__all__ = ["make_addition_problem"]
