"""What every recurrence kernel takes, and the one call signature they share.

A kernel is written on one :class:`RolloutInputs` (plus its own options) and
decorated with :func:`kernel`, which makes it callable as
``f(U, A, W, n_nonlinear, z0=None, lengths=None, *options)``, the parameters of
:func:`sk_alrnn._nn._kernels.reference.rollout_reference`. Shapes: B batch, T time
steps, M latent units, P nonlinear (ReLU) units.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import NamedTuple, get_type_hints

from torch import Tensor

__all__ = ["RolloutInputs", "as_array", "kernel"]


def as_array(x: Tensor):
    """C-contiguous numpy view (shared memory when possible) of a CPU tensor.

    How the numba kernels read their torch inputs.

    Examples
    --------
    >>> import torch
    >>> as_array(torch.ones(2, 3).T).flags["C_CONTIGUOUS"]
    True
    """
    return x.detach().contiguous().numpy()


class RolloutInputs(NamedTuple):
    """The inputs of one rollout, as documented in ``rollout_reference``.

    Examples
    --------
    >>> import torch
    >>> inputs = RolloutInputs(torch.ones(2, 3, 4), torch.zeros(4), torch.eye(4), 1)
    >>> inputs.initial_state().shape
    torch.Size([2, 4])
    """

    U: Tensor  # (B, T, M) input drive
    A: Tensor  # (M,) diagonal self-coupling
    W: Tensor  # (M, M) coupling acting on phi(z)
    n_nonlinear: int  # P, the ReLU units (the last P)
    z0: Tensor | None = None  # (B, M) initial state; zeros when None
    lengths: Tensor | None = None  # (B,) valid steps per sequence

    def initial_state(self) -> Tensor:
        """``z0``, or zeros of shape (B, M) when it is None."""
        if self.z0 is not None:
            return self.z0
        n_batch, _, n_hidden = self.U.shape
        return self.U.new_zeros(n_batch, n_hidden)


_INPUT_PARAMETERS = [
    inspect.Parameter(
        name,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=RolloutInputs._field_defaults.get(name, inspect.Parameter.empty),
        annotation=annotation,
    )
    for name, annotation in get_type_hints(RolloutInputs).items()
]


def kernel(impl: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Make ``impl(inputs, *options)`` callable with the kernels' signature.

    The returned function takes the fields of :class:`RolloutInputs` (``U``,
    ``A``, ``W``, ``n_nonlinear``, then ``z0`` and ``lengths``, optional), then
    the parameters of ``impl`` after its first; it keeps ``impl``'s name and
    docstring, and ``inspect.signature`` reports that combined signature.

    Examples
    --------
    >>> import torch
    >>> @kernel
    ... def shape_of(inputs, scale=1):
    ...     return inputs.U.shape[-1] * scale
    >>> shape_of(torch.zeros(1, 2, 3), None, None, 0, lengths=None, scale=2)
    6
    >>> list(inspect.signature(shape_of).parameters)
    ['U', 'A', 'W', 'n_nonlinear', 'z0', 'lengths', 'scale']
    """

    def call(U, A, W, n_nonlinear, z0=None, lengths=None, *args, **kwargs):
        return impl(RolloutInputs(U, A, W, n_nonlinear, z0, lengths), *args, **kwargs)

    functools.update_wrapper(call, impl)
    del call.__wrapped__  # the signature is the combined one, not impl's
    own = inspect.signature(impl)
    options = list(own.parameters.values())[1:]
    call.__signature__ = own.replace(parameters=[*_INPUT_PARAMETERS, *options])
    return call
