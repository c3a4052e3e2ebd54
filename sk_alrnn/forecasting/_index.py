"""pandas out for forecasts: the index of the rows after a table's last row."""

from __future__ import annotations

import warnings

import numpy as np


def future_index(index, n_steps: int):
    """The ``n_steps`` labels after the last label of a pandas ``index``.

    A DatetimeIndex (or PeriodIndex) continues at its frequency (set, or inferred
    from the labels); a RangeIndex, or any integer index with a constant step,
    continues with that step; anything else gets a RangeIndex that continues the
    row count.

    Examples
    --------
    >>> import pandas as pd
    >>> months = future_index(pd.date_range("2020-01-01", periods=3, freq="MS"), 2)
    >>> [str(d.date()) for d in months], months.freqstr
    (['2020-04-01', '2020-05-01'], 'MS')
    >>> future_index(pd.RangeIndex(10, 20, 2), 2)
    RangeIndex(start=20, stop=24, step=2)
    """
    import pandas as pd

    n = len(index)
    if isinstance(index, pd.DatetimeIndex | pd.PeriodIndex):
        freq = index.freq
        if freq is None and n >= 3:
            with warnings.catch_warnings():  # pandas 3 warns of its return type
                warnings.simplefilter("ignore")
                freq = pd.infer_freq(index)
        if freq is not None:
            if isinstance(index, pd.PeriodIndex):
                return pd.period_range(index[-1] + 1, periods=n_steps, freq=index.freq)
            start = index[-1] + pd.tseries.frequencies.to_offset(freq)
            return pd.date_range(start, periods=n_steps, freq=freq, tz=index.tz)
    if isinstance(index, pd.RangeIndex):
        step = index.step
        stop = index.stop if n else index.start
        return pd.RangeIndex(stop, stop + step * n_steps, step)
    values = np.asarray(index)
    if n >= 2 and values.dtype.kind in "iu":
        steps = np.diff(values)
        if (steps == steps[0]).all() and steps[0] != 0:
            last, step = int(values[-1]), int(steps[0])
            return pd.RangeIndex(last + step, last + step * (n_steps + 1), step)
    return pd.RangeIndex(n, n + n_steps)


def wrap_like(values: np.ndarray, index, n_steps: int, names, single: bool):
    """``values`` (n_steps, O) as the fit's kind: ndarray, DataFrame or Series.

    pandas output when the training targets had names (``names`` not None):
    a Series for a single target from a Series, else a DataFrame.
    """
    if names is None:
        return values[:, 0] if single else values
    import pandas as pd

    idx = future_index(index, n_steps) if index is not None else None
    if single:
        return pd.Series(values[:, 0], index=idx, name=names[0])
    return pd.DataFrame(values, index=idx, columns=names)
