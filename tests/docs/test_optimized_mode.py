"""The package imports and fits under ``python -OO``, which strips docstrings
(the docstring templates are filled at import: they must allow None)."""

from support import run_python

CODE = """
import numpy as np
import sk_alrnn, sk_alrnn.analysis, sk_alrnn.baselines, sk_alrnn.cli
import sk_alrnn.datasets, sk_alrnn.forecasting, sk_alrnn.model_selection
import sk_alrnn.persistence, sk_alrnn.plotting
from sk_alrnn import ALRNNClassifier, ALRNNRegressor
assert ALRNNRegressor.__doc__ is None  # really stripped
X = np.random.RandomState(0).rand(16, 4, 1)
print(ALRNNRegressor(n_hidden=4, max_iter=1).fit(X, X.sum((1, 2))).predict(X).shape)
print(ALRNNClassifier(n_hidden=4, max_iter=1).fit(X, X.sum((1, 2)) > 2).n_iter_)
"""


def test_imports_and_fits_with_docstrings_stripped():
    result = run_python("-OO", "-W", "ignore", "-c", CODE, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(16,)", "1"]
