"""The fit machinery every estimator shares: initialisations, fault policy, kept run.

A ``fit`` of any estimator here (the sequence estimators, the baselines, the
forecaster) has one shape::

    guarded_fit(est, est._fit_unsafe, ...)         # restore on a failed fit
        validate X, y; build SequenceData           # the estimator's job
        runs = train_runs(seeded_generators(...), train_one)
        run = best_run(runs, name)                  # raises if nothing completed
        store run's module and curves               # the estimator's job
        return finish(est, runs, run, ...)          # fault to raise, warnings

``train_one(generator) -> Run`` is where an estimator plugs in its network,
loss and data (it calls :func:`sk_alrnn._nn._training.train`). The fault policy
(the README's "Faults during fit"):

- ``KeyboardInterrupt``: the epochs completed so far are kept, the estimator is
  fitted, a UserWarning says so and the interrupt is re-raised;
- divergence: the completed epochs are kept and the ``DivergenceError`` names
  the epoch and how many epochs the estimator keeps;
- either fault with no completed epoch leaves the estimator as it was before
  the call (unfitted for a first fit, the previous model for ``warm_start`` or
  ``partial_fit``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from sk_alrnn._nn._training import DivergenceError, History, train


@dataclass
class Run:
    """One trained initialisation (or the resumed model)."""

    history: History
    module: torch.nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    monitored: float  # what picks among initialisations (lower is better)
    completed: bool  # an epoch completed, or the estimator kept an untrained start
    extra: object = None  # estimator-specific results of the run
    final: bool = False  # no further initialisation can do better (stop after it)


def train_keeping_epochs(*args, **kwargs) -> History:
    """:func:`sk_alrnn._nn._training.train`, returning the History after a divergence.

    The DivergenceError stays in ``history.fault`` (raised by :func:`finish`
    after the completed epochs are stored).
    """
    try:
        return train(*args, **kwargs)
    except DivergenceError as exc:
        return exc.history


def guarded_fit(estimator, fit_unsafe: Callable, *args, **kwargs):
    """Run ``fit_unsafe``; on any error leave ``estimator`` as it was; raise its fault.

    ``fit_unsafe`` returns the fault that ended a training whose completed
    epochs were kept (the estimator is fitted with them), or None.
    """
    before = dict(estimator.__dict__)
    try:
        fault = fit_unsafe(*args, **kwargs)
    except BaseException:  # nothing half-fitted
        estimator.__dict__.clear()
        estimator.__dict__.update(before)
        raise
    if fault is not None:
        raise fault
    return estimator


def seeded_generators(
    random_state, n_init: int, state: torch.Tensor | None = None
) -> Iterator[torch.Generator]:
    """One seeded ``torch.Generator`` per initialisation, or the stored one to resume.

    The first seed is the one a single fit has always drawn from
    ``random_state``, so ``n_init=1`` reproduces it bitwise.
    """
    if state is not None:
        generator = torch.Generator()
        generator.set_state(state)  # the batch order goes on
        yield generator
        return
    rng = check_random_state(random_state)
    for _ in range(n_init):
        seed = int(rng.randint(np.iinfo(np.int32).max))
        yield torch.Generator().manual_seed(seed)


def train_runs(
    generators: Iterable[torch.Generator], train_one: Callable[..., Run]
) -> list[Run]:
    """``train_one`` for each generator, stopping after a fault or a final run."""
    runs = []
    for generator in generators:
        run = train_one(generator)
        runs.append(run)
        if run.history.fault is not None or run.final:
            break
    return runs


def best_run(runs: list[Run], name: str) -> Run:
    """The completed run of lowest ``monitored``; raise the fault if none completed."""
    done = [run for run in runs if run.completed]
    if not done:
        fault = runs[-1].history.fault
        if isinstance(fault, KeyboardInterrupt):
            warnings.warn(
                f"{name}: training interrupted by the user before the first epoch "
                "completed; the estimator is left as it was before this call.",
                UserWarning,
                stacklevel=5,
            )
        raise fault  # guarded_fit restores the estimator
    return min(done, key=lambda run: run.monitored)


def finish(
    estimator, runs: list[Run], best: Run, *, n_init: int, kept: str
) -> BaseException | None:
    """Warn about or annotate the fault that ended the last run; return it.

    ``estimator`` holds the stored ``best`` run (its ``n_iter_`` counts the
    epochs it keeps); its ``stop_reason_`` becomes ``"interrupted"`` or
    ``"diverged"`` after a fault. ``kept`` says which weights it was fitted
    with after an interrupt.
    """
    name = type(estimator).__name__
    fault = runs[-1].history.fault
    if isinstance(fault, KeyboardInterrupt):
        estimator.stop_reason_ = "interrupted"
        n_done = len(runs[-1].history.loss_curve)
        several = len(runs) > 1
        warnings.warn(
            f"{name}: training interrupted by the user after {n_done} epochs"
            + (f" of initialisation {len(runs)}/{n_init}" if several else "")
            + f"; the estimator is fitted with {kept}"
            + (", and the best initialisation" if several else "")
            + ". fit(...) with warm_start=True resumes.",
            UserWarning,
            stacklevel=5,
        )
    elif isinstance(fault, FloatingPointError):
        estimator.stop_reason_ = "diverged"
        fault.args = (
            f"{fault} {name} keeps the {len(best.history.loss_curve)} epochs "
            f"completed before it (n_iter_={estimator.n_iter_}).",
        )
    return fault


def warn_max_iter(name: str, max_iter: int, tol: float, what: str) -> None:
    """ConvergenceWarning: the last epoch still improved the monitored loss."""
    warnings.warn(
        f"{name}: reached max_iter={max_iter} epochs while the {what} was still "
        f"improving by more than tol={tol}. Raise max_iter (or learning_rate_init).",
        ConvergenceWarning,
        stacklevel=5,
    )
