"""Known-answer suite: default sweeps must tell linear from nonlinear tasks.

With default settings (only ``random_state`` and ``cv`` set), the sweep must put
each task on the right side of "P = 0 suffices" vs "P > 0 is needed" on at least
4 of 5 seeds, and the best P must solve the task (R^2 > 0.7 / accuracy > 0.8) on
at least 4 of 5 seeds. The tasks are in tests/known_answer.py; each sweep is
5 values of P x 3 folds on a few hundred sequences (5-25 s on 2 cores).
"""

import warnings

import pytest
from known_answer import KNOWN

from sk_alrnn.model_selection import sweep_nonlinearity

SEEDS = range(5)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KNOWN))
def test_default_sweep_finds_the_known_answer(name):
    task = KNOWN[name]
    right_side, solved, report = 0, 0, []
    for seed in SEEDS:
        X, y = task.make(task.n_samples, seed)
        est = task.estimator(output=task.output, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a withheld answer counts as wrong
            result = sweep_nonlinearity(est, X, y, cv=3, scoring=task.scoring, n_jobs=2)
        needed = result.needed_n_nonlinear
        if task.linear_suffices:
            right_side += needed == 0
        else:
            right_side += needed is not None and needed > 0
        best = max(r["mean_score"] for r in result.rows)
        solved += best > task.solved
        report.append(f"seed {seed}: needed={needed}, best={best:.3f}")
    assert right_side >= 4, "; ".join(report)
    assert solved >= 4, "; ".join(report)
