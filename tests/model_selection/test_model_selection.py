"""sweep_nonlinearity: the table, the paired rule for the smallest adequate P, the
reference models, stop reasons and withheld conclusions."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sk_alrnn import ALRNNRegressor
from sk_alrnn.model_selection import (
    InconclusiveSweepWarning,
    learning_curve_nonlinearity,
    sweep_nonlinearity,
)

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


# -- repeats, reference models, stop reasons, withheld conclusions -------------------
def _linear_task(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2))
    return X, X[:, -1, 0] - 0.5 * X[:, -3, 1]


def test_repeats_pair_seeds_and_folds():
    X, y = _linear_task(60)
    est = ALRNNRegressor(n_hidden=4, max_iter=3, random_state=0)
    with pytest.warns(InconclusiveSweepWarning):
        one = sweep_nonlinearity(est, X, y, [0, 2], cv=2, baselines=False)
    with pytest.warns(InconclusiveSweepWarning):
        three = sweep_nonlinearity(
            est, X, y, [0, 2], cv=2, n_repeats=3, baselines=False
        )
    assert three.n_repeats == 3 and three.n_splits == 2
    for a, b in zip(one.rows, three.rows, strict=True):
        assert len(b["scores"]) == 6
        np.testing.assert_array_equal(b["scores"][:2], a["scores"])  # repeat 0
        assert len(set(np.round(b["scores"], 12))) == 6  # other seeds differ
    again = sweep_nonlinearity(est, X, y, [0, 2], cv=2, n_repeats=3, baselines=False)
    for a, b in zip(three.rows, again.rows, strict=True):
        np.testing.assert_array_equal(a["scores"], b["scores"])  # reproducible


def test_repeats_need_a_seed_parameter():
    with pytest.raises(ValueError, match="random_state parameter"):
        sweep_nonlinearity(
            FakeSweepTarget(), np.zeros((6, 1)), np.zeros(6), [0], n_repeats=2, cv=2
        )


def test_reference_models_sit_beside_the_rows():
    X, y = _linear_task(150)
    est = ALRNNRegressor(n_hidden=8, random_state=0)
    result = sweep_nonlinearity(est, X, y, [0, 2], cv=3, n_jobs=2)
    trivial, linear = result.baselines["trivial"], result.baselines["linear"]
    assert abs(trivial["mean_score"]) < 0.1  # the mean scores R^2 about 0
    assert linear["mean_score"] > 0.99  # the target is linear in the last steps
    assert len(linear["scores"]) == 3
    assert [r["n_nonlinear"] for r in result.rows] == [0, 2]  # not rows
    assert result.margin == pytest.approx(
        0.02 * (max(r["mean_score"] for r in result.rows) - trivial["mean_score"])
    )
    assert result.needed_n_nonlinear == 0
    assert "baseline linear" in str(result) and "baseline trivial" in str(result)


def test_cut_short_sweep_says_so_and_withholds_the_answer():
    X, y = _linear_task(120)
    est = ALRNNRegressor(n_hidden=8, max_iter=2, random_state=0)
    with pytest.warns(InconclusiveSweepWarning, match=r"Raise max_iter \(now 2\)"):
        result = sweep_nonlinearity(est, X, y, [0, 1, 2], cv=3)
    assert result.needed_n_nonlinear is None
    assert result.withheld and "under-trained" in result.withheld
    for row in result.rows:
        assert not row["converged"] and row["under_trained"]
        assert row["stop_reasons"] == ["max_iter"] * 3
    assert str(result).count("!") >= 3 and "No conclusion" in str(result)
    assert any("max_iter" in a for a in result.advice)


class _Failing(FakeSweepTarget):
    def fit(self, X, y):
        if self.n_nonlinear == 2:
            raise FloatingPointError("training diverged in epoch 3")
        return super().fit(X, y)


def test_failed_fits_score_nan_and_count_as_under_trained():
    X = np.arange(30.0)[:, None]
    with pytest.warns(InconclusiveSweepWarning, match="failed"):
        result = sweep_nonlinearity(
            _Failing(), X, np.zeros(30), [0, 2], cv=3, baselines=False
        )
    bad = result.rows[1]
    assert np.isnan(bad["scores"]).all() and bad["stop_reasons"] == ["failed"] * 3
    assert "diverged in epoch 3" in bad["errors"][0]
    with pytest.raises(FloatingPointError):
        sweep_nonlinearity(
            _Failing(),
            X,
            np.zeros(30),
            [0, 2],
            cv=3,
            baselines=False,
            error_score="raise",
        )


def _fold_and_p(estimator, X, y):
    """An array-valued extra scorer: (test fold, n_nonlinear) of the fit."""
    return np.array([float(X[0, 0]) // 10, estimator.n_nonlinear])


def test_extra_scoring_measures_the_same_fits_without_changing_the_rows():
    result = _fake_sweep([0, 2], extra_scoring={"tag": _fold_and_p})
    row = result.rows[1]
    assert [v.tolist() for v in row["extra_scores"]["tag"]] == [[0, 2], [1, 2], [2, 2]]
    np.testing.assert_array_equal(row["mean_extra_scores"]["tag"], [1.0, 2.0])
    plain = _fake_sweep([0, 2])
    assert [r["scores"].tolist() for r in result.rows] == [
        r["scores"].tolist() for r in plain.rows
    ]
    assert "extra_scores" not in plain.rows[0]  # nothing new without the option
    assert list(result.to_frame().columns) == list(plain.to_frame().columns)
    # a failed fit has no extra value, and the mean leaves it out
    X = np.arange(30.0)[:, None]
    with pytest.warns(InconclusiveSweepWarning):
        failed = sweep_nonlinearity(
            _Failing(),
            X,
            np.zeros(30),
            [0, 2],
            cv=3,
            baselines=False,
            extra_scoring={"tag": _fold_and_p},
        )
    assert failed.rows[1]["extra_scores"]["tag"] == [None] * 3
    assert np.isnan(failed.rows[1]["mean_extra_scores"]["tag"])
    # the reference models are measured too; scorer names work
    X, y = _linear_task(60)
    est = ALRNNRegressor(n_hidden=4, max_iter=1, random_state=0)
    with pytest.warns(InconclusiveSweepWarning):
        result = sweep_nonlinearity(
            est, X, y, [0], cv=2, extra_scoring={"mae": "neg_mean_absolute_error"}
        )
    linear = result.baselines["linear"]
    assert len(linear["extra_scores"]["mae"]) == 2
    assert linear["mean_extra_scores"]["mae"] == pytest.approx(
        np.mean(linear["extra_scores"]["mae"])
    )
    assert (
        linear["mean_extra_scores"]["mae"]
        > result.baselines["trivial"]["mean_extra_scores"]["mae"]
    )  # negated MAE: the linear model errs less than the mean


def test_scoring_takes_one_metric_and_points_to_extra_scoring():
    with pytest.raises(ValueError, match="extra_scoring"):
        _fake_sweep([0], scoring={"r2": "r2", "mae": "neg_mean_absolute_error"})
    with pytest.raises(ValueError, match="dict of names"):
        _fake_sweep([0], extra_scoring=[_fold_and_p])


def test_no_answer_when_nothing_beats_the_trivial_model():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(120, 6, 2)), rng.normal(size=120)
    est = ALRNNRegressor(n_hidden=4, max_iter=30, random_state=0)
    with pytest.warns(InconclusiveSweepWarning):
        result = sweep_nonlinearity(est, X, y, [0, 2], cv=3)
    assert result.needed_n_nonlinear is None


def test_learning_curve_per_p_on_nested_subsets():
    X, y = _linear_task(90)
    est = ALRNNRegressor(n_hidden=4, max_iter=12, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curve = learning_curve_nonlinearity(
            est, X, y, [0, 2], train_sizes=[0.25, 1.0], cv=3
        )
    assert curve.train_sizes.tolist() == [15, 60]
    assert len(curve.sweeps) == 2 and len(curve.needed_n_nonlinear) == 2
    curves = curve.curves()
    assert sorted(curves) == ["P=0", "P=2", "linear", "trivial"]
    sizes, scores = curves["P=2"]
    assert list(sizes) == [15, 60]
    assert scores.shape == (2, 3)  # (sizes, seeds x folds)
    # the largest size is the plain sweep on the whole training folds
    whole = sweep_nonlinearity(est, X, y, [0, 2], cv=3)
    np.testing.assert_array_equal(scores[1], whole.rows[1]["scores"])
    assert "n_train" in str(curve)
    pd = pytest.importorskip("pandas")
    frame = curve.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 4


def test_learning_curve_rejects_bad_sizes():
    X, y = _linear_task(30)
    est = ALRNNRegressor(n_hidden=4, max_iter=2)
    with pytest.raises(ValueError, match="outside"):
        learning_curve_nonlinearity(est, X, y, [0], train_sizes=[100], cv=3)
    with pytest.raises(ValueError, match="fractions"):
        learning_curve_nonlinearity(est, X, y, [0], train_sizes=[1.5], cv=3)
