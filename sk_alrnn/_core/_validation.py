"""Input validation for sequence estimators (the one module using sklearn internals).

Shapes: N sequences, T time steps (the longest, for ragged input), K features per
step, O outputs. Sequences come in as

- a 3D array (N, T, K);
- a 2D array or DataFrame (N, T): N univariate sequences (columns are time steps);
- a list of N arrays of shape (T_i, K) or (T_i,) with different T_i (ragged).

Everything is returned zero padded to (N, T, K) with the valid length of each row;
padding sits after a sequence's end, so it never changes the valid steps.

The forecasters' time-step table checks (:func:`check_table`,
:func:`check_columns`, :func:`check_finite`) live in :mod:`sk_alrnn._core._table_checks`
and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_feature_names,
    check_array,
    check_is_fitted,
    column_or_1d,
)

from sk_alrnn._core._table_checks import (
    NonNumericColumnError,
    check_columns,
    check_finite,
    check_table,
    unreadable_values,
)

__all__ = [
    "Interval",
    "NonNumericColumnError",
    "Options",
    "Sequences",
    "StrOptions",
    "_fit_context",
    "as_2d",
    "check_classification_targets",
    "check_columns",
    "check_finite",
    "check_is_fitted",
    "check_sequences",
    "check_table",
    "check_targets",
    "column_or_1d",
    "take_rows",
    "validate_params",
]

_SHAPES = (
    "(n_sequences, n_timesteps, n_features), (n_sequences, n_timesteps) for "
    "univariate sequences, or a list of (n_timesteps_i, n_features) arrays"
)


@dataclass(frozen=True)
class Sequences:
    """Validated sequences: zero-padded values and the valid length of each row."""

    X: np.ndarray  # (N, T, K), zero padded
    lengths: np.ndarray  # (N,) int64, 1 <= lengths <= T
    ragged: bool  # given as a list of different lengths: outputs go back as lists

    @property
    def mask(self) -> np.ndarray:
        """Boolean (N, T): True on valid steps."""
        return np.arange(self.X.shape[1]) < self.lengths[:, None]

    def unpad(self, values: np.ndarray) -> list[np.ndarray]:
        """Split a padded (N, T, ...) array into a list of (T_i, ...) arrays."""
        return [v[:n] for v, n in zip(values, self.lengths, strict=True)]


def take_rows(data, indices):
    """Rows ``indices`` of an array, a DataFrame or a list of (ragged) sequences.

    Examples
    --------
    >>> take_rows([np.zeros(2), np.zeros(3), np.zeros(1)], [2, 0])[0].shape
    (1,)
    """
    return _safe_indexing(data, indices)


def _is_ragged(X) -> bool:
    if not isinstance(X, list | tuple) or len(X) == 0:
        return False
    try:
        shapes = {np.shape(x) for x in X}
    except ValueError:  # an element is itself ragged: let check_array say so
        return False
    return len(shapes) > 1


def _check_one_array(x, name, *, dtype, input_name, ensure_min=1):
    """check_array, with a clearer message for what :func:`_explain` recognises."""
    try:
        return check_array(
            x,
            dtype=dtype,
            ensure_2d=False,  # callers check the dimensions (2D, 3D) themselves
            allow_nd=True,
            ensure_all_finite=True,
            ensure_min_samples=ensure_min,
            ensure_min_features=ensure_min,
            input_name=input_name,
            estimator=name,
        )
    except ValueError as exc:
        _explain(x, exc, name, dtype, input_name)
        raise


def _explain(x, exc, name, dtype, input_name):
    """Raise a clearer error than check_array's ``exc`` when ``x`` shows the cause.

    Judged from ``x`` itself, in the order check_array meets the problems:
    complex values (sklearn's message prints the whole array), text that is not a
    number (the cast to ``dtype`` failed), then values that are finite in float64
    but overflow ``dtype``. Anything else keeps sklearn's message.
    """
    try:
        values = np.asarray(x)
    except (TypeError, ValueError):
        return  # e.g. nested sequences of different lengths
    if values.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: {name} got complex values in "
            f"{input_name}. Pass real features instead, e.g. the real and imaginary "
            "parts as two features per step: np.stack([X.real, X.imag], axis=-1)."
        ) from None
    if dtype is None:
        return  # labels are kept as they are: no cast to numbers failed
    if _holds_text(values):
        raise ValueError(
            f"{name} expects numeric {input_name}, but it holds non-numeric "
            f"values ({exc}). Encode categorical values as numbers first, e.g. "
            "with sklearn.preprocessing.OneHotEncoder or OrdinalEncoder."
        ) from exc
    _raise_if_out_of_range(values, exc, name, dtype, input_name)


def _holds_text(values: np.ndarray) -> bool:
    """Whether ``values`` hold a string that does not read as a number."""
    if values.dtype.kind not in "OUS":
        return False
    unreadable = unreadable_values(values.reshape(-1, 1))
    return any(isinstance(value, str | bytes) for _, _, value in unreadable)


def _raise_if_out_of_range(values, exc, name, dtype, input_name):
    """Explain values that are finite in float64 but overflow the compute dtype."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if not np.isfinite(values).all():
        return  # a true inf or NaN: sklearn's message is right
    with np.errstate(over="ignore"):
        if np.isfinite(values.astype(dtype)).all():
            return
    limit = np.finfo(dtype).max
    raise ValueError(
        f"{name}: {input_name} holds values as large as {np.abs(values).max():.3g}, "
        f"beyond the range of {np.dtype(dtype).name} (about +-{limit:.3g}), the "
        "compute dtype. Rescale the data (e.g. with StandardScaler) or pass "
        "dtype='float64'."
    ) from exc


def check_sequences(estimator, X, *, reset: bool, dtype) -> Sequences:
    """Validate ``X`` as a collection of sequences and set/check ``n_features_in_``.

    ``n_features_in_`` counts features per time step (K), not columns of a 2D X:
    sequence length may change between fit and predict, K may not.

    Parameters
    ----------
    estimator : BaseEstimator
        Receives ``n_features_in_`` (and ``feature_names_in_`` for DataFrames).
    X : array-like or list of array-like
        See the module docstring for accepted layouts.
    reset : bool
        True in ``fit`` (store K), False in ``predict`` (check K).
    dtype : numpy dtype
        Compute dtype; finiteness is checked after casting to it.

    Returns
    -------
    Sequences

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> est = BaseEstimator()
    >>> seqs = check_sequences(est, [np.ones((3, 2)), np.ones((5, 2))],
    ...                        reset=True, dtype=np.float32)
    >>> seqs.X.shape, seqs.lengths.tolist(), est.n_features_in_
    ((2, 5, 2), [3, 5], 2)
    """
    name = type(estimator).__name__
    if _is_ragged(X):
        _check_feature_names(estimator, X, reset=reset)
        seqs = [_check_ragged_item(x, i, name, dtype) for i, x in enumerate(X)]
        n_feats = {s.shape[1] for s in seqs}
        if len(n_feats) > 1:
            raise ValueError(
                f"{name} got sequences with different numbers of features per step "
                f"({sorted(n_feats)}); every sequence needs the same features."
            )
        lengths = np.array([s.shape[0] for s in seqs], dtype=np.int64)
        out = Sequences(_pad(seqs, lengths.max(), dtype), lengths, ragged=True)
    else:
        out = Sequences(*_check_regular(estimator, X, name, dtype, reset), ragged=False)
    _check_n_features(estimator, out.X, name, reset)
    return out


def _pad(items, n_steps, dtype) -> np.ndarray:
    """Stack (T_i, ...) arrays into (N, n_steps, ...), zeros after each one's end."""
    out = np.zeros((len(items), n_steps, *items[0].shape[1:]), dtype)
    for row, item in zip(out, items, strict=True):
        row[: len(item)] = item  # (T_i, ...) into (n_steps, ...)
    return out


def _check_regular(estimator, X, name, dtype, reset):
    # No np.ndim here: it would call array-likes' __array_function__.
    if X is None or np.isscalar(X) or getattr(X, "ndim", None) == 0:
        raise ValueError(
            f"{name} expects sequences, shaped {_SHAPES}; got a scalar "
            f"({type(X).__name__}: {X!r:.60}) instead. Pass an array of sequences."
        )
    if sp.issparse(X):
        raise TypeError(
            f"Sparse data was passed to {name}, but dense sequences are required. "
            "Use X.toarray() to convert it to a dense numpy array."
        )
    _check_feature_names(estimator, X, reset=reset)
    X = _check_one_array(X, name, dtype=dtype, input_name="X")
    if X.ndim == 1:
        raise ValueError(
            f"{name} expects sequences, shaped {_SHAPES}; got a 1D array of shape "
            f"{X.shape}. Reshape your data: X.reshape(1, -1) if it is one univariate "
            "sequence, or X.reshape(-1, 1) if it holds sequences of length 1."
        )
    if X.ndim > 3:
        raise ValueError(
            f"{name} expects sequences, shaped {_SHAPES}; got a {X.ndim}D array of "
            f"shape {X.shape}. Flatten the extra axes into features, e.g. "
            "X.reshape(X.shape[0], X.shape[1], -1)."
        )
    if X.ndim == 2:
        if X.shape[1] == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 "
                f"is required by {name}. A 2D X holds univariate sequences whose "
                "columns are time steps: each sequence needs at least one step."
            )
        X = X[:, :, None]  # (N, T) -> (N, T, 1)
    elif X.shape[1] == 0 or X.shape[2] == 0:
        raise ValueError(
            f"Found array with 0 time step(s) or 0 feature(s) (shape={X.shape}) "
            f"while a minimum of 1 of each is required by {name}."
        )
    lengths = np.full(X.shape[0], X.shape[1], dtype=np.int64)
    return X, lengths


def as_2d(values: np.ndarray, refusal: str) -> np.ndarray:
    """A 2D array as it is, a 1D one as one column: (n,) -> (n, 1).

    Any other number of dimensions raises ``ValueError(refusal)``, its
    ``{shape}`` replaced by the array's shape.

    Examples
    --------
    >>> as_2d(np.zeros(3), "bad shape {shape}").shape
    (3, 1)
    >>> as_2d(np.zeros((1, 2, 3)), "bad shape {shape}")
    Traceback (most recent call last):
    ...
    ValueError: bad shape (1, 2, 3)
    """
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(refusal.format(shape=values.shape))
    return values


def _check_ragged_item(x, i, name, dtype):
    if sp.issparse(x):
        raise TypeError(
            f"Sparse data was passed to {name} as X[{i}], but dense sequences are "
            "required. Use .toarray() to convert it to a dense numpy array."
        )
    # ensure_min=0: empty sequences get the message below, which names X[i]
    x = _check_one_array(x, name, dtype=dtype, input_name=f"X[{i}]", ensure_min=0)
    x = as_2d(
        x,
        f"{name}: each sequence in a list must be 1D (n_timesteps,) or 2D "
        f"(n_timesteps, n_features); X[{i}] has shape {{shape}}.",
    )  # (T_i,) -> (T_i, 1)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(
            f"{name}: X[{i}] has shape {x.shape}; every sequence needs at least one "
            "time step and one feature."
        )
    return x


def _check_n_features(estimator, X, name, reset):
    n_features = X.shape[2]
    if reset:
        estimator.n_features_in_ = n_features
    elif n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {name} is expecting "
            f"{estimator.n_features_in_} features as input (features per time step; "
            f"the sequences passed are shaped {X.shape[1:]} after padding). Pass "
            "sequences with the same features per step as in fit."
        )


def check_targets(y, seqs: Sequences, *, sequence: bool, name: str, dtype):
    """Validate targets against validated sequences.

    Parameters
    ----------
    y : array-like or list of array-like
        ``output="last"``: (N,) or (N, O). ``output="sequence"``: (N, T) or (N, T, O),
        or a list of (T_i,) / (T_i, O) arrays matching the sequences' lengths.
    seqs : Sequences
        The validated inputs.
    sequence : bool
        Whether there is one target per step (``output="sequence"``).
    name : str
        Estimator name for messages.
    dtype : numpy dtype or None
        Numeric dtype for regression targets; None keeps labels as they are.

    Returns
    -------
    y : ndarray
        (N, ...) for one target per sequence; (N, T, ...) zero padded otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> seqs = Sequences(np.zeros((2, 3, 1)), np.array([2, 3]), ragged=True)
    >>> check_targets([[1.0, 2.0], [1.0, 2.0, 3.0]], seqs, sequence=True,
    ...               name="est", dtype=np.float64).shape
    (2, 3)
    """
    n_seq, n_steps = seqs.X.shape[:2]
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    ragged_y = _is_ragged(y) or (seqs.ragged and isinstance(y, list))
    if sequence and ragged_y:
        return _check_ragged_targets(y, seqs, name, dtype)
    y = _check_one_array(y, name, dtype=dtype, input_name="y")
    _check_target_range(y, name, dtype)
    if y.shape[0] != n_seq:
        raise ValueError(
            f"{name}: X holds {n_seq} sequences but y has {y.shape[0]} entries; "
            "pass one target per sequence (inconsistent numbers of samples)."
        )
    if not sequence:
        if y.ndim > 2:
            raise ValueError(
                f"{name} with output='last' takes y of shape (n_sequences,) or "
                f"(n_sequences, n_outputs); got {y.shape}. For one target per time "
                "step use output='sequence'."
            )
        return y
    if y.ndim not in (2, 3) or y.shape[1] != n_steps:
        raise ValueError(
            f"{name} with output='sequence' takes y of shape (n_sequences, "
            f"n_timesteps) or (n_sequences, n_timesteps, n_outputs) with "
            f"n_timesteps={n_steps} as in X; got y of shape {y.shape}."
        )
    return y


def _check_ragged_targets(y, seqs, name, dtype):
    if len(y) != len(seqs.lengths):
        raise ValueError(
            f"{name}: X holds {len(seqs.lengths)} sequences but y has {len(y)}; "
            "pass one target sequence per input sequence."
        )
    items = []
    for i, (yi, n) in enumerate(zip(y, seqs.lengths, strict=True)):
        yi = _check_one_array(yi, name, dtype=dtype, input_name=f"y[{i}]")
        if yi.ndim not in (1, 2) or yi.shape[0] != n:
            raise ValueError(
                f"{name} with output='sequence' needs one target per time step: "
                f"X[{i}] has {n} steps but y[{i}] has shape {yi.shape}. Give y[{i}] "
                f"shape ({n},) or ({n}, n_outputs)."
            )
        items.append(yi)
    if len({yi.shape[1:] for yi in items}) > 1:
        raise ValueError(f"{name}: the target sequences have different output sizes.")
    try:  # e.g. '<U1' and '<U9' -> '<U9': labels must not be truncated
        out_dtype = np.result_type(*(yi.dtype for yi in items))
    except TypeError:  # no common type (numbers mixed with strings)
        out_dtype = np.dtype(object)
    out = _pad(items, seqs.X.shape[1], out_dtype)
    _check_target_range(out, name, dtype)
    return out


def _check_target_range(y, name, dtype):
    """Regression targets must be small enough for their spread to stay finite.

    Standardising y squares its deviations; past ~1e150 those overflow float64 and
    the model would silently predict inf.
    """
    if dtype is None or y.size == 0 or not np.issubdtype(y.dtype, np.floating):
        return
    largest = float(np.abs(y).max())
    limit = np.sqrt(np.finfo(y.dtype).max / y.size) / 2
    if largest > limit:
        raise ValueError(
            f"{name}: y holds values as large as {largest:.3g}; targets beyond "
            f"about {limit:.3g} overflow when y is standardised. Rescale y (e.g. "
            "divide it by a power of ten) before fitting."
        )
