"""The cognitive multi-task suite: layout, targets, determinism, checks, scorer."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sk_alrnn.datasets import (
    COGNITIVE_TASKS,
    cognitive_accuracy,
    cognitive_scorer,
    make_cognitive_tasks,
)

FIX, MOD1, MOD2, RULE1, RULE2, TASK0 = 0, slice(1, 3), slice(3, 5), 5, 6, 7


def _angle(v):
    return np.arctan2(v[..., 1], v[..., 0]) % (2 * np.pi)


def _close_angle(a, b, atol=1e-9):
    return np.abs(np.angle(np.exp(1j * (np.asarray(a) - b)))) < atol


def _stimuli(x, modality):
    """Distinct nonzero (cos, sin) rows of one modality, in order of appearance."""
    rows = x[:, MOD1 if modality == 0 else MOD2]
    on = np.abs(rows).sum(axis=1) > 0
    out = []
    for r in rows[on]:
        if not out or not np.allclose(out[-1], r):
            out.append(r)
    return out


def _the_stimulus(x):
    """The one stimulus of a single-stimulus trial, whichever modality shows it."""
    shown = [s for m in (0, 1) for s in _stimuli(x, m)]
    assert len(shown) == 1
    return shown[0]


def test_shapes_and_all_tasks_present():
    X, y, task = make_cognitive_tasks(55, random_state=0)
    assert isinstance(X, list) and len(X) == 55
    assert y.shape == (55, 3) and task.shape == (55,)
    for x in X:
        assert x.ndim == 2 and x.shape[1] == 18 and x.dtype == np.float64
    # balanced: 55 = 5 x 11
    names, counts = np.unique(task, return_counts=True)
    assert sorted(names) == sorted(COGNITIVE_TASKS)
    assert set(counts) == {5}


def test_lengths_vary_and_match_the_difficulty():
    X, _, task = make_cognitive_tasks(220, random_state=0)
    lengths = np.array([len(x) for x in X])
    assert len(set(lengths)) > 10
    # simple: React (context + stimulus) is 15..25; Match2Sample is the longest
    react = lengths[np.isin(task, ["ReactPro", "ReactAnti"])]
    assert react.min() >= 15 and react.max() <= 25
    match = lengths[task == "Match2Sample"]
    assert match.min() >= 5 + 10 + 10 + 10 + 5 and match.max() <= 10 + 15 + 15 + 15 + 10
    Xh, _, task_h = make_cognitive_tasks(220, difficulty="hard", random_state=0)
    hard = np.array([len(x) for x in Xh])
    assert hard.mean() > 1.5 * lengths.mean()
    delay = hard[task_h == "DelayPro"]
    assert delay.min() >= 10 + 10 + 20 + 10 and delay.max() <= 20 + 40 + 50 + 20


def test_hard_adds_noise_to_the_modality_channels():
    X, _, _ = make_cognitive_tasks(4, tasks=["DelayPro"], random_state=0)
    Xh, _, _ = make_cognitive_tasks(
        4, tasks=["DelayPro"], difficulty="hard", random_state=0
    )
    # simple: modality channels are exactly 0 outside the stimulus epoch
    assert all(np.any(np.all(x[:, 1:5] == 0, axis=1)) for x in X)
    assert all(np.all(np.abs(x[:, 1:5]).sum(axis=1) > 0) for x in Xh)


def test_deterministic_per_random_state():
    a = make_cognitive_tasks(30, random_state=3)
    b = make_cognitive_tasks(30, random_state=3)
    c = make_cognitive_tasks(30, random_state=4)
    assert all(np.array_equal(u, v) for u, v in zip(a[0], b[0], strict=True))
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    assert not np.array_equal(a[1], c[1])


def test_task_subset_and_one_hot_id_uses_the_full_order():
    X, _, task = make_cognitive_tasks(20, tasks=["GoNogo", "DelayAnti"], random_state=0)
    assert set(task) == {"GoNogo", "DelayAnti"}
    for x, name in zip(X, task, strict=True):
        one_hot = x[:, TASK0:]
        expected = np.zeros(11)
        expected[COGNITIVE_TASKS.index(name)] = 1.0
        np.testing.assert_array_equal(one_hot, np.broadcast_to(expected, one_hot.shape))
    # a single name is one task; duplicates are dropped
    _, _, task = make_cognitive_tasks(3, tasks="CatPro", random_state=0)
    assert set(task) == {"CatPro"}
    _, _, task = make_cognitive_tasks(4, tasks=["CatPro", "CatPro"], random_state=0)
    assert set(task) == {"CatPro"}


def test_rule_and_fixation_channels():
    X, y, task = make_cognitive_tasks(110, random_state=1)
    for x, target, name in zip(X, y, task, strict=True):
        rule = x[:, [RULE1, RULE2]]
        if name == "GoNogo":
            assert not rule.any()
        else:
            two = name.endswith(("Anti", "Mod2")) or name.startswith("NonMatch")
            assert np.all(rule[:, int(two)] == 1) and not rule[:, 1 - int(two)].any()
        # fixation cue: 1 on a prefix, then 0 to the end (the response epoch)
        fix = x[:, FIX]
        n_on = int(fix.sum())
        assert n_on >= 5 and np.all(fix[:n_on] == 1) and np.all(fix[n_on:] == 0)
        assert n_on < len(x)
        if target[0] == 0:  # a response: unit direction
            assert np.isclose(np.hypot(target[1], target[2]), 1.0)
        else:
            np.testing.assert_array_equal(target, [1.0, 0.0, 0.0])


@pytest.mark.parametrize("base", ["Delay", "React"])
def test_pro_points_at_the_stimulus_and_anti_opposite(base):
    X, y, task = make_cognitive_tasks(
        40, tasks=[f"{base}Pro", f"{base}Anti"], random_state=2
    )
    for x, target, name in zip(X, y, task, strict=True):
        theta = _angle(_the_stimulus(x))
        shift = np.pi if name.endswith("Anti") else 0.0
        assert target[0] == 0
        assert _close_angle(_angle(target[1:]), theta + shift)
    if base == "React":  # the stimulus comes on exactly when fixation goes off
        for x in X:
            on = np.abs(x[:, 1:5]).sum(axis=1) > 0
            np.testing.assert_array_equal(on, x[:, FIX] == 0)


def test_category_tasks_point_at_the_half_ring_centre():
    X, y, task = make_cognitive_tasks(60, tasks=["CatPro", "CatAnti"], random_state=0)
    for x, target, name in zip(X, y, task, strict=True):
        upper = _angle(_the_stimulus(x)) < np.pi
        answer = np.pi / 2 if upper == (name == "CatPro") else 3 * np.pi / 2
        assert _close_angle(_angle(target[1:]), answer)


def test_match_tasks_respond_to_the_test_or_keep_fixating():
    X, y, task = make_cognitive_tasks(
        200, tasks=["Match2Sample", "NonMatch2Sample"], random_state=0
    )
    n_match = 0
    for x, target, name in zip(X, y, task, strict=True):
        shown = _stimuli(x, 0) + _stimuli(x, 1)
        sample, test = shown[0], shown[-1]
        match = len(shown) == 1  # the test repeats the sample exactly
        if not match:
            gap = np.abs(np.angle(np.exp(1j * (_angle(sample) - _angle(test)))))
            assert gap >= np.pi / 3 - 1e-9
        n_match += match
        if match == (name == "Match2Sample"):
            assert target[0] == 0 and _close_angle(_angle(target[1:]), _angle(test))
        else:
            np.testing.assert_array_equal(target, [1.0, 0.0, 0.0])
    assert 60 < n_match < 140


def test_context_tasks_follow_the_cued_modality():
    X, y, task = make_cognitive_tasks(
        60, tasks=["CtxIntMod1", "CtxIntMod2"], random_state=0
    )
    for x, target, name in zip(X, y, task, strict=True):
        both = np.abs(x[:, 1:5]).sum(axis=1) > 0
        mean1 = x[both, MOD1].mean(axis=0)
        mean2 = x[both, MOD2].mean(axis=0)
        cued = mean1 if name == "CtxIntMod1" else mean2
        error = np.angle(np.exp(1j * (_angle(cued) - _angle(target[1:]))))
        assert abs(error) < np.pi / 4  # the noisy mean points near the target
        assert not np.allclose(x[both, MOD1][0], x[both, MOD1][1])  # per-step noise


def test_gonogo_goes_on_strong_stimuli():
    X, y, _ = make_cognitive_tasks(100, tasks=["GoNogo"], random_state=0)
    for x, target in zip(X, y, strict=True):
        stim = _the_stimulus(x)
        strength = np.hypot(*stim)
        assert 0.2 - 1e-9 <= strength <= 1.0 + 1e-9
        assert abs(strength - 0.6) >= 0.15 - 1e-9
        if strength > 0.6:
            assert target[0] == 0 and _close_angle(_angle(target[1:]), _angle(stim))
        else:
            np.testing.assert_array_equal(target, [1.0, 0.0, 0.0])
    assert 20 < np.sum(y[:, 0] == 1) < 80


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_samples=0), ValueError, "n_samples must be an integer >= 1; got 0"),
        (dict(n_samples=2.5), TypeError, "n_samples must be an integer"),
        (dict(n_samples=True), TypeError, "n_samples must be an integer"),
        (dict(tasks=["DelayPro", "Foo"]), ValueError, r"Unknown task.*'Foo'.*GoNogo"),
        (dict(tasks=[]), ValueError, "tasks is empty"),
        (dict(tasks=3), TypeError, "tasks must be None"),
        (dict(difficulty="medium"), ValueError, "difficulty must be 'simple'"),
    ],
)
def test_argument_checks(kwargs, error, match):
    kwargs = {"n_samples": 5, **kwargs}
    with pytest.raises(error, match=match):
        make_cognitive_tasks(**kwargs)


# --- the scorer --------------------------------------------------------------

GO_EAST = [0.0, 1.0, 0.0]
NOGO = [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "pred, correct",
    [
        ([0.0, 1.0, 0.0], True),  # exact
        ([0.4, 5.0, 0.0], True),  # the length of (cos, sin) does not matter
        ([0.0, np.cos(0.5), np.sin(0.5)], True),  # 28.6 degrees < 30
        ([0.0, np.cos(0.53), -np.sin(0.53)], False),  # 30.4 degrees
        ([0.6, 1.0, 0.0], False),  # right direction, but still fixating
        ([0.5, 1.0, 0.0], True),  # 0.5 is not above the threshold: responds
        ([0.0, 0.0, 0.0], False),  # no direction at all
        ([0.0, -1.0, 0.0], False),
    ],
)
def test_accuracy_on_a_response_trial(pred, correct):
    assert cognitive_accuracy([GO_EAST], [pred]) == float(correct)


def test_accuracy_wraps_angles_and_handles_nogo():
    near_pi = [0.0, np.cos(np.pi - 0.1), np.sin(np.pi - 0.1)]
    other_side = [0.0, np.cos(-np.pi + 0.1), np.sin(-np.pi + 0.1)]
    assert cognitive_accuracy([near_pi], [other_side]) == 1.0  # 0.2 rad apart
    # no-go: correct iff the model keeps fixating, whatever its direction says
    assert cognitive_accuracy([NOGO], [[0.9, -1.0, 0.3]]) == 1.0
    assert cognitive_accuracy([NOGO], [[0.5, 0.0, 0.0]]) == 0.0
    assert cognitive_accuracy([NOGO, GO_EAST], [[0.1, 0, 0], GO_EAST]) == 0.5
    y = [GO_EAST, NOGO]
    pred = [GO_EAST, [0.0, 0.0, 0.0]]
    assert cognitive_accuracy(y, pred, sample_weight=[3, 1]) == 0.75
    assert cognitive_accuracy([GO_EAST], [[0, 0.8, 0.6]], tolerance=0.7) == 1.0


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        (np.zeros((2, 2)), np.zeros((2, 2)), r"shape \(n_samples, 3\)"),
        (np.zeros((0, 3)), np.zeros((0, 3)), "n_samples >= 1"),
        (np.zeros((2, 3)), np.zeros((3, 3)), "same shape"),
        (np.zeros((1, 3)), [[np.nan, 0, 0]], "NaN"),
    ],
)
def test_accuracy_checks(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        cognitive_accuracy(y_true, y_pred)


def test_scorer_calls_predict():
    class Oracle(BaseEstimator):
        def __init__(self, y):
            self.y = y

        def predict(self, X):
            return self.y

    X, y, _ = make_cognitive_tasks(22, random_state=0)
    assert cognitive_scorer(Oracle(y), X, y) == 1.0
    assert cognitive_scorer(Oracle(np.zeros_like(y)), X, y) == 0.0


@pytest.mark.slow
def test_alrnn_learns_pro_and_anti_which_a_linear_rnn_cannot():
    from sk_alrnn import ALRNNRegressor

    tasks = ["DelayPro", "DelayAnti"]
    X, y, _ = make_cognitive_tasks(600, tasks=tasks, random_state=0)
    X_test, y_test, _ = make_cognitive_tasks(200, tasks=tasks, random_state=1)
    scores = {}
    for p in (0, 8):
        reg = ALRNNRegressor(
            n_hidden=32, n_nonlinear=p, max_iter=40, random_state=0, device="cpu"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the linear model warns it learnt little
            reg.fit(X, y)
        scores[p] = cognitive_scorer(reg, X_test, y_test)
    assert scores[8] > 0.8  # chance is about 1/6
    assert scores[0] < 0.6  # the rule flips the answer: multiplicative
