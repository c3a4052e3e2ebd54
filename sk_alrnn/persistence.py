"""Save and load fitted estimators without pickle: one safetensors file.

A model file is a plain `safetensors <https://huggingface.co/docs/safetensors>`_
file. Its tensors hold the network weights, the optimizer state and every numeric
array of the estimator; its string metadata holds one JSON document (format
version, library version, estimator class, ``get_params()`` and the other fitted
attributes) and a SHA-256 digest of that JSON and all tensor bytes. This module
owns the file (layout, header checks, digest, atomic write, error wrapping);
``sk_alrnn._persistence_codec`` turns estimators into JSON and tensors and back.

Loading parses JSON and raw little-endian numbers only: it never unpickles,
never calls ``torch.load`` and never imports a name read from the file (the
estimator class comes from a fixed allowlist). Every malformed, truncated,
corrupted or inconsistent file ends in a ``ValueError`` that names the file.

Pickle and joblib files of the estimators (which ``GridSearchCV`` and joblib
create) can run arbitrary code when loaded: load those only from trusted
sources; :func:`load` is the safe path for files from elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import struct
import time
import warnings
from pathlib import Path

import torch
from safetensors.torch import load as _st_load
from safetensors.torch import save as _st_save

from sk_alrnn._persistence_codec import decode_estimator, dtype_name, encode_estimator
from sk_alrnn._version import __version__

FORMAT_VERSION = 1
_META_KEY = "sk_alrnn"  # the JSON document
_DIGEST_KEY = "sk_alrnn.sha256"  # digest of the JSON and the tensor bytes
_HEADER_KEYS = {
    "format_version",
    "library_version",
    "estimator",
    "params",
    "attributes",
}
_STALE_TMP_S = 600  # temporary files older than this are leftovers of killed saves
_MAX_HEADER = 64 * 2**20  # bytes of safetensors header we agree to parse
_PICKLE_HINT = (
    " It looks like a pickle, joblib or torch.save file: sk_alrnn.load never "
    "unpickles. Load such files only if you trust their source (joblib.load), "
    "then re-save them with sk_alrnn.save."
)


# -- writing -----------------------------------------------------------------------
def save(estimator, path) -> None:
    """Write an estimator to one safetensors file, atomically and without pickle.

    The file holds the weights, the optimizer state (so ``warm_start`` and
    ``partial_fit`` continue after :func:`load`), ``get_params()``, the classes,
    feature names, loss curve and every other attribute. It is written to a
    temporary file in the same directory, synced to disk and renamed over
    ``path``, so an interrupted save never leaves a half-written model there.
    Tensors are saved from the CPU; the file stores no device.

    Parameters
    ----------
    estimator : estimator
        An :class:`~sk_alrnn.ALRNNRegressor`, :class:`~sk_alrnn.ALRNNClassifier`,
        :class:`~sk_alrnn.baselines.RNNRegressor`,
        :class:`~sk_alrnn.baselines.RNNClassifier` or
        :class:`~sk_alrnn.forecasting.ALRNNForecaster`, fitted or not
        (subclasses are refused: their code could not be trusted at load time).
    path : str or os.PathLike
        Destination file, conventionally ``*.safetensors``; replaced if it exists.

    Raises
    ------
    TypeError
        For another estimator class, or an attribute of a type the format does
        not support (the message names the attribute).

    See Also
    --------
    load : Rebuild the estimator from the file.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.persistence import load, save
    >>> X = np.random.RandomState(0).normal(size=(20, 5, 2))
    >>> reg = ALRNNRegressor(n_hidden=4, n_nonlinear=1, max_iter=2, random_state=0)
    >>> reg = reg.fit(X, X.sum(axis=(1, 2)))
    >>> path = Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> save(reg, path)
    >>> bool(np.array_equal(load(path).predict(X), reg.predict(X)))
    True
    """
    body, tensors = encode_estimator(estimator)
    header = {"format_version": FORMAT_VERSION, "library_version": __version__}
    _write_atomic(path, _pack({**header, **body}, tensors))


def _digest(text: str, tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256(text.encode())
    for key in sorted(tensors):
        t = tensors[key]
        h.update(f"\0{key}\0{dtype_name(t.dtype)}\0{list(t.shape)}\0".encode())
        # the raw bytes, hashed in place as a (numel * itemsize,) uint8 buffer
        h.update(t.contiguous().reshape(-1).view(torch.uint8).numpy())
    return h.hexdigest()


def _pack(header: dict, tensors: dict[str, torch.Tensor]) -> bytes:
    """The file's bytes: the JSON header and its digest go into the metadata."""
    text = json.dumps(header, allow_nan=False)
    metadata = {_META_KEY: text, _DIGEST_KEY: _digest(text, tensors)}
    return _st_save(tensors, metadata=metadata)


def _write_atomic(path, data: bytes) -> None:
    """Temporary file in the same directory -> fsync -> os.replace (all or nothing)."""
    path = Path(os.fspath(path))
    if path.is_dir():
        raise IsADirectoryError(
            f"sk_alrnn.save: {str(path)!r} is a directory; pass a file path such as "
            f"{str(path / 'model.safetensors')!r}."
        )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX only)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    # Temporary files of saves killed mid-write (SIGKILL, power loss); a save
    # still running elsewhere is younger than _STALE_TMP_S seconds.
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > _STALE_TMP_S:
                stale.unlink()


# -- reading -----------------------------------------------------------------------
def load(path):
    """Rebuild a fitted estimator saved by :func:`save`; safe for untrusted files.

    Only JSON and raw tensor bytes are parsed: nothing is unpickled, ``torch.load``
    is never called and no name from the file is imported. The JSON is checked
    against the tensors (names, dtypes, shapes), the network is rebuilt by the
    estimator class itself and filled with ``load_state_dict(strict=True)``, and
    a SHA-256 digest detects corrupted bytes. Tensors load on the CPU, whatever
    device the model was trained on; predictions run on the CPU as after ``fit``.
    A ``device`` parameter naming CUDA is kept (warning when CUDA is missing): set
    ``device="cpu"`` before continuing training on a machine without a GPU.
    Parameters that the file lacks (added in a later sk_alrnn) take their defaults.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    estimator : estimator
        The estimator, with the same parameters and fitted state; predictions
        equal the saved model's, and ``warm_start`` / ``partial_fit`` continue
        from its weights and optimizer state.

    Raises
    ------
    ValueError
        When the file is not an sk_alrnn model (a pickle, joblib or torch.save
        file, another safetensors file), is truncated or corrupted, comes from a
        newer format version, names an unknown class, parameter or key, or its
        JSON disagrees with its tensors.

    Warns
    -----
    UserWarning
        When the file was written by another sk_alrnn version, or its ``device``
        parameter names CUDA and CUDA is not available.

    See Also
    --------
    save : Write an estimator.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from sk_alrnn import ALRNNClassifier
    >>> from sk_alrnn.persistence import load, save
    >>> X = np.random.RandomState(0).normal(size=(30, 5, 1))
    >>> y = np.where(X.sum(axis=(1, 2)) > 0, "up", "down")
    >>> clf = ALRNNClassifier(n_hidden=4, n_nonlinear=1, max_iter=2, random_state=0)
    >>> path = Path(tempfile.mkdtemp()) / "clf.safetensors"
    >>> save(clf.fit(X, y), path)
    >>> loaded = load(path)
    >>> loaded.classes_
    array(['down', 'up'], dtype='<U4')
    >>> bool(np.array_equal(loaded.predict_proba(X), clf.predict_proba(X)))
    True
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        return _unpack(data)
    except Exception as exc:
        raise ValueError(f"sk_alrnn.load could not load {path!r}: {exc}") from exc


def _read_header(data: bytes) -> dict:
    """The safetensors JSON header, checked before safetensors parses the data."""
    hint = (
        _PICKLE_HINT if data[:1] == b"\x80" or data[:2] in (b"PK", b"\x1f\x8b") else ""
    )
    if len(data) < 8:
        raise ValueError(
            f"the file has {len(data)} bytes, too short for safetensors.{hint}"
        )
    (n,) = struct.unpack("<Q", data[:8])  # header length, u64 little endian
    if n > min(len(data) - 8, _MAX_HEADER):
        raise ValueError(
            f"not a safetensors file, or truncated: its header claims {n} bytes but "
            f"{len(data) - 8} follow (limit {_MAX_HEADER}).{hint}"
        )
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"the safetensors header is not valid JSON ({exc}).{hint}"
        ) from exc
    if not isinstance(header, dict):
        raise ValueError("the safetensors header is not a JSON object.")
    return header


def _unpack(data: bytes):
    metadata = _read_header(data).get("__metadata__") or {}
    if set(metadata) != {_META_KEY, _DIGEST_KEY}:
        raise ValueError(
            f"not an sk_alrnn model file: its safetensors metadata has keys "
            f"{sorted(metadata)}, expected {sorted([_META_KEY, _DIGEST_KEY])}. Write "
            "models with sk_alrnn.persistence.save."
        )
    text = metadata[_META_KEY]
    header = json.loads(text, parse_constant=_refuse_constant)
    _check_header(header)
    tensors = _st_load(data)  # raw bytes -> CPU tensors; validates offsets
    if _digest(text, tensors) != metadata[_DIGEST_KEY]:
        raise ValueError(
            "the SHA-256 digest does not match the contents: the file is corrupted "
            "(or was edited). Save the model again."
        )
    est = decode_estimator(header, tensors)
    _warn_environment(est, header["library_version"])
    return est


def _refuse_constant(name):
    raise ValueError(f"the JSON holds the non-standard constant {name}.")


def _check_header(header) -> None:
    if not isinstance(header, dict):
        raise ValueError("the sk_alrnn metadata is not a JSON object.")
    version = header.get("format_version")
    if type(version) is not int or version < 1:
        raise ValueError(f"invalid format_version {version!r}; expected an int >= 1.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"the file uses format version {version}, written by a newer sk_alrnn "
            f"({header.get('library_version')!r}); this sk_alrnn {__version__} reads "
            f"up to version {FORMAT_VERSION}. Upgrade sk_alrnn."
        )
    if set(header) != _HEADER_KEYS:
        raise ValueError(
            f"unexpected keys in the sk_alrnn metadata: got {sorted(header)}, "
            f"expected {sorted(_HEADER_KEYS)} for format version {FORMAT_VERSION}."
        )


def _warn_environment(est, version) -> None:
    """Warn (at the caller of load) about another version or a missing GPU."""
    if version != __version__:
        warnings.warn(
            f"The model was saved by sk_alrnn {version!r} and is loaded by "
            f"{__version__}; check its predictions, and re-save it with this version.",
            UserWarning,
            stacklevel=4,
        )
    device = getattr(est, "device", "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"The model was saved with device={str(device)!r} but CUDA is not "
            "available: its weights are loaded on the CPU and predict runs there. Set "
            "est.set_params(device='cpu') (or 'auto') before continuing training.",
            UserWarning,
            stacklevel=4,
        )
