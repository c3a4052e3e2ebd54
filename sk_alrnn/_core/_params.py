"""ALRNNParams: a frozen numpy snapshot of a fitted AL-RNN.

Shapes: K input features, M latent units, P nonlinear units (the last P), O outputs.
Numpy only: analysis code reads fitted models through this class, never through torch.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sk_alrnn._core._layout import n_linear

# The nonlinearity of the P units; "relu" (piecewise linear) is the AL-RNN's.
ACTIVATIONS = ("relu", "tanh", "gelu")


@dataclass(frozen=True)
class ALRNNParams:
    """Weights of ``z_t = A*z_{t-1} + W phi(z_{t-1}) + C s_t + h``, ``y_t = B z_t + b``.

    ``phi`` is the identity on the first M - P units and ReLU on the last P. Arrays
    are float64 copies and read-only.

    Parameters
    ----------
    A : ndarray of shape (M,)
        Diagonal self-coupling, zero on the M - P linear units.
    W : ndarray of shape (M, M)
    C : ndarray of shape (M, K)
    h : ndarray of shape (M,)
    B : ndarray of shape (O, M)
    b : ndarray of shape (O,)
    n_nonlinear : int
        P, the number of nonlinear units (the last P).
    activation : {"relu", "tanh", "gelu"}, default="relu"
        The nonlinearity of the P units. Only ``"relu"`` makes the model
        piecewise linear, which the region analysis needs.

    Examples
    --------
    >>> import numpy as np
    >>> p = ALRNNParams(A=np.zeros(3), W=np.eye(3), C=np.ones((3, 2)), h=np.zeros(3),
    ...                 B=np.ones((1, 3)), b=np.zeros(1), n_nonlinear=0)
    >>> p.n_hidden, p.n_features, p.n_outputs
    (3, 2, 1)
    """

    A: np.ndarray
    W: np.ndarray
    C: np.ndarray
    h: np.ndarray
    B: np.ndarray
    b: np.ndarray
    n_nonlinear: int
    activation: str = "relu"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"ALRNNParams.activation must be one of {ACTIVATIONS}; got "
                f"{self.activation!r}."
            )
        for f in fields(self):
            if f.name in ("n_nonlinear", "activation"):
                continue
            arr = np.array(getattr(self, f.name), dtype=np.float64)  # own copy
            arr.flags.writeable = False
            object.__setattr__(self, f.name, arr)
        m = self.A.shape[0]
        expected = {
            "A": (m,),
            "W": (m, m),
            "C": (m, self.C.shape[-1]),
            "h": (m,),
            "B": (self.B.shape[0], m),
            "b": (self.B.shape[0],),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"ALRNNParams.{name} must have shape {shape} for M={m}; "
                    f"got {getattr(self, name).shape}."
                )
        p = int(self.n_nonlinear)
        if not 0 <= p <= m:
            raise ValueError(
                f"n_nonlinear must lie in [0, {m}]; got {self.n_nonlinear}."
            )
        object.__setattr__(self, "n_nonlinear", p)
        if np.any(self.A[: n_linear(m, p)] != 0):
            raise ValueError(
                "A must be zero on the M - P linear units (the first ones)."
            )

    @property
    def n_hidden(self) -> int:
        """M, the number of latent units."""
        return self.A.shape[0]

    @property
    def n_features(self) -> int:
        """K, input features per time step."""
        return self.C.shape[1]

    @property
    def n_outputs(self) -> int:
        """O, readout dimension."""
        return self.B.shape[0]
