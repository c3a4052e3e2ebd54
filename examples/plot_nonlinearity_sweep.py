"""
===================================================
How many ReLU units does the adding problem need?
===================================================

An almost-linear RNN (AL-RNN) has ``n_hidden`` latent units of which only the
last ``n_nonlinear`` (P) are ReLU; the others are linear. Sweeping P from 0 (a
linear RNN) upwards shows how much nonlinearity a task needs.

Hochreiter's adding problem is a good test case: each sequence carries random
values and two markers, and the target is the sum of the two marked values.
The target multiplies inputs (value times marker), which no linear RNN can
compute, but a single ReLU unit can gate a value through. We score each P by
3-fold cross-validation with
:func:`~sklearn.model_selection.validation_curve`, as for any other
hyper-parameter.

Runs in well under a minute on two CPU cores.
"""

# %%
# Imports. The figure is drawn off-screen (Agg) unless ``MPLBACKEND`` asks for
# another backend; set ``SK_ALRNN_FIGURE_DIR`` to also save it as a PNG there.
import os
import warnings
from pathlib import Path

import matplotlib

if "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, validation_curve

from sk_alrnn import ALRNNRegressor
from sk_alrnn.datasets import make_addition_problem

# %%
# The data: 900 sequences of 10 steps with two features each (value, marker),
# so ``X`` has shape (900, 10, 2) and ``y`` shape (900,).
X, y = make_addition_problem(n_samples=900, n_timesteps=10, random_state=0)
print("X:", X.shape, "y:", y.shape)

# %%
# The sweep. Everything but ``n_nonlinear`` stays fixed; ``random_state`` makes
# every fit reproducible. With this small budget most fits stop at ``max_iter``;
# the ConvergenceWarnings that say so are silenced to keep the output short.
n_nonlinear = [0, 1, 2, 4, 8]
model = ALRNNRegressor(
    n_hidden=16, max_iter=40, learning_rate_init=1e-2, random_state=0, device="cpu"
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    train_scores, test_scores = validation_curve(
        model,
        X,
        y,
        param_name="n_nonlinear",
        param_range=n_nonlinear,
        cv=KFold(n_splits=3, shuffle=True, random_state=0),
        scoring="r2",
    )

# %%
# The table: mean and spread of R^2 over the three folds.
print(f"{'n_nonlinear':>11}  {'train R^2':>9}  {'test R^2':>8}  {'+/-':>5}")
for p, train, test in zip(n_nonlinear, train_scores, test_scores, strict=True):
    print(f"{p:>11}  {train.mean():>9.3f}  {test.mean():>8.3f}  {test.std():>5.3f}")

best = int(np.argmax(test_scores.mean(axis=1)))
within = test_scores.mean(axis=1) >= test_scores.mean(axis=1)[best] - 0.02
smallest = n_nonlinear[int(np.argmax(within))]  # first P close to the best
print(f"Smallest P within 0.02 of the best mean test R^2: {smallest}")

# %%
# The linear RNN (P = 0) explains only a small part of the variance: it can
# add up *all* values, or weight them by position, but it cannot select the
# marked ones. A single ReLU unit lifts R^2 to the level of the larger P, and
# more units add nothing: the adding problem needs very little nonlinearity.
fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
for scores, label, style in [
    (test_scores, "cross-validated test", "o-"),
    (train_scores, "train", "s--"),
]:
    mean, std = scores.mean(axis=1), scores.std(axis=1)
    ax.plot(n_nonlinear, mean, style, label=label)
    ax.fill_between(n_nonlinear, mean - std, mean + std, alpha=0.2)
ax.set_xticks(n_nonlinear)
ax.set_xlabel("n_nonlinear (P, ReLU units out of n_hidden=16)")
ax.set_ylabel("R$^2$")
ax.set_title("Adding problem (T=10): score vs. nonlinearity")
ax.grid(alpha=0.3)
ax.legend()

figure_dir = os.environ.get("SK_ALRNN_FIGURE_DIR")
if figure_dir:
    path = Path(figure_dir) / "nonlinearity_sweep.png"
    fig.savefig(path, dpi=120)
    print("Figure saved to", path)
plt.show()
