"""Scale-out: GridSearchCV with loky and dask workers, threads, pickling, memmaps.

Shapes: N sequences, T time steps, K features per step.

Worker thread rule (loky, joblib's default backend): each worker process starts
with ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` (and the OpenBLAS, ... variables)
set before torch is imported: each to ``inner_max_num_threads`` when given to
``joblib.parallel_config``, else to the parent's value of that variable when set,
else to ``max(cpu_count() // n_jobs, 1)``. torch then runs
``torch.get_num_threads()`` threads: on builds with MKL (the x86 wheels) the value
of ``MKL_NUM_THREADS``, which wins over ``OMP_NUM_THREADS``, capped at the number
of cores; otherwise ``OMP_NUM_THREADS``. dask nanny workers (``processes=True``)
get both variables set to 1; in-process dask workers
(``processes=False``) and the threading backend share the parent's torch thread
pool, with no per-fit limit.
"""

import os
import pickle
import warnings

import cloudpickle
import joblib
import numpy as np
import pytest
import torch
from joblib import Parallel, delayed, parallel_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold

from sk_alrnn import ALRNNClassifier, ALRNNRegressor

ESTIMATORS = [ALRNNRegressor, ALRNNClassifier]
TINY = dict(n_hidden=6, max_iter=3, batch_size=8, random_state=0, device="cpu")
GRID = {"n_nonlinear": [0, 2], "learning_rate_init": [1e-3, 1e-2]}
N_JOBS = 2


def torch_threads(estimator, X, y):
    """A 'scorer' reporting the torch threads of the process that ran the fit."""
    return float(torch.get_num_threads())


def expected_loky_threads(n_jobs):
    """torch threads in a loky worker (see the module docstring)."""
    mkl = torch.backends.mkl.is_available()
    inherited = os.environ.get("MKL_NUM_THREADS" if mkl else "OMP_NUM_THREADS")
    n = int(inherited) if inherited else max(joblib.cpu_count() // n_jobs, 1)
    return min(n, os.cpu_count()) if mkl else n  # MKL uses at most one per core


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(36, 5, 2))  # (N, T, K)
    y = X[:, :, 0].sum(axis=1)
    return X, y


def search(data, n_jobs, est=None):
    X, y = data
    gs = GridSearchCV(
        est if est is not None else ALRNNRegressor(**TINY),
        GRID,
        cv=KFold(3),
        scoring={"r2": "r2", "threads": torch_threads},
        refit="r2",
        n_jobs=n_jobs,
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gs.fit(X, y)


def score_columns(results):
    return {
        k: v
        for k, v in results.items()
        if k.startswith(("split", "mean_test", "std_test", "rank_test"))
        and "threads" not in k
    }


def assert_same_scores(a, b):
    sa, sb = score_columns(a.cv_results_), score_columns(b.cv_results_)
    assert sa.keys() == sb.keys()
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)


@pytest.fixture(scope="module")
def serial(data):
    return search(data, n_jobs=1)


@pytest.fixture(scope="module")
def loky(data):
    with parallel_config(backend="loky"):
        return search(data, n_jobs=N_JOBS)


# -- loky ------------------------------------------------------------------------------
def test_loky_n_jobs_2_gives_identical_scores(serial, loky, data):
    assert_same_scores(serial, loky)
    assert np.isfinite(loky.cv_results_["mean_test_r2"]).all()
    assert loky.best_params_ == serial.best_params_
    X, _ = data
    np.testing.assert_array_equal(loky.predict(X), serial.predict(X))


def test_loky_worker_threads_follow_joblib_rule(loky):
    threads = set(loky.cv_results_["mean_test_threads"])
    assert threads == {expected_loky_threads(N_JOBS)}


def test_fit_leaves_torch_threads_alone(data):
    before = torch.get_num_threads()
    ALRNNRegressor(**TINY).fit(*data)
    assert torch.get_num_threads() == before


def test_threading_backend_shares_the_process_thread_pool(serial, data):
    with parallel_config(backend="threading"):
        gs = search(data, n_jobs=N_JOBS)
    assert_same_scores(serial, gs)
    # no per-worker limit: each fit sees the whole process's torch pool
    assert set(gs.cv_results_["mean_test_threads"]) == {torch.get_num_threads()}


@pytest.mark.slow
def test_loky_inner_max_num_threads_sets_worker_threads(data):
    with parallel_config(backend="loky", inner_max_num_threads=1):
        gs = search(data, n_jobs=N_JOBS)
    assert set(gs.cv_results_["mean_test_threads"]) == {1.0}


# -- dask ------------------------------------------------------------------------------
def dask_search(data, processes):
    pytest.importorskip(
        "dask.distributed", reason="dask not installed: pip install 'sk-alrnn[dask]'"
    )
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
        parallel_config(backend="dask"),
    ):
        return search(data, n_jobs=N_JOBS)


def test_dask_gives_the_same_scores_as_loky(loky, data):
    # In-process workers: starts in well under a second and needs no free ports.
    gs = dask_search(data, processes=False)
    assert_same_scores(loky, gs)
    # in-process workers share this process's torch pool
    assert set(gs.cv_results_["mean_test_threads"]) == {torch.get_num_threads()}


@pytest.mark.slow
def test_dask_process_workers_use_one_thread(loky, data):
    gs = dask_search(data, processes=True)
    assert_same_scores(loky, gs)
    assert set(gs.cv_results_["mean_test_threads"]) == {1.0}  # nanny's default


# -- pickling --------------------------------------------------------------------------
def _fit_target(Est, data):
    y = data[1]
    return y if Est is ALRNNRegressor else np.where(y > 0, "pos", "neg")


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_unfitted_estimator_and_params_round_trip_cloudpickle(Est, data):
    est = Est(**{**TINY, "random_state": np.random.RandomState(3)})
    for name, value in est.get_params().items():
        back = cloudpickle.loads(cloudpickle.dumps(value))
        assert type(back) is type(value), name
        if isinstance(value, np.random.RandomState):
            np.testing.assert_array_equal(back.get_state()[1], value.get_state()[1])
        else:
            assert back == value, name
    X = data[0]
    copy = cloudpickle.loads(cloudpickle.dumps(est))
    assert isinstance(copy, Est)
    est.fit(X, _fit_target(Est, data))  # both start from the same RandomState
    copy.fit(X, _fit_target(Est, data))
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_fitted_estimator_round_trips_cloudpickle(Est, data):
    X = data[0]
    est = Est(**TINY).fit(X, _fit_target(Est, data))
    copy = cloudpickle.loads(cloudpickle.dumps(est))
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))
    assert copy.get_params() == est.get_params()
    # cloudpickle output is loadable by plain pickle (what a worker does)
    again = pickle.loads(cloudpickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


def test_torch_device_param_round_trips_cloudpickle(data):
    est = ALRNNRegressor(**{**TINY, "device": torch.device("cpu")})
    copy = cloudpickle.loads(cloudpickle.dumps(est))
    assert copy.device == torch.device("cpu")
    X, y = data
    np.testing.assert_array_equal(copy.fit(X, y).predict(X), est.fit(X, y).predict(X))


# -- read-only memory maps -------------------------------------------------------------
def readonly_memmap(array, path):
    writer = np.lib.format.open_memmap(
        path, mode="w+", dtype=array.dtype, shape=array.shape
    )
    writer[...] = array
    writer.flush()
    del writer
    return np.load(path, mmap_mode="r")  # a read-only np.memmap


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_fit_on_readonly_memmap_raises_no_warning(Est, dtype, data, tmp_path):
    X, _ = data
    y = _fit_target(Est, data)
    Xm = readonly_memmap(X.astype(dtype), tmp_path / "X.npy")
    ym = readonly_memmap(y, tmp_path / "y.npy")  # floats, or fixed-width labels
    assert isinstance(Xm, np.memmap) and not Xm.flags.writeable
    est = Est(**{**TINY, "dtype": dtype})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)  # short fits, by design
        pred = est.fit(Xm, ym).predict(Xm)
        est.score(Xm, ym)
    ref = Est(**{**TINY, "dtype": dtype}).fit(X.astype(dtype), y).predict(X)
    np.testing.assert_array_equal(pred, ref)
    assert not Xm.flags.writeable


def _fit_in_worker(Est, X, y):
    """Runs in a loky worker: X arrives as a read-only memmap; warnings are errors."""
    is_readonly_memmap = isinstance(X, np.memmap) and not X.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        pred = Est(**TINY).fit(X, y).predict(X)
    return is_readonly_memmap, pred


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_memmapped_inputs_in_workers_raise_no_warning(Est, data):
    X, _ = data
    X = X.astype(np.float32)
    y = _fit_target(Est, data)
    # max_nbytes=1: every array goes to the workers as a read-only memory map
    results = Parallel(n_jobs=N_JOBS, backend="loky", max_nbytes=1, mmap_mode="r")(
        delayed(_fit_in_worker)(Est, X, y) for _ in range(2)
    )
    ref = Est(**TINY).fit(X, y).predict(X)
    for was_memmap, pred in results:
        assert was_memmap
        np.testing.assert_array_equal(pred, ref)


def test_grid_search_with_forced_memmapping_raises_no_warning(serial, data):
    est = ALRNNRegressor(**TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn passes the filters to the workers
        with parallel_config(backend="loky", max_nbytes=1, mmap_mode="r"):
            gs = search(data, n_jobs=N_JOBS, est=est)
    assert_same_scores(serial, gs)
