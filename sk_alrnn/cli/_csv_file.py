"""Reading a ``--csv`` file: its text (decompressed) and its header row.

:func:`read_text` and :func:`header` raise :class:`CsvFileError` (a
ValueError) whose message says what is wrong with the file and the fix.

Private: only :mod:`sk_alrnn.cli._data` imports it.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import zipfile
import zlib
from pathlib import Path


class CsvFileError(ValueError):
    """A ``--csv`` file that cannot be read: the message says why and the fix."""


# compressed formats, told by their first bytes (not the file name)
_MAGIC = {
    b"\x1f\x8b": ("gzip", gzip.open, "gzip -t"),
    b"BZh": ("bzip2", bz2.open, "bzip2 -t"),
    b"\xfd7zXZ\x00": ("xz", lzma.open, "xz -t"),
    b"PK\x03\x04": ("zip", None, "unzip -t"),
}
_ZSTD = b"\x28\xb5\x2f\xfd"


def read_text(path: Path) -> str:
    """The text of a UTF-8 file, decompressed if gzip, bzip2, xz or zip.

    Raises :class:`CsvFileError` saying what went wrong and the fix: a missing
    file, a folder, no read permission, truncated or corrupt compressed data, a
    zip archive with other than one file, bytes that are not UTF-8, or no text.
    """
    try:
        with open(path, "rb") as f:
            start = f.read(8)
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
        raise CsvFileError(f"no such file{where}; check the name and folder") from None
    except IsADirectoryError:
        raise CsvFileError(
            "is a folder; expected a CSV file: pass a file inside it"
        ) from None
    except PermissionError:
        raise CsvFileError(
            "permission denied: this user may not read it; make it readable "
            "(chmod u+r) or copy it somewhere readable"
        ) from None
    except OSError as exc:
        raise CsvFileError(f"could not open it ({_one_line(exc)})") from None
    if start.startswith(_ZSTD):
        raise CsvFileError(
            "is zstandard-compressed, which --csv does not read; decompress it "
            "first (zstd -d), or compress it with gzip, bzip2, xz or zip"
        )
    kind = next((v for k, v in _MAGIC.items() if start.startswith(k)), None)
    try:
        if kind is None:
            data = path.read_bytes()
        elif kind[1] is None:
            data = _zip_member(path)
        else:
            with kind[1](path, "rb") as f:
                data = f.read()
    except CsvFileError:
        raise
    except (EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, OSError) as exc:
        if kind is None:  # an I/O error on a plain file
            raise CsvFileError(f"could not read it ({_one_line(exc)})") from None
        name, _, check = kind
        raise CsvFileError(
            f"the {name} data is truncated or corrupt ({_one_line(exc)}); the file "
            f"was probably cut short while copying or downloading: get it again "
            f"(`{check} {path}` checks a copy)"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        inside = f" (inside the {kind[0]} data)" if kind else ""
        raise CsvFileError(
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}{inside}; save it as UTF-8 (e.g. `iconv -f latin1 -t "
            f"utf-8 {path} > {path.stem}-utf8.csv`, or 'CSV UTF-8' in a "
            "spreadsheet program)"
        ) from None
    if not text.strip():
        raise CsvFileError("the file is empty; expected a header row and data rows")
    return text


def _zip_member(path: Path) -> bytes:
    """The one file in a zip archive (what pandas reads from a .zip)."""
    with zipfile.ZipFile(path) as archive:
        files = [i for i in archive.infolist() if not i.is_dir()]
        if len(files) != 1:
            shown = ", ".join(i.filename for i in files[:3])
            more = ", ..." if len(files) > 3 else ""
            raise CsvFileError(
                f"the zip archive holds {len(files)} files ({shown}{more}); "
                "expected exactly one CSV file: extract the one to use and pass it"
            )
        return archive.read(files[0])


def header(text: str) -> tuple[str, list[str]]:
    """The separator (``,`` or else ``;``, tab, ``|``) and the header's names.

    Duplicate names raise :class:`CsvFileError`: pandas would rename the second
    ``a`` to ``a.1`` without a word.
    """
    sep = ","
    try:
        names = _first_row(text, sep)
        if len(names) == 1:  # not comma-separated, perhaps
            sep = next((c for c in ";\t|" if c in names[0]), ",")
            names = _first_row(text, sep)
    except csv.Error as exc:
        raise CsvFileError(
            f"could not read its header row ({_one_line(exc)}); expected column "
            "names separated by commas (or semicolons, tabs or bars)"
        ) from None
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen and name.strip():
            twice = [n for n in dict.fromkeys(names) if names.count(n) > 1 and n]
            raise CsvFileError(
                f"the header names column {name!r} twice (columns {seen[name]} and "
                f"{i}, counting from 0; duplicated: {twice}); every column needs a "
                "name of its own: rename or drop the copies"
            )
        seen.setdefault(name, i)
    blank = [i for i, name in enumerate(names) if not name.strip()]
    if blank:
        index = " (a pandas index saved by DataFrame.to_csv: save with index=False)"
        raise CsvFileError(
            f"the header gives column(s) {blank} (counting from 0) no name; name "
            f"every column, or drop the unnamed ones{index if blank[0] == 0 else ''}"
        )
    return sep, names


def _first_row(text: str, sep: str) -> list[str]:
    return next(r for r in csv.reader(io.StringIO(text), delimiter=sep) if r)


def _one_line(exc: BaseException) -> str:
    reason = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
