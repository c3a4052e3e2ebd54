"""Input validation for sequence estimators (the one module using sklearn internals).

Shapes: N sequences, T time steps (the longest, for ragged input), K features per
step, O outputs. Sequences come in as

- a 3D array (N, T, K);
- a 2D array or DataFrame (N, T): N univariate sequences (columns are time steps);
- a list of N arrays of shape (T_i, K) or (T_i,) with different T_i (ragged).

Everything is returned zero padded to (N, T, K) with the valid length of each row;
padding sits after a sequence's end, so it never changes the valid steps.
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
    validate_data,
)

__all__ = [
    "Interval",
    "NonNumericColumnError",
    "Options",
    "Sequences",
    "StrOptions",
    "_fit_context",
    "check_classification_targets",
    "check_is_fitted",
    "check_sequences",
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


def _check_one_array(
    x, name, *, dtype, input_name, ensure_2d=False, allow_nd=True, ensure_min=1
):
    """check_array with a hint for text data; keeps sklearn's messages intact."""
    try:
        return check_array(
            x,
            dtype=dtype,
            ensure_2d=ensure_2d,
            allow_nd=allow_nd,
            ensure_all_finite=True,
            ensure_min_samples=ensure_min,
            ensure_min_features=ensure_min,
            input_name=input_name,
            estimator=name,
        )
    except ValueError as exc:
        if "could not convert" in str(exc) or "convert string" in str(exc):
            raise ValueError(
                f"{name} expects numeric {input_name}, but it holds non-numeric "
                f"values ({exc}). Encode categorical values as numbers first, e.g. "
                "with sklearn.preprocessing.OneHotEncoder or OrdinalEncoder."
            ) from exc
        _raise_if_complex(exc, name, input_name)
        _raise_if_out_of_range(x, exc, name, dtype, input_name)
        raise


def _raise_if_complex(exc, name, input_name):
    """sklearn's message prints the whole array; say what to do instead."""
    if str(exc).startswith("Complex data not supported"):
        raise ValueError(
            f"Complex data not supported: {name} got complex values in "
            f"{input_name}. Pass real features instead, e.g. the real and imaginary "
            "parts as two features per step: np.stack([X.real, X.imag], axis=-1)."
        ) from None


def _raise_if_out_of_range(x, exc, name, dtype, input_name):
    """Explain values that are finite in float64 but overflow the compute dtype."""
    if dtype is None or "too large" not in str(exc):
        return
    try:
        values = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if not np.isfinite(values).all():
        return  # a true inf: sklearn's message is right
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
        padded = np.zeros((len(seqs), lengths.max(), seqs[0].shape[1]), dtype=dtype)
        for row, s in zip(padded, seqs, strict=True):
            row[: s.shape[0]] = s  # (T_i, K) into (T, K)
        out = Sequences(padded, lengths, ragged=True)
    else:
        out = Sequences(*_check_regular(estimator, X, name, dtype, reset), ragged=False)
    _check_n_features(estimator, out.X, name, reset)
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
    try:
        X = validate_data(
            estimator,
            X,
            reset=reset,
            ensure_2d=False,  # we check dimensions ourselves (2D, 3D)
            allow_nd=True,
            dtype=dtype,
            ensure_all_finite=True,
        )
    except ValueError as exc:
        if "could not convert" in str(exc) or "convert string" in str(exc):
            _check_one_array(X, name, dtype=dtype, input_name="X")  # better message
        _raise_if_complex(exc, name, "X")
        _raise_if_out_of_range(X, exc, name, dtype, "X")
        raise
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


def _check_ragged_item(x, i, name, dtype):
    if sp.issparse(x):
        raise TypeError(
            f"Sparse data was passed to {name} as X[{i}], but dense sequences are "
            "required. Use .toarray() to convert it to a dense numpy array."
        )
    # ensure_min=0: empty sequences get the message below, which names X[i]
    x = _check_one_array(
        x, name, dtype=dtype, input_name=f"X[{i}]", allow_nd=True, ensure_min=0
    )
    if x.ndim == 1:
        x = x[:, None]  # (T_i,) -> (T_i, 1)
    if x.ndim != 2:
        raise ValueError(
            f"{name}: each sequence in a list must be 1D (n_timesteps,) or 2D "
            f"(n_timesteps, n_features); X[{i}] has shape {x.shape}."
        )
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
    out = np.zeros((len(items), seqs.X.shape[1], *items[0].shape[1:]), out_dtype)
    for row, yi in zip(out, items, strict=True):
        row[: yi.shape[0]] = yi
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


def check_table(X, name: str, what: str = "X") -> None:
    """Refuse a time-step table the forecaster cannot read, saying how to fix it.

    Rows are time steps: :func:`check_columns`, then :func:`check_finite`. The
    numeric conversion itself is left to ``validate_data``.

    Examples
    --------
    >>> import numpy as np
    >>> check_table(np.zeros((3, 2)), "ALRNNForecaster")  # fine: no error
    >>> try:
    ...     check_table(np.array([[0.0], [np.nan]]), "ALRNNForecaster")
    ... except ValueError as exc:
    ...     print(str(exc)[:50])
    ALRNNForecaster: X has 1 missing (NaN) or infinite
    """
    check_columns(X, name, what)
    if hasattr(X, "to_numpy"):
        values = X.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            return  # validate_data reports it
    check_finite(values, name, what, like=X)


class NonNumericColumnError(TypeError, ValueError):
    """A table column that is not numbers (dates, text, categories).

    A TypeError; also a ValueError, the type raised for it before.
    """


def check_columns(X, name: str, what: str = "X") -> None:
    """NonNumericColumnError naming every date/time or non-numeric column of ``X``.

    A pandas ``X`` is judged by its dtypes; an array of text or objects by
    whether its values convert to numbers.

    Examples
    --------
    >>> import numpy as np
    >>> try:
    ...     check_columns(np.array([["1.5", "May"]]), "ALRNNForecaster")
    ... except TypeError as exc:
    ...     print(str(exc)[:55])
    ALRNNForecaster: X column 1 is not numeric (holds 'May'
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "to_numpy"):
        _check_text_array(X, name, what)
        return
    from pandas.api import types  # pandas is there if X is a DataFrame

    items = dtypes.items() if hasattr(dtypes, "items") else [(X.name, dtypes)]
    dates, other = {}, {}
    for column, dtype in items:
        if types.is_datetime64_any_dtype(dtype) or types.is_timedelta64_dtype(dtype):
            dates[column] = dtype
        elif not types.is_numeric_dtype(dtype):
            other[column] = dtype
    if not dates and not other:
        return

    def listed(columns: dict, singular: str, plural: str) -> str:
        if len(columns) == 1:
            ((column, dtype),) = columns.items()
            return f"column {column!r} {singular} ({dtype})"
        shown = ", ".join(f"{c!r} ({d})" for c, d in columns.items())
        return f"columns {shown} {plural}"

    parts = []
    if dates:
        first = next(iter(dates))
        fix = (
            f"drop the column or set it as the index ({what}.set_index({first!r}))"
            if hasattr(X, "set_index")
            else f"pass the numbers to {'forecast' if what == 'y' else 'use'} instead"
        )
        parts.append(
            f"{what} {listed(dates, 'holds dates/times', 'hold dates/times')}; rows "
            f"are time steps already, so the time belongs in the index: {fix}"
        )
    if other:
        parts.append(
            f"{what} {listed(other, 'is not numeric', 'are not numeric')}; encode "
            "text or categories as numbers (numbers stored as text: "
            "pandas.to_numeric) or drop the column"
        )
    raise NonNumericColumnError(f"{name}: " + "; ".join(parts) + ".")


def _check_text_array(X, name: str, what: str) -> None:
    """An array of strings or objects whose values are not all numbers."""
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "OUS":
        return
    try:
        X.astype(np.float64)
        return  # numbers after all; the other checks take it from here
    except (TypeError, ValueError):
        pass
    table = X.reshape(len(X), -1) if X.ndim > 1 else X.reshape(-1, 1)
    for c in range(table.shape[1]):
        for r, value in enumerate(table[:, c]):
            try:
                float(value)
            except (TypeError, ValueError):
                if isinstance(value, np.generic):
                    value = value.item()  # 'May', not np.str_('May')
                raise NonNumericColumnError(
                    f"{name}: {what} column {c} is not numeric (holds {value!r} "
                    f"at row {r}): {_float_reason(value)}; encode text as numbers "
                    "or drop the column (a date/time column: drop it, the rows are "
                    "the time steps)."
                ) from None


def _float_reason(value) -> str:
    """What ``float(value)`` says about a value that is not a number."""
    try:
        float(value)
    except (TypeError, ValueError) as exc:
        return str(exc)
    return "not a number"  # pragma: no cover - only called on a failed conversion


def check_finite(values, name: str, what: str = "X", *, like=None) -> None:
    """ValueError naming the first rows and columns with missing or infinite values.

    ``values`` is the numeric table; the row and column labels are read from
    ``like`` (the table as passed, e.g. a DataFrame) when it has them.
    """
    values = np.asarray(values)
    if values.dtype.kind != "f":
        return
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    bad = bad.reshape(len(values), -1)
    rows = np.flatnonzero(bad.any(axis=1))
    index = getattr(like, "index", None)
    labels = [index[r] if index is not None else int(r) for r in rows[:3]]
    cols = np.flatnonzero(bad.any(axis=0))
    columns = getattr(like, "columns", None)
    if columns is None and getattr(like, "name", None) is not None:
        columns = [like.name]  # a pandas Series: its name
    names = [columns[c] if columns is not None else int(c) for c in cols[:3]]

    def show(shown, n):
        text = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in shown)
        return text + (", ..." if n > len(shown) else "")

    raise ValueError(
        f"{name}: {what} has {int(bad.sum())} missing (NaN) or infinite value(s) "
        f"(rows {show(labels, len(rows))}; columns {show(names, len(cols))}). "
        "A forecaster needs every time step: fill the gaps (e.g. "
        "DataFrame.interpolate() or .ffill()) or cut the table to a stretch "
        "without them."
    )
