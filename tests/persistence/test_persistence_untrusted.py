"""sk_alrnn.load on untrusted files: pickles, tampered headers, corrupted bytes.

Every refusal is a clear ValueError and runs nothing (pickle entry points are spies).
"""

import json
import pickle
import struct
import warnings

import joblib
import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from sk_alrnn import ALRNNClassifier, persistence
from sk_alrnn.persistence import load, save

TINY = dict(n_hidden=5, max_iter=3, batch_size=8, random_state=0)
X = np.random.RandomState(0).normal(size=(24, 6, 2))
LABELS = np.where(X[:, :, 0].sum(axis=1) > 0, "pos", "neg")


def _fit(est, X_, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X_, y)


# -- untrusted files ---------------------------------------------------------------
CALLS = []


def _spy(*args):
    """What a malicious file would run; records the call instead."""
    CALLS.append(args)


class _Payload:
    def __reduce__(self):
        return (_spy, ("pwned",))


@pytest.fixture(autouse=True)
def _no_calls_yet():
    """The spy's record starts empty in every test."""
    CALLS.clear()


@pytest.mark.parametrize("kind", ["pickle", "torch.save", "joblib"])
def test_pickle_payload_is_refused_and_never_runs(kind, tmp_path, no_unpickling):
    path = tmp_path / "evil.safetensors"
    if kind == "pickle":
        path.write_bytes(pickle.dumps(_Payload()))
    elif kind == "torch.save":
        torch.save({"state": _Payload()}, path)
    else:
        joblib.dump(_Payload(), path)
    with pytest.raises(ValueError, match="never unpickles") as info:
        load(path)
    assert str(path) in str(info.value)
    assert CALLS == []


def test_pickle_payload_is_real():
    """Control for the test above: unpickling this payload does run the spy."""
    CALLS.clear()
    pickle.loads(pickle.dumps(_Payload()))
    assert CALLS == [("pwned",)]
    CALLS.clear()


def _reseal(src, dst, edit=None, tensors_edit=None):
    """Rewrite a saved model with an edited JSON header and a valid digest."""
    data = src.read_bytes()
    header = json.loads(persistence._read_header(data)["__metadata__"]["sk_alrnn"])
    tensors = st_load(data)
    if edit:
        edit(header)
    if tensors_edit:
        tensors_edit(tensors)
    dst.write_bytes(persistence._pack(header, tensors))
    return dst


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "clf.safetensors"
    save(_fit(ALRNNClassifier(n_nonlinear=2, **TINY), X, LABELS), path)
    return path


def test_reseal_helper_keeps_a_valid_file(saved, tmp_path):
    assert load(_reseal(saved, tmp_path / "m.safetensors")).classes_.size == 2


def _set(*keys, value):
    def edit(header):
        node = header
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (_set("estimator", value="os.system"), "unknown estimator class 'os.system'"),
        (_set("estimator", value="sk_alrnn.persistence.load"), "unknown estimator"),
        (_set("format_version", value=2), "newer sk_alrnn"),
        (_set("format_version", value="1"), "invalid format_version"),
        (_set("pickle", value="gASV"), "unexpected keys"),
        (_set("params", "n_hidden", value=6), "do not fit the network"),
        (_set("params", "__reduce__", value=1), "unknown parameters"),
        (_set("attributes", "__class__", value="x"), "invalid attribute name"),
        (_set("attributes", "predict", value=[1]), "a name defined by ALRNNClass"),
        (
            _set("attributes", "n_iter_", value={"$type": "tuple", "items": "ab"}),
            "list",
        ),
        (_set("attributes", "module_", "n_features", value=3), "do not fit"),
        (_set("attributes", "n_features_in_", value=3), "n_features_in_ implies 3"),
        (
            _set("attributes", "module_", "n_features", value=10**12),
            "do not fit",
        ),
        (
            _set("attributes", "module_", "state", "W", "shape", value=[6, 5]),
            "JSON says",
        ),
        (_set("attributes", "module_", "state", "W", "dtype", value="float64"), "JSON"),
        (_set("attributes", "module_", "surprise", value=1), "expected keys"),
        (
            _set("attributes", "n_iter_", value={"$type": "eval", "v": "1"}),
            "unknown node",
        ),
        (_set("attributes", "classes_", "shape", value=[3]), "does not fit"),
        (
            _set(
                "attributes",
                "classes_",
                value={
                    "$type": "ndarray",
                    "dtype": "<U3",
                    "shape": [3],
                    "data": ["a", "b", "c"],
                },
            ),
            "classes_ implies 3",
        ),
        (_set("attributes", "classes_", "dtype", value="float64"), "unexpected dtype"),
        (
            _set("attributes", "classes_", "dtype", value="<U99999999"),
            "takes 799999992 bytes",
        ),
        (
            _set(
                "attributes", "best_loss_", value={"$type": "float", "value": "1e999"}
            ),
            "invalid float",
        ),
    ],
)
def test_inconsistent_json_gives_value_error(saved, tmp_path, edit, message):
    bad = _reseal(saved, tmp_path / "bad.safetensors", edit)
    with pytest.raises(ValueError, match=message):
        load(bad)


def _leaves(node, path=()):
    """Paths to every scalar in a JSON tree."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        if isinstance(v, (dict, list)) and v:
            yield from _leaves(v, (*path, k))
        else:
            yield (*path, k)


def test_fuzzed_json_values_load_or_raise_value_error(saved, tmp_path):
    """Any leaf of the JSON replaced by an odd value: a ValueError or a model,
    never another exception, a hang or a huge allocation."""
    data = saved.read_bytes()
    header = json.loads(persistence._read_header(data)["__metadata__"]["sk_alrnn"])
    leaves = list(_leaves(header))
    odd = [None, True, -1, 0, 10**12, 2**70, 1.5, "", "float64", [], [10**9], {}]
    odd += [{"$type": "ndarray"}, {"$type": "dict", "items": [[[], 1]]}]
    rng = np.random.RandomState(0)
    outcomes = set()
    for i in range(60):
        keys = leaves[rng.randint(len(leaves))]
        value = odd[rng.randint(len(odd))]
        bad = _reseal(saved, tmp_path / f"{i}.safetensors", _set(*keys, value=value))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                load(bad)
            outcomes.add("loaded")
        except ValueError:
            outcomes.add("refused")
    assert "refused" in outcomes


def test_tensor_not_in_json_and_missing_tensor(saved, tmp_path):
    def add(tensors):
        tensors["hidden_payload"] = torch.zeros(3)

    with pytest.raises(ValueError, match="not described by the JSON"):
        load(_reseal(saved, tmp_path / "a.safetensors", tensors_edit=add))
    with pytest.raises(ValueError, match="missing or reused tensor"):
        load(
            _reseal(
                saved,
                tmp_path / "b.safetensors",
                tensors_edit=lambda t: t.pop("module_.W"),
            )
        )


def test_optimizer_state_checked_against_network(saved, tmp_path):
    def shrink(tensors):
        key = next(
            k for k in tensors if k.endswith("exp_avg") and tensors[k].dim() == 2
        )
        tensors[key] = tensors[key][:1].clone()

    def edit(header):  # keep the JSON in line with the smaller tensor
        def walk(node):
            if isinstance(node, dict):
                if (
                    node.get("tensor", "").endswith("exp_avg")
                    and len(node["shape"]) == 2
                ):
                    node["shape"][0] = 1
                    return True
                return any(walk(v) for v in node.values())
            if isinstance(node, list):
                return any(walk(v) for v in node)
            return False

        walk(header["attributes"]["_optimizer_state"])

    bad = _reseal(saved, tmp_path / "m.safetensors", edit, shrink)
    with pytest.raises(ValueError, match="_optimizer_state"):
        load(bad)


def test_missing_parameter_takes_its_default(saved, tmp_path):
    def drop(header):
        header["params"]["verbose"] = 3
        del header["params"]["tol"]

    loaded = load(_reseal(saved, tmp_path / "m.safetensors", drop))
    assert (loaded.verbose, loaded.tol) == (3, ALRNNClassifier().tol)


def test_version_mismatch_warns(saved, tmp_path):
    old = _reseal(
        saved, tmp_path / "m.safetensors", _set("library_version", value="0.0.1")
    )
    with pytest.warns(UserWarning, match="saved by sk_alrnn '0.0.1'"):
        load(old)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:-1], "."),
        (lambda b: b"", "too short"),
        (lambda b: b[:4], "too short"),
        (lambda b: struct.pack("<Q", 10**12) + b[8:], "claims 1000000000000 bytes"),
        (lambda b: b[:8] + b"[" + b[9:], "not valid JSON"),
        (lambda b: b[:-3] + bytes([b[-3] ^ 0x55]) + b[-2:], "digest does not match"),
    ],
)
def test_truncated_and_corrupted_files(saved, tmp_path, corrupt, message):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(corrupt(saved.read_bytes()))
    with pytest.raises(ValueError, match=message) as info:
        load(bad)
    assert "sk_alrnn.load could not load" in str(info.value)


def test_random_byte_flips_never_load_silently_wrong(saved, tmp_path):
    good = saved.read_bytes()
    reference = load(saved).predict_proba(X)
    rng = np.random.RandomState(0)
    bad = tmp_path / "bad.safetensors"
    for _ in range(40):
        data = bytearray(good)
        i = rng.randint(len(data))
        data[i] ^= 1 << rng.randint(8)
        bad.write_bytes(bytes(data))
        try:
            est = load(bad)
        except ValueError:
            continue
        # only a flip in the header's padding may go unnoticed
        np.testing.assert_array_equal(est.predict_proba(X), reference)


def test_foreign_safetensors_file_is_refused(tmp_path):
    path = tmp_path / "weights.safetensors"
    path.write_bytes(st_save({"W": torch.zeros(2, 2)}, metadata={"format": "pt"}))
    with pytest.raises(ValueError, match="not an sk_alrnn model file"):
        load(path)


def test_json_nan_constant_refused(saved, tmp_path):
    data = saved.read_bytes()
    meta = persistence._read_header(data)["__metadata__"]
    text = meta["sk_alrnn"].replace('"n_iter_": 3', '"n_iter_": NaN')
    assert text != meta["sk_alrnn"]
    tensors = st_load(data)
    bad = st_save(
        tensors,
        metadata={
            "sk_alrnn": text,
            "sk_alrnn.sha256": persistence._digest(text, tensors),
        },
    )
    (tmp_path / "m.safetensors").write_bytes(bad)
    with pytest.raises(ValueError, match="non-standard constant NaN"):
        load(tmp_path / "m.safetensors")


def test_loading_a_valid_file_never_unpickles(saved, no_unpickling):
    assert load(saved).classes_.tolist() == ["neg", "pos"]
    assert CALLS == []
