"""Save and load fitted estimators without pickle: one safetensors file.

A model file is a plain `safetensors <https://huggingface.co/docs/safetensors>`_
file. Its tensors hold the network weights, the optimizer state and every numeric
array of the estimator; its string metadata holds one JSON document (format
version, library version, estimator class, ``get_params()`` and the other fitted
attributes) and a SHA-256 digest of that JSON and all tensor bytes. This module
owns the file (layout, header checks, digest, error wrapping; the atomic write
and the path checks are ``sk_alrnn.persistence._write``);
``sk_alrnn.persistence._codec`` and ``_persistence_decode`` turn estimators into
JSON and tensors and back,
``sk_alrnn.persistence._pipeline`` a Pipeline of allowlisted steps (format
version 1 still: a pipeline file is one more class name, whose ``params`` hold
the steps; single-estimator files are unchanged).

Loading parses JSON and raw little-endian numbers only: it never unpickles,
never calls ``torch.load`` and never imports a name read from the file (the
estimator class and each class's attribute names come from fixed allowlists).
Every malformed, truncated, corrupted or inconsistent file ends in a
``ValueError`` that names the file, says what was wrong and how to fix it; what
one file can make :func:`load` allocate is bounded (see :func:`load`).

Pickle and joblib files of the estimators (which ``GridSearchCV`` and joblib
create) can run arbitrary code when loaded: load those only from trusted
sources; :func:`load` is the safe path for files from elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import warnings

import torch
from safetensors.torch import load as _st_load
from safetensors.torch import save as _st_save
from sklearn.pipeline import Pipeline

from sk_alrnn._estimators._docfrag import fill
from sk_alrnn._version import __version__
from sk_alrnn.persistence._codec import dtype_name, encode_estimator
from sk_alrnn.persistence._decode import decode_estimator
from sk_alrnn.persistence._pipeline import PIPELINE, decode_pipeline, encode_pipeline
from sk_alrnn.persistence._write import (
    _check_source,
    _tmp_prefix,  # noqa: F401 (tests use it)
    _write_atomic,
)

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
_MAX_HEADER = 64 * 2**20  # bytes of safetensors header we agree to parse
_MAX_JSON_VALUES = 2**20  # JSON values (commas, lists, objects) in the header
_MAX_DECODED = 256 * 2**20  # bytes that the JSON-coded arrays of a file decode to
_DECODED_PER_JSON_BYTE = 8  # ... and at most this many per byte of JSON, plus
_DECODED_SLACK = 2**20  # this many
_PICKLE_HINT = (
    " It looks like a pickle, joblib or torch.save file: sk_alrnn.load never "
    "unpickles. Load such files only if you trust their source (joblib.load), "
    "then re-save them with sk_alrnn.save."
)

#: The start of the Examples of save and load (a docstring piece): the imports
#: and a file to write.
_EXAMPLE_FILE = '''\
>>> import tempfile, numpy as np
>>> from pathlib import Path
>>> from sk_alrnn.persistence import load, save
>>> path = Path(tempfile.mkdtemp()) / "model.safetensors"'''


# -- writing -----------------------------------------------------------------------
@fill(example_file=_EXAMPLE_FILE)
def save(estimator, path) -> None:
    """Write an estimator to one safetensors file, atomically and without pickle.

    The file holds the weights, the optimizer state (so ``warm_start`` and
    ``partial_fit`` continue after :func:`load`), ``get_params()``, the classes,
    feature names, loss curve and every other attribute. It is written to a
    temporary file in the same directory, synced to disk and renamed over
    ``path``, so an interrupted save (``KeyboardInterrupt`` included) never leaves
    a half-written model there, nor its temporary file. Tensors are saved from
    the CPU; the file stores no device.

    Replacing a file behaves as ``open(path, "wb")`` would: a file that this user
    may not write is refused with ``PermissionError``, and the new file keeps the
    old one's permission bits (and owner and group where the user may set them;
    when the group cannot be kept, its bits are dropped, so the model never
    becomes readable by more users). A new file gets the mode that ``open``
    gives (``0o666`` less the umask). A symbolic link is followed: the file it
    points to is replaced, the link stays.

    Parameters
    ----------
    estimator : estimator
        An :class:`~sk_alrnn.ALRNNRegressor`, :class:`~sk_alrnn.ALRNNClassifier`,
        :class:`~sk_alrnn.baselines.RNNRegressor`,
        :class:`~sk_alrnn.baselines.RNNClassifier` or
        :class:`~sk_alrnn.forecasting.ALRNNForecaster`, fitted or not
        (subclasses are refused: their code could not be trusted at load time);
        or a fitted :class:`~sklearn.pipeline.Pipeline` (``memory=None``) whose
        steps are such estimators, ``"passthrough"`` / ``None``, or one of
        the allowlisted fitted transformers:
        :class:`~sk_alrnn.preprocessing.SequenceScaler`,
        :class:`~sklearn.preprocessing.StandardScaler`,
        :class:`~sklearn.preprocessing.MinMaxScaler`,
        :class:`~sklearn.preprocessing.MaxAbsScaler` and
        :class:`~sklearn.preprocessing.RobustScaler` (exactly these classes,
        with their parameters and a fixed list of fitted arrays and numbers).
        Code objects cannot be saved: a
        :class:`~sklearn.preprocessing.FunctionTransformer`, any other class and
        a nested Pipeline are refused, naming the step.
    path : str or os.PathLike
        Destination file, conventionally ``*.safetensors``; replaced if it exists.

    Raises
    ------
    TypeError
        For another estimator class (or pipeline step), an attribute that is not
        one of the class's fitted attributes, or one of a type the format does
        not support (the message names the step and attribute).
    sklearn.exceptions.NotFittedError
        For a Pipeline with a step that is not fitted (the message names it).
    FileNotFoundError
        When the folder of ``path`` does not exist (create it first).
    IsADirectoryError, NotADirectoryError
        When ``path`` is a directory, or its folder is a file.
    PermissionError
        When ``path`` exists and is read-only for this user, or its folder is not
        writable.
    OSError
        When the file name is longer than the folder allows, ``path`` is a
        device, pipe or socket, or writing fails (a full disk: the previous file,
        if any, is left as it was).

    See Also
    --------
    load : Rebuild the estimator from the file.

    Examples
    --------
    {example_file}
    >>> from sk_alrnn import ALRNNRegressor
    >>> X = np.random.RandomState(0).normal(size=(20, 5, 2))
    >>> reg = ALRNNRegressor(n_hidden=4, n_nonlinear=1, max_iter=2, random_state=0)
    >>> reg = reg.fit(X, X.sum(axis=(1, 2)))
    >>> save(reg, path)
    >>> bool(np.array_equal(load(path).predict(X), reg.predict(X)))
    True

    A pipeline of allowlisted steps is saved as one file too:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sk_alrnn.preprocessing import SequenceScaler
    >>> pipe = make_pipeline(SequenceScaler(), reg).fit(X, X.sum(axis=(1, 2)))
    >>> save(pipe, path)
    >>> bool(np.array_equal(load(path).predict(X), pipe.predict(X)))
    True
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> save(make_pipeline(FunctionTransformer(np.log1p), reg), path)
    Traceback (most recent call last):
    ...
    TypeError: sk_alrnn.save cannot save the Pipeline's step 'functiontransformer' ...
    """
    if type(estimator) is Pipeline:
        body, tensors = encode_pipeline(estimator)
    else:
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


# -- reading -----------------------------------------------------------------------
@fill(example_file=_EXAMPLE_FILE)
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

    A file of a :class:`~sklearn.pipeline.Pipeline` loads as a Pipeline whose
    steps are built only from the allowlist of :func:`save` (the sk_alrnn
    estimators, :class:`~sk_alrnn.preprocessing.SequenceScaler` and
    scikit-learn's ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` and
    ``RobustScaler``, each with its known parameters and fitted attributes of
    plain values); a step naming any other class (``FunctionTransformer``
    included) is refused. Its predictions and transforms equal the saved
    pipeline's, and ``feature_names_in_`` is kept. The checks and bounds below
    apply to the whole file, all steps together.

    What one file can make ``load`` allocate is bounded: the file is read once
    (a file that is not a model is refused after its first bytes), the tensors
    take at most about three times the file's size, the safetensors header is at
    most 64 MiB and 2**20 JSON values, and the arrays coded as JSON (str and
    object arrays) decode to at most 8 bytes per byte of JSON plus 1 MiB, and
    never more than 256 MiB, in total over the file.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    estimator : estimator or sklearn.pipeline.Pipeline
        The estimator (or pipeline), with the same parameters and fitted state;
        predictions equal the saved model's, and ``warm_start`` /
        ``partial_fit`` continue from its weights and optimizer state.

    Raises
    ------
    ValueError
        When the file is not an sk_alrnn model (a pickle, joblib or torch.save
        file, another safetensors file), is truncated or corrupted (a header
        that does not parse, a digest that does not match), comes from a newer
        format version, names an unknown class (a pipeline step outside the
        allowlist included), parameter, attribute or key,
        exceeds the memory bounds above, or its JSON disagrees with its tensors.
    FileNotFoundError
        When there is no file at ``path``.
    IsADirectoryError
        When ``path`` is a directory.
    OSError
        When ``path`` is a device, pipe or socket, or reading it fails.

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
    {example_file}
    >>> from sk_alrnn import ALRNNClassifier
    >>> X = np.random.RandomState(0).normal(size=(30, 5, 1))
    >>> y = np.where(X.sum(axis=(1, 2)) > 0, "up", "down")
    >>> clf = ALRNNClassifier(n_hidden=4, n_nonlinear=1, max_iter=2, random_state=0)
    >>> save(clf.fit(X, y), path)
    >>> loaded = load(path)
    >>> loaded.classes_
    array(['down', 'up'], dtype='<U4')
    >>> bool(np.array_equal(loaded.predict_proba(X), clf.predict_proba(X)))
    True
    """
    path = os.fspath(path)
    _check_source(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) == 8:
            (n,) = struct.unpack("<Q", head)
            head += f.read(min(n, _MAX_HEADER))
        # refuse a file that is not a model before reading all of it
        _wrapped(path, lambda: _metadata(_read_header(head, size), head))
        f.seek(0)
        data = f.read()
    return _wrapped(path, lambda: _unpack(data))


def _wrapped(path: str, step):
    """``step()``, its failures as ``ValueError`` naming the file."""
    try:
        return step()
    except Exception as exc:
        raise ValueError(f"sk_alrnn.load could not load {path!r}: {exc}") from exc


_FIX = "Save the model again, or copy the file again from its source."


def _read_header(data: bytes, size: int | None = None) -> dict:
    """The safetensors JSON header, checked before safetensors parses the data.

    ``data`` starts the file (at least its header); ``size`` is the whole file's
    size (default ``len(data)``).
    """
    size = len(data) if size is None else size
    hint = (
        _PICKLE_HINT if data[:1] == b"\x80" or data[:2] in (b"PK", b"\x1f\x8b") else ""
    )
    if size < 8:
        raise ValueError(
            f"the file has {size} bytes, too short for safetensors (8 bytes of "
            "header length, then the header): it is empty or truncated, or not a "
            f"model file. {_FIX}{hint}"
        )
    (n,) = struct.unpack("<Q", data[:8])  # header length, u64 little endian
    if n > _MAX_HEADER:
        raise ValueError(
            f"not a safetensors file, or its first bytes are corrupt: its header "
            f"claims {n} bytes, more than the limit of {_MAX_HEADER} "
            f"({size} bytes in the file). {_FIX}{hint}"
        )
    if n > size - 8:
        raise ValueError(
            f"the file is truncated or corrupt: its header claims {n} bytes but "
            f"{size - 8} follow ({size} bytes in the file). {_FIX}{hint}"
        )
    raw = data[8 : 8 + n]
    values = raw.count(b",") + raw.count(b"[") + raw.count(b"{")
    if values > _MAX_JSON_VALUES:
        raise ValueError(
            f"the safetensors header holds about {values} JSON values, more than "
            f"the limit of {_MAX_JSON_VALUES}: the file was crafted or damaged. "
            f"{_FIX}"
        )
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(
            f"the safetensors header is not valid JSON ({exc}): not a safetensors "
            f"file, or its header is corrupt. {_FIX}{hint}"
        ) from exc
    if not isinstance(header, dict):
        raise ValueError(
            "the safetensors header is not a JSON object: not a safetensors file, "
            f"or its header is corrupt. {_FIX}"
        )
    return header


def _metadata(header: dict, data: bytes) -> dict:
    """The sk_alrnn metadata; tells a corrupt header from a foreign file."""
    metadata = header.get("__metadata__")
    if (
        isinstance(metadata, dict)
        and set(metadata) == {_META_KEY, _DIGEST_KEY}
        and all(type(v) is str for v in metadata.values())
    ):
        return metadata
    (n,) = struct.unpack("<Q", data[:8])
    keys = sorted(metadata) if isinstance(metadata, dict) else []
    expected = sorted([_META_KEY, _DIGEST_KEY])
    if _META_KEY.encode() in data[8 : 8 + n]:
        raise ValueError(
            f"the safetensors header is corrupt: it mentions sk_alrnn, but its "
            f"metadata has keys {keys}, expected {expected} with string values "
            f"(a damaged byte?). {_FIX}"
        )
    tensors = sorted(k for k in header if k != "__metadata__")
    shown = tensors[:5] + (["..."] if len(tensors) > 5 else [])
    raise ValueError(
        f"not an sk_alrnn model file: a safetensors file (tensors {shown}) whose "
        f"metadata has keys {keys}, expected {expected}; it was not written by "
        "sk_alrnn.save. Read plain weights with safetensors.torch.load_file; write "
        "models with sk_alrnn.persistence.save."
    )


def _check_layout(header: dict, size: int) -> None:
    """Every tensor entry is well formed and the data exactly fills the file."""
    end = 0
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (
            isinstance(entry, dict)
            and set(entry) == {"dtype", "shape", "data_offsets"}
            and type(offsets) is list
            and len(offsets) == 2
            and all(type(o) is int for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise ValueError(
                f"the safetensors header is corrupt: the entry of tensor {key!r} "
                f"is {entry!r}, expected dtype, shape and two data_offsets. {_FIX}"
            )
        end = max(end, offsets[1])
    if end != size:
        what = "truncated" if end > size else "corrupt"
        raise ValueError(
            f"the file is {what}: its header describes {end} bytes of tensor data "
            f"but {size} follow. {_FIX}"
        )


def _unpack(data: bytes):
    header = _read_header(data)
    metadata = _metadata(header, data)
    (n,) = struct.unpack("<Q", data[:8])
    _check_layout(header, len(data) - 8 - n)
    text = metadata[_META_KEY]  # its JSON values were counted with the header's
    try:
        tensors = _st_load(data)  # raw bytes -> CPU tensors
    except Exception as exc:
        raise ValueError(
            f"the tensor data is corrupt ({exc}; {len(data)} bytes). {_FIX}"
        ) from exc
    if _digest(text, tensors) != metadata[_DIGEST_KEY]:
        _refuse_newer(text)
        raise ValueError(
            f"the SHA-256 digest does not match the contents: the file "
            f"({len(data)} bytes) was corrupted, or edited, after it was saved. {_FIX}"
        )
    header = json.loads(text, parse_constant=_refuse_constant)
    _check_header(header)
    budget = min(_MAX_DECODED, _DECODED_SLACK + _DECODED_PER_JSON_BYTE * len(text))
    decode = decode_pipeline if header["estimator"] == PIPELINE else decode_estimator
    est = decode(header, tensors, budget)
    _warn_environment(est, header["library_version"])
    return est


def _refuse_newer(text: str) -> None:
    """A file of a newer format may digest differently: say so, not 'corrupted'."""
    try:
        header = json.loads(text, parse_constant=_refuse_constant)
    except Exception:
        return
    version = header.get("format_version") if isinstance(header, dict) else None
    if type(version) is int and version > FORMAT_VERSION:
        _check_header(header)


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
            stacklevel=5,
        )
    steps = est.steps if type(est) is Pipeline else [(None, est)]
    devices = [str(getattr(step, "device", "cpu")) for _, step in steps]
    device = next((d for d in devices if d.startswith("cuda")), "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"The model was saved with device={str(device)!r} but CUDA is not "
            "available: its weights are loaded on the CPU and predict runs there. Set "
            "est.set_params(device='cpu') (or 'auto') before continuing training.",
            UserWarning,
            stacklevel=5,
        )
