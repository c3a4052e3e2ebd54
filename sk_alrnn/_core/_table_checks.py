"""Checks of a time-step table (rows are time steps) for the forecasters.

A table is a 2D array, a DataFrame or a Series whose rows are time steps and whose
columns are series. :func:`check_table` refuses date/time, text and category
columns (:func:`check_columns`) and missing or infinite values
(:func:`check_finite`), naming the columns and rows at fault and saying how to fix
them. Re-exported by :mod:`sk_alrnn._core._validation`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = [
    "NonNumericColumnError",
    "check_columns",
    "check_finite",
    "check_table",
    "unreadable_values",
]


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
    first = next(unreadable_values(table), None)
    if first is not None:
        r, c, value = first
        raise NonNumericColumnError(
            f"{name}: {what} column {c} is not numeric (holds {value!r} "
            f"at row {r}): {_float_reason(value)}; encode text as numbers "
            "or drop the column (a date/time column: drop it, the rows are "
            "the time steps)."
        )


def unreadable_values(table: np.ndarray) -> Iterator[tuple[int, int, object]]:
    """``(row, column, value)`` of each value ``float()`` refuses, column by column.

    ``table`` is a 2D array; NumPy scalars come back as Python values.

    Examples
    --------
    >>> import numpy as np
    >>> next(unreadable_values(np.array([["1.5", "May"], ["2", "June"]])))
    (0, 1, 'May')
    """
    for c in range(table.shape[1]):
        for r, value in enumerate(table[:, c]):
            try:
                float(value)
            except (TypeError, ValueError):
                if isinstance(value, np.generic):
                    value = value.item()  # 'May', not np.str_('May')
                yield r, c, value


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
