"""Read a fitted AL-RNN as linear regimes: regions, linear maps, fixed points, cycles.

Shapes: n sequences, T time steps, K input features, M latent units, P nonlinear
(ReLU) units (the last P), O outputs.

Numpy/scipy only: functions take :class:`~sk_alrnn._core._params.ALRNNParams` or a
fitted estimator (anything with ``get_alrnn_params()``); torch is never imported here.
"""

from sk_alrnn.analysis._fixed_points import (
    Cycle,
    CycleList,
    FixedPoint,
    FixedPointList,
    cycles,
    fixed_points,
)
from sk_alrnn.analysis._regions import (
    NonlinearityUsage,
    RegionStatistics,
    Spectrum,
    as_params,
    codes_to_int,
    int_to_code,
    latent_trajectories,
    nonlinearity_usage,
    region_codes,
    region_linear_map,
    region_statistics,
    spectrum,
)
from sk_alrnn.analysis._sharing import RegionSharing, region_sharing

__all__ = [
    "Cycle",
    "CycleList",
    "FixedPoint",
    "FixedPointList",
    "NonlinearityUsage",
    "RegionSharing",
    "RegionStatistics",
    "Spectrum",
    "as_params",
    "codes_to_int",
    "cycles",
    "fixed_points",
    "int_to_code",
    "latent_trajectories",
    "nonlinearity_usage",
    "region_codes",
    "region_linear_map",
    "region_sharing",
    "region_statistics",
    "spectrum",
]
