"""Reading ALRNNForecaster's table: validation, target columns, window sizes.

Rows are consecutive time steps; the targets are columns of X (``targets``) or
a separate ``y``.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import validate_data

from sk_alrnn._core._validation import check_columns, check_finite, check_table

AUTO_WINDOW = 50  # window="auto": at most this many rows, ...
WINDOW_SHARE = 3  # ... and at most a third of the table


class TableMixin:
    """ALRNNForecaster's table bookkeeping (columns, targets, window sizes)."""

    def _read_table(self, X, y, reset: bool = True):
        """Validated (n, K) inputs and (n, O) targets; sets the column bookkeeping.

        ``reset=False`` (partial_fit on a fitted model) checks the width and the
        column names against the fitted ones instead of storing new ones.
        """
        name = type(self).__name__
        if self.n_nonlinear > self.n_hidden:
            raise ValueError(
                f"{name}: n_nonlinear={self.n_nonlinear} exceeds n_hidden="
                f"{self.n_hidden}; the number of ReLU units must lie in "
                "[0, n_hidden]. Lower n_nonlinear or raise n_hidden."
            )
        from_series = _is_series(X)
        X = _as_frame(X)
        check_columns(X, name)
        if y is not None:
            check_table(y, name, "y")
            if self.targets is not None:
                raise ValueError(
                    f"{name}: targets={self.targets!r} picks columns of X to "
                    "forecast, but y was given as well. Pass either y or targets."
                )
        table = X
        dtype = [np.float64, np.float32]
        if y is None:
            X = validate_data(
                self, X, dtype=dtype, ensure_all_finite=False, reset=reset
            )
        else:
            X, y = validate_data(
                self,
                X,
                y,
                reset=reset,
                dtype=dtype,
                ensure_all_finite=False,
                multi_output=True,
                y_numeric=True,
            )
        check_finite(X, name, like=table)
        X = np.asarray(X, dtype=np.float64)
        self._index = getattr(table, "index", None)
        if y is None:
            columns = self._target_positions(table, X.shape[1])
            self.target_columns_ = columns
            self._single_output = from_series
            self._target_names = _names(table, columns)
            return X, X[:, columns]
        self.target_columns_ = None
        self._single_output = np.ndim(y) == 1
        self._target_names = _names(y, None)
        y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        check_finite(y, name, "y")
        return X, y

    def _target_positions(self, table, n_columns: int) -> np.ndarray:
        if self.targets is None:
            return np.arange(n_columns)
        names = list(getattr(table, "columns", []))
        positions = []
        for t in self.targets:
            if isinstance(t, str) and t in names:
                positions.append(names.index(t))
            elif isinstance(t, Integral) and -n_columns <= t < n_columns:
                positions.append(int(t) % n_columns)
            else:
                raise ValueError(
                    f"{type(self).__name__}: targets entry {t!r} is not a column of "
                    f"X (columns: {names or list(range(n_columns))}). Pass column "
                    "positions, or names of a DataFrame's columns."
                )
        if len(set(positions)) != len(positions) or not positions:
            raise ValueError(
                f"{type(self).__name__}: targets={self.targets!r} must name distinct "
                "columns, at least one."
            )
        return np.array(positions)

    def _sizes(self, n_rows: int) -> tuple[int, int]:
        H = self.horizon
        if self.window == "auto":
            L = max(1, min(AUTO_WINDOW, n_rows // WINDOW_SHARE))
        else:
            L = self.window
        self._check_rows(n_rows, L, H)
        return L, H

    def _check_rows(self, n_rows: int, L: int, H: int) -> None:
        if n_rows < L + H:
            raise ValueError(
                f"{type(self).__name__}: got n_samples={n_rows} rows (time steps), "
                f"but window={L} rows of context and horizon={H} steps need at "
                f"least {L + H}. Pass a longer table, or lower window or horizon."
            )


def _names(table, columns):
    """Target names for pandas output (None for arrays)."""
    if hasattr(table, "columns"):
        names = list(table.columns)
        return names if columns is None else [names[c] for c in columns]
    if hasattr(table, "name") and hasattr(table, "index"):  # a Series
        return [table.name]
    return None


def _is_series(X) -> bool:
    return hasattr(X, "to_frame") and getattr(X, "ndim", 2) == 1


def _as_frame(X):
    """A pandas Series as a one-column DataFrame; anything else as is."""
    return X.to_frame() if _is_series(X) else X


def scaler(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (1 where a column is constant)."""
    fitted = StandardScaler().fit(values)
    return fitted.mean_, fitted.scale_
