"""sweep_nonlinearity: the table and the one-standard-error choice of P."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sk_alrnn import ALRNNRegressor
from sk_alrnn.model_selection import sweep_nonlinearity

# score per P and fold: P=0 poor, P=2 just inside one standard error of P=4
SCORES = {0: [0.1, 0.2, 0.3], 2: [0.82, 0.88, 0.85], 4: [0.82, 0.90, 0.86]}


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


def test_one_standard_error_rule_picks_the_smallest_sufficient_p():
    X = np.arange(30.0)[:, None]
    result = sweep_nonlinearity(FakeSweepTarget(), X, np.zeros(30), [4, 0, 2], cv=3)
    assert [r["n_nonlinear"] for r in result.rows] == [0, 2, 4]
    means = [r["mean_score"] for r in result.rows]
    np.testing.assert_allclose(means, [np.mean(SCORES[p]) for p in (0, 2, 4)])
    sem4 = np.std(SCORES[4], ddof=1) / np.sqrt(3)
    assert np.mean(SCORES[2]) >= np.mean(SCORES[4]) - sem4  # the case is as intended
    assert result.best_n_nonlinear == 4
    assert result.needed_n_nonlinear == 2
    assert "n_nonlinear=2" in str(result)


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
