"""The result of a nonlinearity sweep: :class:`SweepResult` and its text forms.

Also :class:`InconclusiveSweepWarning` (the warning of a sweep that withholds its
answer) and :class:`_ResultText`, the repr and ``summary()`` that the sweep's
and the learning curve's results share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sk_alrnn._core._pandas import _require_pandas


class InconclusiveSweepWarning(UserWarning):
    """A sweep withheld its conclusion: the rows that would decide it look
    under-trained, failed, or no value of P beat a constant prediction.

    Not a ``ConvergenceWarning`` on purpose: code that silences those (common
    for neural nets) still sees that the answer is missing.

    Examples
    --------
    >>> issubclass(InconclusiveSweepWarning, UserWarning)
    True
    """


class _ResultText:
    """A one-line repr of named fields, and ``summary()`` as ``str(result)``.

    Subclasses list their repr's fields in :meth:`_repr_fields`; dataclasses
    that use it pass ``repr=False`` so the dataclass repr does not replace it.
    """

    def _repr_fields(self) -> list[str]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self._repr_fields())})"

    def summary(self) -> str:
        """The result as a table of text, with what it concludes.

        The same as ``str(result)``.
        """
        return str(self)


@dataclass(frozen=True, repr=False)
class SweepResult(_ResultText):
    """Scores of a nonlinearity sweep, one row per value of ``n_nonlinear``.

    Attributes
    ----------
    rows : list of dict
        Per value of P: ``n_nonlinear``; ``mean_score``, ``std_score``,
        ``sem_score`` and the paired ``scores`` (one per repeat and fold, in
        the same order for every row); ``diff_to_best`` and ``diff_sem`` (mean
        paired difference to the best row and its standard error);
        ``worse_than_best``; ``stop_reasons`` (per fit: "converged", "plateau",
        "max_iter", "failed", ...), ``converged`` (no fit stopped at max_iter
        while improving), ``under_trained`` (half or more of its fits stopped at
        max_iter while improving, on a plateau near a constant prediction's
        loss, or failed); ``mean_fit_time`` and ``fit_times`` (s), ``n_iter``
        (epochs per fit, None without ``n_iter_``) and, with
        ``return_train_score=True``, ``mean_train_score`` and ``train_scores``.
        With ``extra_scoring``: ``extra_scores`` (name -> one value per fit, in
        the order of ``scores``; None for a failed fit) and ``mean_extra_scores``
        (name -> the mean over the fits whose values are all finite: a float, or
        an array for array-valued scorers; NaN when there is none).
    best_n_nonlinear : int
        The value with the highest mean score.
    needed_n_nonlinear : int or None
        The smallest value not credibly worse than the best; None when the
        sweep withholds its conclusion (see ``withheld``).
    baselines : dict
        ``"trivial"`` and ``"linear"`` (when computed): ``description``,
        ``mean_score``, ``std_score`` and per-fold ``scores`` on the same folds
        (with ``extra_scoring`` also ``extra_scores`` and ``mean_extra_scores``,
        as in the rows); a ``"error"`` entry instead when the model could not
        be fitted.
    margin : float
        Differences above ``-margin`` count as none: ``tolerance`` times the
        best mean's gain over the trivial baseline (0 without it).
    n_repeats, n_splits : int
        Seeds and folds behind every row.
    evidence : str
        The comparisons behind the conclusion, e.g. ``"P=2: -0.004 +- 0.006 vs
        best P=4; P=1: -0.210 +- 0.020 (worse)"``.
    withheld : str or None
        Why no conclusion is stated, or None.
    advice : tuple of str
        What to change to get (or firm up) an answer.

    Notes
    -----
    The repr is one line (the answer, the values of P, seeds and folds);
    :meth:`summary` (also ``str(result)``) is the full table with the
    baselines and the conclusion; :meth:`to_frame` gives the rows as a
    DataFrame.

    Examples
    --------
    >>> SweepResult(rows=[{"n_nonlinear": 0}, {"n_nonlinear": 2}],
    ...             best_n_nonlinear=2, needed_n_nonlinear=2, n_repeats=3,
    ...             n_splits=5)  # doctest: +NORMALIZE_WHITESPACE
    SweepResult(needed_n_nonlinear=2, best_n_nonlinear=2, n_nonlinear=[0, 2],
                3 seed(s) x 5 fold(s))
    """

    rows: list[dict] = field(repr=False)
    best_n_nonlinear: int
    needed_n_nonlinear: int | None
    baselines: dict = field(default_factory=dict, repr=False)
    margin: float = 0.0
    n_repeats: int = 1
    n_splits: int = 1
    evidence: str = ""
    withheld: str | None = None
    advice: tuple[str, ...] = ()

    @property
    def conclusion(self) -> str:
        """One sentence: the answer with its evidence, or why there is none."""
        if self.needed_n_nonlinear is None:
            return f"No conclusion: {self.withheld}"
        p = self.needed_n_nonlinear
        text = (
            f"n_nonlinear={p} is the smallest value not credibly worse than the "
            f"best (P={self.best_n_nonlinear}; {self.evidence})."
        )
        return text

    def _repr_fields(self) -> list[str]:
        needed = self.needed_n_nonlinear
        return [
            f"needed_n_nonlinear={'None (withheld)' if needed is None else needed}",
            f"best_n_nonlinear={self.best_n_nonlinear}",
            f"n_nonlinear={_short_list([r['n_nonlinear'] for r in self.rows])}",
            f"{self.n_repeats} seed(s) x {self.n_splits} fold(s)",
        ]

    def to_frame(self):
        """The rows as a pandas DataFrame (requires pandas); lists (and the
        dicts of ``extra_scoring``) are dropped."""
        pd = _require_pandas("SweepResult")
        nested = (list, dict, np.ndarray)
        return pd.DataFrame(
            [
                {k: v for k, v in r.items() if not isinstance(v, nested)}
                for r in self.rows
            ]
        )

    def __str__(self) -> str:
        head = "n_nonlinear  mean score  sem     vs best (paired)  stopped"
        lines = [head]
        for r in self.rows:
            if r["n_nonlinear"] == self.best_n_nonlinear:
                versus = "best".ljust(16)
            else:
                versus = f"{r['diff_to_best']:+.3f} +- {r['diff_sem']:.3f}"
                versus = (versus + (" *" if r["worse_than_best"] else "")).ljust(16)
            lines.append(
                f"{r['n_nonlinear']:>11d}  {r['mean_score']:>10.4f}  "
                f"{r['sem_score']:<6.4f}  {versus}  {_stops(r)}"
                + ("  !" if r["under_trained"] else "")
            )
        lines.append(
            f"{self.n_repeats} seed(s) x {self.n_splits} fold(s); * credibly worse "
            f"than the best (paired difference + 1 sem < -{self.margin:.3g}); ! most "
            "fits stopped at max_iter while improving, failed, or stopped on a "
            "plateau near a constant prediction's loss (where a model that cannot "
            "learn the task stops too)"
        )
        for name, b in self.baselines.items():
            if "error" in b:
                lines.append(f"baseline {name}: not available ({b['error']})")
            else:
                lines.append(
                    f"baseline {name} ({b['description']}): {b['mean_score']:.4f} "
                    f"+- {b['std_score']:.4f}"
                )
        lines.append(self.conclusion)
        lines.extend(f"  - {a}" for a in self.advice)
        return "\n".join(lines)


def _short_list(values, max_items: int = 6) -> str:
    """``[0, 1, 2, ..., 8]``: a list for a one-line repr, shortened past max_items."""
    shown = [str(v) for v in values]
    if len(shown) > max_items:
        shown = [*shown[: max_items - 2], "...", shown[-1]]
    return "[" + ", ".join(shown) + "]"


def _stops(row) -> str:
    counts = {}
    for reason in row["stop_reasons"]:
        counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in counts.items())
