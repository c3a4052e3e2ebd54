"""sk_alrnn: Almost-Linear RNNs as scikit-learn estimators.

An AL-RNN has M latent units of which only the last P are ReLU; sweeping
``n_nonlinear`` (P) answers "how much nonlinearity does my task need?".
"""

from sk_alrnn._core._params import ALRNNParams
from sk_alrnn._estimators._classifier import ALRNNClassifier
from sk_alrnn._estimators._regressor import ALRNNRegressor
from sk_alrnn._version import __version__
from sk_alrnn.persistence import load, save

__all__ = [
    "ALRNNClassifier",
    "ALRNNParams",
    "ALRNNRegressor",
    "__version__",
    "load",
    "save",
]
