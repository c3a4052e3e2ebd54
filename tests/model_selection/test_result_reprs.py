"""Result objects of analysis and model selection: a short repr (never arrays),
summary() as readable text, to_frame() as a DataFrame with known columns."""

import re
import sys

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from sk_alrnn import ALRNNRegressor
from sk_alrnn.analysis import (
    cycles,
    fixed_points,
    nonlinearity_usage,
    region_linear_map,
    region_statistics,
    spectrum,
)
from sk_alrnn.model_selection import (
    LearningCurveResult,
    SweepResult,
    learning_curve_nonlinearity,
    sweep_nonlinearity,
)

P, M = 8, 10
BITS = re.compile(r"\b[01]{8}\b")  # a region code of P=8 as a bit string


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 30, 2))
    est = ALRNNRegressor(n_hidden=M, n_nonlinear=P, max_iter=2, random_state=0)
    return est.fit(X, X[:, :, 0].sum(axis=1)), X


def _check_repr(obj, *needles):
    text = repr(obj)
    assert len(text) < 300, text
    assert "\n" not in text and "array(" not in text and "True" not in text
    for needle in needles:
        assert needle in text, (needle, text)
    return text


def test_region_statistics(model):
    est, X = model
    st = region_statistics(est, X, groups=np.arange(len(X)) % 3)
    text = _check_repr(st, "RegionStatistics(", f"of 2**{P}", "groups=3")
    assert f"n_regions_visited={st.n_regions} " in text
    assert f"n_steps={X.shape[0] * X.shape[1]}" in text
    top = "".join("1" if b else "0" for b in st.codes[0])
    assert f"top: {top} {st.frequencies[0]:.0%}" in text
    summary = st.summary(max_rows=4)
    lines = summary.splitlines()
    assert len(lines) >= 4 and top in lines[2] and "over 360 steps" in lines[0]
    assert "per group" in summary
    frame = st.to_frame()
    assert list(frame.columns) == [
        *("region", "code", "count", "frequency", "visits", "dwell_time"),
        *("count_0", "count_1", "count_2"),
    ]
    assert len(frame) == st.n_regions and frame["count"].sum() == 360
    assert all(BITS.fullmatch(c) for c in frame["code"])
    np.testing.assert_array_equal(
        frame[["count_0", "count_1", "count_2"]].sum(axis=1), frame["count"]
    )


def test_nonlinearity_usage_and_spectrum(model):
    est, X = model
    usage = nonlinearity_usage(est, X)
    _check_repr(
        usage, f"of P={P}", f"effective_n_nonlinear={usage.effective_n_nonlinear}"
    )
    assert len(usage.summary().splitlines()) == P + 2
    frame = usage.to_frame()
    assert list(frame.columns) == [
        "unit",
        "active_fraction",
        "switch_rate",
        "nonlinear",
    ]
    assert len(frame) == P
    spec = spectrum(region_linear_map(est, 0)[0])
    _check_repr(spec, f"M={M}", "spectral_radius=", "n_slow=")
    assert "spectral radius" in spec.summary()
    assert list(spec.to_frame().columns) == [
        "eigenvalue",
        "modulus",
        "real",
        "imag",
        "slow",
    ]


def test_fixed_points_show_bit_strings_never_arrays(model):
    est, _ = model
    fps = fixed_points(est)
    assert isinstance(fps, list) and len(fps) == 2**P  # still a list
    n_real = sum(fp.is_real for fp in fps)
    _check_repr(fps, "FixedPointList(", f"{len(fps)} candidates", f"{n_real} real")
    fp = fps[5]
    text = _check_repr(fp, "FixedPoint(region=00000101 (5)", "spectral_radius=")
    assert f", {'real' if fp.is_real else 'virtual'}, " in text
    assert "z =" in fp.summary() and "00000101" in fp.summary()
    columns = ["region", "code", "is_real", "stable", "singular", "spectral_radius"]
    assert list(fp.to_frame().columns) == columns + [f"z_{i}" for i in range(M)]
    frame = fps.to_frame()
    assert list(frame.columns) == columns + [f"z_{i}" for i in range(M)]
    assert len(frame) == 2**P and all(BITS.fullmatch(c) for c in frame["code"])
    z_columns = [f"z_{i}" for i in range(M)]
    np.testing.assert_allclose(frame.loc[5, z_columns].to_numpy(float), fp.z)
    summary = fps.summary(max_rows=5)
    assert len(summary.splitlines()) == 1 + 1 + 5 + 1  # title, head, rows, "more"
    empty = fixed_points(est, regions=[])
    assert repr(empty).startswith("FixedPointList(0 candidates")
    assert list(empty.to_frame().columns) == columns


def test_cycles(model):
    est, X = model
    cyc = cycles(est, k_max=3, X=X, include_virtual=True)
    assert isinstance(cyc, list) and len(cyc) > 0
    _check_repr(cyc, "CycleList(", f"{len(cyc)} orbits")
    first = cyc[0]
    path = "->".join("".join("1" if b else "0" for b in c) for c in first.codes)
    _check_repr(first, f"period={len(first.regions)}", f"regions={path}")
    assert "points" in first.summary()
    columns = [
        *("period", "codes", "regions", "is_real", "stable", "singular"),
        "spectral_radius",
    ]
    frame = cyc.to_frame()
    assert list(frame.columns) == columns and len(frame) == len(cyc)
    assert frame.loc[0, "codes"] == path
    assert list(cycles(est, k_max=2, X=X[:0]).to_frame().columns) == columns


SCORES_BY_P = {0: 0.2, 1: 0.6, 2: 0.9, 4: 0.91}


class _ScoreByP(RegressorMixin, BaseEstimator):
    """A stand-in whose score depends only on n_nonlinear."""

    def __init__(self, n_nonlinear=0):
        self.n_nonlinear = n_nonlinear

    def fit(self, X, y):
        self.is_fitted_ = True
        return self

    def score(self, X, y):
        return SCORES_BY_P[self.n_nonlinear]


def test_sweep_and_learning_curve_results():
    X, y = np.arange(60.0).reshape(30, 2), np.zeros(30)
    result = sweep_nonlinearity(_ScoreByP(), X, y, [0, 1, 2, 4], cv=3, baselines=False)
    _check_repr(
        result,
        f"needed_n_nonlinear={result.needed_n_nonlinear}",
        "best_n_nonlinear=4",
        "n_nonlinear=[0, 1, 2, 4]",
        "1 seed(s) x 3 fold(s)",
    )
    assert result.summary() == str(result) and len(result.summary().splitlines()) > 4
    assert {"n_nonlinear", "mean_score", "sem_score"} <= set(result.to_frame().columns)
    withheld = SweepResult(
        rows=[{"n_nonlinear": p} for p in range(20)],
        best_n_nonlinear=3,
        needed_n_nonlinear=None,
        withheld="fits stopped at max_iter",
        advice=("raise max_iter " * 40,),
    )
    text = _check_repr(withheld, "needed_n_nonlinear=None (withheld)", "...")
    assert "max_iter" not in text  # the advice stays in summary()

    curve = learning_curve_nonlinearity(
        _ScoreByP(), X, y, [0, 2], train_sizes=[0.5, 1.0], cv=3, baselines=False
    )
    assert isinstance(curve, LearningCurveResult)
    _check_repr(
        curve,
        f"train_sizes={[int(n) for n in curve.train_sizes]}",
        "n_nonlinear=[0, 2]",
        "needed_n_nonlinear=",
    )
    assert curve.summary() == str(curve)
    assert list(curve.to_frame().columns)[:2] == ["n_train", "n_nonlinear"]


def test_to_frame_without_pandas_says_how_to_install(model, monkeypatch):
    est, X = model
    st = region_statistics(est, X)
    fps = fixed_points(est, regions=[0])
    result = SweepResult(rows=[], best_n_nonlinear=0, needed_n_nonlinear=0)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    for obj in (st, fps, fps[0], result):
        with pytest.raises(ImportError, match="pip install pandas"):
            obj.to_frame()
