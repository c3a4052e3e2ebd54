"""A data set as tensors on the training device, and evaluation in chunks.

Shapes: N sequences, T time steps, K features per step, O outputs.
:class:`SequenceData` is built once per fit on the device :func:`resolve_device`
picks; :func:`predict_chunked` runs a model over it a bounded number of time steps
at a time. Re-exported by :mod:`sk_alrnn._nn._training`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["EVAL_STEPS", "SequenceData", "predict_chunked", "resolve_device"]

EVAL_STEPS = 2**14  # rows x time steps per forward call when evaluating


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
    # per-sequence (N,) or, for sequence targets, per-step (N, T) loss weights;
    # None: unweighted (the loss functions are then called without them)
    weight: Tensor | None = None

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
            None if self.weight is None else self.weight[dev_idx],
        )

    def mask(self) -> Tensor | None:
        """(N, T) True on valid steps; None when all steps are valid."""
        if self.lengths is None:
            return None
        steps = torch.arange(self.X.shape[1], device=self.X.device)
        return steps < self.lengths[:, None]

    def batch(self, idx: Tensor, sequence: bool) -> SequenceData:
        """The rows ``idx`` with the batch's trailing padding dropped."""
        part = self.rows(idx)
        if part.lengths is None:
            return part
        n_steps = int(part.lengths_cpu.max())  # trailing padding of the batch dropped
        weight = part.weight
        if sequence:
            y = part.y[:, :n_steps]
            weight = None if weight is None else weight[:, :n_steps]  # (b, T_b)
        return SequenceData(
            part.X[:, :n_steps],  # (b, T_b, K)
            part.lengths,
            y if sequence else part.y,
            part.lengths_cpu,
            weight,
        )

    def targets(self, sequence: bool) -> tuple:
        """``(y, mask)`` or ``(y, mask, weight)``: what a loss function takes.

        The mask (valid steps) is given for sequence targets only; the weights
        only when the data are weighted.
        """
        mask = self.mask() if sequence else None
        return (self.y, mask) if self.weight is None else (self.y, mask, self.weight)


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


def predict_chunked(
    module: nn.Module, data: SequenceData, sequence: bool, chunk: int | None = None
) -> Tensor:
    """``module``'s outputs for all of ``data``, ``chunk`` rows per call, no gradients.

    Bounds the memory of evaluation (a forward pass holds the latents of all
    rows it is given) for large validation and training sets. The default
    chunk holds about :data:`EVAL_STEPS` time steps.
    """
    if chunk is None:
        chunk = max(1, EVAL_STEPS // max(1, data.X.shape[1]))
    with torch.no_grad():
        parts = [
            module(part.X, part.lengths, sequence=sequence)
            for part in (
                data.rows(slice(begin, begin + chunk))
                for begin in range(0, len(data), chunk)
            )
        ]
    return torch.cat(parts) if len(parts) != 1 else parts[0]
