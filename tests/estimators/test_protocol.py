"""The default training protocol: stop reasons and their warnings, the schedules,
the automatic validation split, patience and batch size, and restarts (n_init).

Shapes: N sequences, T time steps, K features per step.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn._nn._model import ALRNN, memory_diagonal
from sk_alrnn._nn._training import SequenceData, TrainConfig, train


def _linear_data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2))
    return X, X[:, -1, 0] + 0.5 * X[:, -2, 1]


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


# -- stop reasons and their warnings ----------------------------------------------
def test_cut_short_fit_warns_and_says_max_iter():
    X, y = _linear_data()
    reg = ALRNNRegressor(n_hidden=8, max_iter=3, random_state=0)
    with pytest.warns(
        ConvergenceWarning, match=r"reached max_iter=3 .*still improving"
    ):
        reg.fit(X, y)
    assert reg.stop_reason_ == "max_iter"


def test_learnable_task_converges_silently():
    X, y = _linear_data()
    reg = ALRNNRegressor(n_hidden=8, n_iter_no_change=5, tol=1e-2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.stop_reason_ == "converged"
    assert reg.n_iter_ < reg.max_iter
    assert reg.score(X, y) > 0.9


def test_unlearnable_target_is_a_plateau_with_a_warning():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 6, 2))
    y = rng.normal(size=150)  # independent of X
    reg = ALRNNRegressor(n_hidden=8, max_iter=60, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"learnt almost nothing.*n_init"):
        reg.fit(X, y)
    assert reg.stop_reason_ == "plateau"
    # the validation loss never got clearly below a constant prediction's (~1)
    assert min(reg.validation_loss_curve_) > 0.9


def test_max_iter_without_recent_progress_counts_as_converged():
    X, y = _linear_data()
    reg = ALRNNRegressor(
        n_hidden=8, max_iter=150, n_iter_no_change=np.inf, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)  # cosine decay: the last epochs barely move the loss
    assert reg.n_iter_ == 150 and reg.stop_reason_ == "converged"


# -- schedules ------------------------------------------------------------------------
def _final_lr(est):
    return est._optimizer_state["param_groups"][0]["lr"]


@pytest.mark.parametrize(
    ("schedule", "expected"), [("constant", 1e-2), ("cosine", 1e-4)]
)
def test_schedule_sets_the_final_learning_rate(schedule, expected):
    X, y = _linear_data(n=40)
    reg = ALRNNRegressor(
        n_hidden=4,
        max_iter=12,
        learning_rate_init=1e-2,
        learning_rate=schedule,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    assert _final_lr(_fit_quietly(reg, X, y)) == pytest.approx(expected)


def test_adaptive_schedule_halves_the_rate_on_a_plateau():
    X, y = _linear_data(n=40)
    reg = ALRNNRegressor(
        n_hidden=4,
        max_iter=12,
        learning_rate_init=1e-2,
        learning_rate="adaptive",
        n_iter_no_change=8,  # halve after 2 epochs without improvement
        tol=1e9,  # nothing after the first epoch counts as an improvement
        random_state=0,
    )
    _fit_quietly(reg, X, y)
    assert reg.n_iter_ == 9  # 1 + patience
    assert _final_lr(reg) == pytest.approx(1e-2 * 0.5**4)


# -- automatic validation split, patience and batch size ------------------------------
@pytest.mark.parametrize(("n", "validated"), [(99, False), (100, True)])
def test_auto_validation_split_from_100_sequences(n, validated):
    X, y = _linear_data(n=n)
    reg = _fit_quietly(ALRNNRegressor(n_hidden=4, max_iter=3, random_state=0), X, y)
    assert (reg.validation_loss_curve_ is not None) == validated
    assert (reg.best_validation_score_ is not None) == validated


def test_validation_keeps_the_epoch_with_the_lowest_validation_loss():
    X, y = _linear_data(n=120)
    reg = _fit_quietly(
        ALRNNRegressor(
            n_hidden=8,
            max_iter=40,
            learning_rate_init=0.05,
            random_state=0,
            dtype="float64",
        ),
        X,
        y,
    )
    best = int(np.argmin(reg.validation_loss_curve_))
    assert reg.best_validation_score_ == reg.validation_scores_[best]
    n_val = math.ceil(0.1 * len(X))  # the tail split
    assert reg.score(X[-n_val:], y[-n_val:]) == pytest.approx(
        reg.best_validation_score_, abs=1e-9
    )


@pytest.mark.parametrize(("max_iter", "patience"), [(60, 20), (200, 50)])
def test_auto_patience_scales_with_the_budget(max_iter, patience):
    X, y = _linear_data(n=40)
    reg = ALRNNRegressor(n_hidden=4, max_iter=max_iter, tol=1e9, random_state=0)
    _fit_quietly(reg, X, y)
    assert reg.n_iter_ == 1 + patience


@pytest.mark.parametrize(("n", "per_batch"), [(40, 8), (320, 20), (2000, 32)])
def test_auto_batch_size_gives_small_data_enough_steps(n, per_batch):
    X, y = _linear_data(n=n)
    reg = ALRNNRegressor(n_hidden=4, max_iter=1, early_stopping=False, random_state=0)
    sizes = []
    loss = reg._loss
    reg._loss = lambda out, *rest: sizes.append(len(out)) or loss(out, *rest)
    _fit_quietly(reg, X, y)
    assert max(sizes) == per_batch
    assert len(sizes) == math.ceil(n / per_batch)


# -- initialisation ------------------------------------------------------------------
def test_memory_init_starts_as_leaky_integrators():
    gen = torch.Generator().manual_seed(0)
    paper = ALRNN(2, 32, 4, 1, generator=gen, init="paper")
    gen = torch.Generator().manual_seed(0)
    memory = ALRNN(2, 32, 4, 1, generator=gen, init="memory")
    diff = (memory.W - paper.W).detach().numpy()
    np.testing.assert_allclose(diff, 0.9 * np.eye(32), atol=1e-6)
    for m in (32, 128, 512):
        net = ALRNN(
            1, m, 2, 1, generator=torch.Generator().manual_seed(1), init="memory"
        )
        radius = np.abs(np.linalg.eigvals(net.W.detach().double().numpy())).max()
        assert radius < 1.0, (m, radius)  # contractive at the start
        assert memory_diagonal(m) <= 0.9


# -- restarts --------------------------------------------------------------------------
def _manual_single_fit(X, y, seed):
    """A fit written out by hand: the seed a single fit draws, then train()."""
    rng = check_random_state(seed)
    generator = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
    net = ALRNN(2, 8, 2, 1, generator=generator, init="memory")
    y_std = (y - y.mean()) / y.std()
    data = SequenceData(
        torch.tensor(X, dtype=torch.float32),
        None,
        torch.tensor(y_std[:, None], dtype=torch.float32),
        None,
    )
    from sk_alrnn._nn._optim import make_adam

    config = TrainConfig(
        max_iter=4,
        batch_size=8,
        learning_rate_init=5e-3,
        alpha=0.0,
        clip_grad_norm=5.0,
        n_iter_no_change=20,
        tol=1e-4,
        verbose=0,
        sequence=False,
        learning_rate="cosine",
    )
    train(
        net,
        make_adam(net, 5e-3),
        data,
        config,
        lambda o, t, m: ((o - t) ** 2).mean(),
        generator,
    )
    return net


def test_n_init_1_is_the_plain_single_fit_bitwise():
    X, y = _linear_data(n=40)
    reg = _fit_quietly(
        ALRNNRegressor(n_hidden=8, n_nonlinear=2, max_iter=4, n_init=1, random_state=3),
        X,
        y,
    )
    manual = _manual_single_fit(X, y, 3)
    for name, value in manual.state_dict().items():
        assert torch.equal(value, reg.module_.state_dict()[name]), name


@pytest.mark.parametrize("Est", [ALRNNRegressor, ALRNNClassifier])
def test_n_init_keeps_the_best_of_several_seeds(Est):
    X, y = _linear_data(n=120)
    target = y if Est is ALRNNRegressor else y > 0
    params = dict(n_hidden=6, max_iter=8, random_state=0)
    single = _fit_quietly(Est(**params), X, target)
    multi = _fit_quietly(Est(**params, n_init=3), X, target)
    assert len(multi.init_losses_) == 3
    assert multi.init_losses_[0] == single.init_losses_[0]  # the same first seed
    assert len(set(multi.init_losses_)) == 3  # other seeds, other fits
    kept = min(multi.validation_loss_curve_)
    assert kept == min(multi.init_losses_)
    if np.argmin(multi.init_losses_) == 0:
        assert multi.loss_curve_ == single.loss_curve_


def test_interrupt_in_a_later_init_keeps_the_best_finished_one():
    X, y = _linear_data(n=40)
    reg = ALRNNRegressor(n_hidden=4, max_iter=3, n_init=3, random_state=0)
    calls = []
    loss = reg._loss

    def patched(*args):
        calls.append(1)
        if len(calls) == 3 * 5 + 2:  # 5 batches per epoch: init 2, epoch 1
            raise KeyboardInterrupt
        return loss(*args)

    reg._loss = patched
    with pytest.warns(UserWarning, match=r"initialisation 2/3"):
        with pytest.raises(KeyboardInterrupt):
            _fit_quietly(reg, X, y)
    assert reg.stop_reason_ == "interrupted"
    assert reg.n_iter_ == 3 and len(reg.init_losses_) == 1
