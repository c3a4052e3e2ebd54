"""region_sharing on hand-built models whose visited regions are known."""

import numpy as np
import pytest

from sk_alrnn._core._params import ALRNNParams
from sk_alrnn.analysis import RegionSharing, region_sharing


def _sign_model(p=2):
    """z_t = s_t (A = W = h = 0, C = I): the region is the sign pattern of s_t."""
    return ALRNNParams(
        A=np.zeros(p),
        W=np.zeros((p, p)),
        C=np.eye(p),
        h=np.zeros(p),
        B=np.ones((1, p)),
        b=np.zeros(1),
        n_nonlinear=p,
    )


# Regions as integers (first unit = most significant bit): ++ 3, +- 2, -+ 1, -- 0.
PP, PM, MP, MM = [1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]


def _data():
    X = [
        np.array([PP, PP, PP, PM]),  # a: 3 steps in 3, 1 in 2
        np.array([PP, PM]),  # a: 1 in 3, 1 in 2
        np.array([PM, PM, MP]),  # b: 2 in 2, 1 in 1
        np.array([MM, MM, MM, MM, MM]),  # c: 5 in 0
    ]
    return X, np.array(["a", "a", "b", "c"])


def test_occupancy_table_and_shared_fractions():
    X, groups = _data()
    share = region_sharing(_sign_model(), X, groups)
    assert isinstance(share, RegionSharing)
    np.testing.assert_array_equal(share.groups, ["a", "b", "c"])
    # by total steps: region 0 (5), 2 (4), 3 (4), 1 (1); ties by code
    np.testing.assert_array_equal(share.regions, [0, 2, 3, 1])
    assert share.labels == ["00", "10", "11", "01"]
    np.testing.assert_array_equal(
        share.counts, [[0, 2, 4, 0], [0, 2, 0, 1], [5, 0, 0, 0]]
    )
    np.testing.assert_allclose(share.fractions.sum(axis=1), 1.0)
    np.testing.assert_allclose(share.fractions[1], [0, 2 / 3, 0, 1 / 3])
    np.testing.assert_array_equal(share.n_groups_per_region, [1, 2, 1, 1])
    # only region 2 ("10") is used by two groups (a and b)
    assert share.shared_fraction == pytest.approx(1 / 4)
    assert share.weighted_shared_fraction == pytest.approx(4 / 14)
    np.testing.assert_allclose(share.group_shared_fraction, [2 / 6, 2 / 3, 0.0])
    assert share.n_groups == 3 and share.n_regions == 4


def test_min_fraction_ignores_stray_steps():
    X, groups = _data()
    X[2] = np.array([PM] + [MM] * 9)  # b: one stray step in region 2, 9 in 0
    loose = region_sharing(_sign_model(), X, groups)
    strict = region_sharing(_sign_model(), X, groups, min_fraction=0.2)
    assert loose.n_groups_per_region[list(loose.regions).index(2)] == 2
    assert not strict.used[1, list(strict.regions).index(2)]  # b, region 2
    # region 0 is shared by b and c either way; region 2 only loosely
    assert loose.shared_fraction == pytest.approx(2 / 3)
    assert strict.shared_fraction == pytest.approx(1 / 3)
    assert strict.weighted_shared_fraction < loose.weighted_shared_fraction


def test_fully_separate_and_fully_shared():
    X, groups = [np.array([PP, PP]), np.array([MM])], ["x", "y"]
    apart = region_sharing(_sign_model(), X, groups)
    assert apart.shared_fraction == 0.0 and apart.weighted_shared_fraction == 0.0
    together = region_sharing(_sign_model(), [np.array([PP]), np.array([PP])], [1, 2])
    assert together.shared_fraction == 1.0
    assert together.weighted_shared_fraction == 1.0
    # a single group never shares
    one = region_sharing(_sign_model(), X, ["x", "x"])
    assert one.shared_fraction == 0.0


def test_linear_model_has_one_region_and_3d_input():
    linear = ALRNNParams(
        A=np.zeros(2),
        W=np.zeros((2, 2)),
        C=np.eye(2),
        h=np.zeros(2),
        B=np.ones((1, 2)),
        b=np.zeros(1),
        n_nonlinear=0,
    )
    X = np.stack([np.array([PP, MM]), np.array([MP, PM])])  # (2, 2, 2)
    share = region_sharing(linear, X, ["u", "v"])
    assert share.labels == ["-"] and share.shared_fraction == 1.0
    np.testing.assert_array_equal(share.counts, [[2], [2]])


def test_accepts_an_object_with_get_alrnn_params():
    class Fitted:
        def get_alrnn_params(self):
            return _sign_model()

    X, groups = _data()
    a = region_sharing(Fitted(), X, groups)
    b = region_sharing(_sign_model(), X, groups)
    np.testing.assert_array_equal(a.counts, b.counts)


def test_repr_summary_and_frame():
    X, groups = _data()
    share = region_sharing(_sign_model(), X, groups)
    assert repr(share) == (
        "RegionSharing(n_groups=3, n_regions=4, shared_fraction=0.250, "
        "weighted_shared_fraction=0.286)"
    )
    text = share.summary()
    assert "1 of 4 used regions are shared" in text
    assert "25.0%" in text and "28.6%" in text
    lines = text.splitlines()
    assert lines[2].split() == ["a", "6", "2", "33.3%"]
    assert "10 (2 groups)" in lines[-1]
    pd = pytest.importorskip("pandas")
    frame = share.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["00", "10", "11", "01"]
    assert list(frame.index) == ["a", "b", "c"] and frame.index.name == "group"
    assert frame.loc["b", "10"] == 2
    assert share.to_frame(normalize=True).loc["b", "01"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(groups=None), "groups is required"),
        (dict(groups=["a", "b"]), "one label per sequence"),
        (dict(groups=["a"] * 4, min_fraction=1.0), r"min_fraction must be in \[0, 1\)"),
        (dict(groups=["a"] * 4, min_fraction=-0.1), "min_fraction"),
    ],
)
def test_argument_checks(kwargs, match):
    X, _ = _data()
    with pytest.raises(ValueError, match=match):
        region_sharing(_sign_model(), X, **kwargs)


def test_rejects_a_non_model():
    with pytest.raises(TypeError, match="get_alrnn_params"):
        region_sharing(object(), [np.array([PP])], ["a"])


def test_plot_region_sharing():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from sk_alrnn.plotting import plot_region_sharing

    X, groups = _data()
    share = region_sharing(_sign_model(), X, groups)
    ax = plot_region_sharing(share, top=3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["00", "10*", "11"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    np.testing.assert_allclose(ax.images[0].get_array(), share.fractions[:, :3])
    assert len(ax.figure.axes) == 2  # the heat map and its colour bar
    # all regions when top exceeds them; draws into a given axes
    given = Figure().add_subplot()
    assert plot_region_sharing(share, top=50, ax=given) is given
    assert given.images[0].get_array().shape == (3, 4)
    with pytest.raises(ValueError, match="top must be a positive integer"):
        plot_region_sharing(share, top=0)
    with pytest.raises(TypeError, match="RegionSharing"):
        plot_region_sharing(share.counts)
