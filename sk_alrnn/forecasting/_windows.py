"""Windows of a time-series table for direct forecasting with sequence estimators.

Shapes: R rows (consecutive time steps), F columns (features), L = ``window``
rows per window, H = ``horizon`` steps ahead, Q target columns, n windows.

:func:`make_windows` cuts a table into the 3D inputs and the (multi-horizon)
targets of :class:`~sk_alrnn.ALRNNRegressor`; :class:`SequenceWindower` is the
stateless transformer that turns each row of a table into the window that ends
at it, for pipelines whose targets are already aligned with the rows.

Cross-validating windows in time order
--------------------------------------
Window ``i`` reads rows ``i .. i+L-1`` (its forecast *origin* is row
``i+L-1``) and its targets are rows ``i+L .. i+L+H-1``. Neighbouring windows
share rows, so a plain ``TimeSeriesSplit`` over windows leaks: the last
training windows' targets are rows that the first test windows must forecast.
``TimeSeriesSplit(gap=horizon - 1)`` is the smallest gap that avoids this. If
the training windows end at index ``a - 1`` and the first test window is
``s = a + gap``, the last training target is row ``a + L + H - 2`` and the
first test origin is row ``s + L - 1 = a + gap + L - 1``, so with
``gap >= H - 1`` *every training target row is at or before the first test
origin* (known when the first test forecast is made), hence strictly before
every test target row. With ``gap = H - 2`` the last training target is the
first test window's first target.
"""

from __future__ import annotations

import numbers
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data

from sk_alrnn._core._validation import Interval, StrOptions, _fit_context, as_2d

__all__ = ["SequenceWindower", "make_windows"]


def _as_table(table) -> tuple[np.ndarray, list | None]:
    """A float (R, F) array and the column names (None for arrays) of a table."""
    columns = None
    if hasattr(table, "iloc"):  # pandas DataFrame or Series
        frame = table.to_frame() if table.ndim == 1 else table
        columns = list(frame.columns)
        dtypes = list(frame.dtypes)  # by position: column names may repeat
        bad = [c for c, d in zip(columns, dtypes, strict=True) if d.kind not in "biuf"]
        if bad:
            kinds = {
                c: str(d) for c, d in zip(columns, dtypes, strict=True) if c in bad
            }
            raise ValueError(
                f"make_windows: columns {bad} are not numeric (dtypes {kinds}); "
                "expected only int, float or bool columns. Drop or encode them, "
                "e.g. table.select_dtypes('number')."
            )
        single = all(d == np.float32 for d in dtypes)
        dtype = np.float32 if single else np.float64
        values = frame.to_numpy(dtype=dtype, na_value=np.nan)
    else:
        try:
            values = np.asarray(table)
            if values.dtype.kind == "c":
                raise TypeError(f"complex values ({values.dtype}) are not supported")
            if values.dtype.kind not in "biuf":
                values = values.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "make_windows: the table must hold numbers; could not convert it "
                f"to float ({exc}). Pass a numeric array or DataFrame."
            ) from exc
    values = as_2d(
        values,
        "make_windows: expected a table of shape (n_rows, n_columns) or a "
        "single series (n_rows,), got an array with shape {shape}. "
        "Rows are time steps; reshape or stack your series into columns.",
    )  # (R,) -> (R, 1)
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    if not np.all(np.isfinite(values)):
        rows = np.flatnonzero(~np.isfinite(values).all(axis=1))
        raise ValueError(
            f"make_windows: the table contains NaN or infinite values "
            f"({rows.size} rows, first at row {rows[0]}); windows need complete "
            "rows. Fill the gaps first, e.g. DataFrame.interpolate()."
        )
    return values, columns


def _is_list(target) -> bool:
    """Whether ``target`` lists several keys (list, tuple, 1D array, Index)."""
    return not isinstance(target, str | bytes) and np.ndim(target) == 1


def _target_columns(target, columns: list | None, n_columns: int) -> list[int]:
    """Positions of the target columns; ``target`` is None, a key or a list."""
    if target is None:
        return list(range(n_columns))
    keys = list(target) if _is_list(target) else [target]
    if not keys:
        raise ValueError("make_windows: target is an empty list; name at least one.")
    positions = []
    for key in keys:
        if columns is not None and key in columns:
            if columns.count(key) > 1:
                raise ValueError(
                    f"make_windows: the table has {columns.count(key)} columns "
                    f"named {key!r}; pass the target's integer position instead."
                )
            positions.append(columns.index(key))
        elif isinstance(key, numbers.Integral) and not isinstance(key, bool):
            if not -n_columns <= key < n_columns:
                raise ValueError(
                    f"make_windows: target column {key} is out of range for a "
                    f"table with {n_columns} columns; expected an index in "
                    f"[0, {n_columns - 1}]{' or a column name' if columns else ''}."
                )
            positions.append(int(key) % n_columns)
        else:
            known = f"columns {columns}" if columns is not None else "no names"
            raise ValueError(
                f"make_windows: unknown target column {key!r}; the table has "
                f"{known}. Pass a column name or an integer position."
            )
    if len(set(positions)) != len(positions):
        raise ValueError(
            f"make_windows: target {target!r} names a column twice; list each once."
        )
    return positions


def make_windows(table, window, horizon=1, target=None, *, return_index=False):
    """Cut a time-series table into windows and the values that follow them.

    Window ``i`` holds rows ``i .. i+window-1`` of the table (all columns); its
    targets are the ``target`` columns at the next ``horizon`` rows,
    ``i+window .. i+window+horizon-1``. Fit an
    :class:`~sk_alrnn.ALRNNRegressor` on the result for direct (one model for
    every horizon) forecasting.

    Cross-validate with ``TimeSeriesSplit(gap=horizon - 1)`` (or a larger gap):
    then every training target row is at or before the first test window's last
    row (its forecast origin), so no training target lies in the test period.
    A smaller gap leaks (see the module notes).

    Parameters
    ----------
    table : array-like of shape (n_rows, n_columns) or (n_rows,), DataFrame or Series
        Rows are consecutive time steps; every value must be a finite number.
    window : int
        Rows per window (at least 1).
    horizon : int, default=1
        Number of steps ahead to predict (at least 1).
    target : None, int, str or list of them, default=None
        The columns to predict: None for all of them, a column name (DataFrame)
        or integer position, or a list of these. A DataFrame's column names are
        looked up first, so with integer column names an integer is a name.
    return_index : bool, default=False
        Also return the forecast origin of each window (its last row).

    Returns
    -------
    X : ndarray of shape (n_windows, window, n_columns)
        The windows, ``n_windows = n_rows - window - horizon + 1``; float32 if
        the table is float32, else float64.
    y : ndarray of shape (n_windows,) or (n_windows, horizon * n_targets)
        1D when ``horizon == 1`` and a single column is predicted (``target``
        is one name or position, or None for a one-column table). Otherwise
        column ``k * n_targets + j`` is target ``j`` at ``k + 1`` steps ahead:
        all targets one step ahead first, then two steps ahead, and so on, so
        ``y.reshape(n_windows, horizon, n_targets)`` separates them.
    origins : pandas Index or ndarray of shape (n_windows,)
        Only with ``return_index``: the label of each window's last row in the
        table's index (a DataFrame's or Series' index), or its position for an
        array: ``origins[i]`` is row ``i + window - 1``.

    Raises
    ------
    ValueError
        If the table has fewer than ``window + horizon`` rows, holds NaN,
        infinite or non-numeric values, or ``target`` names an unknown column;
        if ``window`` or ``horizon`` is below 1.
    TypeError
        If ``window`` or ``horizon`` is not an integer.

    See Also
    --------
    SequenceWindower : Windows ending at every row, as a pipeline step.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.forecasting import make_windows
    >>> table = np.arange(12.0).reshape(6, 2)  # 6 time steps, 2 columns
    >>> X, y = make_windows(table, window=3, target=0)
    >>> X.shape, y.shape
    ((3, 3, 2), (3,))
    >>> X[0, :, 0], float(y[0])  # rows 0-2 of column 0, then row 3
    (array([0., 2., 4.]), 6.0)
    >>> X, y = make_windows(table, window=3, horizon=2)  # both columns, 2 steps
    >>> y[0]  # (col 0, col 1) at row 3, then at row 4
    array([6., 7., 8., 9.])
    >>> _, _, origins = make_windows(table, window=3, return_index=True)
    >>> origins.tolist()  # the last row of each window
    [2, 3, 4]
    """
    for name, value in (("window", window), ("horizon", horizon)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(
                f"make_windows: {name} must be an int, got {value!r} "
                f"({type(value).__name__})."
            )
        if value < 1:
            raise ValueError(f"make_windows: {name} must be at least 1, got {value}.")
    values, columns = _as_table(table)  # (R, F)
    n_rows, n_columns = values.shape
    positions = _target_columns(target, columns, n_columns)
    n_windows = n_rows - window - horizon + 1
    if n_windows < 1:
        raise ValueError(
            f"make_windows: the table has n_rows={n_rows} rows but window={window} "
            f"plus horizon={horizon} needs at least {window + horizon}. Use a "
            "longer table or a shorter window."
        )
    # (R - L + 1, F, L) views -> (n, L, F) copies
    windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    X = np.ascontiguousarray(windows[:n_windows].transpose(0, 2, 1))
    future = values[window:, positions]  # (R - L, Q): rows after the first window
    # (R - L - H + 1, Q, H): the H rows after each window
    ahead = np.lib.stride_tricks.sliding_window_view(future, horizon, axis=0)
    y = ahead.transpose(0, 2, 1).reshape(n_windows, horizon * len(positions))
    if horizon == 1 and len(positions) == 1 and not _is_list(target):
        y = y[:, 0]  # (n,)
    y = np.ascontiguousarray(y)
    if not return_index:
        return X, y
    index = getattr(table, "index", None)
    rows = slice(window - 1, window - 1 + n_windows)
    origins = np.arange(n_rows)[rows] if index is None else index[rows]
    return X, y, origins


class SequenceWindower(TransformerMixin, BaseEstimator):
    """Turn each row of a table into the window of rows that ends at it.

    ``transform(X)[t]`` holds rows ``t-window+1 .. t`` of X, so the output has
    one window per row and stays aligned with targets indexed by row (for
    example ``y[t]`` = the value at row ``t + 1``): put it in a
    :class:`~sklearn.pipeline.Pipeline` before
    :class:`~sk_alrnn.ALRNNRegressor`. The first ``window - 1`` rows have too
    little history; their windows are padded at the start by repeating the
    first row (``padding="edge"``) or with zeros (``padding="zeros"``).

    The transformer is stateless: it only sees the rows it is given. Under
    ``TimeSeriesSplit`` the first ``window - 1`` rows of every test fold are
    therefore padded although earlier rows exist in the training fold; use
    :func:`make_windows` on the whole table when that matters.

    Parameters
    ----------
    window : int, default=10
        Rows per window (at least 1).
    padding : {"edge", "zeros"}, default="edge"
        How the windows of the first ``window - 1`` rows are filled before row 0.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in :meth:`fit`, when X is a DataFrame with string names.

    See Also
    --------
    make_windows : Windows and multi-step targets from one table.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.forecasting import SequenceWindower
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> windows = SequenceWindower(window=3).fit_transform(X)
    >>> windows.shape
    (4, 3, 2)
    >>> windows[0, :, 0], windows[3, :, 0]  # row 0 padded with itself; rows 1-3
    (array([0., 0., 0.]), array([2., 4., 6.]))
    """

    _parameter_constraints: ClassVar[dict] = {
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
        "padding": [StrOptions({"edge", "zeros"})],
    }

    def __init__(self, window=10, padding="edge"):
        self.window = window
        self.padding = padding

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the columns of X.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows are consecutive time steps.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceWindower
        """
        validate_data(self, X, dtype=(np.float64, np.float32))
        return self

    def transform(self, X):
        """Return the window ending at each row of X.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_columns)
            Rows are consecutive time steps.

        Returns
        -------
        windows : ndarray of shape (n_rows, window, n_columns)
            ``windows[t, -1] == X[t]``; earlier rows come before it in order.
        """
        self._validate_params()
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        n_pad = self.window - 1
        if self.padding == "edge":
            head = np.repeat(X[:1], n_pad, axis=0)  # (L - 1, F)
        else:
            head = np.zeros((n_pad, X.shape[1]), dtype=X.dtype)  # (L - 1, F)
        padded = np.concatenate([head, X])  # (R + L - 1, F)
        # (R, F, L) views -> (R, L, F) copy
        windows = np.lib.stride_tricks.sliding_window_view(padded, self.window, axis=0)
        return np.ascontiguousarray(windows.transpose(0, 2, 1))
