"""How much nonlinearity does a task need? Sweeps over ``n_nonlinear``.

- :func:`sweep_nonlinearity`: cross-validated scores per number of ReLU units P,
  paired comparisons with the best P over seeds and folds, each fit's stop
  reason, a constant and a linear reference model on the same folds, and the
  smallest P not credibly worse than the best (or no answer, with a warning
  saying what to change, when the deciding fits look under-trained);
- :func:`learning_curve_nonlinearity`: the same, for growing numbers of
  training sequences;
- :func:`prune_nonlinearity`: where is nonlinearity needed? Turns ReLU units
  that never switch on the data linear, fine-tunes and repeats while the
  held-out score holds;
- :class:`ReferenceRegressor` / :class:`ReferenceClassifier`: the reference
  models, usable on their own.

Torch-free: takes any scikit-learn estimator with an ``n_nonlinear`` parameter.
"""

from sk_alrnn.model_selection._candidate import fit_and_score
from sk_alrnn.model_selection._learning_curve import (
    LearningCurveResult,
    learning_curve_nonlinearity,
)
from sk_alrnn.model_selection._prune import PruningResult, prune_nonlinearity
from sk_alrnn.model_selection._reference import ReferenceClassifier, ReferenceRegressor
from sk_alrnn.model_selection._sweep import sweep_nonlinearity
from sk_alrnn.model_selection._sweep_result import InconclusiveSweepWarning, SweepResult

__all__ = [
    "InconclusiveSweepWarning",
    "LearningCurveResult",
    "PruningResult",
    "ReferenceClassifier",
    "ReferenceRegressor",
    "SweepResult",
    "fit_and_score",
    "learning_curve_nonlinearity",
    "prune_nonlinearity",
    "sweep_nonlinearity",
]
