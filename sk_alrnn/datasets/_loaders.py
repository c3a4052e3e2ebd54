"""Real data read as sequences (numpy only)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.utils import Bunch


def load_sequential_digits(*, mode="rows", return_X_y=False):
    """Scikit-learn's bundled 8x8 digits, read as sequences.

    The 1797 images of ``sklearn.datasets.load_digits`` (pixel values 0..16) are
    scaled to [0, 1] and read either row by row (``mode="rows"``: T = 8 steps of
    K = 8 pixels, top row first) or pixel by pixel (``mode="pixels"``: T = 64 steps
    of K = 1 pixel, in row-major order). No download is needed.

    Trivial baseline: the classes are nearly balanced (10 digits, 174 to 183
    images each), so predicting the most frequent class scores an accuracy of
    183 / 1797 ≈ 0.102 (chance is 0.1).

    Parameters
    ----------
    mode : {"rows", "pixels"}, default="rows"
        How each image becomes a sequence.
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (X), ``target`` (y), ``target_names`` (0..9), ``mode`` and
        ``DESCR``. Only if ``return_X_y`` is False.
    X : ndarray of shape (1797, 8, 8) or (1797, 64, 1)
        Sequences with values in [0, 1].
    y : ndarray of int of shape (1797,)
        Digit labels 0..9.

    Examples
    --------
    >>> X, y = load_sequential_digits(return_X_y=True)
    >>> X.shape, y.shape, float(X.min()), float(X.max())
    ((1797, 8, 8), (1797,), 0.0, 1.0)
    >>> load_sequential_digits(mode="pixels", return_X_y=True)[0].shape
    (1797, 64, 1)
    """
    if mode not in ("rows", "pixels"):
        raise ValueError(f"mode must be 'rows' or 'pixels'; got {mode!r}.")
    digits = load_digits()
    images = np.asarray(digits.images, dtype=np.float64) / 16.0  # (1797, 8, 8)
    X = images if mode == "rows" else images.reshape(len(images), 64, 1)
    y = np.asarray(digits.target, dtype=np.int64)  # (1797,)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        target_names=np.arange(10),
        mode=mode,
        DESCR=(
            "scikit-learn's 8x8 digits scaled to [0, 1], read "
            + (
                "row by row (T=8, K=8)."
                if mode == "rows"
                else "pixel by pixel (T=64, K=1)."
            )
        ),
    )
