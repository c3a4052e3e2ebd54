"""Trajectories of dynamical systems for forecasting (numpy only)."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state


def _lorenz63_rhs(state, sigma, rho, beta):
    x, y, z = state[..., 0], state[..., 1], state[..., 2]
    return np.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z], axis=-1)


def _rk4_step(state, dt, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    """One classical fourth-order Runge-Kutta step of the Lorenz-63 system."""
    k1 = _lorenz63_rhs(state, sigma, rho, beta)
    k2 = _lorenz63_rhs(state + 0.5 * dt * k1, sigma, rho, beta)
    k3 = _lorenz63_rhs(state + 0.5 * dt * k2, sigma, rho, beta)
    k4 = _lorenz63_rhs(state + dt * k3, sigma, rho, beta)
    return state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def make_lorenz63(
    n_timesteps=1000,
    dt=0.01,
    *,
    sigma=10.0,
    rho=28.0,
    beta=8.0 / 3.0,
    n_transient=1000,
    random_state=None,
):
    """A trajectory of the Lorenz-63 system, for one-step-ahead forecasting.

    Integrates ``dx/dt = sigma (y - x)``, ``dy/dt = x (rho - z) - y``,
    ``dz/dt = x y - beta z`` with the classical fixed-step fourth-order
    Runge-Kutta scheme (step ``dt``), from an initial condition drawn uniformly
    from [-10, 10] x [-10, 10] x [10, 40]; the first ``n_transient`` steps are
    discarded so that the trajectory lies on the attractor. With the standard
    parameters (sigma 10, rho 28, beta 8/3) the attractor stays within about
    ``|x| < 20``, ``|y| < 28`` and ``0 < z < 50``.

    ``X[t]`` is the state at time ``t * dt`` and ``y[t] = X[t + 1]`` the next
    state, so ``y[:-1] == X[1:]``.

    Trivial baselines, on a long trajectory with the standard parameters and
    ``dt=0.01``: predicting the mean state scores a mean squared error (averaged
    over the three coordinates) of about 72 (the average variance of the
    coordinates: roughly 63, 81 and 74); persistence (predicting ``y[t] = X[t]``)
    scores about 0.4. Exact values depend on the trajectory.

    Parameters
    ----------
    n_timesteps : int, default=1000
        T, the number of states returned (at least 1).
    dt : float, default=0.01
        Integration step and sampling interval (must be > 0).
    sigma, rho, beta : float, default=10, 28, 8/3
        Parameters of the system.
    n_transient : int, default=1000
        Number of initial steps discarded (at least 0).
    random_state : int, RandomState instance or None, default=None
        Seed of the initial condition.

    Returns
    -------
    X : ndarray of shape (n_timesteps, 3)
        The trajectory (x, y, z).
    y : ndarray of shape (n_timesteps, 3)
        The next state of each row of X.

    Examples
    --------
    >>> X, y = make_lorenz63(100, random_state=0)
    >>> X.shape, y.shape
    ((100, 3), (100, 3))
    >>> bool(np.array_equal(X[1:], y[:-1]))
    True
    """
    n_timesteps = int(n_timesteps)
    if n_timesteps < 1:
        raise ValueError(f"n_timesteps must be at least 1; got {n_timesteps}.")
    n_transient = int(n_transient)
    if n_transient < 0:
        raise ValueError(f"n_transient must be at least 0; got {n_transient}.")
    if not dt > 0:
        raise ValueError(f"dt must be positive; got {dt}.")
    rng = check_random_state(random_state)
    state = rng.uniform([-10.0, -10.0, 10.0], [10.0, 10.0, 40.0])  # (3,)
    trajectory = np.empty((n_timesteps + 1, 3))  # (T + 1, 3)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence checked below
        for _ in range(n_transient):
            state = _rk4_step(state, dt, sigma, rho, beta)
        trajectory[0] = state
        for t in range(n_timesteps):
            trajectory[t + 1] = _rk4_step(trajectory[t], dt, sigma, rho, beta)
    if not np.all(np.isfinite(trajectory)):
        raise ValueError(
            f"The trajectory diverged; dt={dt} is too large for these parameters."
        )
    return trajectory[:-1].copy(), trajectory[1:].copy()
