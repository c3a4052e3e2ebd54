"""Ctrl-C that is never lost while a fit runs.

Python delivers SIGINT by raising ``KeyboardInterrupt`` in the main thread at the
next bytecode. When that bytecode belongs to a finaliser (a ``__del__`` or a
weakref callback run by the garbage collector, possibly one of another library's
objects), Python reports the exception as "ignored" and carries on: the user's
Ctrl-C is gone and a long fit keeps running. :func:`latched_interrupts` installs,
for the duration of a ``with`` block, a handler that raises as the default one
does *and* latches the press; the training loop calls :meth:`Latch.check` after
every batch, which raises the interrupt again if it was swallowed.

The handler is only installed from the main thread and only while Python's
default handler is in place: a handler of the user's own is left alone, and the
previous handler is always restored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Latch:
    """Remembers a Ctrl-C pressed inside :func:`latched_interrupts`."""

    __slots__ = ("pressed",)

    def __init__(self) -> None:
        self.pressed = False

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed and swallowed."""
        if self.pressed:
            self.pressed = False
            raise KeyboardInterrupt


@contextmanager
def latched_interrupts() -> Iterator[Latch]:
    """Latch SIGINT in the main thread for the duration of the block.

    Yields a :class:`Latch`; outside the main thread, or when SIGINT has a handler
    other than Python's default, nothing is installed and the latch never fires.
    """
    latch = Latch()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield latch
        return

    def handler(signum, frame):
        latch.pressed = True
        signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield latch
    finally:
        signal.signal(signal.SIGINT, previous)
