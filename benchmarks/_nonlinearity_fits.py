"""One benchmark fit, run in joblib worker processes for bench_nonlinearity.py.

A module of its own (not the script) so that workers import it by name and its
per-process caches (data, warm-up) live on between fits.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring

from sk_alrnn._task_suite import get_task
from sk_alrnn.model_selection import fit_and_score

BASELINES = ("gru", "lstm")


@functools.lru_cache(maxsize=8)
def _data(task_name: str, n_total: int, seed: int):
    """X, y of one seed (the test set is the last ``n_test`` sequences)."""
    return get_task(task_name).load(n_total, seed)


@functools.cache
def _warm_up() -> None:
    """One tiny fit per process: one-off costs (kernel loading) stay out of timings."""
    task = get_task("addition")
    X, y = task.load(8, 0, n_timesteps=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        task.make_estimator(1, n_hidden=2, max_iter=1).fit(X, y)


def run_fit(job: dict, settings: dict) -> dict:
    """Fit and score one (task, model, seed, n_train) job; return its row."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _warm_up()
        task = get_task(job["task"])
        n_train, n_test = settings["n_train"], settings["n_test"]
        X, y = _data(task.name, n_train + n_test, job["seed"])
        # the estimators' default training (max_iter, schedule, stopping rule,
        # batch size), as a user gets it; only the smoke mode shortens it
        params = dict(
            n_hidden=settings.get("n_hidden"),
            max_iter=settings.get("max_iter"),
            random_state=job["seed"],
            device="cpu",
        )
        if job["model"] in BASELINES:
            est = task.make_baseline(job["model"], **params)
        else:
            est = task.make_estimator(job["n_nonlinear"], **params)
        out = fit_and_score(
            est,
            X,
            y,
            np.arange(job["n_train"]),  # nested: smaller sets are prefixes
            np.arange(n_train, n_train + n_test),
            check_scoring(est, scoring=task.scoring),
            return_train_score=True,
        )
    finally:
        torch.set_num_threads(threads)
    return {**job, **out, "max_iter": est.get_params()["max_iter"]}
