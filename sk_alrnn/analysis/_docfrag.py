"""Docstring pieces that the analysis and plotting functions share, written once.

A piece stands in a docstring as a ``{name}`` placeholder on a line of its own;
:func:`fill` puts the piece there, every line at the placeholder's indent. The
rendered docstring (``help()``, the documentation, the doctests) is complete.

The example models are the small :class:`~sk_alrnn._core._params.ALRNNParams`
that several Examples sections start from: each piece holds its import lines and
the line ``p = ALRNNParams(...)``.

The estimators fill their docstrings with :mod:`sk_alrnn._estimators._docfrag`,
which analysis and plotting may not import (setup.cfg, import-linter).
"""

from __future__ import annotations

import re

_IMPORTS = """\
>>> import numpy as np
>>> from sk_alrnn import ALRNNParams"""

#: One ReLU unit that copies the sign of the input: region 1 for x > 0, else 0.
SWITCH_MODEL = f"""{_IMPORTS}
>>> p = ALRNNParams(A=np.zeros(1), W=np.zeros((1, 1)), C=np.ones((1, 1)),
...                 h=np.zeros(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=1)"""

#: Two ReLU units driven by x and -x: region '10' for x > 0, '01' for x < 0.
TWO_SWITCH_MODEL = f"""{_IMPORTS}
>>> p = ALRNNParams(A=np.zeros(2), W=np.zeros((2, 2)), C=np.array([[1.], [-1.]]),
...                 h=np.zeros(2), B=np.ones((1, 2)), b=np.zeros(1), n_nonlinear=2)"""

#: ``z -> 0.5 z - relu(z) + 1``: a stable real fixed point 2/3 in region 1 and
#: a virtual one (z = 2) in region 0.
FIXED_POINT_MODEL = f"""{_IMPORTS}
>>> p = ALRNNParams(A=np.array([0.5]), W=np.array([[-1.0]]), C=np.zeros((1, 1)),
...                 h=np.ones(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=1)"""

#: ``z -> 0.5 z - 2 relu(z) + 1``: a stable period-2 orbit through regions 0, 1.
CYCLE_MODEL = f"""{_IMPORTS}
>>> p = ALRNNParams(A=np.array([0.5]), W=np.array([[-2.0]]), C=np.zeros((1, 1)),
...                 h=np.ones(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=1)"""


#: The example models by placeholder name.
EXAMPLE_MODELS = {
    "switch_model": SWITCH_MODEL,
    "two_switch_model": TWO_SWITCH_MODEL,
    "fixed_point_model": FIXED_POINT_MODEL,
    "cycle_model": CYCLE_MODEL,
}


def fill(**pieces: str):
    """Decorator: replace ``{name}`` placeholder lines of a docstring by pieces.

    Parameters
    ----------
    **pieces : str
        The text (unindented) that replaces each placeholder ``{name}``.

    Returns
    -------
    decorator : callable
        Fills the function's or class's ``__doc__`` and returns the object.

    Raises
    ------
    ValueError
        From the decorator, for a placeholder that names no piece.

    Examples
    --------
    >>> @fill(model="p : ALRNNParams\\n    The model.")
    ... def f(p):
    ...     '''Read a model.
    ...
    ...     Parameters
    ...     ----------
    ...     {model}
    ...     '''
    >>> print(f.__doc__.rstrip())
    Read a model.
    <BLANKLINE>
        Parameters
        ----------
        p : ALRNNParams
            The model.
    """
    placeholder = re.compile(r"^( *)\{(\w+)\} *$", re.M)

    def piece(match: re.Match) -> str:
        indent, name = match.groups()
        if name not in pieces:
            raise ValueError(f"No docstring piece {name!r}; known: {sorted(pieces)}.")
        return "\n".join(indent + line for line in pieces[name].splitlines())

    def decorate(obj):
        if obj.__doc__ is not None:  # None under python -OO
            obj.__doc__ = placeholder.sub(piece, obj.__doc__)
        return obj

    return decorate


#: Decorator: fill the example-model placeholders (``{switch_model}``, ...).
fill_examples = fill(**EXAMPLE_MODELS)
