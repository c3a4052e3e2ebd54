"""GRU, LSTM and tanh-RNN baselines with the AL-RNN estimators' API and training.

Shapes: B batch, T time steps, K input features, M hidden units, O outputs.
The estimators share everything with :class:`~sk_alrnn.ALRNNRegressor` and
:class:`~sk_alrnn.ALRNNClassifier` (inputs, targets, losses, training loop,
early stopping, ``partial_fit``...) except the network, which is PyTorch's own
``nn.GRU`` / ``nn.LSTM`` / ``nn.RNN(nonlinearity="tanh")`` with a linear readout.
"""

from __future__ import annotations

import math
import textwrap
from typing import ClassVar

import torch
from torch import Tensor, nn

from sk_alrnn._estimators._classifier import ALRNNClassifier
from sk_alrnn._estimators._param_table import (
    BASELINE_PARAMS,
    constraints,
    fill_parameters,
)
from sk_alrnn._estimators._regressor import ALRNNRegressor

_CELLS = {"gru": nn.GRU, "lstm": nn.LSTM, "tanh": nn.RNN}


class RNNModule(nn.Module):
    """A PyTorch recurrent layer with a linear readout (same contract as ALRNN).

    Weights are drawn from U(-1/sqrt(M), 1/sqrt(M)) (PyTorch's default scheme)
    with the given generator, so seeding stays local.

    Examples
    --------
    >>> import torch
    >>> net = RNNModule("gru", 2, 4, 1, generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(3, 5, 2)).shape
    torch.Size([3, 1])
    """

    def __init__(
        self,
        cell: str,
        n_features: int,
        n_hidden: int,
        n_outputs: int,
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.cell = cell
        self.n_features = n_features  # K and O, as on ALRNN (read by persistence)
        self.n_outputs = n_outputs
        kwargs = {"nonlinearity": "tanh"} if cell == "tanh" else {}
        self.rnn = _CELLS[cell](n_features, n_hidden, batch_first=True, **kwargs)
        self.readout = nn.Linear(n_hidden, n_outputs)
        bound = 1.0 / math.sqrt(n_hidden)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(
                    torch.empty(p.shape).uniform_(-bound, bound, generator=generator)
                )
        self.to(dtype)

    def penalized_parameters(self) -> list[nn.Parameter]:
        """Weight matrices under the L2 penalty ``alpha`` (not the biases)."""
        return [p for p in self.parameters() if p.dim() > 1]

    def forward(
        self, X: Tensor, lengths: Tensor | None = None, *, sequence: bool = False
    ) -> Tensor:
        """Readout at each sequence's last valid step (B, O), or at every step."""
        H, _ = self.rnn(X)  # (B, T, M); padding lies after each sequence's end
        if sequence:
            return self.readout(H)  # (B, T, O)
        if lengths is None:
            return self.readout(H[:, -1])  # (B, O)
        rows = torch.arange(H.shape[0], device=H.device)
        return self.readout(H[rows, lengths.to(H.device) - 1])  # (B, O)


class _BaselineMixin:
    """Swap the AL-RNN for a PyTorch cell; drop the AL-RNN's own parameters."""

    _param_table: ClassVar[dict] = BASELINE_PARAMS
    _parameter_constraints: ClassVar[dict] = constraints(BASELINE_PARAMS)

    def __init__(
        self,
        *,
        cell="gru",
        n_hidden=32,
        output="last",
        max_iter=200,
        batch_size="auto",
        learning_rate_init=5e-3,
        learning_rate="cosine",
        alpha=0.0,
        clip_grad_norm=5.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        n_init=1,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
        dtype="float32",
    ):
        self.cell = cell
        self.n_hidden = n_hidden
        self.output = output
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.n_init = n_init
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.dtype = dtype

    def _check_hyperparameters(self, name):
        pass  # no cross-parameter constraints

    def _regularization(self) -> dict:
        return {}  # no MAR: the cells have no AL-RNN units

    def _make_module(self, n_features, n_outputs, generator, dtype):
        return RNNModule(
            self.cell,
            n_features,
            self.n_hidden,
            n_outputs,
            generator=generator,
            dtype=dtype,
        )

    def _signature(self):
        return (self.cell, self.n_hidden, self.dtype)

    def get_alrnn_params(self):
        """Not available: a baseline has no AL-RNN parameters."""
        raise TypeError(
            f"{type(self).__name__} is a {self.cell.upper()} baseline and has no "
            "AL-RNN parameters; use ALRNNRegressor / ALRNNClassifier for analysis."
        )


_DOC = """GRU / LSTM / tanh-RNN {task} with the AL-RNN estimators' API.

    {intro}

    Parameters
    ----------
    {{parameters}}

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn.baselines import {name}
    >>> X = np.random.RandomState(0).normal(size=(30, 6, 2))
    >>> est = {name}(cell="{cell}", n_hidden=4, max_iter=2, random_state=0)
    >>> est.fit(X, {y}).{method}(X[:2]).shape
    {shape}
    """


def _documented(*, cell: str, y: str, method: str, shape: str):
    """Class decorator: the docstring both baselines share, filled for ``cls``.

    Its AL-RNN twin (the last base) names the task and the parameters that the
    baseline drops; the Examples fit a ``cell`` baseline to ``y`` and show the
    shape of ``method``'s answer.
    """

    def decorate(cls):
        twin = cls.__bases__[-1]
        dropped = [name for name in twin._param_table if name not in cls._param_table]
        intro = (
            f"Parameters are those of :class:`~sk_alrnn.{twin.__name__}` without "
            f"the AL-RNN's own ({', '.join(f'``{n}``' for n in dropped)}), plus "
            "``cell``."
        )
        cls.__doc__ = _DOC.format(
            task=twin.__name__.removeprefix("ALRNN").lower(),
            intro=textwrap.fill(
                intro,
                80,
                initial_indent=" " * 4,
                subsequent_indent=" " * 4,
                break_on_hyphens=False,
            ).lstrip(),
            name=cls.__name__,
            cell=cell,
            y=y,
            method=method,
            shape=shape,
        )
        return fill_parameters(cls)

    return decorate


@_documented(cell="lstm", y="X.sum(axis=(1, 2))", method="predict", shape="(2,)")
class RNNRegressor(_BaselineMixin, ALRNNRegressor):
    pass


@_documented(
    cell="gru", y="X.sum(axis=(1, 2)) > 0", method="predict_proba", shape="(2, 2)"
)
class RNNClassifier(_BaselineMixin, ALRNNClassifier):
    pass
