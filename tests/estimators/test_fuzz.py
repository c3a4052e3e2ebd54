"""Property tests over arbitrary inputs: fit succeeds or fails cleanly, never hangs.

For random shapes (0 to 3 dimensions, empty, ragged), dtypes (float16/32/64, ints,
bool, complex, object holding strings/None/dicts) and values (NaN, +-inf, beyond
float32, subnormals, huge integers), ``fit`` either succeeds and then predicts
finite values of the right shape, or raises ``ValueError``/``TypeError`` with a
message. Any other exception (IndexError, RuntimeError, a torch error, ...) or NaN
predictions fail the test. Hypothesis runs derandomized, so CI is reproducible.

Shapes: N sequences, T time steps, K features per step.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from sk_alrnn import ALRNNClassifier, ALRNNRegressor

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same examples on every run
    database=None,  # nothing written to the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEQUENCE_SETTINGS = settings(SETTINGS, max_examples=50)
TINY = dict(n_hidden=4, n_nonlinear=1, max_iter=2, batch_size=4, random_state=0)
TINY.update(device="cpu")

SPECIALS = [
    math.nan,
    math.inf,
    -math.inf,
    1e39,  # beyond float32
    -3.4028236e38,  # just beyond float32's max
    3.0e38,  # just inside float32
    1e300,
    5e-324,  # float64 subnormal
    1e-45,  # float32 subnormal
    -0.0,
]
SMALL = st.floats(-3, 3, allow_nan=False, width=32)
ANY_FLOAT = st.one_of(st.sampled_from(SPECIALS), st.floats())
OBJECTS = st.one_of(
    SMALL,
    st.integers(-(2**70), 2**70),
    st.text(max_size=3),
    st.none(),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sampled_from(SPECIALS),
)
# Any shape, or one fit accepts (N, T) / (N, T, K), so that fits also succeed.
SHAPES = st.one_of(
    array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4),
)


@st.composite
def float_arrays(draw, shape=SHAPES):
    """Mostly tame floats with a few special values injected."""
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    values = draw(arrays(np.float64, draw(shape), elements=SMALL))
    n_bad = draw(st.sampled_from([0, 0, 1, 2])) if values.size else 0
    flat = values.reshape(-1)
    for _ in range(n_bad):
        flat[draw(st.integers(0, flat.size - 1))] = draw(ANY_FLOAT)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return flat.reshape(values.shape).astype(dtype)


@st.composite
def int_arrays(draw):
    dtype = draw(st.sampled_from([np.int8, np.int64, np.uint64]))
    info = np.iinfo(dtype)  # small values, or anything up to the dtype's limits
    elements = st.one_of(
        st.integers(max(-3, info.min), 3), st.integers(info.min, info.max)
    )
    return draw(arrays(dtype, draw(SHAPES), elements=elements))


@st.composite
def object_arrays(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    size = math.prod(shape)
    items = draw(st.lists(OBJECTS, min_size=size, max_size=size))
    out = np.empty(size, dtype=object)
    out[:] = items if items else []
    return out.reshape(shape)


@st.composite
def ragged_lists(draw):
    """A list of (T_i, K_i) or (T_i,) arrays, or of nested Python lists."""
    n = draw(st.integers(0, 4))
    two_d = draw(st.booleans())
    n_features = draw(st.integers(0, 2))
    items = []
    for _ in range(n):
        n_steps = draw(st.integers(0, 4))
        k = n_features if draw(st.integers(0, 5)) else draw(st.integers(0, 3))
        shape = st.just((n_steps, k) if two_d else (n_steps,))
        items.append(draw(float_arrays(shape=shape)))
    if draw(st.booleans()):
        items = [x.tolist() for x in items]  # nested lists, maybe ragged inside
    return items


INPUTS = st.one_of(
    float_arrays(),
    float_arrays(),  # twice: the most common input gets the most examples
    int_arrays(),
    arrays(np.bool_, SHAPES),
    arrays(np.complex128, SHAPES, elements=st.complex_numbers(max_magnitude=3)),
    object_arrays(),
    ragged_lists(),
    st.one_of(st.none(), st.floats(), st.text(max_size=2)),  # not arrays at all
    st.just([[1.0, 2.0], [3.0]]),  # ragged nested lists of numbers
)


def _n_sequences(X):
    try:
        return len(X)
    except TypeError:
        return 1


@st.composite
def targets(draw, X, classifier):
    """One target per sequence, sometimes with bad values or the wrong length."""
    n = _n_sequences(X) + draw(st.sampled_from([0, 0, 0, 0, 1, -1]))
    n = max(n, 0)
    if classifier:
        kind = draw(st.sampled_from(["int", "str", "mixed"]))
        pool = {"int": [0, 1], "str": ["a", "b"], "mixed": ["a", "b", 1, None]}[kind]
        labels = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
        return np.array(labels, dtype=object if kind == "mixed" else None)
    y = draw(arrays(np.float64, n, elements=SMALL))
    if n and draw(st.integers(0, 4)) == 0:
        y[draw(st.integers(0, n - 1))] = draw(ANY_FLOAT)
    return y


def _step_counts(X):
    """Steps per sequence as fit would see them, or None when X is no sequence set."""
    if isinstance(X, np.ndarray) and X.ndim >= 2:
        return [X.shape[1]] * X.shape[0]
    if isinstance(X, list):
        try:
            return [len(x) for x in X]
        except TypeError:
            return None
    return None


@st.composite
def sequence_targets(draw, X, classifier):
    """One target per step: (N, T) for arrays, a list of (T_i,) for lists."""
    steps = _step_counts(X)
    if steps is None:
        return draw(targets(X, classifier))
    off = st.sampled_from([0, 0, 0, 0, 0, 1])  # sometimes one step too many
    if classifier:
        pool = st.sampled_from([0, 1] if draw(st.booleans()) else ["a", "b"])
    else:
        pool = st.one_of(SMALL, SMALL, SMALL, ANY_FLOAT)
    if isinstance(X, np.ndarray):
        n_steps = steps[0] + draw(off) if steps else 0
        shape = (len(steps), n_steps)
        values = draw(
            st.lists(pool, min_size=math.prod(shape), max_size=math.prod(shape))
        )
        return np.array(values).reshape(shape)
    out = []
    for n in steps:
        size = n + draw(off)
        out.append(np.array(draw(st.lists(pool, min_size=size, max_size=size))))
    return out


def _check_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(X, y)
        except (ValueError, TypeError) as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"
            return
        n = _n_sequences(X)
        pred = est.predict(X)
        if est.output == "sequence":
            steps = _step_counts(X)
            if isinstance(pred, list):  # ragged X: one array per sequence
                assert [len(p) for p in pred] == steps
                pred = np.concatenate(pred)
            else:
                assert pred.shape == (n, steps[0])
        else:
            assert pred.shape == (n,)
        if isinstance(est, ALRNNRegressor):
            assert np.isfinite(pred).all(), pred
        else:
            proba = est.predict_proba(X)
            proba = np.concatenate(proba) if isinstance(proba, list) else proba
            assert np.isfinite(proba).all()
            assert set(pred.ravel().tolist()) <= set(est.classes_.tolist())


@pytest.mark.timeout(120)
@pytest.mark.parametrize("Est", [ALRNNRegressor, ALRNNClassifier])
@SETTINGS
@given(data=st.data())
def test_fit_on_fuzzed_inputs_succeeds_or_fails_cleanly(Est, data):
    X = data.draw(INPUTS, label="X")
    y = data.draw(targets(X, Est is ALRNNClassifier), label="y")
    _check_fit(Est(**TINY), X, y)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("Est", [ALRNNRegressor, ALRNNClassifier])
@SEQUENCE_SETTINGS
@given(data=st.data())
def test_sequence_output_on_fuzzed_inputs_succeeds_or_fails_cleanly(Est, data):
    X = data.draw(INPUTS, label="X")
    y = data.draw(sequence_targets(X, Est is ALRNNClassifier), label="y")
    _check_fit(Est(**TINY, output="sequence"), X, y)
