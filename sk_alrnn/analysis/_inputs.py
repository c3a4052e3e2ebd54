"""What the analysis accepts: ALRNNParams, a fitted model or a Pipeline, and its X.

Shapes: n sequences, T time steps, K input features, M latent units.

Numpy only, duck typed: a model is anything with ``get_alrnn_params()``, or a
fitted scikit-learn Pipeline ending in one (its earlier steps transform X), so
the analysis never imports torch or an estimator module.
"""

from __future__ import annotations

import numpy as np

from sk_alrnn._core._params import ALRNNParams

__all__ = ["as_params"]


def _pipeline_steps(model) -> list | None:
    """The ``(name, step)`` list of a scikit-learn Pipeline, else None (duck typed)."""
    steps = getattr(model, "steps", None)
    if not isinstance(steps, list) or not hasattr(model, "__getitem__"):
        return None
    if not all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        return None
    return steps


def as_params(est_or_params) -> ALRNNParams:
    """Return the :class:`ALRNNParams` of a fitted model or the params themselves.

    Parameters
    ----------
    est_or_params : ALRNNParams, fitted estimator or fitted Pipeline
        An estimator is read through its ``get_alrnn_params()``; a
        :class:`~sklearn.pipeline.Pipeline` through its last step's (the steps
        before it transform X, see :func:`region_statistics`).

    Returns
    -------
    ALRNNParams

    Raises
    ------
    TypeError
        For anything else, including a Pipeline whose last step is not an AL-RNN.
    sklearn.exceptions.NotFittedError
        For an unfitted estimator or Pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_alrnn import ALRNNParams
    >>> p = ALRNNParams(A=np.zeros(1), W=np.eye(1), C=np.ones((1, 1)),
    ...                 h=np.zeros(1), B=np.ones((1, 1)), b=np.zeros(1), n_nonlinear=0)
    >>> as_params(p) is p
    True

    A fitted Pipeline gives its last step's params:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sk_alrnn import ALRNNRegressor
    >>> from sk_alrnn.preprocessing import SequenceScaler
    >>> X = np.random.RandomState(0).normal(size=(8, 4, 2))
    >>> pipe = make_pipeline(SequenceScaler(), ALRNNRegressor(
    ...     n_hidden=3, n_nonlinear=1, max_iter=1, random_state=0))
    >>> as_params(pipe.fit(X, X.sum(axis=(1, 2)))).n_hidden
    3
    """
    if isinstance(est_or_params, ALRNNParams):
        return _piecewise_linear(est_or_params)
    steps = _pipeline_steps(est_or_params)
    if steps is not None:
        return _piecewise_linear(_pipeline_params(est_or_params, steps))
    getter = getattr(est_or_params, "get_alrnn_params", None)
    if callable(getter):
        return _piecewise_linear(getter())
    raise TypeError(
        "Expected an ALRNNParams, a fitted AL-RNN estimator (with "
        "get_alrnn_params()) or a fitted Pipeline ending in one; got "
        f"{type(est_or_params).__name__}. Pass est.get_alrnn_params() or the "
        "fitted estimator itself."
    )


def _piecewise_linear(params: ALRNNParams) -> ALRNNParams:
    """``params`` if its nonlinear units are ReLU; the analysis needs regions."""
    if params.activation != "relu":
        raise ValueError(
            f"The analysis of linear regions needs activation='relu' (a piecewise "
            f"linear model); this model's {params.n_nonlinear} nonlinear units use "
            f"activation={params.activation!r}, which has no linear regions. Fit "
            "with activation='relu' to analyse its regimes."
        )
    return params


def _pipeline_params(pipeline, steps) -> ALRNNParams:
    name, last = steps[-1] if steps else ("(none)", None)
    if not callable(getattr(last, "get_alrnn_params", None)):
        raise TypeError(
            f"The Pipeline's last step {name!r} is {type(last).__name__}, which has "
            "no AL-RNN parameters (no get_alrnn_params()); the analysis needs a "
            "Pipeline ending in an AL-RNN estimator, e.g. make_pipeline("
            "SequenceScaler(), ALRNNRegressor())."
        )
    from sklearn.utils.validation import check_is_fitted  # sklearn: a dependency

    check_is_fitted(pipeline)  # NotFittedError naming the Pipeline
    return last.get_alrnn_params()


def _params_and_X(model, X):
    """``(params, X)`` for analysis: a Pipeline's steps before the model transform X.

    A bare estimator or ALRNNParams reads X as it is (even when the estimator
    was fitted inside a scaling pipeline: that is the caller's choice).
    """
    params = as_params(model)
    steps = _pipeline_steps(model)
    if X is not None and steps is not None and len(steps) > 1:
        X = model[:-1].transform(X)
    return params, X


def _pipeline_input(model, input):
    """A constant input s (K,) in a Pipeline's X units, through its transforms.

    It goes through the steps before the model as one sequence of one step.
    """
    steps = _pipeline_steps(model)
    if input is None or steps is None or len(steps) < 2:
        return input
    s = np.asarray(input, dtype=np.float64).reshape(1, 1, -1)  # (1, 1, K)
    out = np.asarray(model[:-1].transform(s), dtype=np.float64)
    if out.ndim != 3 or out.shape[:2] != (1, 1):
        raise ValueError(
            "input is given in the units of the Pipeline's X and goes through its "
            "steps before the model as one sequence of one step, shape (1, 1, K); "
            f"they returned shape {out.shape} instead of (1, 1, K'). Pass the "
            "bare estimator (pipeline[-1]) and input in its own units."
        )
    return out.reshape(-1)  # (K',)


def _as_sequences(X, n_features: int) -> tuple[list[np.ndarray], bool]:
    """Split X into a list of (T_i, K) float64 arrays; flag whether X was a list."""
    if isinstance(X, (list, tuple)):
        seqs = [np.asarray(x, dtype=np.float64) for x in X]
        seqs = [x[:, None] if x.ndim == 1 else x for x in seqs]  # (T_i,) -> (T_i, 1)
        ragged = True
    else:
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim == 2:
            arr = arr[:, :, None]  # (n, T) univariate -> (n, T, 1)
        if arr.ndim != 3:
            raise ValueError(
                f"X must be a 3D array (n, T, K), a 2D array (n, T) or a list of "
                f"(T_i, K) arrays; got an array with shape {arr.shape}."
            )
        seqs = list(arr)
        ragged = False
    for i, x in enumerate(seqs):
        if x.ndim != 2 or x.shape[1] != n_features:
            raise ValueError(
                f"Sequence {i} has shape {x.shape}; expected (T, {n_features}) to "
                f"match the model's K={n_features} input features."
            )
    return seqs, ragged
