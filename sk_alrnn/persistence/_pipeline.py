"""Encode a fitted Pipeline of allowlisted steps to JSON plus tensors, and back.

Part of the codec of :mod:`sk_alrnn.persistence`. A pipeline's node has the same
keys as an estimator's: ``estimator`` is ``"sklearn.pipeline.Pipeline"``,
``attributes`` is empty and ``params`` holds ``verbose``, ``memory`` (always
null) and ``steps``: a list of ``[name, step]`` pairs, where a step is
``"passthrough"``, null, or a node with ``estimator``, ``params`` and
``attributes`` naming one class of the allowlist:

- the sk_alrnn estimators that :func:`~sk_alrnn.persistence._codec.encode_estimator`
  saves (their tensor names start with ``steps.<name>.``);
- :class:`sk_alrnn.preprocessing.SequenceScaler` and scikit-learn's
  ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` and ``RobustScaler``
  (:data:`TRANSFORMER_ATTRIBUTES`): parameters and fitted attributes of plain
  values only (None, bool, int, float, str, tuples and lists of those, numeric
  numpy arrays and scalars, str arrays), fitted attributes from a fixed list.

Nothing else is built at load time: no other class, no nested pipeline, no code
object (a ``FunctionTransformer`` is refused at save time, naming the step).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted

from sk_alrnn.persistence._codec import (
    _NAME,
    _Encoder,
    encode_estimator,
    estimator_classes,
)
from sk_alrnn.persistence._decode import _Decoder
from sk_alrnn.preprocessing import SequenceScaler

PIPELINE = "sklearn.pipeline.Pipeline"
_PASSTHROUGH = ("passthrough", None)
_NODE_KEYS = {"estimator", "params", "attributes"}
_COMMON = frozenset({"n_features_in_", "feature_names_in_"})
# file name -> (class, the fitted attributes it may save and load)
TRANSFORMER_ATTRIBUTES = {
    "sk_alrnn.preprocessing.SequenceScaler": (
        SequenceScaler,
        _COMMON | {"mean_", "var_", "scale_", "n_steps_seen_"},
    ),
    "sklearn.preprocessing.StandardScaler": (
        StandardScaler,
        _COMMON | {"mean_", "var_", "scale_", "n_samples_seen_"},
    ),
    "sklearn.preprocessing.MinMaxScaler": (
        MinMaxScaler,
        _COMMON
        | {
            "min_",
            "scale_",
            "data_min_",
            "data_max_",
            "data_range_",
            "n_samples_seen_",
        },
    ),
    "sklearn.preprocessing.MaxAbsScaler": (
        MaxAbsScaler,
        _COMMON | {"max_abs_", "scale_", "n_samples_seen_"},
    ),
    "sklearn.preprocessing.RobustScaler": (
        RobustScaler,
        _COMMON | {"center_", "scale_"},
    ),
}


def supported_steps() -> list[str]:
    """The class names a pipeline step may have (besides ``"passthrough"``)."""
    return sorted([*estimator_classes(), *TRANSFORMER_ATTRIBUTES])


def _is_plain(v) -> bool:
    """None, bool, int, float, str, tuples/lists of those, numeric/str arrays."""
    if v is None or type(v) in (bool, int, float, str):
        return True
    if type(v) in (list, tuple):
        return all(_is_plain(x) for x in v)
    if isinstance(v, np.generic) or type(v) is np.ndarray:
        return v.dtype.kind in "biufU" or (
            type(v) is np.ndarray
            and v.dtype.kind == "O"
            and all(type(x) is str for x in v.ravel())
        )
    return False


# -- encoding ----------------------------------------------------------------------
def encode_pipeline(pipe) -> tuple[dict, dict[str, torch.Tensor]]:
    """The JSON node of a fitted Pipeline and the tensors of all its steps."""
    params = pipe.get_params(deep=False)
    extra = set(vars(pipe)) - set(params)
    if params.get("memory") is not None or params.get("transform_input") is not None:
        raise TypeError(
            "sk_alrnn.save saves a Pipeline only with memory=None and "
            f"transform_input=None; got memory={params.get('memory')!r}, "
            f"transform_input={params.get('transform_input')!r}. Set them to None "
            "(pipe.set_params(memory=None)) before saving."
        )
    if extra:
        raise TypeError(
            f"sk_alrnn.save: the Pipeline has attributes {sorted(extra)} beyond its "
            "parameters; delete them before saving."
        )
    enc = _Encoder()
    steps = [[name, _encode_step(name, step, enc)] for name, step in _steps_of(pipe)]
    body = {
        "estimator": PIPELINE,
        "params": {"steps": steps, "memory": None, "verbose": bool(pipe.verbose)},
        "attributes": {},
    }
    return body, enc.tensors


def _steps_of(pipe) -> list:
    steps = pipe.steps
    if type(steps) is not list or not all(
        type(s) is tuple and len(s) == 2 and type(s[0]) is str for s in steps
    ):
        raise TypeError(
            "sk_alrnn.save: Pipeline.steps must be a list of (str, estimator) tuples."
        )
    if not any(step not in _PASSTHROUGH for _, step in steps):
        raise TypeError("sk_alrnn.save: the Pipeline has only passthrough steps.")
    return steps


def _encode_step(name: str, step, enc: _Encoder):
    if step in _PASSTHROUGH and type(step) in (str, type(None)):
        return step
    cls = type(step)
    what = f"step {name!r} ({cls.__module__}.{cls.__qualname__})"
    transformers = {c: n for n, (c, _) in TRANSFORMER_ATTRIBUTES.items()}
    estimators = {c: n for n, c in estimator_classes().items()}
    if cls not in transformers and cls not in estimators:
        nested = " (nested pipelines are not saved: flatten it)" * (cls is Pipeline)
        raise TypeError(
            f"sk_alrnn.save cannot save the Pipeline's {what}{nested}: a pipeline "
            f"step must be 'passthrough', None or one of {supported_steps()} "
            "(exactly these classes; no code objects such as FunctionTransformer). "
            "Use joblib/pickle for other pipelines, and load those only from "
            "trusted sources."
        )
    try:
        check_is_fitted(step)
    except NotFittedError as exc:
        raise NotFittedError(
            f"sk_alrnn.save saves a Pipeline only when fitted, and its {what} is "
            "not fitted: call pipe.fit(X, y) first (or save the estimator alone)."
        ) from exc
    prefix = f"steps.{name}."
    if cls in estimators:
        return encode_estimator(step, enc, prefix)[0]
    file_name = transformers[cls]
    return _encode_transformer(step, file_name, what, enc, prefix)


def _encode_transformer(step, file_name: str, what: str, enc: _Encoder, prefix: str):
    params = step.get_params(deep=False)
    allowed = TRANSFORMER_ATTRIBUTES[file_name][1]
    node = {"estimator": file_name, "params": {}, "attributes": {}}
    for key, value in vars(step).items():
        kind = "params" if key in params else "attributes"
        if kind == "attributes" and key not in allowed:
            raise TypeError(
                f"sk_alrnn.save: the Pipeline's {what} has an attribute {key!r} that "
                f"is not one of its fitted attributes {sorted(allowed)}; delete it "
                "before saving."
            )
        if not _is_plain(value):
            raise TypeError(
                f"sk_alrnn.save: {key!r} of the Pipeline's {what} is a "
                f"{type(value).__qualname__}; a transformer step may hold only None, "
                "bool, int, float, str, tuples and lists of those and numeric or str "
                "numpy arrays and scalars."
            )
        node[kind][key] = enc.encode(value, prefix + key)
    return node


# -- decoding ----------------------------------------------------------------------
def decode_pipeline(header: dict, tensors: dict[str, torch.Tensor], budget: int):
    """The Pipeline that ``header`` (checked by the caller) and ``tensors`` describe.

    Every tensor must be used exactly once, by one step; the JSON-coded arrays of
    all steps together decode to at most ``budget`` bytes.
    """
    params, version = header["params"], header["library_version"]
    if header["attributes"] != {} or type(params) is not dict:
        raise ValueError("a Pipeline node has no attributes and a 'params' object.")
    if set(params) != {"steps", "memory", "verbose"} or params["memory"] is not None:
        raise ValueError(
            f"a Pipeline's params must be exactly steps, memory (null) and verbose; "
            f"got {sorted(params)}."
        )
    if type(params["verbose"]) is not bool or type(params["steps"]) is not list:
        raise ValueError("a Pipeline's verbose must be a bool and steps a list.")
    decoder = _Decoder(tensors, budget)
    steps, names = [], set()
    for pair in params["steps"]:
        if not (type(pair) is list and len(pair) == 2 and type(pair[0]) is str):
            raise ValueError(f"a Pipeline step must be [name, step]; got {pair!r}.")
        name, node = pair
        if name in names or "__" in name or not name:
            raise ValueError(f"invalid or repeated Pipeline step name {name!r}.")
        names.add(name)
        steps.append((name, _decode_step(decoder, name, node, version)))
    if all(step in _PASSTHROUGH for _, step in steps):
        raise ValueError("the Pipeline has no step that is an estimator.")
    decoder.finish()
    return Pipeline(steps, memory=None, verbose=params["verbose"])


def _decode_step(decoder: _Decoder, name: str, node, version):
    if node in _PASSTHROUGH and type(node) in (str, type(None)):
        return node
    if type(node) is not dict or set(node) != _NODE_KEYS:
        raise ValueError(
            f"Pipeline step {name!r} must be 'passthrough', null or an object with "
            f"keys {sorted(_NODE_KEYS)}."
        )
    cls_name = node["estimator"]
    if cls_name in estimator_classes():
        return decoder.estimator(node, version)
    if cls_name not in TRANSFORMER_ATTRIBUTES:
        raise ValueError(
            f"Pipeline step {name!r} names the class {cls_name!r}, which this "
            f"sk_alrnn does not load; a step may be only one of {supported_steps()}."
        )
    cls, allowed = TRANSFORMER_ATTRIBUTES[cls_name]
    params, attributes = node["params"], node["attributes"]
    if type(params) is not dict or type(attributes) is not dict:
        raise ValueError(f"step {name!r}: 'params' and 'attributes' must be objects.")
    unknown = set(params) - set(cls._get_param_names())
    unknown |= {k for k in attributes if k not in allowed or not _NAME.match(k)}
    if unknown:
        raise ValueError(
            f"step {name!r} ({cls.__name__}): unknown names {sorted(unknown)}; "
            f"expected its parameters {cls._get_param_names()} and fitted "
            f"attributes {sorted(allowed)}."
        )
    values = {
        key: decoder.value(v, f"steps.{name}.{key}")
        for key, v in {**params, **attributes}.items()
    }
    bad = sorted(k for k, v in values.items() if not _is_plain(v))
    if bad:
        raise ValueError(f"step {name!r}: {bad} must hold plain values.")
    step = cls(**{k: values[k] for k in params})
    vars(step).update({k: values[k] for k in attributes})
    _check_transformer(step, name)
    return step


def _check_transformer(step, name: str) -> None:
    """Fitted, and every per-feature array has n_features_in_ entries."""
    n = vars(step).get("n_features_in_")
    if type(n) is not int or n < 1:
        raise ValueError(f"step {name!r}: n_features_in_ must be an int >= 1.")
    for key, value in vars(step).items():
        if key.endswith("_") and key != "feature_names_in_":
            if isinstance(value, np.ndarray) and value.shape != (n,):
                raise ValueError(
                    f"step {name!r}: {key} has shape {list(value.shape)}, expected "
                    f"[{n}] (n_features_in_)."
                )
    names = vars(step).get("feature_names_in_")
    if names is not None and (
        not isinstance(names, np.ndarray) or names.ndim != 1 or names.dtype != object
    ):
        raise ValueError(f"step {name!r}: feature_names_in_ must be a 1D str array.")
    try:
        check_is_fitted(step)
    except NotFittedError as exc:
        raise ValueError(f"step {name!r} is not fitted: {exc}") from exc
