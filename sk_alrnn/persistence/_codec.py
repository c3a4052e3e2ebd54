"""Encode estimators to JSON plus tensors: the allowlists and the encoder.

The codec of :mod:`sk_alrnn.persistence`: :func:`encode_estimator` turns an
allowlisted estimator into JSON nodes and a dict of CPU tensors;
:func:`sk_alrnn.persistence._decode.decode_estimator` rebuilds the estimator from
those, rebuilding its network with the estimator's own code and checking the JSON
against the tensors and the fitted attributes against the network;
:mod:`sk_alrnn.persistence._pipeline` does both for a Pipeline. The file format
(header, digest, atomic write) is not their job.

Only the fitted attributes that an estimator class sets (:func:`fitted_attributes`)
are written and read: :func:`encode_estimator` refuses any other attribute with a
``TypeError`` and the decoder refuses any other name with a ``ValueError``. A class
may extend its list with a ``_saved_attributes`` class attribute (an iterable of
names). Arrays coded as JSON (str and object arrays) decode to at most the budget
that :func:`decode_estimator` is given, in total over the file.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import torch

from sk_alrnn._core._params import ALRNNParams

_PARAMS_FIELDS = tuple(f.name for f in dataclasses.fields(ALRNNParams))

_NAME = re.compile(r"^_?[A-Za-z][A-Za-z0-9_]*$")  # attribute names; no dunders
# dtypes of JSON-coded arrays: str (of at most 10**9 characters) or object
_TEXT_DTYPE = re.compile(r"^[<>|=]?U[1-9][0-9]{0,8}$")

# The fitted attributes each class sets (fit, partial_fit, warm_start, early
# stopping, interrupted fits): the only attribute names save writes and load reads.
_FIT_STATE = frozenset(
    {
        "module_",
        "n_iter_",
        "loss_curve_",
        "best_loss_",
        "init_losses_",
        "stop_reason_",
        "validation_loss_curve_",
        "validation_scores_",
        "best_validation_score_",
        "n_features_in_",
        "feature_names_in_",
        "_optimizer_state",
        "_generator_state",
        "_fit_signature",
    }
)
_REGRESSION = frozenset({"n_outputs_", "_single_output", "_y_mean", "_y_scale"})
_FITTED_ATTRIBUTES = {
    "sk_alrnn.ALRNNRegressor": _FIT_STATE | _REGRESSION,
    "sk_alrnn.ALRNNClassifier": _FIT_STATE | {"classes_"},
    "sk_alrnn.baselines.RNNRegressor": _FIT_STATE | _REGRESSION,
    "sk_alrnn.baselines.RNNClassifier": _FIT_STATE | {"classes_"},
    "sk_alrnn.forecasting.ALRNNForecaster": _FIT_STATE
    | _REGRESSION
    | {
        "window_",
        "horizon_",
        "ar_lags_",
        "start_kept_",
        "target_columns_",
        "calibration_residuals_",
        "_index",
        "_tail",
        "_target_names",
        "_x_mean",
        "_x_scale",
    },
}


def estimator_classes() -> dict[str, type]:
    """The allowlist: file name of a class -> the class (never imported by name)."""
    from sk_alrnn._estimators._classifier import ALRNNClassifier
    from sk_alrnn._estimators._regressor import ALRNNRegressor
    from sk_alrnn.baselines import RNNClassifier, RNNRegressor

    classes = {
        "sk_alrnn.ALRNNRegressor": ALRNNRegressor,
        "sk_alrnn.ALRNNClassifier": ALRNNClassifier,
        "sk_alrnn.baselines.RNNRegressor": RNNRegressor,
        "sk_alrnn.baselines.RNNClassifier": RNNClassifier,
    }
    try:
        from sk_alrnn.forecasting import ALRNNForecaster
    except ImportError:  # pragma: no cover - the forecasting package is optional
        pass
    else:
        if hasattr(ALRNNForecaster, "fit"):
            classes["sk_alrnn.forecasting.ALRNNForecaster"] = ALRNNForecaster
    return classes


def fitted_attributes(name: str, cls: type) -> frozenset[str]:
    """The attribute names that the class stored under ``name`` may save and load.

    Parameters
    ----------
    name : str
        The class's name in the file, a key of :func:`estimator_classes`.
    cls : type
        The class itself; its ``_saved_attributes`` (if any) extend the list.

    Returns
    -------
    names : frozenset of str
        The allowlist (never a parameter name).
    """
    extra = frozenset(getattr(cls, "_saved_attributes", ()))
    return _FITTED_ATTRIBUTES.get(name, frozenset()) | extra


# -- encoding ----------------------------------------------------------------------
def encode_estimator(
    estimator, enc: _Encoder | None = None, prefix: str = ""
) -> tuple[dict, dict[str, torch.Tensor]]:
    """The JSON ``estimator``, ``params`` and ``attributes`` and their tensors.

    ``enc`` collects the tensors of several estimators (a pipeline's steps), whose
    tensor names then start with ``prefix``.
    """
    names = {cls: name for name, cls in estimator_classes().items()}
    cls = type(estimator)
    if cls not in names:
        raise TypeError(
            f"sk_alrnn.save got a {cls.__module__}.{cls.__qualname__}; it saves only "
            f"{sorted(names.values())} (exactly these classes, not subclasses) and "
            "fitted sklearn.pipeline.Pipeline objects of allowlisted steps (see "
            "help(sk_alrnn.save)). Use joblib/pickle for other objects, and load "
            "those only from trusted sources."
        )
    enc = _Encoder() if enc is None else enc
    params = estimator.get_params(deep=False)
    allowed = fitted_attributes(names[cls], cls)
    body = {
        "estimator": names[cls],
        "params": {k: enc.encode(v, prefix + k) for k, v in params.items()},
        "attributes": {},
    }
    for name, value in vars(estimator).items():
        if name in params:
            continue
        if not _NAME.match(name):
            raise TypeError(f"sk_alrnn.save: cannot save attribute {name!r}.")
        if name not in allowed:
            raise TypeError(
                f"sk_alrnn.save: the {cls.__name__} has an attribute {name!r} that "
                f"is not one of its fitted attributes {sorted(allowed)}; a model "
                "file stores only those (sk_alrnn.load refuses other names). Delete "
                f"it before saving (del estimator.{name}) or keep it outside the "
                "estimator."
            )
        if isinstance(value, torch.nn.Module):
            body["attributes"][name] = enc.module(value, prefix + name)
        else:
            body["attributes"][name] = enc.encode(value, prefix + name)
    return body, enc.tensors


class _Encoder:
    """Turns attribute values into JSON nodes; numbers go to ``self.tensors``.

    A node is a JSON null, bool, int, str, float (finite), list, or an object
    tagged by ``"$type"``: float (non-finite), tuple, dict, ndarray, scalar (a
    numpy scalar, stored as a 0-d ndarray), tensor, generator, random_state,
    device, module, alrnn_params (an ``init`` of starting weights).
    """

    def __init__(self) -> None:
        self.tensors: dict[str, torch.Tensor] = {}

    def tensor(self, t: torch.Tensor, path: str) -> dict:
        key = path if path not in self.tensors else f"{path}#{len(self.tensors)}"
        # A private contiguous CPU copy: safetensors refuses shared memory.
        self.tensors[key] = t.detach().to("cpu", copy=True).contiguous()
        return {"tensor": key, "dtype": dtype_name(t.dtype), "shape": list(t.shape)}

    def encode(self, v, path: str):
        if v is None or type(v) in (bool, int, str):
            return v
        if type(v) is float:
            return v if math.isfinite(v) else {"$type": "float", "value": repr(v)}
        if type(v) is list:
            return [self.encode(x, f"{path}.{i}") for i, x in enumerate(v)]
        if type(v) is tuple:
            items = [self.encode(x, f"{path}.{i}") for i, x in enumerate(v)]
            return {"$type": "tuple", "items": items}
        if type(v) is dict:
            items = [
                [self.encode(k, path), self.encode(x, f"{path}.{k}")]
                for k, x in v.items()
            ]
            return {"$type": "dict", "items": items}
        if isinstance(v, np.generic) and v.dtype.kind in "biufU":
            node = self.encode(np.asarray(v), path)
            return {**node, "$type": "scalar"}
        if type(v) is np.ndarray:
            return self.array(v, path)
        if type(v) is torch.Tensor and v.layout == torch.strided:
            return {"$type": "tensor", **self.tensor(v, path)}
        if type(v) is torch.Generator and v.device.type == "cpu":
            return {"$type": "generator", **self.tensor(v.get_state(), path)}
        if type(v) is np.random.RandomState:
            state = self.encode(v.get_state(legacy=True), path)
            return {"$type": "random_state", "state": state}
        if type(v) is torch.device:
            return {"$type": "device", "value": str(v)}
        if type(v) is ALRNNParams:
            fields = {
                k: self.encode(getattr(v, k), f"{path}.{k}") for k in _PARAMS_FIELDS
            }
            return {"$type": "alrnn_params", "fields": fields}
        raise TypeError(
            f"sk_alrnn.save cannot store attribute {path!r} of type "
            f"{type(v).__module__}.{type(v).__qualname__}: supported are None, bool, "
            "int, float, str, lists, tuples and dicts of those, numpy arrays and "
            "scalars, CPU torch tensors and generators, RandomState, torch.device, "
            "ALRNNParams and the fitted module_."
        )

    def array(self, a: np.ndarray, path: str) -> dict:
        if a.dtype.kind in "biuf":
            # a native-endian C-ordered copy; keeps 0-d arrays 0-d
            native = np.array(a, dtype=a.dtype.newbyteorder("="), order="C")
            node = self.tensor(torch.from_numpy(native), path)
            return {"$type": "ndarray", **node}  # torch names dtypes as numpy does
        if a.dtype.kind in "UO":
            items = [x.item() if isinstance(x, np.generic) else x for x in a.ravel()]
            data = [self.encode(x, path) for x in items]
            if a.dtype.kind == "O" and any(isinstance(x, (dict, list)) for x in data):
                raise TypeError(
                    f"sk_alrnn.save: the object array {path!r} may hold only None, "
                    "bool, int, float and str."
                )
            dtype = "object" if a.dtype.kind == "O" else a.dtype.str
            return {
                "$type": "ndarray",
                "dtype": dtype,
                "shape": list(a.shape),
                "data": data,
            }
        raise TypeError(
            f"sk_alrnn.save cannot store the {a.dtype} array {path!r}: supported are "
            "bool, integer, float, str and object (of str/numbers) arrays."
        )

    def module(self, m: torch.nn.Module, path: str) -> dict:
        """A fitted network: its sizes and its state_dict (rebuilt by _make_module)."""
        dtypes = {p.dtype for p in m.parameters()}
        if len(dtypes) != 1 or not hasattr(m, "n_features"):
            raise TypeError(
                f"sk_alrnn.save cannot store the module {path!r}: it needs one float "
                "dtype and n_features / n_outputs attributes."
            )
        state = {k: self.tensor(t, f"{path}.{k}") for k, t in m.state_dict().items()}
        return {
            "$type": "module",
            "n_features": int(m.n_features),
            "n_outputs": int(m.n_outputs),
            "dtype": dtype_name(dtypes.pop()),
            "training": bool(m.training),
            "state": state,
        }


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.float32`` -> ``"float32"``: the dtype names the file stores."""
    return str(dtype).removeprefix("torch.")
