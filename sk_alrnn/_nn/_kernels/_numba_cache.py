"""Where numba caches the compiled CPU kernels; importing this sets NUMBA_CACHE_DIR.

numba reads ``NUMBA_CACHE_DIR`` once, when it is imported, so the kernel modules
import this one before numba.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["numba_cache_dir"]


def numba_cache_dir(
    package_dir: str | os.PathLike[str], environ: Mapping[str, str]
) -> str | None:
    """Directory numba should cache compiled kernels in, or None to keep its default.

    numba's ``cache=True`` writes next to the source file. When the package
    directory is not writable (a system-wide install) and ``NUMBA_CACHE_DIR`` is
    unset, this returns ``$XDG_CACHE_HOME/sk_alrnn/numba`` (``~/.cache`` when
    ``XDG_CACHE_HOME`` is unset), so that the compiled kernels are kept between
    processes. Importing this module then sets ``NUMBA_CACHE_DIR`` for the
    process, before numba is imported (numba reads it once, at import).

    Parameters
    ----------
    package_dir : path
        Directory holding this module.
    environ : mapping
        Environment variables (``os.environ``).

    Returns
    -------
    cache_dir : str or None
        The directory to put in ``NUMBA_CACHE_DIR``; None when the variable is
        already set or the package directory is writable.

    Examples
    --------
    >>> numba_cache_dir("/any/dir", {"NUMBA_CACHE_DIR": "/tmp/x"}) is None
    True
    """
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    pycache = Path(package_dir) / "__pycache__"
    target = pycache if pycache.is_dir() else Path(package_dir)
    if os.access(target, os.W_OK):
        return None
    xdg = environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return str(base / "sk_alrnn" / "numba")


# numba reads NUMBA_CACHE_DIR when it is imported: decide before the import.
_cache_dir = numba_cache_dir(Path(__file__).parent, os.environ)
if _cache_dir is not None:
    os.environ["NUMBA_CACHE_DIR"] = _cache_dir
