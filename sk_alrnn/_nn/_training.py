"""Training loop: mini-batch Adam with clipping, a learning-rate schedule, stopping
rules that survive plateaus, best-weight restore and a divergence guard.

Shapes: N sequences, T time steps, K features per step, O outputs. The loop knows
nothing about regression or classification: the estimator passes a loss and a
validation score as functions of (outputs, targets, mask).

The monitored quantity is the validation loss when validation data are given,
else the mean training loss of the epoch. Training stops when it has not improved
by ``tol`` for ``n_iter_no_change`` epochs, or at ``max_iter``; the reason is kept
in :attr:`History.stop_reason`:

- ``"converged"``: stopped by the patience rule, or at ``max_iter`` when the last
  tenth of the epochs lowered the monitored loss by no more than ``tol`` or
  ``IMPROVING_SHARE`` (2 %) of the whole fit's improvement (a loss that keeps
  creeping towards zero, as cross-entropy does once classes are separated,
  is not "still improving");
- ``"plateau"``: the same, but the best monitored loss is still within
  ``PLATEAU_FRACTION`` of the loss of the best constant prediction: the model
  learnt (almost) nothing, e.g. it stopped on a plateau before finding a gate;
- ``"max_iter"``: reached ``max_iter`` while still improving (or after fewer than
  ``JUDGE_MIN_EPOCHS`` epochs, too few to tell).

The data a fit runs on (:class:`SequenceData`, :func:`predict_chunked`,
:func:`resolve_device`) live in :mod:`sk_alrnn._nn._sequence_data`, the record of a
call and its roll-back (:class:`History`, :class:`DivergenceError`,
:func:`copy_state`) in :mod:`sk_alrnn._nn._history`; both are re-exported here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from sk_alrnn._nn._history import DivergenceError, History, _Checkpoint, copy_state
from sk_alrnn._nn._interrupts import Latch, latched_interrupts
from sk_alrnn._nn._kernels.fpenv import flush_denormals
from sk_alrnn._nn._sequence_data import (
    EVAL_STEPS,
    SequenceData,
    predict_chunked,
    resolve_device,
)

__all__ = [
    "EVAL_STEPS",
    "SCHEDULES",
    "DivergenceError",
    "EvalFn",
    "History",
    "LossFn",
    "SequenceData",
    "TrainConfig",
    "copy_state",
    "predict_chunked",
    "resolve_batch_size",
    "resolve_device",
    "resolve_patience",
    "train",
]

LossFn = Callable[[Tensor, Tensor, Tensor | None], Tensor]
# (outputs, targets, mask) of held-out data -> (loss, score); higher score is better
EvalFn = Callable[[Tensor, Tensor, Tensor | None], tuple[float, float]]

SCHEDULES = ("constant", "cosine", "adaptive")
# A best monitored loss above this share of the constant predictor's loss means
# the model explains (almost) nothing: a stop there is flagged as a plateau.
PLATEAU_FRACTION = 0.9
# "Still improving" at max_iter: the last tenth of the epochs (at least one, at
# most the patience) lowered the monitored loss by more than tol and by more than
# IMPROVING_SHARE of the whole fit's improvement.
RECENT_FRACTION = 0.1
IMPROVING_SHARE = 0.02
JUDGE_MIN_EPOCHS = 10  # a fit cut off before this many epochs counts as improving
ADAPTIVE_FACTOR = 0.5  # "adaptive": the learning rate is halved on a plateau ...
ADAPTIVE_MIN = 1e-2  # ... down to this share of learning_rate_init
COSINE_MIN = 1e-2  # "cosine": the learning rate ends at this share of the initial


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
    learning_rate: str = "constant"  # schedule over this call's epochs (SCHEDULES)
    # loss of the best constant prediction on the monitored data (None: unknown)
    trivial_loss: float | None = None
    # manifold-attractor regularisation: mar_strength * module.mar_penalty(mar_units)
    mar_strength: float = 0.0
    mar_units: int = 0


def resolve_batch_size(batch_size, n_sequences: int) -> int:
    """``"auto"`` -> ``N / 16`` clipped to [8, 32]: at least 16 steps per epoch on
    small data sets, 32 sequences per step from 512 sequences on.

    Examples
    --------
    >>> resolve_batch_size("auto", 100), resolve_batch_size("auto", 300)
    (8, 19)
    >>> resolve_batch_size("auto", 5000), resolve_batch_size(64, 300)
    (32, 64)
    """
    if isinstance(batch_size, str):
        return int(min(32, max(8, math.ceil(n_sequences / 16))))
    return int(batch_size)


def resolve_patience(n_iter_no_change, max_iter: int) -> int | float:
    """``"auto"`` -> ``max(20, max_iter // 4)`` epochs; numbers pass through.

    Examples
    --------
    >>> resolve_patience("auto", 200), resolve_patience("auto", 20)
    (50, 20)
    >>> resolve_patience(3, 9)
    3
    """
    if isinstance(n_iter_no_change, str):
        return max(20, int(max_iter) // 4)
    return n_iter_no_change


def _penalty(module: nn.Module) -> Tensor:
    """Sum of squares of the module's ``penalized_parameters()``."""
    return sum((w * w).sum() for w in module.penalized_parameters())


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
    eval_fn: EvalFn | None = None,
) -> History:
    """Train ``module`` for up to ``config.max_iter`` epochs over ``data``.

    The monitored loss is the validation loss with ``validation`` data (whose
    best weights are restored at the end), else the epoch's mean training loss.
    Training stops once it has not improved by ``tol`` for ``n_iter_no_change``
    epochs (``History.converged``); ``History.stop_reason`` says why it ended
    (see the module docstring). The learning rate follows
    ``config.learning_rate`` over this call's epochs.

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

    Subnormal floats are flushed to zero on the calling thread while it runs
    (:func:`sk_alrnn._nn._kernels.fpenv.flush_denormals`; the caller's setting is
    restored on the way out).
    """
    with flush_denormals(), latched_interrupts() as latch:
        return _train(
            module, optimizer, data, config, loss_fn, generator, validation,
            eval_fn, latch,
        )  # fmt: skip


def _train(
    module, optimizer, data, config, loss_fn, generator, validation, eval_fn, latch
):
    history = History()
    best_state = None
    no_improvement = 0
    schedule = _Schedule(optimizer, config)
    last = _Checkpoint.take(0, module, optimizer, generator)
    previous = last
    module.train()
    try:
        for epoch in range(1, config.max_iter + 1):
            start = time.perf_counter()
            schedule.before_epoch(epoch)
            epoch_loss = _run_epoch(
                module, optimizer, data, config, loss_fn, epoch, generator, latch
            )
            message = f"Epoch {epoch}/{config.max_iter}: loss={epoch_loss:.6g}"
            monitored = epoch_loss
            score = None
            if validation is not None:
                val_loss, score = _evaluate(module, validation, config, eval_fn)
                latch.check()
                monitored = val_loss
                message += f", validation loss={val_loss:.6g} score={score:.6g}"
            checkpoint = _Checkpoint.take(epoch, module, optimizer, generator)
            # The epoch is complete: record it and move the checkpoints on.
            history.loss_curve.append(epoch_loss)
            history.best_loss = min(history.best_loss, epoch_loss)
            if score is not None:
                history.validation_scores.append(score)
                history.validation_losses.append(monitored)
            improved = monitored < history.best_monitored - config.tol
            if monitored < history.best_monitored:
                history.best_monitored = monitored
                history.best_epoch = epoch
                if score is not None:
                    history.best_validation_score = score
                    best_state = checkpoint.weights
            previous, last = last, checkpoint
            schedule.after_epoch(improved)
            if config.verbose:
                lr = optimizer.param_groups[0]["lr"]
                print(
                    f"{message}, lr={lr:.3g}, {time.perf_counter() - start:.3f}s",
                    flush=True,
                )
            no_improvement = 0 if improved else no_improvement + 1
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
    if best_state is not None and history.best_epoch:
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
    history.stop_reason = _stop_reason(history, config)
    history.converged = history.stop_reason != "max_iter"
    if isinstance(history.fault, DivergenceError):
        history.fault.history = history
        raise history.fault
    return history


def _run_epoch(
    module, optimizer, data, config, loss_fn, epoch, generator, latch: Latch
) -> float:
    """One pass over ``data`` in a random order; the mean training loss."""
    n = len(data)
    batch_size = min(config.batch_size, n)
    n_batches = math.ceil(n / batch_size)
    order = torch.randperm(n, generator=generator)  # CPU, local generator
    total = torch.zeros((), dtype=torch.float64, device=data.X.device)
    for batch, begin in enumerate(range(0, n, batch_size), start=1):
        idx = order[begin : begin + batch_size]
        part = data.batch(idx, config.sequence)
        out = module(part.X, part.lengths, sequence=config.sequence)
        loss = loss_fn(out, *part.targets(config.sequence))
        objective = loss
        if config.alpha > 0:
            objective = objective + 0.5 * config.alpha * _penalty(module) / len(idx)
        if config.mar_strength > 0:
            mar = module.mar_penalty(config.mar_units)
            objective = objective + config.mar_strength * mar
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        norm = _clip_gradients(module, config.clip_grad_norm)
        loss = loss.detach()
        # One host sync per batch: a step with a non-finite loss or gradient
        # would poison the weights and Adam's moments.
        if not bool(torch.isfinite(loss) & torch.isfinite(norm)):
            raise _Diverged(
                f"epoch {epoch} (batch {batch} of {n_batches}): the training loss "
                f"was {float(loss):.6g} and the gradient norm {float(norm):.6g}, so "
                "the step was not taken"
            )
        optimizer.step()
        total = total + loss.double() * len(idx)
        latch.check()  # a Ctrl-C swallowed by a finaliser still stops the fit
    epoch_loss = float(total) / n  # float64 sum: finite batch losses stay so
    if not (math.isfinite(epoch_loss) and _all_finite(module)):
        raise _Diverged(f"epoch {epoch}: the weights became non-finite")
    return epoch_loss


def _evaluate(module, data, config, eval_fn) -> tuple[float, float]:
    """(loss, score) of ``module`` on held-out ``data``, without gradients."""
    module.eval()
    out = predict_chunked(module, data, config.sequence)
    loss, score = eval_fn(out, *data.targets(config.sequence))
    module.train()
    return loss, score


class _Schedule:
    """The learning rate of each epoch: constant, cosine decay or adaptive.

    ``"cosine"`` decays from ``learning_rate_init`` to ``COSINE_MIN`` times it
    over the call's ``max_iter`` epochs; ``"adaptive"`` halves the rate after
    ``max(2, n_iter_no_change // 4)`` epochs without an improvement, down to
    ``ADAPTIVE_MIN`` times the initial rate.
    """

    def __init__(self, optimizer, config: TrainConfig):
        self.optimizer = optimizer
        self.config = config
        self.lr = config.learning_rate_init
        self.stale = 0
        patience = config.n_iter_no_change
        self.wait = max(2, int(patience) // 4) if math.isfinite(patience) else 10

    def _set(self, lr: float) -> None:
        self.lr = lr
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def before_epoch(self, epoch: int) -> None:
        config = self.config
        if config.learning_rate == "cosine" and config.max_iter > 1:
            progress = (epoch - 1) / (config.max_iter - 1)  # 0 .. 1
            low = COSINE_MIN * config.learning_rate_init
            span = config.learning_rate_init - low
            self._set(low + 0.5 * span * (1 + math.cos(math.pi * progress)))

    def after_epoch(self, improved: bool) -> None:
        if self.config.learning_rate != "adaptive":
            return
        self.stale = 0 if improved else self.stale + 1
        if self.stale >= self.wait:
            low = ADAPTIVE_MIN * self.config.learning_rate_init
            self._set(max(low, self.lr * ADAPTIVE_FACTOR))
            self.stale = 0


def _stop_reason(history: History, config: TrainConfig) -> str:
    """Why training ended: "converged", "plateau" or "max_iter" (still improving)."""
    monitored = history.monitored
    n = len(monitored)
    if n == 0:
        return "max_iter"
    if not history.converged:  # ran to max_iter (or a fault): improving lately?
        if n < JUDGE_MIN_EPOCHS:
            return "max_iter"  # too short to tell
        recent = max(1, math.ceil(RECENT_FRACTION * n))
        recent = int(min(recent, config.n_iter_no_change))
        before = min(monitored[: n - recent], default=math.inf)
        now = min(monitored[n - recent :])
        gain = before - now  # inf after a single epoch: cannot tell, so improving
        if gain > config.tol and gain > IMPROVING_SHARE * (monitored[0] - now):
            return "max_iter"
    trivial = config.trivial_loss
    if trivial is not None and math.isfinite(trivial) and trivial > 0:
        if history.best_monitored > PLATEAU_FRACTION * trivial:
            return "plateau"
    return "converged"


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


class _Diverged(Exception):
    """Raised inside the loop; becomes the DivergenceError in History.fault."""


def _diverged(config: TrainConfig, what: str) -> DivergenceError:
    return DivergenceError(
        f"{config.name}: training diverged in {what}. Lower "
        f"learning_rate_init (now {config.learning_rate_init}) or clip_grad_norm "
        f"(now {config.clip_grad_norm}), or scale X and y (e.g. StandardScaler)."
    )


def _outputs_finite(module: nn.Module, data: SequenceData, config: TrainConfig) -> bool:
    """One forward pass over the training data, in chunks, without gradients."""
    chunk = max(config.batch_size, EVAL_STEPS // max(1, data.X.shape[1]))
    out = predict_chunked(module, data, config.sequence, chunk)
    return bool(torch.isfinite(out).all())
