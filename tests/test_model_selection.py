"""sweep_nonlinearity: the table, the paired rule for the smallest adequate P, the
reference models, stop reasons and withheld conclusions."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sk_alrnn import ALRNNRegressor
from sk_alrnn.model_selection import sweep_nonlinearity

# score per P and fold: P=0 poor; P=2 differs from P=4 by noise (paired
# differences +0.02, -0.04, +0.01); P=3 is consistently 0.01 below P=4.
SCORES = {
    0: [0.1, 0.2, 0.3],
    2: [0.84, 0.86, 0.87],
    3: [0.81, 0.89, 0.85],
    4: [0.82, 0.90, 0.86],
}


class FakeSweepTarget(RegressorMixin, BaseEstimator):
    """Scores are looked up from SCORES by n_nonlinear and by the test fold."""

    def __init__(self, n_nonlinear=0):
        self.n_nonlinear = n_nonlinear

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def score(self, X, y):
        fold = int(X[0, 0]) // 10  # test folds of KFold(3) over 30 rows
        return SCORES[self.n_nonlinear][fold]


def _fake_sweep(values, **kwargs):
    X = np.arange(30.0)[:, None]
    return sweep_nonlinearity(
        FakeSweepTarget(), X, np.zeros(30), values, cv=3, baselines=False, **kwargs
    )


def test_paired_rule_picks_the_smallest_p_not_credibly_worse():
    result = _fake_sweep([4, 0, 2])
    assert [r["n_nonlinear"] for r in result.rows] == [0, 2, 4]
    means = [r["mean_score"] for r in result.rows]
    np.testing.assert_allclose(means, [np.mean(SCORES[p]) for p in (0, 2, 4)])
    assert result.best_n_nonlinear == 4
    assert result.needed_n_nonlinear == 2
    row2 = result.rows[1]
    diff = np.subtract(SCORES[2], SCORES[4])
    assert row2["diff_to_best"] == pytest.approx(diff.mean())
    assert row2["diff_sem"] == pytest.approx(diff.std(ddof=1) / np.sqrt(3))
    assert not row2["worse_than_best"] and result.rows[0]["worse_than_best"]
    assert "P=2: -0.003 +- 0.019 vs best P=4" in result.evidence
    assert "n_nonlinear=2" in str(result) and "n_nonlinear=2" in result.conclusion


def test_a_consistent_small_loss_counts_only_beyond_the_margin():
    # P=3 is 0.01 worse on every fold: credibly worse without a margin ...
    strict = _fake_sweep([0, 3, 4])
    assert strict.needed_n_nonlinear == 4
    assert strict.rows[1]["worse_than_best"]
    # ... and not once differences below tolerance * (best - trivial) are none
    X = np.arange(30.0)[:, None]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            "sk_alrnn.model_selection._sweep._baseline",
            lambda name, fits: {
                "description": name,
                "mean_score": 0.0,
                "std_score": 0.0,
                "scores": np.zeros(3),
            },
        )
        lenient = sweep_nonlinearity(
            FakeSweepTarget(), X, np.zeros(30), [0, 3, 4], cv=3, tolerance=0.05
        )
    assert lenient.margin == pytest.approx(0.05 * np.mean(SCORES[4]))
    assert lenient.needed_n_nonlinear == 3


def test_sweep_on_a_pipeline_with_a_real_estimator(seq_data):
    X, y, _ = seq_data
    X2 = X[:, :, 0]  # univariate sequences for the scaler
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("alrnn", ALRNNRegressor(n_hidden=4, max_iter=2, random_state=0)),
        ]
    )
    result = sweep_nonlinearity(pipe, X2, y, [0, 1], param="alrnn__n_nonlinear", cv=2)
    assert len(result.rows) == 2
    assert all(
        np.isfinite(r["mean_score"]) and r["mean_fit_time"] > 0 for r in result.rows
    )
    pd = pytest.importorskip("pandas")
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame["n_nonlinear"]) == [0, 1]


def test_sweep_rejects_unknown_parameter_and_empty_grid():
    with pytest.raises(ValueError, match="no parameter 'n_relu'"):
        sweep_nonlinearity(
            FakeSweepTarget(), np.zeros((6, 1)), np.zeros(6), [0], param="n_relu"
        )
    with pytest.raises(ValueError, match="empty"):
        sweep_nonlinearity(FakeSweepTarget(), np.zeros((6, 1)), np.zeros(6), [])


def test_callback_sees_every_fit_and_train_scores_are_kept():
    X = np.arange(30.0)[:, None]
    seen = []
    result = sweep_nonlinearity(
        FakeSweepTarget(),
        X,
        np.zeros(30),
        [0, 4],
        cv=3,
        baselines=False,
        return_train_score=True,
        callback=lambda p, fold, out: seen.append((p, fold, out["test_score"])),
    )
    assert sorted((p, fold) for p, fold, _ in seen) == [
        (p, k) for p in (0, 4) for k in range(3)
    ]
    for p, fold, score in seen:
        assert score == SCORES[p][fold]
    for row in result.rows:
        assert len(row["train_scores"]) == 3 and "mean_train_score" in row
        assert row["n_iter"] == [None] * 3 and row["converged"]


def test_explicit_split_and_parallel_fits_match(seq_data):
    X, y, _ = seq_data
    split = [(np.arange(30), np.arange(30, 40))]  # one hold-out split
    est = ALRNNRegressor(n_hidden=4, max_iter=2, random_state=0)
    one = sweep_nonlinearity(est, X, y, [0, 2], cv=split)
    assert all(len(r["scores"]) == 1 and r["sem_score"] == 0 for r in one.rows)
    assert all(r["n_iter"] == [2] and not r["converged"] for r in one.rows)
    two = sweep_nonlinearity(est, X, y, [0, 2], cv=split, n_jobs=2)
    for a, b in zip(one.rows, two.rows, strict=True):
        np.testing.assert_allclose(a["scores"], b["scores"], atol=1e-5)
