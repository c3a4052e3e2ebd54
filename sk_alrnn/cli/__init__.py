"""Command line: ``python -m sk_alrnn [sweep] [options]``.

``sweep`` (the default) answers the package's question on one of the papers'
tasks (``--task``: the adding problem by default, the copy task, contextual
integration or sequential digits) or on the user's own time series (``--csv
FILE --target COLUMN``): how many ReLU units P does an AL-RNN need? It fits one
AL-RNN per value of ``--n-nonlinear`` and scores each on held-out data (one
split, or ``--cv`` folds; CSV windows always by time-series folds), shows a
progress bar over the fits, prints a table and a one-line conclusion and, on
request, writes a JSON file and a score-vs-P plot. The layout: argv -> argparse
(:mod:`sk_alrnn.cli._parser`) -> a frozen
:class:`~sk_alrnn.cli._request.SweepRequest` (:mod:`sk_alrnn.cli._request`) ->
the data (:mod:`sk_alrnn.cli._data`, tasks from :mod:`sk_alrnn._task_suite`)
and the report and JSON (:mod:`sk_alrnn.cli._output`) and figure
(:mod:`sk_alrnn.cli._figure`). Those modules
raise ValueError with a one-line message naming the flag; :func:`main` alone
turns it into the ``error:`` line and exit status 2.

Shapes: N sequences, T time steps, K features per step, M latent units,
P nonlinear (ReLU) units.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from joblib import parallel_config
from tqdm.auto import tqdm

from sk_alrnn.cli._baselines import forecast_baselines, mae_per_horizon
from sk_alrnn.cli._data import Data, load_data
from sk_alrnn.cli._figure import save_plot
from sk_alrnn.cli._output import check_outputs, print_report, write_json
from sk_alrnn.cli._parser import build_parser
from sk_alrnn.cli._request import SweepRequest, request_from_args
from sk_alrnn.model_selection import (
    InconclusiveSweepWarning,
    fit_and_score,
    sweep_nonlinearity,
)

__all__ = ["main"]

_TOP_LEVEL_FLAGS = ("-h", "--help", "--version")  # everything else: a sweep option


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sk_alrnn`` command line.

    Without a subcommand (or with options only) ``sweep`` runs: one AL-RNN per
    value of ``--n-nonlinear`` on ``--task`` (default: the adding problem), each
    scored on the held-out share ``--test-size`` of the sequences, or by
    ``--cv``-fold cross-validation. With ``--csv FILE --target COLUMN`` the
    sequences are windows of the file's rows instead, scored by time-series
    folds. ``python -m sk_alrnn sweep --help`` lists the options.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 if training diverged or an output file
        could not be written at the end. Bad arguments, unreadable ``--csv``
        files and ``--json`` / ``--plot`` paths that could not be written raise
        ``SystemExit(2)`` after a one-line message on stderr, before training.

    Examples
    --------
    A tiny sweep (one epoch on 32 sequences, about a second); the table's
    numbers depend on the platform, so they are elided here:

    >>> main(["sweep", "--n-nonlinear", "0", "2", "--n-hidden", "4",
    ...       "--max-iter", "1", "--n-samples", "40"])  # doctest: +ELLIPSIS
    AL-RNN nonlinearity sweep: adding problem (gating): sum of the 2 marked values
    T=20, 32 train / 8 test sequences, n_hidden=4, max_iter=1, ...
    <BLANKLINE>
    n_nonlinear  test R^2  train  epochs  fit [s]
    -----------  --------  -----  ------  -------
              0  ...      1*  ...
              2  ...      1*  ...
    <BLANKLINE>
    * stopped at --max-iter while still improving (raise --max-iter)
    Trivial: predicting the mean scores R^2 = 0
    Reference models on the same split(s): ...
    No conclusion: the rows that decide the answer ... look under-trained ...
      - Raise --max-iter (now 1).
    ...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in _TOP_LEVEL_FLAGS):
        argv = ["sweep", *argv]  # sweep is the default command
    parser, sweep = build_parser()
    args = parser.parse_args(argv)
    with _torch_threads(args.threads):
        try:  # the one place where bad input becomes the one-line error
            request = request_from_args(args)
            plan = _prepare(request)
        except (ValueError, OSError) as exc:
            sweep.error(str(exc))
        return _sweep(request, plan)


@contextlib.contextmanager
def _torch_threads(n: int):
    """``n`` torch threads (and joblib workers' inner threads), then restore."""
    threads = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with parallel_config(backend="loky", inner_max_num_threads=n):
            yield
    finally:
        torch.set_num_threads(threads)  # leave the process as we found it


@dataclass(frozen=True)
class _Plan:
    """Checked before any training: the data, the settings and the estimator."""

    data: Data
    settings: dict
    estimator: object


def _prepare(request: SweepRequest) -> _Plan:
    """Outputs, data, settings and a one-epoch probe fit; bad input: ValueError."""
    check_outputs(request)  # before any training: no results get lost
    data = load_data(request)
    scoring = data.scoring
    settings = scoring.settings(
        n_hidden=request.n_hidden,
        max_iter=request.max_iter,
        learning_rate_init=request.learning_rate_init,
    )
    too_big = [p for p in request.n_nonlinear if p > settings["n_hidden"]]
    if too_big:
        raise ValueError(
            f"--n-nonlinear {too_big} exceeds --n-hidden {settings['n_hidden']}; "
            "every value must lie in [0, n_hidden]. Drop them or raise --n-hidden."
        )
    params = {"random_state": request.random_state, "device": request.device}
    p0 = request.n_nonlinear[0]
    estimator = scoring.make_estimator(p0, **settings, **params)
    # One throw-away epoch first: checks --device, and keeps one-off start-up
    # costs (lazy torch initialisation, kernel compilation) out of the first row.
    probe = scoring.make_estimator(p0, **{**settings, "max_iter": 1}, **params)
    train, test = data.splits[0]
    fit_and_score(probe, data.X, data.y, train[:8], test[:2], _none)
    return _Plan(data, settings, estimator)


def _sweep(request: SweepRequest, plan: _Plan) -> int:
    data, settings = plan.data, plan.settings
    _print_header(request, data, settings)
    result = _run_fits(request, plan)
    rows = result.rows
    bad = [r["n_nonlinear"] for r in rows if not np.isfinite(r["mean_score"])]
    if bad:
        print(
            f"error: n_nonlinear={bad[0]}: training diverged (non-finite score). "
            f"Lower --learning-rate-init (now {settings['learning_rate_init']:g}).",
            file=sys.stderr,
        )
        return 1
    # --csv: naive, seasonal naive, ETS and ARIMA on the same test windows
    forecasts = None if data.series is None else forecast_baselines(data)
    print_report(request, data, result, forecasts)
    return _write_outputs(request, data, settings, result, forecasts)


def _print_header(request: SweepRequest, data: Data, settings: dict) -> None:
    print(
        f"AL-RNN nonlinearity sweep: {data.description}\n"
        f"T={data.n_timesteps}, {data.scheme}, n_hidden={settings['n_hidden']}, "
        f"max_iter={settings['max_iter']}, "
        f"learning_rate_init={settings['learning_rate_init']:g}, "
        f"random_state={request.random_state}",
        flush=True,
    )
    for note in request.default_notes():
        print(f"  {note}", flush=True)


def _run_fits(request: SweepRequest, plan: _Plan):
    data = plan.data
    with (
        warnings.catch_warnings(record=True) as caught,
        tqdm(
            total=len(request.n_nonlinear) * len(data.splits) * request.n_repeats,
            desc="fits",
            unit="fit",
            file=sys.stderr,
            disable=None if request.progress else True,  # None: off when not a TTY
            leave=False,
        ) as bar,
    ):
        result = sweep_nonlinearity(
            plan.estimator,
            data.X,
            data.y,
            list(request.n_nonlinear),
            cv=data.splits,
            scoring=data.scoring.scoring,
            n_repeats=request.n_repeats,
            tolerance=request.tolerance,
            n_jobs=request.n_jobs,
            return_train_score=True,
            callback=lambda p, fold, out: bar.update(),
            # --csv: the MAE per step ahead of the same fits (no refit)
            extra_scoring=None if data.series is None else {"mae": mae_per_horizon},
        )
    for w in caught:  # the report states a withheld answer itself
        if not issubclass(w.category, InconclusiveSweepWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def _write_outputs(request, data, settings, result, forecasts) -> int:
    """--json and --plot; a late write failure: exit status 1, report kept."""
    status = 0
    outputs = (
        (
            "--json",
            request.json,
            write_json,
            (settings, result, forecasts),
            "Results written",
        ),
        ("--plot", request.plot, save_plot, (result.rows,), "Figure saved"),
    )
    for flag, path, save, extra, what in outputs:
        if path is None:
            continue
        try:
            save(request, data, *extra)
        except OSError as exc:  # checked up front; this is a late failure
            reason = " ".join(str(exc).split())
            print(
                f"error: {flag} {path}: could not write it ({reason}); the "
                "results are in the report above",
                file=sys.stderr,
            )
            status = 1
        else:
            print(f"{what} to {path}")
    return status


def _none(estimator, X, y) -> float:
    return 0.0
