"""
==================================================
Reading a fitted AL-RNN as a set of linear regimes
==================================================

The P ReLU units of an almost-linear RNN cut its latent space into at most
``2**P`` regions; inside each one the dynamics are linear,
``z_t = J z_{t-1} + h + C s_t``. This example fits an AL-RNN with two ReLU units
to the adding problem and reads the fitted model with :mod:`sk_alrnn.analysis`:
how much of its nonlinearity it uses, which regions it visits and for how long,
the fixed points and spectra of each region, and which ReLU unit switches when a
marker arrives (the gate). The plots come from :mod:`sk_alrnn.plotting`.

Runs in well under a minute on two CPU cores.
"""

# %%
# Imports. Figures are drawn off-screen (Agg) unless ``MPLBACKEND`` asks for
# another backend; set ``SK_ALRNN_FIGURE_DIR`` to also save them as PNG files.
# One torch thread is plenty for a model this small.
import os
import warnings
from pathlib import Path

import matplotlib

if "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold

from sk_alrnn import ALRNNRegressor
from sk_alrnn.analysis import (
    fixed_points,
    nonlinearity_usage,
    region_codes,
    region_statistics,
)
from sk_alrnn.datasets import make_addition_problem
from sk_alrnn.plotting import (
    plot_region_raster,
    plot_score_vs_nonlinear,
    plot_spectra,
)

torch.set_num_threads(1)
warnings.simplefilter("ignore", ConvergenceWarning)  # short budgets, on purpose

# %%
# The data: sequences of 10 steps with two features (value, marker); the
# target is the sum of the two marked values. 1000 sequences to fit, 200 to
# read the model on.
X, y = make_addition_problem(n_samples=1200, n_timesteps=10, random_state=0)
X_train, y_train, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]

# %%
# Fit an AL-RNN with 8 latent units, of which the last 2 are ReLU. float64
# keeps the analysis (which runs in numpy, float64) identical to the model.
est = ALRNNRegressor(
    n_hidden=8,
    n_nonlinear=2,
    max_iter=200,
    n_iter_no_change=40,
    learning_rate_init=3e-3,
    random_state=0,
    device="cpu",
    dtype="float64",
).fit(X_train, y_train)
print(f"epochs: {est.n_iter_}, test R^2: {est.score(X_test, y_test):.3f}")

# %%
# How much nonlinearity does the model use? A ReLU unit that never switches
# on the data acts as a linear unit.
usage = nonlinearity_usage(est, X_test)
print("\nReLU unit  active  switch rate")
for j, (act, sw) in enumerate(
    zip(usage.active_fraction, usage.switch_rate, strict=True)
):
    print(f"{j:>9}  {act:>6.2f}  {sw:>11.2f}")
print("effective number of nonlinear units:", usage.effective_n_nonlinear)

# %%
# Which regions are visited, how often, and for how long at a time (mean run
# length in steps). Codes list the ReLU units in order, 1 = active.
stats = region_statistics(est, X_test)
print(f"\n{stats.n_regions} regions visited")
print("region  code  frequency  dwell time")
for r, code, f, d in zip(
    stats.regions, stats.codes, stats.frequencies, stats.dwell_times, strict=True
):
    bits = "".join(str(int(c)) for c in code)
    print(f"{r:>6}  {bits:>4}  {f:>9.2f}  {d:>10.2f}")
print("transition probabilities (rows: from, columns: to, same order):")
print(np.array2string(stats.transition_matrix, precision=2))

# %%
# Fixed points of each region's linear map, with no input (s = 0, between
# markers and values). A *real* fixed point lies in its own region; a
# *virtual* one lies outside and only steers the flow. A spectral radius near 1
# means slow modes: that is where the running sum is stored.
print("\nregion  real   stable  spectral radius")
for fp in fixed_points(est):
    radius = float(np.abs(fp.eigenvalues).max())
    print(f"{fp.region:>6}  {fp.is_real!s:>5}  {fp.stable!s:>6}  {radius:>15.3f}")

# %%
# The gate: how often each ReLU unit changes state at a marker step compared
# with the other steps (step 1 has no previous state and is left out).
codes, _ = region_codes(est, X_test)  # (n, T, P) booleans
switched = codes[:, 1:] != codes[:, :-1]  # (n, T - 1, P)
is_marker = X_test[:, 1:, 1] > 0  # (n, T - 1)
print("\nReLU unit  P(switch | marker)  P(switch | no marker)")
for j in range(codes.shape[-1]):
    at = switched[..., j][is_marker].mean()
    off = switched[..., j][~is_marker].mean()
    print(f"{j:>9}  {at:>18.2f}  {off:>21.2f}")
gate = int(np.argmax([switched[..., j][is_marker].mean() for j in range(2)]))
print(f"unit {gate} is the gate: it flips mostly when a marker arrives")

# %%
# Region raster: the region at every step for a few test sequences (dotted
# lines: the marker steps of the first sequence). The model leaves its resting
# region when a marked value has to be let through.
fig_raster, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
plot_region_raster(est, X_test, n_sequences=4, ax=ax)
for t in np.flatnonzero(X_test[0, :, 1]) + 1:
    ax.axvline(t, color="0.5", ls=":", lw=1)

# %%
# Eigenvalues of each visited region's J: most lie well inside the unit
# circle (forgetting); the ones near 1 hold the sum.
fig_spectra, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
plot_spectra(est, X=X_test, ax=ax)

# %%
# Score against P, from a small grid search (fewer epochs, fewer sequences):
# the linear model (P = 0) fails; a few ReLU units recover most of the score.
search = GridSearchCV(
    ALRNNRegressor(
        n_hidden=8, max_iter=40, learning_rate_init=1e-2, random_state=0, device="cpu"
    ),
    {"n_nonlinear": [0, 1, 2, 4]},
    cv=KFold(n_splits=3, shuffle=True, random_state=0),
).fit(X_train[:450], y_train[:450])
print("\nGrid search: mean test R^2 by n_nonlinear")
for p, s in zip(
    search.cv_results_["param_n_nonlinear"],
    search.cv_results_["mean_test_score"],
    strict=True,
):
    print(f"  P={p}: {s:.3f}")
fig_score, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
plot_score_vs_nonlinear(search.cv_results_, ax=ax)

figure_dir = os.environ.get("SK_ALRNN_FIGURE_DIR")
if figure_dir:
    for name, fig in [
        ("linear_regimes_raster", fig_raster),
        ("linear_regimes_spectra", fig_spectra),
        ("linear_regimes_score", fig_score),
    ]:
        path = Path(figure_dir) / f"{name}.png"
        fig.savefig(path, dpi=120)
        print("Figure saved to", path)
plt.show()
