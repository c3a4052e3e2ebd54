"""Flush subnormal floats to zero while the library computes, then restore.

Gradients of a contractive recurrence decay through time into subnormal numbers
(below about 1.2e-38 in float32), and x86 arithmetic on them is 10 to 100 times
slower than on normal numbers: a training step of an AL-RNN at B = 128, T = 100,
M = 128 with the papers' initialisation ran 6x slower with them than without.
Values that small carry no information for training, so ``fit`` and ``predict``
run inside :func:`flush_denormals`, which switches on flush-to-zero and
denormals-are-zero (``torch.set_flush_denormal``) for the calling thread and
always restores the caller's setting, also when the block raises or is
interrupted.

The setting belongs to a thread: torch's intra-op worker threads (with
``torch.set_num_threads(n > 1)``) keep theirs. There is no portable getter, so
the current state is read with two float32 probes: an underflowing product (is
the result flushed?) and a product of a subnormal input (is the input read as
zero?).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import numpy as np
import torch

__all__ = ["denormals_flushed", "flush_denormals"]

_TINY = np.float32(1e-20)  # 1e-20 * 1e-20 = 1e-40 is subnormal in float32
_SUBNORMAL = np.array([1], dtype=np.uint32).view(np.float32)[0]  # 1.4e-45
_SCALE = np.float32(2.0**24)  # subnormal * 2^24 = 2.4e-38 is normal


def denormals_flushed() -> tuple[bool, bool]:
    """(flush-to-zero, denormals-are-zero) of the calling thread, as observed.

    Returns
    -------
    ftz, daz : bool
        Whether a float32 result that would be subnormal comes out as zero, and
        whether a subnormal float32 input is read as zero.

    Examples
    --------
    >>> denormals_flushed()  # the default floating-point environment
    (False, False)
    """
    with np.errstate(all="ignore"):
        ftz = bool(_TINY * _TINY == 0)
        daz = bool(_SUBNORMAL * _SCALE == 0)
    return ftz, daz


@functools.cache
def _warm_finfo() -> None:
    # numpy < 2.1 warns "The value of the smallest subnormal for <class
    # 'numpy.float32'> type is zero" when finfo's limits are first computed with
    # denormals flushed; compute (and cache) them before switching.
    for dtype in (np.float16, np.float32, np.float64, np.longdouble):
        np.finfo(dtype)


@contextlib.contextmanager
def flush_denormals(enabled: bool = True) -> Iterator[bool]:
    """Flush subnormal floats to zero on this thread inside a ``with`` block.

    When the thread already flushes (fully or partly: the caller's choice) or
    ``enabled`` is False, nothing changes. Otherwise flushing is switched on
    and, on leaving the block by any route (return, exception, Ctrl-C),
    switched off again. Blocks nest.

    Parameters
    ----------
    enabled : bool, default=True
        False makes the block a no-op.

    Yields
    ------
    switched : bool
        Whether this block switched flushing on (and will switch it off).

    Examples
    --------
    >>> import torch
    >>> tiny = torch.tensor(1e-20)
    >>> with flush_denormals():
    ...     bool(tiny * tiny == 0)  # 1e-40 is subnormal in float32
    True
    >>> bool(tiny * tiny == 0)
    False
    """
    if not enabled or any(denormals_flushed()):
        yield False
        return
    _warm_finfo()
    if not torch.set_flush_denormal(True):  # the CPU cannot (no SSE3): nothing set
        yield False
        return
    try:
        yield True
    finally:
        torch.set_flush_denormal(False)
