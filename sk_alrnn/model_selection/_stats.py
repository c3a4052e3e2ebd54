"""The decision rule of a nonlinearity sweep: paired comparisons against the best P.

Every value of P is fitted on the same folds with the same seeds, so its scores
pair up with the best value's: the difference on each (repeat, fold) removes
what the folds and seeds share, and its mean and standard error say whether P
is *credibly worse* than the best:

    mean(d) + sem(d) < -margin,   d_i = score_i(P) - score_i(P_best),

with ``sem(d) = std(d, ddof=1) / sqrt(n)`` (0 for a single pair) and
``margin = tolerance * (best mean - trivial mean)``: differences smaller than a
share of what the best model gains over a constant prediction do not count.
``needed_n_nonlinear`` is the smallest P that is not credibly worse: a paired
form of the one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani
and Friedman, "The Elements of Statistical Learning", 7.10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Comparison:
    """One value of P against the best one, over paired (repeat, fold) scores."""

    n_nonlinear: int
    mean_diff: float  # mean of score(P) - score(best); 0 for the best itself
    sem_diff: float  # its standard error
    worse: bool  # credibly worse than the best

    def describe(self, best: int) -> str:
        """``"P=2: -0.004 +- 0.006 vs best P=4"``."""
        if self.n_nonlinear == best:
            return f"P={best} is the best"
        return (
            f"P={self.n_nonlinear}: {self.mean_diff:+.3f} +- {self.sem_diff:.3f} "
            f"vs best P={best}"
        )


def paired_difference(scores: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of ``scores - reference`` (paired, NaN-free pairs).

    Examples
    --------
    >>> mean, sem = paired_difference(np.array([0.8, 0.7, 0.9]),
    ...                               np.array([0.9, 0.8, 0.9]))
    >>> round(mean, 3), round(sem, 3)
    (-0.067, 0.033)
    """
    diff = np.asarray(scores, float) - np.asarray(reference, float)
    diff = diff[np.isfinite(diff)]
    if diff.size == 0:
        return math.nan, math.nan
    sem = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else 0.0
    return float(diff.mean()), sem


def compare(
    scores: dict[int, np.ndarray], margin: float
) -> tuple[int, dict[int, Comparison], int]:
    """The best P, every P's comparison with it, and the smallest adequate P.

    Parameters
    ----------
    scores : dict of int to ndarray of shape (n_pairs,)
        Scores per P, aligned: entry i of every array comes from the same
        repeat and fold. A NaN (failed fit) makes its pair drop out.
    margin : float
        Differences above ``-margin`` count as no difference.

    Returns
    -------
    best, comparisons, needed : int, dict of int to Comparison, int

    Examples
    --------
    >>> scores = {0: np.array([0.1, 0.2, 0.3]), 2: np.array([0.82, 0.88, 0.85]),
    ...           4: np.array([0.82, 0.90, 0.86])}
    >>> best, comparisons, needed = compare(scores, margin=0.01)
    >>> best, needed, comparisons[0].worse, comparisons[2].worse
    (4, 2, True, False)
    """
    means = {
        p: float(np.nanmean(s)) if np.isfinite(s).any() else -math.inf
        for p, s in scores.items()
    }
    best = max(sorted(scores), key=lambda p: means[p])  # ties: the smallest P
    comparisons = {}
    for p in sorted(scores):
        if p == best:
            comparisons[p] = Comparison(p, 0.0, 0.0, False)
            continue
        mean, sem = paired_difference(scores[p], scores[best])
        worse = not math.isfinite(mean) or mean + sem < -margin
        comparisons[p] = Comparison(p, mean, sem, worse)
    needed = min(p for p, c in comparisons.items() if not c.worse)
    return best, comparisons, needed
