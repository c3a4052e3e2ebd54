"""Synthetic sequence tasks and sequence data sets (numpy only; no torch)."""

from sk_alrnn.datasets._cognitive import (
    COGNITIVE_TASKS,
    cognitive_accuracy,
    cognitive_scorer,
    make_cognitive_tasks,
)
from sk_alrnn.datasets._dynamical import make_lorenz63
from sk_alrnn.datasets._loaders import load_sequential_digits
from sk_alrnn.datasets._memory import make_contextual_integration, make_copy_task
from sk_alrnn.datasets._tasks import make_addition_problem

__all__ = [
    "COGNITIVE_TASKS",
    "cognitive_accuracy",
    "cognitive_scorer",
    "load_sequential_digits",
    "make_addition_problem",
    "make_cognitive_tasks",
    "make_contextual_integration",
    "make_copy_task",
    "make_lorenz63",
]
