"""One table of the estimators' training parameters: default, constraints, docs.

Every estimator selects its parameters from here, in its ``__init__`` order: its
``_parameter_constraints`` is :func:`constraints` of the selection and the
Parameters section of its docstring is :func:`parameters_doc` of it (the
``{parameters}`` placeholder, filled by :func:`fill_parameters`). The
``__init__`` signatures stay explicit (scikit-learn reads them);
``tests/estimators/test_param_table.py`` checks that their defaults are the
table's and that each docstring documents exactly the ``__init__`` parameters.

Shapes in the texts: M latent units, P ReLU units, L context rows, H steps.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from sk_alrnn._core._params import ACTIVATIONS, ALRNNParams
from sk_alrnn._core._validation import Interval, Options, StrOptions
from sk_alrnn._nn._model import INITS
from sk_alrnn._nn._training import SCHEDULES

DTYPES = {
    "float32": (np.float32, torch.float32),
    "float64": (np.float64, torch.float64),
}

POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
NON_NEGATIVE = [Interval(Real, 0, None, closed="left")]


@dataclass(frozen=True)
class Param:
    """One parameter: its default, constraints (sklearn's) and numpydoc text.

    ``type`` is the numpydoc type line, ending in ``default=<default>``;
    ``doc`` the description (dedented here).
    """

    default: object
    constraints: list
    type: str
    doc: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "doc", textwrap.dedent(self.doc).strip("\n"))


SEQUENCE_PARAMS: dict[str, Param] = {
    "n_hidden": Param(
        32,
        [Interval(Integral, 1, None, closed="left")],
        "int, default=32",
        """\
        M, the number of latent units.""",
    ),
    "n_nonlinear": Param(
        4,
        [Interval(Integral, 0, None, closed="left")],
        "int, default=4",
        """\
        P, how many of the M units are ReLU (the last P); the rest are linear.
        ``0`` gives a linear RNN, ``n_hidden`` a fully piecewise-linear RNN.""",
    ),
    "activation": Param(
        "relu",
        [StrOptions(set(ACTIVATIONS))],
        '{"relu", "tanh", "gelu"}, default="relu"',
        """\
        The nonlinearity of the P units (the kind of nonlinearity, next to its
        degree P). ``"relu"`` is the AL-RNN: piecewise linear, trained by the
        fused kernels, and readable by :mod:`sk_alrnn.analysis`; ``"tanh"`` and
        ``"gelu"`` train through an autograd loop over time (several times
        slower) and have no linear regions to analyse.""",
    ),
    "init": Param(
        "memory",
        [StrOptions(set(INITS)), ALRNNParams],
        '{"memory", "sequence", "paper", "dsr", "multitask"} or '
        'ALRNNParams, default="memory"',
        """\
        Initial weights. An :class:`~sk_alrnn.ALRNNParams` (from
        ``get_alrnn_params()`` of a fitted model with the same ``n_hidden``,
        ``n_nonlinear`` and ``activation``) starts from those weights, as
        :func:`~sk_alrnn.model_selection.prune_nonlinearity` does. The named
        schemes all draw A, W, h ~ N(0, 0.01^2), C, B ~ N(0, 0.1^2);
        ``"sequence"`` (alias ``"paper"``) keeps that: the papers'
        sequence-task initialisation (no memory at the start), whose fits sit
        on long loss plateaus before they learn to remember (the papers add
        manifold-attractor regularisation, ``mar_strength``, for that).
        ``"memory"`` adds about 0.9 to W's diagonal (``min(0.9, 0.99 - 0.01
        sqrt(M))``, so W starts contractive): every unit starts as a leaky
        integrator that remembers about ten steps, and gradients reach early
        inputs from the first epoch. ``"dsr"``: the dynamical-systems code's
        normalised positive-definite self-couplings (about 0.3-0.7) and h = 0.
        ``"multitask"``: the multi-task code's A ~ 0.9 + 0.1 N(0, 1) on the
        nonlinear units, W ~ N(0, 0.01 / M), h = 0.""",
    ),
    "output": Param(
        "last",
        [StrOptions({"last", "sequence"})],
        '{"last", "sequence"}, default="last"',
        """\
        ``"last"``: one prediction per sequence, read out at its last valid step.
        ``"sequence"``: one prediction per time step.""",
    ),
    "max_iter": Param(
        200,
        POSITIVE_INT,
        "int, default=200",
        """\
        Maximum number of epochs (passes over the training sequences). Faults
        during fit keep the completed epochs: Ctrl-C warns and re-raises
        ``KeyboardInterrupt``; a non-finite loss or gradient is caught before the
        optimizer step and raises ``FloatingPointError`` (also a ``ValueError``)
        naming the epoch and batch. The estimator then holds the weights of the
        last completed epoch (the best validation weights with a validation
        split), or is left as it was before the call when no epoch completed.""",
    ),
    "batch_size": Param(
        "auto",
        [*POSITIVE_INT, StrOptions({"auto"})],
        'int or "auto", default="auto"',
        """\
        Sequences per mini-batch (clipped to the number of sequences).
        ``"auto"``: the training sequences / 16, clipped to [8, 32], so that
        small data sets still get at least 16 gradient steps per epoch (a few
        hundred sequences in batches of 32 give too few steps in ``max_iter``
        epochs to learn a memory); 32 from 512 sequences on.""",
    ),
    "learning_rate_init": Param(
        5e-3,
        [Interval(Real, 0, None, closed="neither")],
        "float, default=5e-3",
        """\
        Adam's initial learning rate.""",
    ),
    "learning_rate": Param(
        "cosine",
        [StrOptions(set(SCHEDULES))],
        '{"cosine", "constant", "adaptive"}, default="cosine"',
        """\
        Learning-rate schedule over the ``max_iter`` epochs of a fit.
        ``"cosine"`` decays it from ``learning_rate_init`` to 1 % of it along a
        half cosine: large steps to leave plateaus early, small ones to settle
        at the end. ``"constant"`` keeps it; ``"adaptive"`` halves it after
        ``n_iter_no_change // 4`` epochs without improvement (at least 2), down
        to 1 % of ``learning_rate_init``. ``partial_fit`` always uses the
        constant rate.""",
    ),
    "alpha": Param(
        0.0,
        NON_NEGATIVE,
        "float, default=0.0",
        """\
        L2 penalty ``0.5 * alpha * ||theta||^2 / batch_size`` on the weights A, W,
        C and B, added to the mean loss of every batch (as in sklearn's MLP).""",
    ),
    "mar_strength": Param(
        0.0,
        NON_NEGATIVE,
        "float, default=0.0",
        """\
        Manifold-attractor regularisation (the papers' MAR), added to the mean
        loss of every batch: ``mar_strength * sum_i [(a_eff_i - 1)^2 +
        sum_{j != i} W_ij^2 + h_i^2]`` over the first ``mar_units`` units, with
        ``a_eff_i = W_ii`` on a linear unit and ``W_ii + A_i`` on a nonlinear
        one. It pulls those units towards line attractors (self-coupling 1, no
        input from other units, no bias): memories that do not decay. ``0``
        (default) is off; the papers use 0.1 on most sequence tasks, 0.01 on
        the multi-task suite, 1.0 on the addition problem.""",
    ),
    "mar_units": Param(
        None,
        [Interval(Integral, 0, None, closed="left"), None],
        "int or None, default=None",
        """\
        How many units MAR acts on: the first ones, so linear units before
        nonlinear ones. None: ``n_hidden // 2``; clipped to ``n_hidden``.""",
    ),
    "clip_grad_norm": Param(
        5.0,
        [Interval(Real, 0, None, closed="neither"), None],
        "float or None, default=5.0",
        """\
        Maximum gradient norm per step; None disables clipping.""",
    ),
    "early_stopping": Param(
        "auto",
        ["boolean", StrOptions({"auto"})],
        'bool or "auto", default="auto"',
        """\
        Hold out the last ``validation_fraction`` of the sequences (a tail split,
        safe for time-ordered samples), monitor their loss, stop when it stops
        improving and restore the weights of its best epoch. ``"auto"``: on
        from 100 training sequences (a smaller split is too noisy to choose
        by), else the training loss is monitored and the last weights are kept.
        Ignored by ``partial_fit``.""",
    ),
    "validation_fraction": Param(
        0.1,
        [Interval(Real, 0, 1, closed="neither")],
        "float, default=0.1",
        """\
        Share of sequences held out when a validation split is used.""",
    ),
    "n_iter_no_change": Param(
        "auto",
        [*POSITIVE_INT, Options(Real, {np.inf}), StrOptions({"auto"})],
        'int, np.inf or "auto", default="auto"',
        """\
        Epochs without an improvement of the monitored loss (validation loss
        with a validation split, else training loss) by at least ``tol`` before
        training stops. ``"auto"``: ``max(20, max_iter // 4)``, 50 epochs at the
        default ``max_iter``: recurrent losses often stay flat for tens of
        epochs before a gate or a memory is learnt, and a short patience stops
        fits on such plateaus. ``np.inf`` always trains ``max_iter`` epochs.""",
    ),
    "tol": Param(
        1e-4,
        NON_NEGATIVE,
        "float, default=1e-4",
        """\
        Minimum improvement of the monitored loss that counts.""",
    ),
    "n_init": Param(
        1,
        POSITIVE_INT,
        "int, default=1",
        """\
        Number of initialisations, as in ``KMeans``: each trains from its own
        seed (drawn from ``random_state``; the first one is the seed a single
        fit uses, so ``n_init=1`` reproduces it exactly) and the fit with the
        lowest monitored loss (best validation loss, else final training loss)
        is kept. Restarts help when some initialisations stay on a plateau.
        ``warm_start`` and ``partial_fit`` continue the kept model only.""",
    ),
    "warm_start": Param(
        False,
        ["boolean"],
        "bool, default=False",
        """\
        Continue from the previous fit's weights, optimizer state and batch order:
        on CPU, 5 epochs then 5 more equal 10 in one go, bitwise (with
        ``learning_rate="constant"``; a schedule restarts with each call).""",
    ),
    "random_state": Param(
        None,
        ["random_state"],
        "int, RandomState instance or None, default=None",
        """\
        Seeds the weights and batch order through a local ``torch.Generator``;
        global seeds are never touched. An int gives bitwise-identical fits on CPU.""",
    ),
    "verbose": Param(
        0,
        ["verbose"],
        "int, default=0",
        """\
        ``>= 1`` prints one line per epoch (loss, validation loss and score,
        learning rate, seconds).""",
    ),
    "device": Param(
        "auto",
        [str, torch.device],
        'str, default="auto"',
        """\
        Torch device for training: ``"auto"`` (CUDA when available, else CPU),
        ``"cpu"``, ``"cuda"`` or ``"cuda:1"``. The fitted module lives on the CPU.""",
    ),
    "dtype": Param(
        "float32",
        [StrOptions(set(DTYPES))],
        '{"float32", "float64"}, default="float32"',
        """\
        Floating point precision of weights and computation.""",
    ),
}

CLASS_WEIGHT = Param(
    None,
    [dict, StrOptions({"balanced"}), None],
    'dict, "balanced" or None, default=None',
    """\
        Weights of the classes in the loss, as in sklearn's linear models: a
        dict ``{label: weight}`` (classes not named weigh 1), ``"balanced"``
        (``n_samples / (n_classes * count)``, counted over the training
        sequences, or valid steps with ``output="sequence"``, and weighted by
        ``sample_weight``), or None (all 1). Multiplies ``sample_weight``.""",
)

BASELINE_PARAMS: dict[str, Param] = {
    "cell": Param(
        "gru",
        [StrOptions({"gru", "lstm", "tanh"})],
        '{"gru", "lstm", "tanh"}, default="gru"',
        """\
        The recurrent cell: PyTorch's ``nn.GRU``, ``nn.LSTM`` or
        ``nn.RNN(nonlinearity="tanh")``, with a linear readout.""",
    ),
    **{
        name: SEQUENCE_PARAMS[name]
        for name in SEQUENCE_PARAMS
        # the AL-RNN's own parameters, of no use to a GRU / LSTM cell
        if name
        not in ("n_nonlinear", "activation", "init", "mar_strength", "mar_units")
    },
}

CLASSIFIER_PARAMS: dict[str, Param] = {
    **SEQUENCE_PARAMS,
    "class_weight": CLASS_WEIGHT,
}


def constraints(params: dict[str, Param]) -> dict[str, list]:
    """The ``_parameter_constraints`` of a selection of parameters."""
    return {name: list(p.constraints) for name, p in params.items()}


def parameters_doc(params: dict[str, Param]) -> str:
    """The entries of a numpydoc Parameters section (class-docstring indent).

    The first line is unindented: it replaces a ``{parameters}`` placeholder
    that already stands at the section's indent of four spaces.

    Examples
    --------
    >>> print(parameters_doc({"n_hidden": SEQUENCE_PARAMS["n_hidden"]}))
    n_hidden : int, default=32
            M, the number of latent units.
    """
    entries = [
        f"{name} : {p.type}\n" + textwrap.indent(p.doc, " " * 8)
        for name, p in params.items()
    ]
    return "\n    ".join(entries)


def fill_parameters(cls: type) -> type:
    """Class decorator: fill ``{parameters}`` from ``cls._param_table``."""
    if cls.__doc__ is not None:  # None under python -OO
        cls.__doc__ = cls.__doc__.replace(
            "{parameters}", parameters_doc(cls._param_table)
        )
    return cls


def documented_parameters(doc: str) -> list[str]:
    """The parameter names a numpydoc class docstring documents, in order."""
    match = re.search(
        r"\n    Parameters\n    -+\n(.*?)(\n\n    \w[^\n]*\n    -+\n|$)", doc, re.S
    )
    if match is None:
        return []
    return re.findall(r"^    (\w+) : ", match.group(1), re.M)


ATTRIBUTES_DOC = """module_ : torch.nn.Module
        The fitted network (on the CPU).
    loss_curve_ : list of float
        Mean training loss per epoch, over all fits of a warm start or
        ``partial_fit`` sequence.
    n_iter_ : int
        Epochs trained in total.
    best_loss_ : float
        Lowest training loss seen.
    stop_reason_ : str
        Why the last fit ended: ``"converged"`` (the monitored loss stopped
        improving), ``"plateau"`` (it stopped improving while still within 10 %
        of a constant prediction's loss: the model learnt almost nothing, and
        fit warned), ``"max_iter"`` (the epoch budget ran out while the loss was
        still improving; fit warned), ``"interrupted"``, ``"diverged"`` or
        ``"partial_fit"``.
    validation_scores_ : list of float or None
        Validation score (R^2 or accuracy) per epoch with a validation split,
        else None.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch with a validation split, else None.
    best_validation_score_ : float or None
        Validation score of the kept epoch (the one with the lowest validation
        loss) with a validation split, else None.
    init_losses_ : list of float
        Monitored loss of each of the ``n_init`` initialisations (the kept one
        is the lowest).
    n_features_in_ : int
        Features per time step (K), not columns of a 2D X.
    feature_names_in_ : ndarray of shape (n_timesteps,)
        Column names (time steps) of a DataFrame X; set only then. A DataFrame
        passed later must have the same columns: pass a numpy array to predict
        sequences of another length."""


def fill_doc(cls):
    """Fill a class docstring: its parameters (``cls._param_table``), attributes.

    For the sequence estimators, whose fitted attributes are ATTRIBUTES_DOC.
    """
    cls = fill_parameters(cls)
    if cls.__doc__ is not None:  # None under python -OO
        cls.__doc__ = cls.__doc__.replace("{attributes}", ATTRIBUTES_DOC)
    return cls
