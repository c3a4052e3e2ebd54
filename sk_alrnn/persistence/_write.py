"""The file-system side of a model file: the atomic write, the path checks.

Used by :func:`sk_alrnn.persistence.save`: :func:`_write_atomic` writes the bytes
to a temporary file next to the target, syncs it and renames it over the target,
keeping the replaced file's permission bits (and owner and group where allowed),
refusing what ``open(path, "wb")`` would refuse with a message that names the fix,
deferring Ctrl-C across the few statements that must not be split, and removing
the temporary files of saves killed mid-write. :func:`_check_source` refuses,
for :func:`sk_alrnn.persistence.load`, a path that is missing, a directory or a
special file.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import secrets
import signal
import stat
import threading
import time
from pathlib import Path

_STALE_TMP_S = 600  # temporary files older than this are leftovers of killed saves
_NAME_MAX = 255  # bytes in a file name, where os.pathconf cannot tell
_TOKEN_BYTES = 4  # random bytes in a temporary file's name (8 hex digits)
_TMP_EXTRA = len(".") + len(".") + 2 * _TOKEN_BYTES + len(".tmp")


def _write_atomic(path, data: bytes) -> None:
    """Temporary file in the same directory -> fsync -> os.replace (all or nothing).

    The target's permission bits (and, where allowed, owner and group) are kept;
    a target that we may not write is refused, as ``open(path, "wb")`` would.
    The temporary file is closed and removed whatever interrupts the save
    (``KeyboardInterrupt`` included).
    """
    path, name_max, existing = _check_target(path)
    prefix = _tmp_prefix(path.name, name_max)
    tmp = path.with_name(f".{prefix}.{secrets.token_hex(_TOKEN_BYTES)}.tmp")
    fd, created = -1, False
    try:
        with _sigint_deferred():  # the fd is always assigned once the file exists
            fd = os.open(tmp, _CREATE_FLAGS, 0o666)  # umask applies
            created = True
        if existing is not None:
            _keep_permissions(fd, tmp, existing)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        with _sigint_deferred():
            os.close(fd)
            fd = -1
        os.replace(tmp, path)
    except BaseException as exc:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if not created and isinstance(exc, OSError):
            raise _explain_create_error(exc, path) from exc
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX only)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    _remove_stale(path.parent, prefix)


_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _check_target(path) -> tuple[Path, int, os.stat_result | None]:
    """The file to replace, its folder's name limit and its stat (None: new file).

    Raises the ``OSError`` that writing would, before anything is written, with
    a message that names the problem and its fix.
    """
    path = Path(os.fspath(path))
    _check_name(path)
    if path.is_symlink():  # replace the file that the link points to, not the link
        path = Path(os.path.realpath(path))
        _check_name(path)
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR,
            f"sk_alrnn.save: {str(path)!r} is a directory; pass a file path such as "
            f"{str(path / 'model.safetensors')!r}.",
        )
    folder = path.parent
    if not folder.exists():
        raise FileNotFoundError(
            errno.ENOENT,
            f"sk_alrnn.save: the folder {str(folder)!r} does not exist, so "
            f"{path.name!r} cannot be written there. Create it first: "
            f"os.makedirs({str(folder)!r}, exist_ok=True) or "
            "Path(folder).mkdir(parents=True, exist_ok=True).",
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR,
            f"sk_alrnn.save: {str(folder)!r} is a file, not a folder, so "
            f"{str(path)!r} cannot be written. Choose a path inside a folder.",
        )
    name_max = _name_max(folder)
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise OSError(
            errno.EINVAL,
            f"sk_alrnn.save: {str(path)!r} exists and is not a regular file (a "
            "device, pipe or socket); save refuses to replace it. Choose another "
            "path.",
        )
    if existing is not None and not os.access(path, os.W_OK):
        raise PermissionError(
            errno.EACCES,
            f"sk_alrnn.save: {str(path)!r} exists and is read-only for this user "
            f"(mode {stat.filemode(existing.st_mode)}); save refuses to replace "
            "it, as open(path, 'wb') would. Make it writable first "
            "(os.chmod(path, 0o644)), delete it, or save to another path.",
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES,
            f"sk_alrnn.save: the folder {str(folder)!r} is not writable for this "
            f"user, so {path.name!r} cannot be written there (save writes a "
            "temporary file next to it). Save into a folder you may write, or "
            "change the folder's permissions.",
        )
    return path, name_max, existing


def _check_name(path: Path) -> None:
    """Refuse a file name longer than its folder allows (ENAMETOOLONG)."""
    size, name_max = len(os.fsencode(path.name)), _name_max(path.parent)
    if size > name_max:
        raise OSError(
            errno.ENAMETOOLONG,
            f"sk_alrnn.save: the file name {path.name[:40] + '...'!r} has {size} "
            f"bytes; the folder {str(path.parent)!r} allows at most {name_max}. "
            "Choose a shorter name.",
        )


def _name_max(folder: Path) -> int:
    """The longest file name (in bytes) that ``folder`` allows; 255 if unknown."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, ValueError, OSError):
        return _NAME_MAX
    return limit if limit and limit > 0 else _NAME_MAX


def _tmp_prefix(name: str, name_max: int) -> str:
    """``name``, cut so that ``.<prefix>.<8 hex>.tmp`` fits in ``name_max`` bytes."""
    room = max(name_max - _TMP_EXTRA, 0)
    prefix = name
    while len(os.fsencode(prefix)) > room:
        prefix = prefix[:-1]
    return prefix


@contextlib.contextmanager
def _sigint_deferred():
    """Hold Ctrl-C back for a few statements that must not be split.

    Python runs signal handlers in the main thread only, so there a handler that
    records the press replaces the current one for the block; on leaving, the
    previous handler is restored and called (``KeyboardInterrupt`` for Python's
    default). Other threads never see ``KeyboardInterrupt``: nothing to hold.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *args: pressed.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed and callable(previous):
            previous(*pressed[0])
        elif pressed and previous == signal.SIG_DFL:
            raise KeyboardInterrupt


def _keep_permissions(fd: int, tmp: Path, existing: os.stat_result) -> None:
    """Give the new file the replaced file's mode, owner and group where allowed.

    When the group cannot be kept, the group bits are dropped: the new file is
    never readable by more users than the old one was.
    """
    mode = stat.S_IMODE(existing.st_mode) & 0o777  # no setuid/setgid/sticky
    if hasattr(os, "fchown"):
        ours = os.fstat(fd)
        if (ours.st_uid, ours.st_gid) != (existing.st_uid, existing.st_gid):
            try:
                os.fchown(fd, existing.st_uid, existing.st_gid)
            except OSError:
                try:  # a non-root user may still set a group it belongs to
                    os.fchown(fd, -1, existing.st_gid)
                except OSError:
                    mode &= ~0o070
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows (read-only flag only)
        os.chmod(tmp, mode)


def _explain_create_error(exc: OSError, path: Path) -> OSError:
    """The error of creating the temporary file, said in terms of ``path``."""
    folder = str(path.parent)
    fixes = {
        errno.ENOENT: (
            FileNotFoundError,
            f"the folder {folder!r} does not exist; create it first with "
            "os.makedirs(folder, exist_ok=True)",
        ),
        errno.EACCES: (
            PermissionError,
            f"the folder {folder!r} is not writable for this user; save into a "
            "folder you may write",
        ),
        errno.EROFS: (
            OSError,
            f"the folder {folder!r} is on a read-only file system; save elsewhere",
        ),
        errno.ENAMETOOLONG: (OSError, "the path is too long; choose a shorter one"),
    }
    fixes[errno.EPERM] = fixes[errno.EACCES]
    if exc.errno not in fixes:
        return exc
    cls, fix = fixes[exc.errno]
    return cls(
        exc.errno,
        f"sk_alrnn.save could not write {str(path)!r} ({exc.strerror} when creating "
        f"its temporary file in the same folder): {fix}.",
    )


def _remove_stale(folder: Path, prefix: str) -> None:
    """Temporary files of saves killed mid-write (SIGKILL, power loss).

    A save still running elsewhere is younger than ``_STALE_TMP_S`` seconds.
    """
    start = f".{prefix}."
    for stale in folder.glob(f"{glob.escape(start)}*.tmp"):
        if "." in stale.name[len(start) : -len(".tmp")]:
            continue  # the temporary file of another target (".m.safetensors...")
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > _STALE_TMP_S:
                stale.unlink()


def _check_source(path: str) -> None:
    """Refuse a missing path, a directory or a special file with a clear OSError."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        parent = os.path.dirname(os.path.abspath(path))
        where = "" if os.path.isdir(parent) else f" (nor the folder {parent!r})"
        raise FileNotFoundError(
            errno.ENOENT,
            f"sk_alrnn.load: there is no file {path!r}{where}; check the path "
            f"(a relative one starts in {os.getcwd()!r}).",
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(
            errno.EISDIR,
            f"sk_alrnn.load: {path!r} is a directory, not a model file; pass the "
            "path of a file written by sk_alrnn.save, such as "
            f"{os.path.join(path, 'model.safetensors')!r}.",
        )
    if not stat.S_ISREG(st.st_mode):
        raise OSError(
            errno.EINVAL,
            f"sk_alrnn.load: {path!r} is not a regular file (a device, pipe or "
            "socket); pass the path of a file written by sk_alrnn.save.",
        )
