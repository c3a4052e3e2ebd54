"""Decode the JSON nodes and tensors of a model file back to an estimator, checked.

The decoding half of the codec of :mod:`sk_alrnn.persistence` (the allowlists
and the encoder are in :mod:`sk_alrnn.persistence._codec`):
:func:`decode_estimator` rebuilds an allowlisted estimator, its network by the
estimator's own code, checks the JSON against the tensors (every tensor used
exactly once) and the fitted attributes against the network, and refuses any
name outside the class's fitted attributes with a ``ValueError``. Arrays coded
as JSON (str and object arrays) decode to at most the budget it is given, in
total over the file. Nothing is unpickled and no name from the file is imported.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from sk_alrnn._core._params import ALRNNParams
from sk_alrnn._version import __version__
from sk_alrnn.persistence._codec import (
    _NAME,
    _PARAMS_FIELDS,
    _TEXT_DTYPE,
    dtype_name,
    estimator_classes,
    fitted_attributes,
)


# -- decoding ----------------------------------------------------------------------
def decode_estimator(header: dict, tensors: dict[str, torch.Tensor], budget: int):
    """The estimator that ``header`` (checked by the caller) and ``tensors`` describe.

    Parameters
    ----------
    header : dict
        The parsed JSON document of the file.
    tensors : dict of str to torch.Tensor
        The file's tensors, by name.
    budget : int
        The most bytes that the JSON-coded (str and object) arrays of the file may
        decode to, all together.

    Returns
    -------
    estimator : estimator
        The rebuilt estimator.

    Raises
    ------
    ValueError
        (Or another exception, which the caller wraps) when the JSON is malformed,
        names an unknown attribute, exceeds ``budget``, disagrees with the tensors
        or leaves one unused, or the fitted attributes disagree with the network.
    """
    decoder = _Decoder(tensors, budget)
    est = decoder.estimator(header, header["library_version"])
    decoder.finish()
    return est


class _Decoder:
    """JSON nodes -> values; every tensor of the file must be used exactly once."""

    def __init__(self, tensors: dict[str, torch.Tensor], budget: int) -> None:
        self.tensors = tensors
        self.used: set[str] = set()
        self.budget = budget  # bytes left for JSON-coded arrays
        self.spent = 0

    def finish(self) -> None:
        """Refuse a file with a tensor that no JSON node described."""
        unused = set(self.tensors) - self.used
        if unused:
            raise ValueError(f"tensors {sorted(unused)} are not described by the JSON.")

    def estimator(self, header: dict, version):
        """The estimator of a node with ``estimator``, ``params``, ``attributes``."""
        classes = estimator_classes()
        name = header["estimator"]
        if name not in classes:
            raise ValueError(
                f"unknown estimator class {name!r}; this sk_alrnn loads only "
                f"{sorted(classes)} and 'sklearn.pipeline.Pipeline'."
            )
        cls = classes[name]
        params, attributes = header["params"], header["attributes"]
        if not isinstance(params, dict) or not isinstance(attributes, dict):
            raise ValueError("'params' and 'attributes' must be JSON objects.")
        unknown = set(params) - set(cls._get_param_names())
        if unknown:
            raise ValueError(
                f"unknown parameters {sorted(unknown)} for {cls.__name__} (written by "
                f"sk_alrnn {version!r}, this is {__version__})."
            )
        est = cls(**{k: self.value(v, k) for k, v in params.items()})
        allowed = fitted_attributes(name, cls)
        for attr, node in attributes.items():
            if not _NAME.match(attr) or attr in params or hasattr(cls, attr):
                raise ValueError(
                    f"invalid attribute name {attr!r} (not an identifier, a dunder, "
                    f"a parameter or a name defined by {cls.__name__})."
                )
            if attr not in allowed:
                raise ValueError(
                    f"unknown attribute {attr!r} for {cls.__name__}: expected only "
                    f"its fitted attributes {sorted(allowed)} (the file was written "
                    f"by sk_alrnn {version!r}, this is "
                    f"{__version__}). The file was edited or comes from a newer "
                    "sk_alrnn; save the model again with this version."
                )
            if isinstance(node, dict) and node.get("$type") == "module":
                vars(est)[attr] = self.module(node, est, attr)
            else:
                vars(est)[attr] = self.value(node, attr)
        _check_consistency(est)
        return est

    def tensor(self, node: dict, path: str) -> torch.Tensor:
        keys = {"tensor", "dtype", "shape"}
        _expect_keys(node, {*keys, "$type"} if "$type" in node else keys, path)
        key, dtype, shape = node["tensor"], node["dtype"], node["shape"]
        if key not in self.tensors or key in self.used:
            raise ValueError(f"{path!r} refers to a missing or reused tensor {key!r}.")
        self.used.add(key)
        t = self.tensors[key]
        if dtype_name(t.dtype) != dtype or list(t.shape) != shape:
            raise ValueError(
                f"tensor {key!r} is {dtype_name(t.dtype)} {list(t.shape)}, the JSON "
                f"says {dtype} {shape}."
            )
        return t

    def value(self, node, path: str):
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.value(x, f"{path}.{i}") for i, x in enumerate(node)]
        if type(node) is not dict:
            raise ValueError(f"{path!r}: unexpected JSON value {node!r}.")
        kind = node.get("$type")
        if kind == "float":
            _expect_keys(node, {"$type", "value"}, path)
            if node["value"] not in ("inf", "-inf", "nan"):
                raise ValueError(f"{path!r}: invalid float {node['value']!r}.")
            return float(node["value"])
        if kind in ("tuple", "dict"):
            _expect_keys(node, {"$type", "items"}, path)
            if type(node["items"]) is not list:
                raise ValueError(f"{path!r}: {kind} items must be a JSON list.")
        if kind == "tuple":
            return tuple(self.value(node["items"], path))
        if kind == "dict":
            pairs = self.value(node["items"], path)
            if not all(type(p) is list and len(p) == 2 for p in pairs):
                raise ValueError(f"{path!r}: dict items must be [key, value] pairs.")
            return dict(pairs)
        if kind in ("ndarray", "scalar"):
            arr = self.array(node, path)
            return arr[()] if kind == "scalar" else arr
        if kind == "tensor":
            return self.tensor(node, path).clone()
        if kind == "generator":
            gen = torch.Generator()
            gen.set_state(self.tensor(node, path).clone())
            return gen
        if kind == "random_state":
            _expect_keys(node, {"$type", "state"}, path)
            rs = np.random.RandomState()
            rs.set_state(self.value(node["state"], path))
            return rs
        if kind == "device":
            _expect_keys(node, {"$type", "value"}, path)
            return torch.device(str(node["value"]))
        if kind == "alrnn_params":
            _expect_keys(node, {"$type", "fields"}, path)
            fields = node["fields"]
            if type(fields) is not dict or set(fields) != set(_PARAMS_FIELDS):
                raise ValueError(
                    f"{path!r}: alrnn_params fields must be exactly {_PARAMS_FIELDS}."
                )
            values = {k: self.value(fields[k], f"{path}.{k}") for k in _PARAMS_FIELDS}
            return ALRNNParams(**values)  # checks the shapes
        raise ValueError(f"{path!r}: unknown node type {kind!r}.")

    def array(self, node: dict, path: str) -> np.ndarray:
        if "tensor" in node:
            return self.tensor(node, path).numpy().copy()
        _expect_keys(node, {"$type", "dtype", "shape", "data"}, path)
        shape, data = node["shape"], self.value(node["data"], path)
        if (
            type(shape) is not list
            or not all(type(s) is int and s >= 0 for s in shape)
            or math.prod(shape) != len(data)
        ):
            raise ValueError(
                f"{path!r}: shape {shape} does not fit {len(data)} values."
            )
        dtype = self.text_dtype(node["dtype"], data, path)
        self.charge(dtype.itemsize * len(data), node["dtype"], len(data), path)
        arr = np.empty(len(data), dtype=dtype)
        arr[:] = data
        return arr.reshape(shape)

    @staticmethod
    def text_dtype(name, data: list, path: str) -> np.dtype:
        """The dtype of a JSON-coded array: ``object``, or str wide enough for
        ``data`` (which must then hold only str)."""
        if name == "object":
            return np.dtype(object)
        if type(name) is not str or not _TEXT_DTYPE.match(name):
            raise ValueError(
                f"{path!r}: unexpected dtype {name!r} for an array coded as JSON; "
                "expected 'object' or a str dtype such as '<U5'."
            )
        if not all(type(x) is str for x in data):
            raise ValueError(f"{path!r}: a {name} array may hold only strings.")
        dtype = np.dtype(name)
        longest = max((len(x) for x in data), default=0)
        if dtype.itemsize < 4 * longest:
            raise ValueError(
                f"{path!r}: dtype {name!r} is narrower than its longest string "
                f"({longest} characters)."
            )
        return dtype

    def charge(self, nbytes: int, dtype, count: int, path: str) -> None:
        """Count ``nbytes`` against the file's budget for JSON-coded arrays."""
        self.spent += nbytes
        if self.spent > self.budget:
            raise ValueError(
                f"{path!r}: a {dtype} array of {count} values takes {nbytes} bytes, "
                f"and the file's JSON-coded arrays would take {self.spent} bytes in "
                f"all, more than the {self.budget} bytes allowed for a file of this "
                "size: the file was crafted or damaged. Save the model again."
            )

    def module(self, node: dict, est, path: str) -> torch.nn.Module:
        keys = {"$type", "n_features", "n_outputs", "dtype", "training", "state"}
        _expect_keys(node, keys, path)
        n_features, n_outputs = node["n_features"], node["n_outputs"]
        dtype = node["dtype"]
        if not all(type(n) is int and n >= 1 for n in (n_features, n_outputs)):
            raise ValueError(f"{path!r}: n_features and n_outputs must be ints >= 1.")
        if dtype not in ("float32", "float64") or type(node["state"]) is not dict:
            raise ValueError(f"{path!r}: invalid dtype {dtype!r} or state.")
        torch_dtype = getattr(torch, dtype)
        state = {k: self.tensor(v, f"{path}.{k}") for k, v in node["state"].items()}

        def build():
            gen = torch.Generator().manual_seed(0)
            return _make_module(est, n_features, n_outputs, gen, torch_dtype)

        with torch.device("meta"):  # shapes first, without allocating anything
            expected = {k: (v.dtype, v.shape) for k, v in build().state_dict().items()}
        found = {k: (v.dtype, v.shape) for k, v in state.items()}
        if found != expected:
            raise ValueError(
                f"{path!r}: the saved weights {_shapes(found)} do not fit the network "
                f"that the parameters describe {_shapes(expected)}."
            )
        module = build()
        module.load_state_dict(state, strict=True)
        return module.train(bool(node["training"]))


def _make_module(est, n_features, n_outputs, generator, dtype) -> torch.nn.Module:
    """The estimator's own fresh network; an ALRNN for those without the hook."""
    if hasattr(est, "_make_module"):
        return est._make_module(n_features, n_outputs, generator, dtype)
    from sk_alrnn._nn._model import ALRNN

    return ALRNN(
        n_features,
        est.n_hidden,
        est.n_nonlinear,
        n_outputs,
        generator=generator,
        dtype=dtype,
    )


def _shapes(state: dict) -> dict:
    return {k: [dtype_name(d), list(s)] for k, (d, s) in sorted(state.items())}


def _expect_keys(node, keys: set, path: str) -> None:
    if type(node) is not dict or set(node) != keys:
        got = sorted(node) if isinstance(node, dict) else type(node).__name__
        raise ValueError(f"{path!r}: expected keys {sorted(keys)}, got {got}.")


def _check_consistency(est) -> None:
    """Fitted attributes agree with the network (the class-independent facts)."""
    module = vars(est).get("module_")
    if module is None:
        return
    checks = []
    if hasattr(est, "n_features_in_") and hasattr(module, "n_features"):
        checks.append(("n_features_in_", est.n_features_in_, module.n_features))
    if hasattr(est, "classes_"):
        n = len(est.classes_)
        checks.append(("classes_", 1 if n == 2 else n, module.n_outputs))
    if hasattr(est, "n_outputs_"):
        checks.append(("n_outputs_", est.n_outputs_, module.n_outputs))
        for name in ("_y_mean", "_y_scale"):
            if hasattr(est, name):
                shape = np.shape(getattr(est, name))
                checks.append((name, (est.n_outputs_,), shape))
    for name, want, got in checks:
        if want != got:
            raise ValueError(f"{name} implies {want} but the network has {got}.")
    state = vars(est).get("_optimizer_state")
    if state is not None:
        _check_optimizer(state, list(module.parameters()))


def _check_optimizer(state, params: list) -> None:
    if not isinstance(state, dict) or set(state) != {"state", "param_groups"}:
        raise ValueError("_optimizer_state is not a torch optimizer state_dict.")
    ids = [i for g in state["param_groups"] for i in g.get("params", [])]
    if ids != list(range(len(params))):
        raise ValueError(
            f"_optimizer_state lists parameters {ids}, not 0..{len(params) - 1}."
        )
    for i, slots in state["state"].items():
        if type(i) is not int or not 0 <= i < len(params) or type(slots) is not dict:
            raise ValueError(f"_optimizer_state has an invalid entry for {i!r}.")
        for slot, t in slots.items():
            if isinstance(t, torch.Tensor) and t.dim() and t.shape != params[i].shape:
                raise ValueError(
                    f"_optimizer_state {slot} of parameter {i} has shape "
                    f"{list(t.shape)}, the parameter {list(params[i].shape)}."
                )
