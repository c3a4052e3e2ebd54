"""Numpydoc sections that the sequence estimators' methods share, written once.

The methods of the regressors, classifiers, RNN baselines and reference models
take the same ``X`` (and often the same ``y`` and ``sample_weight``); their
docstrings keep a one-line summary (and any paragraph of their own) in the
source, and :func:`sections` appends the Parameters and Returns sections, built
from the entries below or from the method's own. Paragraphs that several class
docstrings share stand in them as ``{name}`` placeholders, which :func:`fill`
replaces.
"""

from __future__ import annotations

import inspect
import re
import textwrap

SEQUENCES = """X : array-like or list of arrays
    Input sequences."""

FIT_SEQUENCES = """X : array-like of shape (n_sequences, n_timesteps, n_features) or \
(n_sequences, n_timesteps), or list of arrays
    Input sequences."""

AS_IN_FIT = """X : array-like or list of arrays
    Input sequences, as in :meth:`fit`.
y : array-like
    {y}, as in :meth:`fit`."""

WEIGHTS_AS_IN_FIT = """sample_weight : array-like, default=None
    Weights, as in :meth:`fit`."""

STEP_WEIGHTS = """sample_weight : array-like of shape (n_sequences,), default=None
    Per-sequence weights (repeated over a sequence's steps). The reference
    models of :mod:`sk_alrnn.model_selection` take none (it must be None)."""

TRUE_VALUES = """y : array-like or list of arrays
    True {y}, shaped as in :meth:`fit`."""

SCORE = "score : float"


def sections(*parameters: str, returns: str):
    """Decorator: append Parameters and Returns sections to a docstring.

    Parameters
    ----------
    *parameters : str
        The Parameters entries, in order: ``name : type`` lines, descriptions
        indented by four spaces more; a common indent and blank first and
        last lines are dropped (so an entry may be written at the code's indent).
    returns : str
        The Returns entries, likewise.

    Returns
    -------
    decorator : callable
        Sets the function's ``__doc__`` to its cleaned docstring and the two
        sections, and returns the function.

    Examples
    --------
    >>> @sections(SEQUENCES, returns="n : int")
    ... def count(X):
    ...     '''How many sequences X holds.'''
    >>> print(count.__doc__)
    How many sequences X holds.
    <BLANKLINE>
    Parameters
    ----------
    X : array-like or list of arrays
        Input sequences.
    <BLANKLINE>
    Returns
    -------
    n : int
    <BLANKLINE>
    """

    def decorate(func):
        summary = inspect.cleandoc(func.__doc__ or "")
        entries = "\n".join(map(_dedent, parameters))
        func.__doc__ = (
            f"{summary}\n\nParameters\n----------\n{entries}\n\n"
            f"Returns\n-------\n{_dedent(returns)}\n"
        )
        return func

    return decorate


def fill(**fragments: str):
    """Decorator: replace ``{name}`` placeholders in a docstring by text.

    A placeholder starts a line; every line of its text gets the placeholder's
    indent, and the rest of the placeholder's line follows the text.

    Parameters
    ----------
    **fragments : str
        The text of each placeholder, by name (unindented).

    Returns
    -------
    decorator : callable
        Fills the class's or function's ``__doc__`` and returns it.

    Examples
    --------
    >>> @fill(inputs="X holds sequences:\\none per row.")
    ... class Model:
    ...     '''A model.
    ...
    ...     {inputs}
    ...     '''
    >>> print(Model.__doc__)
    A model.
    <BLANKLINE>
        X holds sequences:
        one per row.
    <BLANKLINE>
    """

    def decorate(obj):
        doc = obj.__doc__
        if doc is None:  # python -OO strips docstrings: nothing to fill
            return obj
        for name, text in fragments.items():
            pattern = re.compile(r"^( *)\{" + name + r"\}", re.M)
            doc = pattern.sub(lambda m, text=text: _indent(text, m.group(1)), doc)
        obj.__doc__ = doc
        return obj

    return decorate


def _dedent(entry: str) -> str:
    return textwrap.dedent(entry).strip("\n").rstrip()


def _indent(text: str, indent: str) -> str:
    return indent + text.replace("\n", "\n" + indent)


LATENT_STATE = """\
The latent state follows ``z_t = A z_{t-1} + W phi(z_{t-1}) + C x_t + h`` from
``z_0 = 0``, where ``phi`` is the identity on the first ``n_hidden - n_nonlinear``
units and ReLU on the last ``n_nonlinear``"""

SEQUENCE_INPUTS = """\
X is a 3D array (n_sequences, n_timesteps, n_features), a 2D array or
DataFrame (n_sequences, n_timesteps) of univariate sequences, or a list of
(n_timesteps_i, n_features) arrays of different lengths."""
