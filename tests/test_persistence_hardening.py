"""sk_alrnn.persistence hardening: file names, permissions, interrupts, memory caps
and the messages of failed saves and loads (issue 14)."""

import warnings
from pathlib import Path

import numpy as np

from sk_alrnn import ALRNNRegressor
from sk_alrnn.persistence import load

DATA = Path(__file__).parent / "data"


# -- files written by earlier versions ---------------------------------------------
def test_file_saved_by_an_earlier_version_still_loads():
    """tests/data/alrnn_regressor_format1.safetensors was written by sk_alrnn 0.1.0
    (format version 1) before the hardening: fitted ALRNNRegressor(max_iter=2,
    n_hidden=4, random_state=0) on the X below."""
    X = np.random.RandomState(0).normal(size=(20, 5, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # another library version may warn
        reg = load(DATA / "alrnn_regressor_format1.safetensors")
    assert type(reg) is ALRNNRegressor
    assert (reg.n_hidden, reg.max_iter, reg.n_iter_, reg.n_features_in_) == (
        4,
        2,
        2,
        2,
    )
    expected = [0.6404391234590363, 0.6419461697246511, 0.6169546823784207]
    expected.append(0.6549011495678514)
    np.testing.assert_allclose(reg.predict(X[:4]), expected, rtol=1e-6)
