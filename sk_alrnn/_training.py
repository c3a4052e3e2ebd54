"""Training loop: mini-batch Adam with clipping, early stopping and a divergence guard.

Shapes: N sequences, T time steps, K features per step, O outputs. The loop knows
nothing about regression or classification: the estimator passes a loss and a
validation score as functions of (outputs, targets, mask).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

LossFn = Callable[[Tensor, Tensor, Tensor | None], Tensor]
ScoreFn = Callable[[Tensor, Tensor, Tensor | None], float]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one call to :func:`train` (sklearn MLP names)."""

    max_iter: int  # epochs in this call
    batch_size: int
    learning_rate_init: float
    alpha: float  # 0.5 * alpha * ||penalized_parameters||^2 / batch size (MLP)
    clip_grad_norm: float | None  # None: no clipping
    n_iter_no_change: int | float
    tol: float
    verbose: int
    sequence: bool  # one output per step (masked) instead of the last step
    name: str = "ALRNN"  # estimator name for messages


@dataclass
class SequenceData:
    """Tensors of a data set on the training device; built once per fit.

    ``lengths`` is None when every sequence has all T steps, which lets the
    kernels and losses skip masking.
    """

    X: Tensor  # (N, T, K), zero padded
    lengths: Tensor | None  # (N,) int64 on the device, or None: all T steps
    y: Tensor  # (N, O) / (N,) or (N, T, O) / (N, T) for sequence targets
    lengths_cpu: Tensor | None  # (N,) int64 on the CPU, to trim batches (no sync)

    def __len__(self) -> int:
        return self.X.shape[0]

    def rows(self, idx: Tensor | slice) -> SequenceData:
        """The sequences ``idx`` (a CPU index tensor or a slice)."""
        dev_idx = idx.to(self.X.device) if isinstance(idx, Tensor) else idx
        ragged = self.lengths is not None
        return SequenceData(
            self.X[dev_idx],
            self.lengths[dev_idx] if ragged else None,
            self.y[dev_idx],
            self.lengths_cpu[idx] if ragged else None,
        )

    def mask(self) -> Tensor | None:
        """(N, T) True on valid steps; None when all steps are valid."""
        if self.lengths is None:
            return None
        steps = torch.arange(self.X.shape[1], device=self.X.device)
        return steps < self.lengths[:, None]

    def batch(
        self, idx: Tensor, sequence: bool
    ) -> tuple[Tensor, Tensor | None, Tensor, Tensor | None]:
        """(X, lengths, y, mask) of the rows ``idx``; mask only for sequence targets."""
        part = self.rows(idx)
        if part.lengths is None:
            return part.X, None, part.y, None
        n_steps = int(part.lengths_cpu.max())  # trailing padding of the batch dropped
        X = part.X[:, :n_steps]  # (b, T_b, K)
        y = part.y[:, :n_steps] if sequence else part.y
        trimmed = SequenceData(X, part.lengths, y, part.lengths_cpu)
        return X, part.lengths, y, trimmed.mask() if sequence else None


@dataclass
class History:
    """What one call to :func:`train` did."""

    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_loss: float = math.inf
    best_validation_score: float = -math.inf
    converged: bool = False
    interrupted: bool = False
    # KeyboardInterrupt or FloatingPointError (divergence) that ended training; the
    # module, optimizer and generator then hold the last good checkpoint (below).
    fault: BaseException | None = None


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
            _state_copy(module),
            copy.deepcopy(optimizer.state_dict()),
            generator.get_state(),
        )

    def restore(self, module, optimizer, generator, history: History) -> None:
        """Roll the training state and ``history`` back to this checkpoint."""
        del history.loss_curve[self.epochs :]
        del history.validation_scores[self.epochs :]
        scores = history.validation_scores
        history.best_validation_score = max(scores, default=-math.inf)
        module.load_state_dict(self.weights)
        optimizer.load_state_dict(self.optimizer)
        generator.set_state(self.generator)


class _Diverged(Exception):
    """Raised inside the loop; becomes the DivergenceError in History.fault."""


class DivergenceError(FloatingPointError, ValueError):
    """Training diverged: a non-finite loss, gradient, weight or output.

    A ``FloatingPointError`` (what went wrong) and a ``ValueError`` (the usual
    cause is a hyperparameter or input scale that does not suit the data, and
    sklearn's tools treat bad values as ``ValueError``).

    ``history`` (set by :func:`train`) is the History of the training it ended:
    the epochs completed before it.

    Examples
    --------
    >>> issubclass(DivergenceError, FloatingPointError)
    True
    >>> issubclass(DivergenceError, ValueError)
    True
    """


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; otherwise check availability.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available here; "
            "use device='auto' (CUDA when present, else CPU) or device='cpu'."
        )
    return dev


def _penalty(module: nn.Module) -> Tensor:
    """Sum of squares of the module's ``penalized_parameters()``."""
    return sum((w * w).sum() for w in module.penalized_parameters())


def _state_copy(module: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _predict(module: nn.Module, data: SequenceData, sequence: bool) -> Tensor:
    with torch.no_grad():
        return module(data.X, data.lengths, sequence=sequence)


def _all_finite(module: nn.Module) -> bool:
    flags = torch.stack([torch.isfinite(p).all() for p in module.parameters()])
    return bool(flags.all())


def train(
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: SequenceData,
    config: TrainConfig,
    loss_fn: LossFn,
    generator: torch.Generator,
    *,
    validation: SequenceData | None = None,
    score_fn: ScoreFn | None = None,
) -> History:
    """Train ``module`` for up to ``config.max_iter`` epochs over ``data``.

    Without early stopping, training stops once the training loss has not improved
    by ``tol`` for ``n_iter_no_change`` epochs (``History.converged``). With
    ``validation`` data, the validation score decides instead and the best weights
    are restored at the end.

    Faults end training and land in ``History.fault``:

    - divergence: a non-finite loss or gradient norm is caught before
      ``optimizer.step()``; non-finite weights at the end of an epoch, or outputs
      that overflow after the last step, count too. Raises
      :class:`DivergenceError` (a ``FloatingPointError``) naming the epoch (and
      batch); its ``history`` attribute is the History.
    - ``KeyboardInterrupt``: returns with ``fault`` set to the interrupt and
      ``History.interrupted`` set; the caller decides whether to re-raise.

    After a fault, ``module``, ``optimizer`` and ``generator`` are rolled back to
    the end of the last completed epoch (the state they came in with when no epoch
    completed), ``loss_curve`` lists the completed epochs only, and with
    validation data the best weights seen are restored as usual. Resuming from
    that state therefore replays the faulty epoch exactly.
    """
    history = History()
    n = len(data)
    batch_size = min(config.batch_size, n)
    n_batches = math.ceil(n / batch_size)
    best_state = None
    no_improvement = 0
    last = _Checkpoint.take(0, module, optimizer, generator)
    previous = last
    module.train()
    try:
        for epoch in range(1, config.max_iter + 1):
            start = time.perf_counter()
            order = torch.randperm(n, generator=generator)  # CPU, local generator
            total = torch.zeros((), dtype=torch.float64, device=data.X.device)
            for batch, begin in enumerate(range(0, n, batch_size), start=1):
                idx = order[begin : begin + batch_size]
                X, lengths, y, mask = data.batch(idx, config.sequence)
                out = module(X, lengths, sequence=config.sequence)
                loss = loss_fn(out, y, mask)
                objective = loss
                if config.alpha > 0:
                    penalty = 0.5 * config.alpha * _penalty(module) / len(idx)
                    objective = loss + penalty
                optimizer.zero_grad(set_to_none=True)
                objective.backward()
                norm = _clip_gradients(module, config.clip_grad_norm)
                loss = loss.detach()
                # One host sync per batch: a step with a non-finite loss or
                # gradient would poison the weights and Adam's moments.
                if not bool(torch.isfinite(loss) & torch.isfinite(norm)):
                    raise _Diverged(
                        f"epoch {epoch} (batch {batch} of {n_batches}): the "
                        f"training loss was {float(loss):.6g} and the gradient norm "
                        f"{float(norm):.6g}, so the step was not taken"
                    )
                optimizer.step()
                total = total + loss.double() * len(idx)
            epoch_loss = float(total) / n  # float64 sum: finite batch losses stay so
            if not (math.isfinite(epoch_loss) and _all_finite(module)):
                raise _Diverged(f"epoch {epoch}: the weights became non-finite")
            message = f"Epoch {epoch}/{config.max_iter}: loss={epoch_loss:.6g}"
            score = None
            if validation is not None and score_fn is not None:
                module.eval()
                val_out = _predict(module, validation, config.sequence)
                val_mask = validation.mask() if config.sequence else None
                score = score_fn(val_out, validation.y, val_mask)
                module.train()
                message += f", validation score={score:.6g}"
            checkpoint = _Checkpoint.take(epoch, module, optimizer, generator)
            # The epoch is complete: record it and move the checkpoints on.
            history.loss_curve.append(epoch_loss)
            if score is not None:
                history.validation_scores.append(score)
                improved = score > history.best_validation_score + config.tol
                if score > history.best_validation_score:
                    history.best_validation_score = score
                    best_state = checkpoint.weights
            else:
                improved = epoch_loss < history.best_loss - config.tol
            previous, last = last, checkpoint
            history.best_loss = min(history.best_loss, epoch_loss)
            no_improvement = 0 if improved else no_improvement + 1
            if config.verbose:
                print(f"{message}, {time.perf_counter() - start:.3f}s", flush=True)
            if no_improvement >= config.n_iter_no_change:
                history.converged = True
                break
    except KeyboardInterrupt as exc:
        history.interrupted = True
        history.fault = exc
        last.restore(module, optimizer, generator, history)
    except _Diverged as exc:
        history.fault = _diverged(config, str(exc))
        last.restore(module, optimizer, generator, history)
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    if history.loss_curve and not _outputs_finite(module, data, config):
        # The last optimizer step can leave finite weights whose outputs overflow:
        # the last completed epoch diverged after all.
        epoch = len(history.loss_curve)
        previous.restore(module, optimizer, generator, history)
        history.converged = False
        if not history.interrupted:  # an interrupt must still stop the caller
            history.fault = _diverged(
                config, f"epoch {epoch}: the model's outputs overflowed after it"
            )
    if isinstance(history.fault, DivergenceError):
        history.fault.history = history
        raise history.fault
    return history


def _clip_gradients(module: nn.Module, max_norm: float | None) -> Tensor:
    """Total gradient norm (float64, cannot overflow); clip to ``max_norm`` if set.

    Unlike ``clip_grad_norm_``, a non-finite norm leaves the gradients alone; the
    caller refuses the step instead.
    """
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros((), dtype=torch.float64)
    norms = [torch.linalg.vector_norm(g, dtype=torch.float64) for g in grads]
    total = torch.linalg.vector_norm(torch.stack(norms))
    if max_norm is not None:
        # min(1, max_norm / norm) without a host sync; nan/inf norms are caught later
        scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.to(g.dtype))
    return total


def _diverged(config: TrainConfig, what: str) -> DivergenceError:
    return DivergenceError(
        f"{config.name}: training diverged in {what}. Lower "
        f"learning_rate_init (now {config.learning_rate_init}) or clip_grad_norm "
        f"(now {config.clip_grad_norm}), or scale X and y (e.g. StandardScaler)."
    )


def _outputs_finite(module: nn.Module, data: SequenceData, config: TrainConfig) -> bool:
    """One forward pass over the training data, in chunks, without gradients."""
    chunk = max(config.batch_size, 1024)
    flags = []
    with torch.no_grad():
        for begin in range(0, len(data), chunk):
            part = data.rows(slice(begin, begin + chunk))
            out = module(part.X, part.lengths, sequence=config.sequence)
            flags.append(torch.isfinite(out).all())
    return bool(torch.stack(flags).all())
