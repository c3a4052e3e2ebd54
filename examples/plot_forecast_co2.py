"""
================================================
Forecasting Mauna Loa CO2 a year ahead, directly
================================================

Cut the monthly CO2 record into windows with
:func:`sk_alrnn.forecasting.make_windows`, fit an
:class:`~sk_alrnn.ALRNNRegressor` that predicts the next 12 months at once
(direct forecasting), and compare it with
:class:`~sk_alrnn.forecasting.ALRNNForecaster` (one step ahead, then free
running), a seasonal-naive forecast and Ridge regression on the same lags, on
the last four years, which no model sees while training.

The data ship with statsmodels (``statsmodels.datasets.co2``, weekly readings
1958-2001); nothing is downloaded. Runs in well under a minute on two CPU cores.
"""

# %%
# Imports. Figures are drawn off-screen (Agg) unless ``MPLBACKEND`` asks for
# another backend; set ``SK_ALRNN_FIGURE_DIR`` to also save them as PNG files.
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
from sklearn.linear_model import Ridge
from statsmodels.datasets import co2

from sk_alrnn import ALRNNRegressor
from sk_alrnn.forecasting import ALRNNForecaster, make_windows

torch.set_num_threads(1)  # plenty for a model this small
warnings.simplefilter("ignore", ConvergenceWarning)  # short budget, on purpose

# %%
# The data: weekly readings with a few gaps. Fill the gaps by linear
# interpolation in time, then average per month: 526 months in ppm.
weekly = co2.load_pandas().data["co2"]
monthly = weekly.interpolate(method="time").resample("MS").mean()
series = monthly.to_numpy()
print(f"{len(series)} months, {monthly.index[0]:%Y-%m} to {monthly.index[-1]:%Y-%m}")

# %%
# Windows of 24 months; the targets are the 12 months after each window, so
# ``y`` has 12 columns (column k: k + 1 months ahead). The last 48 windows are
# the test set. Between training and test windows leave ``horizon - 1 = 11``
# windows out (the ``TimeSeriesSplit(gap=horizon - 1)`` rule): then every
# training target is observed before the first test forecast is made.
window, horizon, n_test = 24, 12, 48
X, y = make_windows(series, window, horizon=horizon)  # (n, 24, 1), (n, 12)
test = np.arange(len(X) - n_test, len(X))
train = np.arange(test[0] - (horizon - 1))
last_train_target = train[-1] + window + horizon - 1  # row index
first_test_origin = test[0] + window - 1
assert last_train_target <= first_test_origin
print(f"{len(train)} training windows, {len(test)} test windows")

# %%
# CO2 grows, so the test months lie above every training value. Both learned
# models therefore see *level-normalised* windows: the last observed value (the
# origin) is subtracted from inputs and targets, and the result is divided by
# one scale fitted on the training windows.
origin = X[:, -1, :]  # (n, 1)
scale = (X[train] - origin[train, None]).std()
Xn = (X - origin[:, None]) / scale  # (n, 24, 1)
yn = (y - origin) / scale  # (n, 12)

est = ALRNNRegressor(
    n_hidden=16,
    n_nonlinear=2,
    max_iter=100,
    n_iter_no_change=50,
    batch_size=16,
    learning_rate_init=3e-3,
    random_state=0,
    device="cpu",
).fit(Xn[train], yn[train])
forecasts = {
    "seasonal naive": X[test, window - horizon :, 0],  # same month, a year before
    "Ridge on lags": Ridge(alpha=1e-3)
    .fit(Xn[train, :, 0], yn[train])
    .predict(Xn[test, :, 0])
    * scale
    + origin[test],
    "ALRNNRegressor": est.predict(Xn[test]) * scale + origin[test],
}
print(f"ALRNNRegressor trained {est.n_iter_} epochs")

# %%
# The other route: :class:`~sk_alrnn.forecasting.ALRNNForecaster` reads the
# series as one trajectory. It models the month-to-month changes (standardised
# on the training rows), predicting one step ahead; at each test origin its
# state runs over every change so far, then it runs free for 12 months, and the
# levels are rebuilt by adding up the changes.
changes = np.diff(series)  # changes[k] = series[k + 1] - series[k]
n_fit = last_train_target  # changes up to the last training target
mean, spread = changes[:n_fit].mean(), changes[:n_fit].std()
table = ((changes - mean) / spread)[:, None]  # (525, 1)
forecaster = ALRNNForecaster(
    n_hidden=16,
    n_nonlinear=16,
    window=36,
    max_iter=200,
    n_iter_no_change=50,
    learning_rate_init=3e-3,
    context="reset",  # the state starts from zero at the first row given
    random_state=0,
    device="cpu",
).fit(table[:n_fit])
free_runs = []
for i in test:
    o = i + window - 1  # the origin: last observed month
    steps = forecaster.forecast(horizon, X=table[:o]).reshape(horizon)
    free_runs.append(series[o] + np.cumsum(steps * spread + mean))
forecasts["ALRNNForecaster"] = np.array(free_runs)  # (48, 12)

# %%
# Mean absolute error per horizon on the 48 test origins.
steps = np.arange(1, horizon + 1)
print("\nMAE [ppm]       " + "".join(f"{h:>7}" for h in (1, 3, 6, 12)))
mae = {}
for name, pred in forecasts.items():
    mae[name] = np.abs(pred - y[test]).mean(axis=0)  # (12,)
    print(f"{name:<16}" + "".join(f"{mae[name][h - 1]:7.3f}" for h in (1, 3, 6, 12)))

# %%
# Plot the record around the test period with the 12-month forecasts made at
# three origins, and the error per horizon.
colors = {
    "seasonal naive": "C7",
    "Ridge on lags": "C1",
    "ALRNNRegressor": "C0",
    "ALRNNForecaster": "C2",
}
fig, (ax_series, ax_mae) = plt.subplots(1, 2, figsize=(11, 4))
dates = monthly.index
shown = slice(test[0] - 12, len(series))
ax_series.plot(dates[shown], series[shown], color="k", lw=1, label="observed")
for k, i in enumerate(test[::18]):
    months = dates[i + window : i + window + horizon]
    for name in ("ALRNNRegressor", "ALRNNForecaster", "Ridge on lags"):
        label = name if k == 0 else None
        row = np.flatnonzero(test == i)[0]
        ax_series.plot(months, forecasts[name][row], color=colors[name], label=label)
ax_series.set(ylabel="CO2 [ppm]", title="12-month forecasts from three origins")
ax_series.legend()
for name, errors in mae.items():
    ax_mae.plot(steps, errors, marker="o", color=colors[name], label=name)
ax_mae.set(xlabel="months ahead", ylabel="MAE [ppm]", title="Test error per horizon")
ax_mae.legend()
fig.tight_layout()

figure_dir = os.environ.get("SK_ALRNN_FIGURE_DIR")
if figure_dir:
    fig.savefig(Path(figure_dir) / "forecast_co2.png", dpi=100)
plt.show()

# %%
# On this smooth, trend-plus-season series a linear model on the lags is hard
# to beat a few months ahead; ``benchmarks/bench_forecast.py`` repeats the
# comparison over several folds and values of ``n_nonlinear``, with an MLP too.
