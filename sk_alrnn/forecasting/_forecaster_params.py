"""The forecaster's parameters: the shared table's entries, and its own variants.

A selection from :mod:`sk_alrnn._estimators._param_table` (the one table of training
parameters) where the meaning and default match the sequence estimators', and
explicit entries where the forecaster's differ (``init``, ``window``, its
defaults of ``learning_rate_init``, ``validation_fraction``, ``tol``...).
Shapes: M latent units, P ReLU units, L context rows, H free-running steps.
"""

from __future__ import annotations

import numpy as np

from sk_alrnn._core._validation import StrOptions
from sk_alrnn._estimators._param_table import POSITIVE_INT, SEQUENCE_PARAMS, Param

# The forecaster's own parameters, and its variants of shared ones (own
# default or meaning); the others are SEQUENCE_PARAMS' entries.
_FORECASTER_OWN: dict[str, Param] = {
    "n_nonlinear": Param(
        4,
        SEQUENCE_PARAMS["n_nonlinear"].constraints,
        "int, default=4",
        """\
        P, how many of the M units are ReLU (the last P); ``0`` is a linear RNN.""",
    ),
    "window": Param(
        "auto",
        [*POSITIVE_INT, StrOptions({"auto"})],
        'int or "auto", default="auto"',
        """\
        L, the rows a forecast reads up to its origin. ``"auto"``: 50, at most a
        third of the table's rows.""",
    ),
    "horizon": Param(
        12,
        POSITIVE_INT,
        "int, default=12",
        """\
        H, the free-running steps of the training loss (and of the calibrated
        intervals). Forecasts may run longer; they are then untrained there.""",
    ),
    "targets": Param(
        None,
        [list, tuple, np.ndarray, None],
        "list of int or str, or None, default=None",
        """\
        With ``y=None``: the columns of X to forecast (positions, or names for a
        DataFrame); None: all. The others are covariates.""",
    ),
    "init": Param(
        "ar",
        [StrOptions({"ar", "memory", "paper"})],
        '{"ar", "memory", "paper"}, default="ar"',
        """\
        ``"ar"``: the autoregressive start above (``"memory"`` where no linear
        unit is free for it, e.g. ``n_nonlinear=n_hidden``). ``"memory"`` and
        ``"paper"``: the sequence estimators' random starts.""",
    ),
    "context": Param(
        "carry",
        [StrOptions({"carry", "reset", "warmup"})],
        '{"carry", "reset", "warmup"}, default="carry"',
        """\
        What precedes X in ``predict`` and ``score``: ``"carry"``, the end of the
        training table (right when X directly follows it); ``"reset"``, nothing
        (the first rows read shorter windows); ``"warmup"``, nothing, and the first
        ``window_`` rows are NaN (``score`` skips them).""",
    ),
    "max_iter": Param(
        200,
        SEQUENCE_PARAMS["max_iter"].constraints,
        "int, default=200",
        """\
        Maximum number of epochs (passes over all training origins).""",
    ),
    "batch_size": Param(
        "auto",
        SEQUENCE_PARAMS["batch_size"].constraints,
        'int or "auto", default="auto"',
        """\
        Origins per mini-batch (clipped to the number of origins). ``"auto"``:
        32, grown (up to 256) where ``max_iter`` epochs of batches of 32 would
        take more than 20 000 gradient steps, so that they take about that
        many: tables of up to about 3200 rows at the default ``max_iter``
        train in batches of 32, a 5000-row table in batches of 50.""",
    ),
    "learning_rate_init": Param(
        1e-3,
        SEQUENCE_PARAMS["learning_rate_init"].constraints,
        "float, default=1e-3",
        """\
        Adam's learning rate (lower than the sequence estimators' 5e-3: training
        refines a fitted start).""",
    ),
    "learning_rate": Param(
        "cosine",
        SEQUENCE_PARAMS["learning_rate"].constraints,
        '{"cosine", "constant", "adaptive"}, default="cosine"',
        """\
        Schedule over the epochs, as in the sequence estimators.""",
    ),
    "alpha": Param(
        0.0,
        SEQUENCE_PARAMS["alpha"].constraints,
        "float, default=0.0",
        """\
        L2 penalty ``0.5 * alpha * ||theta||^2 / batch_size`` on A, W, C and B.""",
    ),
    "early_stopping": Param(
        "auto",
        SEQUENCE_PARAMS["early_stopping"].constraints,
        'bool or "auto", default="auto"',
        """\
        Hold out the last ``validation_fraction`` of the rows: their origins
        monitor training and calibrate the intervals. ``"auto"``: when they give
        at least 5 origins and 10 remain for training.""",
    ),
    "validation_fraction": Param(
        0.15,
        SEQUENCE_PARAMS["validation_fraction"].constraints,
        "float, default=0.15",
        """\
        Share of the rows held out.""",
    ),
    "n_iter_no_change": Param(
        "auto",
        [*POSITIVE_INT, StrOptions({"auto"})],
        'int or "auto", default="auto"',
        """\
        Epochs without an improvement of ``tol`` in the monitored loss before
        training stops; ``"auto"`` = ``max(20, max_iter // 4)``.""",
    ),
    "tol": Param(
        1e-5,
        SEQUENCE_PARAMS["tol"].constraints,
        "float, default=1e-5",
        """\
        Minimum improvement that counts.""",
    ),
    "n_init": Param(
        1,
        SEQUENCE_PARAMS["n_init"].constraints,
        "int, default=1",
        """\
        Initialisations, as in the sequence estimators: each trains from its own
        seed (drawn from ``random_state``; ``n_init=1`` is the single fit) and
        the one with the lowest validation loss (training loss without
        validation) is kept. With ``init="ar"`` they differ in the nonlinear
        units and the batch order.""",
    ),
    "warm_start": Param(
        False,
        SEQUENCE_PARAMS["warm_start"].constraints,
        "bool, default=False",
        """\
        Continue from the fitted weights, scaling, optimizer and shuffling state
        (no new start) when fitted on a table of the same width.""",
    ),
    "random_state": Param(
        None,
        SEQUENCE_PARAMS["random_state"].constraints,
        "int, RandomState instance or None, default=None",
        """\
        Seeds the weights and the origin order through a local
        ``torch.Generator``; global seeds are never touched.""",
    ),
    "verbose": Param(
        0,
        ["verbose"],
        "int, default=0",
        """\
        ``>= 1`` prints one line per epoch.""",
    ),
    "device": Param(
        "auto",
        SEQUENCE_PARAMS["device"].constraints,
        'str, default="auto"',
        """\
        Torch device for training. The fitted module lives on the CPU.""",
    ),
}


# The forecaster's parameters in its __init__ order: its own entries, else the
# sequence estimators'.
FORECASTER_PARAMS: dict[str, Param] = {
    name: _FORECASTER_OWN.get(name) or SEQUENCE_PARAMS[name]
    for name in (
        "n_hidden", "n_nonlinear", "window", "horizon", "targets", "init",
        "context", "max_iter", "batch_size", "learning_rate_init",
        "learning_rate", "alpha", "clip_grad_norm", "early_stopping",
        "validation_fraction", "n_iter_no_change", "tol", "n_init",
        "warm_start", "random_state", "verbose", "device", "dtype",
    )
}  # fmt: skip
