"""The command line's typed request: what ``sweep`` was asked to do.

:func:`request_from_args` is the one place that reads the parsed
``argparse.Namespace``: it resolves the defaults, refuses flags that do not
apply to the chosen data source and checks the estimator parameters with the
estimators' own ``_parameter_constraints`` (so the rules are not restated
here), raising ``ValueError`` with a one-line message that names the flag.
Everything after it (:mod:`sk_alrnn.cli._data`, :mod:`sk_alrnn.cli._output`)
reads the frozen :class:`SweepRequest`, never argparse.

Defaults: the estimator parameters (``n_hidden``, ``max_iter``,
``learning_rate_init``, ``device``) are read from the estimators'
``__init__`` signature (:func:`estimator_default`). The few command-line
defaults that differ from a library default are listed, with the reason, in
:data:`CLI_DEFAULTS`; ``--help`` and the run's header say so.

Private: only :mod:`sk_alrnn.cli` imports it.
"""

from __future__ import annotations

import argparse
import inspect
from dataclasses import dataclass, fields
from pathlib import Path

from sk_alrnn._estimators._regressor import ALRNNRegressor
from sk_alrnn.forecasting import ALRNNForecaster, SequenceWindower

PLOT_HINT = 'pip install "sk-alrnn[plot]"'
DEFAULT_P = (0, 1, 2, 4, 8)


def estimator_default(name: str):
    """The AL-RNN estimators' default for parameter ``name`` (their signature).

    Examples
    --------
    >>> estimator_default("n_hidden") == ALRNNRegressor().n_hidden
    True
    """
    return inspect.signature(ALRNNRegressor.__init__).parameters[name].default


def _signature_default(cls, name: str):
    return inspect.signature(cls.__init__).parameters[name].default


_WINDOW = _signature_default(SequenceWindower, "window")
# name -> (the command line's default, why it differs from the library's)
CLI_DEFAULTS = {
    "random_state": (
        0,
        "the estimators' default is "
        f"{estimator_default('random_state')} (a new seed each fit); a fixed seed "
        "makes a rerun repeat the sweep",
    ),
    "window": (
        _WINDOW,
        f"SequenceWindower's default; ALRNNForecaster's is "
        f"{_signature_default(ALRNNForecaster, 'window')!r}, which a quick sweep "
        "over several fits does not search",
    ),
    "horizon": (
        1,
        "one step ahead, the quickest question; ALRNNForecaster's default is "
        f"{_signature_default(ALRNNForecaster, 'horizon')}",
    ),
}

# flags that only one data source reads: (argument name, flag[, hint])
_CSV_ONLY = (
    ("target", "--target"),
    ("window", "--window"),
    ("horizon", "--horizon"),
    ("time_column", "--time-column"),
    ("features", "--features"),
    ("no_statsmodels", "--no-statsmodels"),
)
_TASK_ONLY = (
    ("task", "--task", ""),
    ("n_samples", "--n-samples", ""),
    ("n_timesteps", "--n-timesteps", " (--window sets the window length)"),
    ("test_size", "--test-size", " (CSV data is scored by --cv time-series folds)"),
)
# estimator parameters checked by the estimators' own constraints
_CHECKED = (
    ("n_hidden", "--n-hidden"),
    ("max_iter", "--max-iter"),
    ("learning_rate_init", "--learning-rate-init"),
    ("random_state", "--random-state"),
)


@dataclass(frozen=True)
class SweepRequest:
    """One ``sweep``: the data source, the models, the scoring and the outputs.

    Estimator parameters left as None take the estimators' defaults.
    """

    n_nonlinear: tuple[int, ...] = DEFAULT_P
    # data: a task (csv None) or a CSV file
    task: str | None = None
    n_samples: int | None = None
    n_timesteps: int | None = None
    test_size: float | None = None
    csv: Path | None = None
    target: str | None = None
    window: int | None = None  # --csv: resolved (never None)
    horizon: int | None = None  # --csv: resolved (never None)
    features: tuple[str, ...] | None = None
    time_column: str | None = None
    statsmodels: bool = True
    # models and scoring
    n_hidden: int | None = None
    max_iter: int | None = None
    learning_rate_init: float | None = None
    device: str = "auto"
    cv: int | None = None
    n_repeats: int = 1
    tolerance: float = 0.02
    random_state: int = CLI_DEFAULTS["random_state"][0]
    # running and output
    n_jobs: int = 1
    threads: int = 1
    progress: bool = True
    json: Path | None = None
    plot: Path | None = None
    # CLI defaults in effect that differ from a library default (CLI_DEFAULTS)
    cli_defaults: tuple[str, ...] = ()

    def default_notes(self) -> list[str]:
        """One line per command-line default in effect that differs, with why."""
        notes = []
        for name in self.cli_defaults:
            value, why = CLI_DEFAULTS[name]
            notes.append(f"{name}={value} (command-line default: {why})")
        return notes


def request_from_args(args: argparse.Namespace) -> SweepRequest:
    """The :class:`SweepRequest` for parsed ``sweep`` arguments.

    Raises ValueError, with a one-line message naming the flag, for flags the
    data source does not read and estimator parameters the estimators refuse.
    """
    given = vars(args)
    if args.csv is None:
        for name, flag in _CSV_ONLY:
            if given[name] is not None:
                raise ValueError(
                    f"{flag} applies to --csv data only; drop it or pass --csv FILE"
                )
    else:
        for name, flag, hint in _TASK_ONLY:
            if given[name] is not None:
                raise ValueError(f"{flag} does not apply to --csv data{hint}; drop it")
    _check_estimator_params(given)
    csv_only = ("window", "horizon") if args.csv is not None else ()
    defaulted = tuple(n for n in ("random_state", *csv_only) if given[n] is None)
    # a flag of the field's name is copied as given; the others are derived here
    copied = {f.name: given[f.name] for f in fields(SweepRequest) if f.name in given}
    return SweepRequest(
        **{
            **copied,
            **{name: CLI_DEFAULTS[name][0] for name in defaulted},
            "n_nonlinear": tuple(args.n_nonlinear),
            "features": None if args.features is None else tuple(args.features),
            "statsmodels": not args.no_statsmodels,
            "progress": not args.no_progress,
            "cli_defaults": defaulted,
        }
    )


def _check_estimator_params(given: dict) -> None:
    """The estimators' own parameter check, its message under the flag's name."""
    for name, flag in _CHECKED:
        if given[name] is None:
            continue
        try:
            ALRNNRegressor(**{name: given[name]})._validate_params()
        except ValueError as exc:
            reason = str(exc).replace(f" of {ALRNNRegressor.__name__}", "")
            raise ValueError(f"argument {flag}: {reason}") from None
