"""Forecast real data (Mauna Loa CO2) and Lorenz-63 with AL-RNNs and honest baselines.

Usage::

    python benchmarks/bench_forecast.py --quick   # about 2-3 minutes on 2 cores
    python benchmarks/bench_forecast.py           # more folds, epochs and P values

**CO2** (statsmodels' bundled ``co2`` data set, read from the installed package,
never downloaded): weekly Mauna Loa readings 1958-2001, gaps filled by linear
interpolation in time, then averaged per calendar month (526 months). Windows of
``--window`` months predict the next 12 months at once (direct forecasting,
:func:`sk_alrnn.forecasting.make_windows`), evaluated with
``TimeSeriesSplit(gap=11, test_size=--test-size)`` so that no training target
falls after the first test origin. Every learned method sees the same
*level-normalised* windows: the window's last value (the origin) is subtracted
from inputs and targets, which are then divided by one scale fitted on the
training fold; predictions are mapped back to ppm. Methods: seasonal naive
(the value 12 months before the target month), Ridge and MLPRegressor on the 24
lags, windowed ALRNNRegressor for several P (``n_nonlinear``), and
ALRNNForecaster on the standardised month-to-month changes (trained one step
ahead on windows of 36 months for twice the epochs; at each origin its state
runs from zero over all changes so far, then it runs free for 12 steps; levels
are rebuilt by summing the changes). MAE and RMSE in ppm per horizon, averaged
over the folds.

**Lorenz-63** (:func:`sk_alrnn.datasets.make_lorenz63`, dt = 0.02): models fitted
on one trajectory run free for ``--lorenz-steps`` steps from the first rows of a
held-out trajectory; the generated orbit is compared with the held-out one by
D_stsp (KL divergence of 3D occupancy histograms of the z-scored states) and D_H
(Hellinger distance of smoothed power spectra, averaged over x, y, z). A second
true trajectory from another initial condition gives the floor (what a perfect
model scores; a finite orbit can land below it by chance); a linear
autoregression (Ridge) is the trivial baseline. All models see the first 50
held-out states (the windowed ones their last 4) and generate the rest;
ALRNNForecaster is trained with sparse teacher forcing (every 5th step).

Shapes: R rows (months or states), L window, H = 12 horizons, F features.
This script is never imported by the package.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from scipy.ndimage import gaussian_filter1d
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import TimeSeriesSplit
from sklearn.neural_network import MLPRegressor

from sk_alrnn import ALRNNRegressor, __version__
from sk_alrnn.datasets import make_lorenz63
from sk_alrnn.forecasting import ALRNNForecaster, make_windows

RESULTS = Path(__file__).parent / "results"
HORIZON = 12  # months predicted by every CO2 model
REPORTED = (1, 3, 6, 12)  # horizons in the tables
LORENZ_DT = 0.02
FORECASTER_WINDOW = 36  # ALRNNForecaster's training windows on CO2 (months)
LORENZ_WARMUP = 50  # held-out rows ALRNNForecaster warms up on (its window)
LORENZ_TEACHER_FORCING = 5  # ALRNNForecaster on Lorenz: free runs of 5 steps


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the small settings")
    parser.add_argument("--n-splits", type=int, help="folds (quick 2, full 4)")
    parser.add_argument("--test-size", type=int, default=48, help="origins per fold")
    parser.add_argument("--window", type=int, default=24, help="months per window")
    parser.add_argument("--n-hidden", type=int, default=16, help="M")
    parser.add_argument("--n-nonlinear", help="P values (quick 0,2,M; full 0,2,4,M)")
    parser.add_argument("--max-iter", type=int, help="epochs (quick 150, full 300)")
    parser.add_argument(
        "--lorenz-train", type=int, help="training states (quick 2000, full 4000)"
    )
    parser.add_argument(
        "--lorenz-steps", type=int, help="free-running steps (quick 2000, full 5000)"
    )
    parser.add_argument("--no-lorenz", action="store_true", help="skip Lorenz-63")
    parser.add_argument("--seed", type=int, default=0, help="random_state of models")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "bench_forecast.json", help="JSON"
    )
    parser.add_argument("--markdown", type=Path, help="tables; --out with .md")
    args = parser.parse_args(argv)
    args.markdown = args.markdown or args.out.with_suffix(".md")
    quick = args.quick
    args.n_splits = args.n_splits or (2 if quick else 4)
    args.max_iter = args.max_iter or (150 if quick else 300)
    args.lorenz_train = args.lorenz_train or (2000 if quick else 4000)
    args.lorenz_steps = args.lorenz_steps or (2000 if quick else 5000)
    default_p = f"0,2,{args.n_hidden}" if quick else f"0,2,4,{args.n_hidden}"
    try:
        p_values = {int(p) for p in (args.n_nonlinear or default_p).split(",")}
    except ValueError:
        parser.error(
            f"--n-nonlinear: expected integers like 0,2,16, got {args.n_nonlinear!r}"
        )
    args.n_nonlinear = sorted({min(p, args.n_hidden) for p in p_values})
    if args.n_splits < 2 or min(args.test_size, args.max_iter, args.n_hidden) < 1:
        parser.error(
            "--n-splits must be >= 2; --test-size, --max-iter, --n-hidden >= 1"
        )
    if min(args.lorenz_train, args.lorenz_steps) < LORENZ_WARMUP:
        parser.error(f"--lorenz-train and --lorenz-steps must be >= {LORENZ_WARMUP}")
    if args.window < HORIZON:
        parser.error(f"--window must be >= {HORIZON} (seasonal naive needs a year)")
    return args


def forecaster_ready() -> bool:
    """Whether ALRNNForecaster is the real estimator (it may still be a stub)."""
    return hasattr(ALRNNForecaster, "fit") and hasattr(ALRNNForecaster, "forecast")


def make_forecaster(args, n_nonlinear, **extra):
    """An ALRNNForecaster with the settings it accepts out of ours."""
    wanted = dict(
        n_hidden=args.n_hidden,
        n_nonlinear=n_nonlinear,
        # each row is in one training window per epoch (the windowed models see
        # it in up to `window` windows), and an epoch costs little: twice the epochs
        max_iter=2 * args.max_iter,
        learning_rate_init=3e-3,
        n_iter_no_change=50,
        random_state=args.seed,
        device="cpu",
        context="reset",  # the state comes from the history passed to forecast
    )
    wanted.update(extra)
    known = ALRNNForecaster().get_params()
    return ALRNNForecaster(**{k: v for k, v in wanted.items() if k in known})


def alrnn(args, n_nonlinear, **extra) -> ALRNNRegressor:
    """A windowed ALRNNRegressor with the benchmark's settings."""
    settings = dict(
        n_hidden=args.n_hidden,
        n_nonlinear=n_nonlinear,
        max_iter=args.max_iter,
        n_iter_no_change=50,
        batch_size=16,
        learning_rate_init=3e-3,
        random_state=args.seed,
        device="cpu",
    )
    return ALRNNRegressor(**{**settings, **extra})


# -- CO2 ------------------------------------------------------------------------------
def load_co2() -> np.ndarray:
    """Monthly mean CO2 in ppm (R = 526), weekly gaps interpolated in time."""
    from statsmodels.datasets import co2  # the `test` extra; bundled with the package

    weekly = co2.load_pandas().data["co2"]
    return weekly.interpolate(method="time").resample("MS").mean().to_numpy()


def co2_methods(args):
    """(name, fit_predict) pairs; fit_predict(data) -> ppm forecasts (n_test, H)."""

    def seasonal_naive(d):
        # the target month one year earlier: window row L - 1 + h - 12
        return d["X"][d["test"], args.window - HORIZON :]

    def on_lags(make):
        def run(d):
            model = make().fit(d["Xn"][d["train"]], d["yn"][d["train"]])
            return d["unscale"](model.predict(d["Xn"][d["test"]]))

        return run

    def windowed(p):
        def run(d):
            model = alrnn(args, p).fit(
                d["Xn"][d["train"], :, None], d["yn"][d["train"]]
            )
            return d["unscale"](model.predict(d["Xn"][d["test"], :, None]))

        return run

    def forecaster(p):
        def run(d):
            train_end = d["train"][-1] + args.window + HORIZON  # rows used in training
            changes = np.diff(d["series"])  # changes[k] = s[k + 1] - s[k]
            mean, scale = (
                changes[: train_end - 1].mean(),
                changes[: train_end - 1].std(),
            )
            table = ((changes - mean) / scale)[:, None]  # (R - 1, 1)
            model = make_forecaster(args, p, window=FORECASTER_WINDOW)
            model.fit(table[: train_end - 1])
            out = []
            for i in d["test"]:
                origin = i + args.window - 1  # row index of the last observed month
                # the state runs from zero over every change up to the origin
                steps = model.forecast(HORIZON, X=table[:origin])  # (H, 1)
                steps = np.asarray(steps).reshape(HORIZON) * scale + mean
                out.append(d["series"][origin] + np.cumsum(steps))
            return np.array(out)

        return run

    methods = [
        ("seasonal naive", seasonal_naive),
        ("Ridge on lags", on_lags(lambda: Ridge(alpha=1e-3))),
        (
            "MLPRegressor on lags",
            on_lags(
                lambda: MLPRegressor(
                    hidden_layer_sizes=(64,), max_iter=2000, random_state=args.seed
                )
            ),
        ),
    ]
    methods += [(f"ALRNNRegressor P={p}", windowed(p)) for p in args.n_nonlinear]
    if forecaster_ready():
        methods += [(f"ALRNNForecaster P={p}", forecaster(p)) for p in args.n_nonlinear]
    return methods


def co2_benchmark(args) -> list[dict]:
    series = load_co2()
    X, y = make_windows(series, args.window, horizon=HORIZON)  # (n, L, 1), (n, H)
    X = X[:, :, 0]  # (n, L)
    origin = X[:, -1:]  # (n, 1): the last observed month of each window
    split = TimeSeriesSplit(args.n_splits, gap=HORIZON - 1, test_size=args.test_size)
    errors = {}  # name -> list of (fold abs errors (n_test, H)), fit seconds
    for fold, (train, test) in enumerate(split.split(X)):
        scale = (X[train] - origin[train]).std()
        data = {
            "series": series,
            "X": X,
            "train": train,
            "test": test,
            "Xn": (X - origin) / scale,  # (n, L)
            "yn": (y - origin) / scale,  # (n, H)
            "unscale": lambda z, test=test, scale=scale: z * scale + origin[test],
        }
        for name, run in co2_methods(args):
            start = time.perf_counter()
            pred = run(data)  # (n_test, H) in ppm
            seconds = time.perf_counter() - start
            errors.setdefault(name, []).append((pred - y[test], seconds))
            print(f"  fold {fold}: {name:<24} {seconds:6.1f} s", flush=True)
    rows = []
    for name, folds in errors.items():
        err = np.stack([e for e, _ in folds])  # (folds, n_test, H)
        rows.append(
            {
                "method": name,
                "mae": {h: float(np.abs(err[..., h - 1]).mean()) for h in REPORTED},
                "rmse": {
                    h: float(np.sqrt((err[..., h - 1] ** 2).mean(axis=1)).mean())
                    for h in REPORTED
                },
                "mae_per_fold": np.abs(err).mean(axis=1).tolist(),
                "seconds": float(np.mean([s for _, s in folds])),
            }
        )
    return rows


# -- Lorenz-63 ------------------------------------------------------------------------
def state_space_divergence(truth, generated, n_bins=20, bound=3.0) -> float:
    """KL(truth || generated) of 3D histograms of z-scored states (Laplace 1e-5)."""

    def occupancy(states):  # (R, 3) -> (n_bins ** 3,)
        clipped = np.clip(states, -bound, bound - 1e-9)
        cells = ((clipped + bound) / (2 * bound) * n_bins).astype(int)  # (R, 3)
        counts = np.zeros((n_bins,) * 3)
        np.add.at(counts, tuple(cells.T), 1.0)
        p = counts.ravel() / len(states) + 1e-5
        return p / p.sum()

    p, q = occupancy(truth), occupancy(generated)
    return float(np.sum(p * np.log(p / q)))


def spectrum_distance(truth, generated, smoothing=20.0) -> float:
    """Hellinger distance of smoothed, normalised power spectra, mean over columns."""
    distances = []
    for j in range(truth.shape[1]):
        spectra = []
        for x in (truth[:, j], generated[:, j]):
            z = (x - x.mean()) / (x.std() + 1e-12)
            power = gaussian_filter1d(np.abs(np.fft.rfft(z)) ** 2, smoothing)
            spectra.append(power / power.sum())
        overlap = np.sum(np.sqrt(spectra[0] * spectra[1]))
        distances.append(np.sqrt(max(0.0, 1.0 - overlap)))
    return float(np.mean(distances))


def free_run(step, start, n_steps, limit=1e3) -> np.ndarray:
    """Iterate ``window -> next state`` from ``start`` (L, 3); clipped at +-limit."""
    window, out = start.copy(), np.empty((n_steps, start.shape[1]))
    for t in range(n_steps):
        nxt = np.clip(np.nan_to_num(step(window), nan=limit), -limit, limit)
        out[t] = nxt
        window = np.vstack([window[1:], nxt])  # (L, 3)
    return out


def lorenz_benchmark(args) -> list[dict]:
    lag = 4  # states per window for the windowed models
    train, _ = make_lorenz63(args.lorenz_train, dt=LORENZ_DT, random_state=args.seed)
    held_out, _ = make_lorenz63(
        args.lorenz_steps + LORENZ_WARMUP, dt=LORENZ_DT, random_state=101
    )
    other, _ = make_lorenz63(args.lorenz_steps, dt=LORENZ_DT, random_state=102)
    mean, std = train.mean(0), train.std(0)
    Z, Zh, Zo = ((a - mean) / std for a in (train, held_out, other))  # z-scored
    # every model sees rows < LORENZ_WARMUP and generates the rows after them
    truth, start = Zh[LORENZ_WARMUP:], Zh[LORENZ_WARMUP - lag : LORENZ_WARMUP]
    X, y = make_windows(Z, lag)  # (n, L, 3), (n, 3)
    change = y - X[:, -1]  # models predict the change of state

    runs = {"true trajectory, other start (floor)": lambda: Zo}

    def ridge():
        model = Ridge(alpha=1e-6).fit(X.reshape(len(X), -1), change)
        return free_run(
            lambda w: w[-1] + model.predict(w.reshape(1, -1))[0], start, len(truth)
        )

    def windowed(p):
        def run():
            model = alrnn(args, p, dtype="float64", batch_size=32).fit(X, change)
            return free_run(
                lambda w: w[-1] + model.predict(w[None])[0], start, len(truth)
            )

        return run

    def forecaster(p):
        def run():
            # multi-step training: a loss over free runs of a few steps
            model = make_forecaster(
                args, p, window=LORENZ_WARMUP, horizon=LORENZ_TEACHER_FORCING
            )
            model.fit(Z)
            return np.asarray(model.forecast(len(truth), X=Zh[:LORENZ_WARMUP]))

        return run

    runs["linear autoregression (Ridge)"] = ridge
    p_values = [p for p in args.n_nonlinear if p > 0] or [args.n_hidden]
    runs.update({f"ALRNNRegressor P={p}, window {lag}": windowed(p) for p in p_values})
    if forecaster_ready():
        runs.update({f"ALRNNForecaster P={p}": forecaster(p) for p in p_values})
    rows = []
    for name, run in runs.items():
        start_time = time.perf_counter()
        generated = run()  # (steps, 3), z-scored units
        seconds = time.perf_counter() - start_time
        finite = np.all(np.isfinite(generated))
        rows.append(
            {
                "method": name,
                "d_stsp": state_space_divergence(truth, generated) if finite else None,
                "d_h": spectrum_distance(truth, generated) if finite else None,
                "max_abs_z": float(np.abs(generated).max()) if finite else None,
                "seconds": seconds,
            }
        )
        print(f"  lorenz: {name:<36} {seconds:6.1f} s", flush=True)
    return rows


# -- report ---------------------------------------------------------------------------
def co2_table(rows) -> str:
    heads = [f"MAE h={h}" for h in REPORTED] + [f"RMSE h={h}" for h in REPORTED]
    lines = [
        "| method | " + " | ".join(heads) + " | s/fold |",
        "|---" + "|--:" * (len(heads) + 1) + "|",
    ]
    for r in rows:
        cells = [f"{r['mae'][h]:.3f}" for h in REPORTED]
        cells += [f"{r['rmse'][h]:.3f}" for h in REPORTED]
        lines.append(
            f"| {r['method']} | " + " | ".join(cells) + f" | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


def lorenz_table(rows) -> str:
    lines = [
        "| method | D_stsp | D_H | max abs z | s |",
        "|---|--:|--:|--:|--:|",
    ]
    for r in rows:
        cells = [
            "diverged" if r[k] is None else f"{r[k]:.3f}"
            for k in ("d_stsp", "d_h", "max_abs_z")
        ]
        lines.append(
            f"| {r['method']} | " + " | ".join(cells) + f" | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)  # a script: the global setting is ours
    warnings.simplefilter("ignore", ConvergenceWarning)  # fixed budgets, on purpose
    start = time.perf_counter()
    if not forecaster_ready():
        print("ALRNNForecaster is not available yet: its rows are skipped.")
    print("CO2 (monthly, ppm), direct 12-month forecasts")
    co2_rows = co2_benchmark(args)
    lorenz_rows = []
    if not args.no_lorenz:
        print("Lorenz-63, free running")
        lorenz_rows = lorenz_benchmark(args)
    total = time.perf_counter() - start
    setting = (
        f"window {args.window}, {args.n_splits} folds x {args.test_size} origins, "
        f"gap {HORIZON - 1}, M={args.n_hidden}, max_iter={args.max_iter}, "
        f"seed {args.seed}, torch threads {torch.get_num_threads()}"
    )
    markdown = (
        "CO2, MAE / RMSE in ppm per horizon (months ahead), mean over folds; "
        f"{setting}\n\n" + co2_table(co2_rows)
    )
    if lorenz_rows:
        markdown += (
            f"\n\nLorenz-63 (dt {LORENZ_DT}), {args.lorenz_train} training states, "
            f"{args.lorenz_steps} free-running steps vs a held-out trajectory "
            "(lower is better)\n\n" + lorenz_table(lorenz_rows)
        )
    print("\n" + markdown + f"\n\ntotal: {total:.0f} s")
    document = {
        "benchmark": "bench_forecast",
        "settings": {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
        },
        "environment": {
            "sk_alrnn": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "co2": co2_rows,
        "lorenz": lorenz_rows,
        "total_s": total,
    }
    for path, text in (
        (args.out, json.dumps(document, indent=2)),
        (args.markdown, markdown),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    print(f"results written to {args.out} and {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
