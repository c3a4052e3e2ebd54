"""pandas on demand: an optional dependency of the ``to_frame`` methods (no torch)."""

from __future__ import annotations


def _require_pandas(owner: str):
    """pandas, imported on demand: an optional dependency of ``to_frame``.

    >>> _require_pandas("Thing").DataFrame({"a": [1]}).shape
    (1, 1)
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{owner}.to_frame() returns a pandas DataFrame, but pandas is not "
            "installed: pip install pandas"
        ) from exc
    return pd
