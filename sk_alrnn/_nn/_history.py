"""What a call to :func:`~sk_alrnn._nn._training.train` did, and how it rolls back.

:class:`History` holds the curves and the best values of one call;
:class:`_Checkpoint` the weights, optimizer state and generator state at the end
of an epoch, to roll back to after a fault; :class:`DivergenceError` is the fault
of a training that diverged. Re-exported by :mod:`sk_alrnn._nn._training`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

__all__ = ["DivergenceError", "History", "copy_state"]


@dataclass
class History:
    """What one call to :func:`~sk_alrnn._nn._training.train` did."""

    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    validation_losses: list[float] = field(default_factory=list)
    best_loss: float = math.inf
    best_validation_score: float = -math.inf  # score of the kept (best-loss) epoch
    best_monitored: float = math.inf  # lowest monitored loss (validation or training)
    best_epoch: int = 0  # epoch of best_monitored (1-based; 0: none)
    stop_reason: str = "max_iter"  # "converged", "plateau" or "max_iter"
    converged: bool = False  # stop_reason != "max_iter"
    interrupted: bool = False
    # KeyboardInterrupt or FloatingPointError (divergence) that ended training; the
    # module, optimizer and generator then hold the last good checkpoint (below).
    fault: BaseException | None = None

    @property
    def monitored(self) -> list[float]:
        """The monitored loss per epoch: validation losses, else training losses."""
        return self.validation_losses or self.loss_curve

    def recount(self) -> None:
        """Recompute the best values from the curves (after a roll-back)."""
        monitored = self.monitored
        self.best_loss = min(self.loss_curve, default=math.inf)
        self.best_monitored = min(monitored, default=math.inf)
        self.best_epoch = (monitored.index(self.best_monitored) + 1) if monitored else 0
        scores = self.validation_scores
        self.best_validation_score = (
            scores[self.best_epoch - 1] if scores and self.best_epoch else -math.inf
        )


@dataclass
class _Checkpoint:
    """Weights, optimizer state and generator state at the end of an epoch."""

    epochs: int  # epochs completed in this call
    weights: dict[str, Tensor]
    optimizer: dict
    generator: Tensor

    @classmethod
    def take(
        cls, epochs: int, module: nn.Module, optimizer: torch.optim.Optimizer, generator
    ) -> _Checkpoint:
        return cls(
            epochs,
            copy_state(module.state_dict()),
            copy_state(optimizer.state_dict()),
            generator.get_state(),
        )

    def restore(self, module, optimizer, generator, history: History) -> None:
        """Roll the training state and ``history`` back to this checkpoint."""
        del history.loss_curve[self.epochs :]
        del history.validation_scores[self.epochs :]
        del history.validation_losses[self.epochs :]
        history.recount()
        module.load_state_dict(self.weights)
        optimizer.load_state_dict(self.optimizer)
        generator.set_state(self.generator)


class DivergenceError(FloatingPointError, ValueError):
    """Training diverged: a non-finite loss, gradient, weight or output.

    A ``FloatingPointError`` (what went wrong) and a ``ValueError`` (the usual
    cause is a hyperparameter or input scale that does not suit the data, and
    sklearn's tools treat bad values as ``ValueError``).

    ``history`` (set by :func:`~sk_alrnn._nn._training.train`) is the History of the
    training it ended: the epochs completed before it.

    Examples
    --------
    >>> issubclass(DivergenceError, FloatingPointError)
    True
    >>> issubclass(DivergenceError, ValueError)
    True
    """


def copy_state(obj, device: str | torch.device | None = None):
    """Copy of nested dicts, lists and tuples with their tensors copied (to ``device``).

    An optimizer's state dict holds only those, numbers, strings and None:
    ``copy.deepcopy`` does the same at several times the cost per epoch.
    """
    if isinstance(obj, Tensor):
        obj = obj.detach()
        return obj.clone() if device is None else obj.to(device, copy=True)
    if isinstance(obj, dict):
        return {key: copy_state(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(copy_state(value, device) for value in obj)
    return obj
