"""From a sweep's fits to its rows, and the verdict on them.

:func:`_row` and :func:`_baseline` sum up the fits of one value of P (or of one
reference model) over seeds and folds; :func:`_judge` says when the rows that
decide the answer look under-trained (or no P beats a constant prediction) and
what to change, and :func:`_evidence` names the comparisons behind an answer.
"""

from __future__ import annotations

import math

import numpy as np

# Stop reasons of a fit; the last three make a fit look under-trained (or broken).
UNDER_TRAINED = ("max_iter", "plateau", "failed")
BASELINES = {
    "trivial": "constant prediction (mean / class frequencies)",
    "linear": "ridge / logistic regression on the last steps",
}


def _mean_value(values: list):
    """Mean over the fits whose values are all finite (elementwise for arrays)."""
    kept = [
        np.asarray(v, dtype=np.float64)
        for v in values
        if v is not None and np.all(np.isfinite(v))
    ]
    if not kept:
        return math.nan
    mean = np.mean(np.stack(kept), axis=0)
    return float(mean) if mean.ndim == 0 else mean


def _with_extras(entry: dict, fits: list[dict]) -> dict:
    """Add ``extra_scores`` and ``mean_extra_scores`` when the fits carry any."""
    names = list(fits[0].get("extra_scores") or {}) if fits else []
    if names:
        extras = {n: [f["extra_scores"][n] for f in fits] for n in names}
        entry["extra_scores"] = extras
        entry["mean_extra_scores"] = {n: _mean_value(v) for n, v in extras.items()}
    return entry


def _row(p: int, fits: list[dict], with_train: bool) -> dict:
    scores = np.array([f["test_score"] for f in fits], dtype=float)
    finite = scores[np.isfinite(scores)]
    std = float(finite.std(ddof=1)) if len(finite) > 1 else 0.0
    reasons = [f["stop_reason"] for f in fits]
    suspicious = [r for r in reasons if r in UNDER_TRAINED]
    row = {
        "n_nonlinear": p,
        "mean_score": float(finite.mean()) if len(finite) else math.nan,
        "std_score": std,
        "sem_score": std / math.sqrt(len(finite)) if len(finite) else math.nan,
        "mean_fit_time": float(np.mean([f["fit_time"] for f in fits])),
        "converged": all(f["converged"] for f in fits),
        "under_trained": 2 * len(suspicious) >= len(fits),
        "stop_reasons": reasons,
        "errors": [f["error"] for f in fits if f["error"]],
        "scores": scores,
        "fit_times": [f["fit_time"] for f in fits],
        "n_iter": [f["n_iter"] for f in fits],
    }
    if with_train:
        train = np.array([f["train_score"] for f in fits], dtype=float)
        row["mean_train_score"] = float(np.nanmean(train)) if train.size else math.nan
        row["train_scores"] = train
    return _with_extras(row, fits)


def _baseline(name: str, fits: list[dict]) -> dict:
    scores = np.array([f["test_score"] for f in fits], dtype=float)
    errors = [f["error"] for f in fits if f["error"]]
    if errors:
        return {"description": BASELINES[name], "error": errors[0]}
    entry = {
        "description": BASELINES[name],
        "mean_score": float(scores.mean()),
        "std_score": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
        "scores": scores,
    }
    return _with_extras(entry, fits)


def _evidence(comparisons, best: int, needed: int) -> str:
    """The chosen P against the best, and the largest smaller P (credibly worse)."""
    parts = []
    if needed != best:
        parts.append(comparisons[needed].describe(best))
    below = [p for p in comparisons if p < needed]
    if below:
        parts.append(comparisons[max(below)].describe(best) + " (worse)")
    return "; ".join(parts) or comparisons[best].describe(best)


def _judge(by_p, best, needed, trivial, margin, params, n_repeats):
    """(why the conclusion is withheld or None, advice)."""
    advice = []
    deciding = [by_p[best]] + ([by_p[needed]] if needed != best else [])
    # a row whose fits mostly failed could have been the best: it decides too
    deciding += [
        r
        for r in by_p.values()
        if r not in deciding
        and 2 * r["stop_reasons"].count("failed") >= len(r["stop_reasons"])
    ]
    weak = [r for r in deciding if r["under_trained"]]
    reasons = {s for r in weak for s in r["stop_reasons"]}
    withheld = None
    if weak:
        names = ", ".join(f"P={r['n_nonlinear']}" for r in weak)
        what = []
        if "max_iter" in reasons:
            what.append("stopped at max_iter while still improving")
            max_iter = _param(params, "max_iter")
            advice.append(
                f"Raise max_iter (now {max_iter})." if max_iter else "Raise max_iter."
            )
        if "plateau" in reasons:
            what.append("stopped on a plateau near a constant prediction's loss")
            advice.append(
                "Raise n_iter_no_change and max_iter, or n_init (restarts), so fits "
                "get past the plateau."
            )
        if "failed" in reasons:
            errors = [e for r in weak for e in r["errors"]]
            what.append("failed" + (f" ({errors[0]})" if errors else ""))
            advice.append(
                "Fix the failing fits (see the error), e.g. lower learning_rate_init."
            )
        withheld = (
            f"the rows that decide the answer ({names}) look under-trained or "
            f"broken: most of their fits {' or '.join(what)}."
        )
    elif trivial is not None and not by_p[best]["mean_score"] > trivial + margin:
        withheld = (
            f"no value of n_nonlinear beats the trivial baseline (best mean "
            f"{by_p[best]['mean_score']:.4g} vs {trivial:.4g}): the model learnt "
            "nothing the inputs predict, or it needs more training."
        )
        advice.append("Check that X predicts y; raise max_iter or n_init.")
    if withheld and n_repeats == 1:
        advice.append("n_repeats=3 (more seeds) firms up the comparison.")
    return withheld, advice


def _param(params: dict, name: str):
    for key, value in params.items():
        if key == name or key.endswith("__" + name):
            return value
    return None
