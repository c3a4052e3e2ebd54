"""ALRNNForecaster's defaults against the baselines: bundled real series, Lorenz-63.

Usage::

    python benchmarks/bench_forecast.py --quick   # 1 seed, no ETS/ARIMA: ~5 min
    python benchmarks/bench_forecast.py           # 3 seeds and ETS/ARIMA: ~20 min

**Real series** (bundled with statsmodels, read from the installed package, never
downloaded), of different kinds: co2 (Mauna Loa, weekly readings averaged per
month, monthly-seasonal with a trend), elnino (sea surface temperature,
monthly-seasonal), elec_equip (euro-area electrical equipment orders, monthly,
seasonal and noisy), nile (annual river flow, with a level shift), sunspots
(annual counts, ~11-year cycle), unemp and infl (US quarterly unemployment and
inflation from macrodata). Protocol (``sk_alrnn.forecasting.backtest``): each
method is fitted once on the first 80 % of the rows and forecasts H = min(12,
test rows // 2) rows from every origin of the last 20 %; the score is the MAE
over all origins and horizons 1..H divided by the standard deviation of the
training rows. Methods: ``ALRNNForecaster()`` with its defaults (only
``random_state`` changes, over ``--seeds``), naive, seasonal naive (season
inferred, ``infer_season``), Ridge on lags (``LagRidgeForecaster()`` defaults:
direct multi-step RidgeCV on max(8, 2 x season) lags) and, unless ``--quick``,
ETS and ARIMA (``StatsmodelsForecaster``). The forecaster's 90 % conformal
intervals are scored by their coverage over the same origins.

**Lorenz-63** (``make_lorenz63``, dt = 0.02): ``ALRNNForecaster()`` fitted on one
trajectory runs free for ``--lorenz-steps`` steps from the first 50 rows of a
held-out one, with its defaults and with the settings that its divergence
warning advises for long free runs (horizon=48, n_nonlinear=16, max_iter=60);
D_stsp (KL divergence of 3D occupancy histograms of the z-scored states) and
D_H (Hellinger distance of smoothed power spectra) against the held-out orbit;
a true trajectory from another start gives the floor, a linear autoregression
(``LagRidgeForecaster``) the trivial baseline.

**Timing**: a default ``ALRNNForecaster().fit`` of a 5000-row, 5-column table
(Lorenz-63 plus two noisy seasonal columns), seconds on this machine.

Never imported by the package.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from scipy.ndimage import gaussian_filter1d

from sk_alrnn import __version__
from sk_alrnn.datasets import make_lorenz63
from sk_alrnn.forecasting import (
    ALRNNForecaster,
    LagRidgeForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    StatsmodelsForecaster,
    backtest,
    infer_season,
)

sys.path.insert(0, str(Path(__file__).parent))
from _machine import cpu_flags, cpu_model

RESULTS = Path(__file__).parent / "results"
LORENZ_DT = 0.02
LORENZ_WARMUP = 50  # held-out rows every Lorenz model reads before running free
TEST_SHARE = 0.2
# Settings for long free runs: a longer trained horizon and more ReLU units.
LONG_RUN = {"horizon": 48, "n_nonlinear": 16, "max_iter": 60}
LONG_RUN_TEXT = ", ".join(f"{k}={v}" for k, v in LONG_RUN.items())
LEVEL = 0.9  # nominal coverage of the forecaster's intervals
SERIES = ("co2", "elnino", "elec_equip", "nile", "sunspots", "unemp", "infl")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="1 seed, no ETS/ARIMA")
    parser.add_argument("--seeds", help="random_state values (quick 0; full 0,1,2)")
    parser.add_argument("--series", default=",".join(SERIES), help="which series")
    parser.add_argument("--max-iter", type=int, help="forecaster epochs (default)")
    parser.add_argument("--no-stats", action="store_true", help="skip ETS/ARIMA")
    parser.add_argument("--lorenz-train", type=int, default=4000, help="states")
    parser.add_argument("--lorenz-steps", type=int, default=3000, help="free run")
    parser.add_argument("--no-lorenz", action="store_true", help="skip Lorenz-63")
    parser.add_argument("--timing-rows", type=int, default=5000, help="rows (0: skip)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "bench_forecast.json", help="JSON"
    )
    parser.add_argument("--markdown", type=Path, help="tables; --out with .md")
    args = parser.parse_args(argv)
    args.markdown = args.markdown or args.out.with_suffix(".md")
    try:
        args.seeds = [
            int(s) for s in (args.seeds or ("0" if args.quick else "0,1,2")).split(",")
        ]
    except ValueError:
        parser.error(f"--seeds: expected integers like 0,1,2, got {args.seeds!r}")
    args.series = [s for s in args.series.split(",") if s]
    unknown = sorted(set(args.series) - set(SERIES))
    if unknown:
        parser.error(f"--series: unknown {unknown}; choose from {list(SERIES)}")
    args.stats = not (args.quick or args.no_stats)
    if min(args.lorenz_train, args.lorenz_steps) < LORENZ_WARMUP:
        parser.error(f"--lorenz-train and --lorenz-steps must be >= {LORENZ_WARMUP}")
    return args


# -- data -----------------------------------------------------------------------------
def load_series(name: str):
    """One bundled series as a float64 pandas Series (statsmodels' data sets)."""
    import pandas as pd
    from statsmodels import datasets

    if name == "co2":  # weekly with gaps -> monthly means
        weekly = datasets.co2.load_pandas().data["co2"].interpolate("time")
        series = weekly.resample("MS").mean()
    elif name == "elnino":  # one row per year, one column per month
        table = datasets.elnino.load_pandas().data
        values = table.drop(columns="YEAR").to_numpy().ravel()
        index = pd.date_range(
            f"{int(table.YEAR.iloc[0])}-01", periods=len(values), freq="MS"
        )
        series = pd.Series(values, index=index)
    elif name == "elec_equip":
        from statsmodels.datasets import elec_equip

        table = elec_equip.load().data
        series = table.iloc[:, 0].asfreq("MS")
    elif name in ("nile", "sunspots"):  # annual, years in a column
        table = getattr(datasets, name).load_pandas().data
        year, value = table.columns
        start = f"{int(table[year].iloc[0])}-01-01"
        index = pd.date_range(start, periods=len(table), freq="YS")
        series = pd.Series(table[value].to_numpy(), index=index)
    else:  # unemp, infl: quarterly
        table = datasets.macrodata.load_pandas().data
        index = pd.period_range("1959Q1", periods=len(table), freq="Q").to_timestamp()
        series = pd.Series(table[name].to_numpy(), index=index)
    series = series.astype(np.float64).rename(name)
    return series


def lorenz_table_5() -> np.ndarray:
    """(5000, 5): Lorenz-63 (z-scored) and two noisy seasonal columns."""
    rng = np.random.default_rng(0)
    states, _ = make_lorenz63(5000, dt=LORENZ_DT, random_state=0)
    t = np.arange(len(states))[:, None]
    seasonal = np.sin(2 * np.pi * t / np.array([24, 168])) + 0.2 * rng.normal(
        size=(len(t), 2)
    )
    return np.hstack([(states - states.mean(0)) / states.std(0), seasonal])


# -- real series ----------------------------------------------------------------------
def methods(args, seed: int | None):
    """name -> unfitted forecaster; the forecaster only when seed is given."""
    if seed is not None:
        extra = {} if args.max_iter is None else {"max_iter": args.max_iter}
        return {"ALRNNForecaster": ALRNNForecaster(random_state=seed, **extra)}
    out = {
        "naive": NaiveForecaster(),
        "seasonal naive": SeasonalNaiveForecaster(),
        "Ridge on lags": LagRidgeForecaster(),
    }
    if args.stats:
        out["ETS"] = StatsmodelsForecaster("ets")
        out["ARIMA"] = StatsmodelsForecaster("arima")
    return out


def score_series(args, name: str) -> dict:
    series = load_series(name)
    n = len(series)
    test = round(TEST_SHARE * n)
    H = min(12, test // 2)
    scale = float(series.iloc[: n - test].std())
    season = infer_season(series.iloc[: n - test])
    row = {"series": name, "rows": n, "test_rows": test, "horizon": H,
           "season": season, "mae": {}, "seconds": {}}  # fmt: skip
    runs = [(m, f, None) for m, f in methods(args, None).items()]
    runs += [(m, f, s) for s in args.seeds for m, f in methods(args, s).items()]
    for method, forecaster, seed in runs:
        start = time.perf_counter()
        interval = LEVEL if seed is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                errors = backtest(
                    forecaster, series, test_size=test, horizon=H, season=season,
                    interval=interval,
                )  # fmt: skip
            except ValueError as exc:  # too short to hold validation origins
                if "calibrated on the validation" not in str(exc):
                    raise
                errors = backtest(
                    forecaster, series, test_size=test, horizon=H, season=season
                )  # fmt: skip
                errors["coverage"] = np.nan
        seconds = time.perf_counter() - start
        mae = float(errors["mae"].mean()) / scale
        if seed is None:
            row["mae"][method] = mae
            row["seconds"][method] = seconds
        else:
            row.setdefault("forecaster_mae", []).append(mae)
            row.setdefault("coverage", []).append(float(errors["coverage"].mean()))
            row.setdefault("forecaster_seconds", []).append(seconds)
        print(
            f"  {name:<11} {method:<16} seed {seed}: MAE/std {mae:.3f} "
            f"({seconds:.1f} s)",
            flush=True,
        )
    f = np.array(row["forecaster_mae"])
    row["ratio_to_ridge"] = float(
        np.exp(np.log(f / row["mae"]["Ridge on lags"]).mean())
    )
    row["beats_naive"] = bool(
        f.max() < min(row["mae"]["naive"], row["mae"]["seasonal naive"])
    )
    return row


def summary(rows) -> dict:
    ratios = np.array([r["ratio_to_ridge"] for r in rows])
    per_seed = np.array([r["forecaster_mae"] for r in rows])  # (series, seeds)
    ridge = np.array([r["mae"]["Ridge on lags"] for r in rows])
    seed_geomeans = np.exp(np.log(per_seed / ridge[:, None]).mean(axis=0))
    return {
        "geomean_ratio_to_ridge": float(np.exp(np.log(ratios).mean())),
        "geomean_ratio_per_seed": seed_geomeans.tolist(),
        "beats_naive_on_all": all(r["beats_naive"] for r in rows),
        "mean_coverage": float(
            np.nanmean([np.mean(r["coverage"]) for r in rows] + [np.nan])
        ),
    }


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


def lorenz_benchmark(args) -> list[dict]:
    train, _ = make_lorenz63(args.lorenz_train, dt=LORENZ_DT, random_state=0)
    held_out, _ = make_lorenz63(
        args.lorenz_steps + LORENZ_WARMUP, dt=LORENZ_DT, random_state=101
    )
    other, _ = make_lorenz63(args.lorenz_steps, dt=LORENZ_DT, random_state=102)
    mean, std = train.mean(0), train.std(0)
    Z, Zh, Zo = ((a - mean) / std for a in (train, held_out, other))
    truth, start = Zh[LORENZ_WARMUP:], Zh[:LORENZ_WARMUP]
    runs = {"true trajectory, other start (floor)": lambda: Zo}
    runs["linear autoregression (LagRidgeForecaster)"] = lambda: (
        LagRidgeForecaster(n_lags=8, horizon=1).fit(Z).forecast(len(truth), start)
    )
    for seed in args.seeds:
        runs[f"ALRNNForecaster() seed {seed}"] = lambda seed=seed: (
            ALRNNForecaster(random_state=seed).fit(Z).forecast(len(truth), start)
        )
    for seed in args.seeds:  # the docstring's advice for long free runs
        runs[f"ALRNNForecaster({LONG_RUN_TEXT}) seed {seed}"] = lambda seed=seed: (
            ALRNNForecaster(random_state=seed, **LONG_RUN)
            .fit(Z)
            .forecast(len(truth), start)
        )
    rows = []
    for name, run in runs.items():
        t0 = time.perf_counter()
        generated = np.asarray(run(), dtype=np.float64)
        seconds = time.perf_counter() - t0
        finite = bool(np.all(np.isfinite(generated)))
        rows.append({
            "method": name,
            "d_stsp": state_space_divergence(truth, generated) if finite else None,
            "d_h": spectrum_distance(truth, generated) if finite else None,
            "seconds": seconds,
        })  # fmt: skip
        print(f"  lorenz: {name:<44} {seconds:6.1f} s", flush=True)
    return rows


def timing(args) -> dict:
    X = lorenz_table_5()[: args.timing_rows]
    t0 = time.perf_counter()
    model = ALRNNForecaster(random_state=0).fit(X)
    seconds = time.perf_counter() - t0
    print(
        f"  timing: fit {X.shape} in {seconds:.1f} s ({model.n_iter_} epochs, "
        f"stop: {model.stop_reason_})"
    )
    return {"shape": list(X.shape), "seconds": seconds, "n_iter": model.n_iter_,
            "stop_reason": model.stop_reason_}  # fmt: skip


# -- report ---------------------------------------------------------------------------
def series_table(rows, baselines) -> str:
    heads = ["ALRNNForecaster", *baselines, "ratio to Ridge", f"coverage {LEVEL:.0%}"]
    lines = [
        "| series | rows | H | season | " + " | ".join(heads) + " |",
        "|---|--:|--:|--:|" + "--:|" * len(heads),
    ]
    for r in rows:
        f = np.array(r["forecaster_mae"])
        cell = f"{f.mean():.3f}" + (f" ± {f.std():.3f}" if len(f) > 1 else "")
        cells = [cell] + [f"{r['mae'][b]:.3f}" for b in baselines]
        cells += [f"{r['ratio_to_ridge']:.2f}", _coverage(r["coverage"])]
        season = r["season"] or "-"
        lines.append(
            f"| {r['series']} | {r['rows']} | {r['horizon']} | {season} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def _coverage(values) -> str:
    mean = float(np.mean(values))
    return "n/a (no validation rows)" if np.isnan(mean) else f"{mean:.2f}"


def lorenz_table(rows) -> str:
    lines = ["| method | D_stsp | D_H | s |", "|---|--:|--:|--:|"]
    for r in rows:
        cells = [
            "diverged" if r[k] is None else f"{r[k]:.3f}" for k in ("d_stsp", "d_h")
        ]
        lines.append(
            f"| {r['method']} | " + " | ".join(cells) + f" | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)  # a script: the global setting is ours
    print(
        f"CPU: {cpu_model()} ({', '.join(cpu_flags())}); torch threads {args.threads}"
    )
    start = time.perf_counter()
    rows = [score_series(args, name) for name in args.series]
    result = summary(rows)
    lorenz_rows = [] if args.no_lorenz else lorenz_benchmark(args)
    timed = timing(args) if args.timing_rows else None
    total = time.perf_counter() - start
    baselines = list(rows[0]["mae"])
    per_seed = ", ".join(f"{g:.3f}" for g in result["geomean_ratio_per_seed"])
    markdown = (
        f"MAE / std of the training rows, every origin of the last "
        f"{TEST_SHARE:.0%}, horizons 1..H; ALRNNForecaster() defaults, seeds "
        f"{args.seeds} (mean ± std)\n\n"
        + series_table(rows, baselines)
        + "\n\ngeometric mean of MAE ratio to Ridge on lags: "
        f"{result['geomean_ratio_to_ridge']:.3f} (per seed {per_seed}); beats "
        "naive and seasonal naive on every series: "
        f"{result['beats_naive_on_all']}; mean coverage of {LEVEL:.0%} "
        f"intervals: {result['mean_coverage']:.3f}"
    )
    if lorenz_rows:
        markdown += (
            f"\n\nLorenz-63 (dt {LORENZ_DT}), {args.lorenz_train} training states, "
            f"{args.lorenz_steps} free-running steps vs a held-out trajectory "
            "(lower is better)\n\n" + lorenz_table(lorenz_rows)
        )
    if timed:
        rows_, cols_ = timed["shape"]
        markdown += (
            f"\n\nDefault fit of a {rows_} x {cols_} table: "
            f"{timed['seconds']:.1f} s ({cpu_model()})"
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
            "cpu": cpu_model(),
        },
        "series": rows,
        "summary": result,
        "lorenz": lorenz_rows,
        "timing": timed,
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
