"""sk_alrnn.persistence hardening: file names, permissions, interrupts, memory caps
and the messages of failed saves and loads (issue 14)."""

import contextlib
import errno
import json
import os
import signal
import stat
import struct
import threading
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from support import DATA, REPO

from sk_alrnn import ALRNNClassifier, ALRNNRegressor, persistence
from sk_alrnn.persistence import load, save

DATA = DATA


# -- files written by earlier versions ---------------------------------------------
def test_file_saved_by_an_earlier_version_still_loads():
    """tests/data/alrnn_regressor_format1.safetensors was written by sk_alrnn 0.1.0
    (format version 1) before the hardening: fitted ALRNNRegressor(max_iter=2,
    n_hidden=4, random_state=0) on the X below."""
    X = np.random.RandomState(0).normal(size=(20, 5, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # another library version may warn
        reg = load(DATA / "alrnn_regressor_format1.safetensors")
    assert type(reg) is ALRNNRegressor
    assert (reg.n_hidden, reg.max_iter, reg.n_iter_, reg.n_features_in_) == (
        4,
        2,
        2,
        2,
    )
    expected = [0.6404391234590363, 0.6419461697246511, 0.6169546823784207]
    expected.append(0.6549011495678514)
    np.testing.assert_allclose(reg.predict(X[:4]), expected, rtol=1e-6)


# -- helpers -----------------------------------------------------------------------
def _fitted():
    X = np.random.RandomState(0).normal(size=(20, 5, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ALRNNRegressor(max_iter=2, n_hidden=4, random_state=0).fit(
            X, X.sum(axis=(1, 2))
        )


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _reseal(src: Path, dst: Path, edit) -> Path:
    """Rewrite a saved model with an edited JSON document and a valid digest."""
    data = src.read_bytes()
    meta = persistence._read_header(data)["__metadata__"]
    header = json.loads(meta["sk_alrnn"])
    edit(header)
    dst.write_bytes(persistence._pack(header, st_load(data)))
    return dst


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    save(_fitted(), path)
    return path


# -- file names --------------------------------------------------------------------
@pytest.mark.parametrize("stem", ["m" * 238, "é" * 119])
def test_file_name_of_250_bytes_saves_and_loads(stem, tmp_path, monkeypatch):
    """The temporary file's name never exceeds the folder's name limit."""
    path = tmp_path / (stem + ".safetensors")
    assert len(os.fsencode(path.name)) == 250
    created = []
    real_open = os.open

    def spy(name, *args, **kwargs):
        created.append(os.path.basename(os.fsencode(name)))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    save(_fitted(), path)
    monkeypatch.undo()
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    assert created and all(len(name) <= limit for name in created)
    assert load(path).n_iter_ == 2
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_temporary_name_fits_a_small_name_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "pathconf", lambda folder, name: 40)
    path = tmp_path / ("x" * 30 + ".st")
    save(ALRNNRegressor(), path)
    assert load(path).n_hidden == ALRNNRegressor().n_hidden
    assert persistence._tmp_prefix(path.name, 40) == "x" * 26
    assert len(f".{'x' * 26}.0123abcd.tmp") == 40


def test_file_name_over_the_limit_is_refused_before_writing(tmp_path):
    path = tmp_path / ("m" * 300 + ".safetensors")
    with pytest.raises(OSError, match="Choose a shorter name") as info:
        save(ALRNNRegressor(), path)
    assert info.value.errno == errno.ENAMETOOLONG
    assert list(tmp_path.iterdir()) == []


def test_stale_files_of_long_names_and_other_targets(tmp_path):
    """A long name's leftovers carry the cut name and are cleaned up; the
    leftovers of another target that starts with the same name are kept."""
    long = tmp_path / ("m" * 250)
    prefix = persistence._tmp_prefix(long.name, os.pathconf(tmp_path, "PC_NAME_MAX"))
    stale = tmp_path / f".{prefix}.0badf00d.tmp"
    other = tmp_path / ".m.safetensors.0badf00d.tmp"  # a leftover of m.safetensors
    for p in (stale, other):
        p.write_bytes(b"half a model")
        os.utime(p, (time.time() - 3600,) * 2)
    save(ALRNNRegressor(), long)
    save(ALRNNRegressor(), tmp_path / "m")
    assert not stale.exists()
    assert other.exists()


# -- permissions -------------------------------------------------------------------
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_replacing_a_file_keeps_its_permission_bits(mode, tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    save(ALRNNRegressor(), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert load(path).n_hidden == ALRNNRegressor().n_hidden


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_new_file_gets_the_mode_open_would_give(umask, tmp_path):
    old = os.umask(umask)
    try:
        save(ALRNNRegressor(), tmp_path / "m.safetensors")
        with open(tmp_path / "ref", "wb"):
            pass
    finally:
        os.umask(old)
    got = stat.S_IMODE(os.stat(tmp_path / "m.safetensors").st_mode)
    assert got == stat.S_IMODE(os.stat(tmp_path / "ref").st_mode) == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="root")
def test_replacing_keeps_owner_and_group_where_allowed(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    os.chown(path, 12345, 12346)
    os.chmod(path, 0o640)
    save(ALRNNRegressor(), path)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 12346, 0o640)

    def refuse(*args):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)  # as for a user outside the group
    save(ALRNNRegressor(), path)
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600  # never readable by another group


def _deny_write(monkeypatch, denied: Path):
    real = os.access

    def access(p, mode, *args, **kwargs):
        if Path(os.fspath(p)) == denied and mode & os.W_OK:
            return False
        return real(p, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_read_only_target_is_refused_like_open_wb(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"keep me")
    os.chmod(path, 0o444)
    _deny_write(monkeypatch, path)  # root may write anything: play a normal user
    with pytest.raises(PermissionError, match="read-only") as info:
        save(ALRNNRegressor(), path)
    assert str(path) in str(info.value) and "os.chmod" in str(info.value)
    assert path.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root")
def test_read_only_target_is_refused_for_real(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"keep me")
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        save(ALRNNRegressor(), path)
    assert path.read_bytes() == b"keep me"


def test_folder_without_write_permission(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    _deny_write(monkeypatch, folder)
    with pytest.raises(PermissionError, match="is not writable") as info:
        save(ALRNNRegressor(), folder / "m.safetensors")
    assert repr(str(folder)) in str(info.value)
    assert ".tmp" not in str(info.value)


def test_error_creating_the_temporary_file_names_the_target(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", args[0])

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(PermissionError, match="not writable") as info:
        save(ALRNNRegressor(), tmp_path / "m.safetensors")
    assert "m.safetensors'" in str(info.value) and ".tmp" not in str(info.value)


# -- interrupts --------------------------------------------------------------------
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_right_after_the_open_leaves_nothing(existing, tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    if existing:
        save(ALRNNRegressor(), path)
    before = path.read_bytes() if existing else None

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    for name in ("fdopen", "fchmod", "fchown", "write"):  # whatever comes first
        monkeypatch.setattr(os, name, interrupt)
    fds = _open_fds()
    with pytest.raises(KeyboardInterrupt):
        save(ALRNNRegressor(), path)
    assert _open_fds() == fds
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ([path.name] if existing else [])
    if existing:
        assert path.read_bytes() == before


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX")
def test_ctrl_c_during_the_open_is_delivered_after_the_fd_is_kept(tmp_path):
    """SIGINT arriving while os.open runs is held back until the fd is stored,
    then raised: the file is removed and the fd closed."""
    real_open = os.open
    fds = _open_fds() if os.path.isdir("/proc/self/fd") else None

    def open_then_sigint(name, *args, **kwargs):
        fd = real_open(name, *args, **kwargs)
        if str(name).endswith(".tmp"):
            os.kill(os.getpid(), signal.SIGINT)
        return fd

    os.open = open_then_sigint
    try:
        with pytest.raises(KeyboardInterrupt):
            save(ALRNNRegressor(), tmp_path / "m.safetensors")
    finally:
        os.open = real_open
    assert list(tmp_path.iterdir()) == []
    if fds is not None:
        assert _open_fds() == fds


# -- destinations ------------------------------------------------------------------
def test_save_into_a_missing_folder_names_the_folder(tmp_path):
    folder = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError) as info:
        save(ALRNNRegressor(), folder / "m.safetensors")
    message = str(info.value)
    assert repr(str(folder)) in message and "does not exist" in message
    assert "os.makedirs" in message and "mkdir(parents=True" in message
    assert ".tmp" not in message
    assert info.value.errno == errno.ENOENT


def test_save_under_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        save(ALRNNRegressor(), tmp_path / "f" / "m.safetensors")


def test_save_over_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "real.safetensors"
    save(ALRNNRegressor(), target)
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    save(_fitted(), link)
    assert link.is_symlink()
    assert load(target).n_iter_ == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX")
def test_special_files_are_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        save(ALRNNRegressor(), fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    # a writer that opens and closes the pipe unblocks a reader that would wait
    unblock = threading.Thread(target=lambda: open(fifo, "wb").close(), daemon=True)
    unblock.start()
    try:
        with pytest.raises(OSError, match="not a regular file"):
            load(fifo)
    finally:
        with contextlib.suppress(OSError):
            fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
        unblock.join(5)


# -- load: paths and broken files --------------------------------------------------
def test_load_of_a_directory_or_missing_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory, not a model file"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError, match="there is no file") as info:
        load(tmp_path / "nope.safetensors")
    assert "nope.safetensors" in str(info.value)
    with pytest.raises(FileNotFoundError, match="nor the folder"):
        load(tmp_path / "no" / "m.safetensors")


def test_load_of_an_empty_file(tmp_path):
    (tmp_path / "m.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match=r"0 bytes.*empty or truncated"):
        load(tmp_path / "m.safetensors")


@pytest.mark.parametrize("cut", [1, 100, 5000])
def test_truncated_file_says_truncated(cut, model_file, tmp_path):
    data = model_file.read_bytes()
    bad = tmp_path / "m.safetensors"
    bad.write_bytes(data[:-cut])
    with pytest.raises(ValueError) as info:
        load(bad)
    message = str(info.value)
    assert "truncated" in message and str(bad) in message
    assert "Save the model again, or copy the file again" in message
    assert "incomplete metadata" not in message


def test_extra_bytes_at_the_end_say_corrupt(model_file, tmp_path):
    bad = tmp_path / "m.safetensors"
    bad.write_bytes(model_file.read_bytes() + b"\0" * 3)
    with pytest.raises(ValueError, match=r"the file is corrupt.*Save the model again"):
        load(bad)


def test_flipped_byte_in_the_header_says_corrupt(model_file, tmp_path):
    data = bytearray(model_file.read_bytes())
    at = data.index(b"__metadata__") + 2
    data[at] ^= 0x01  # "__letadata__": the metadata key is gone
    bad = tmp_path / "m.safetensors"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="header is corrupt") as info:
        load(bad)
    assert "not an sk_alrnn model file" not in str(info.value)


def test_flipped_byte_in_the_tensor_data_says_digest(model_file, tmp_path):
    data = bytearray(model_file.read_bytes())
    data[-5] ^= 0x10
    bad = tmp_path / "m.safetensors"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"digest does not match.*Save the model"):
        load(bad)


def test_flipped_byte_in_the_json_says_digest(model_file, tmp_path):
    data = bytearray(model_file.read_bytes())
    at = data.index(b"n_iter_") + 2
    data[at] ^= 0x01  # still valid JSON, another attribute name
    bad = tmp_path / "m.safetensors"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="digest does not match"):
        load(bad)


def test_foreign_safetensors_file_says_so(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes(st_save({"W": torch.zeros(2)}, metadata={"format": "pt"}))
    with pytest.raises(ValueError, match="not an sk_alrnn model file") as info:
        load(path)
    assert "not written by sk_alrnn.save" in str(info.value)
    assert "['W']" in str(info.value) and "load_file" in str(info.value)


def test_huge_header_length_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    with pytest.raises(ValueError, match="more than the limit of 67108864"):
        load(path)


def test_large_non_model_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "data.bin"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 2) + b"[]")
        f.truncate(256 * 2**20)  # sparse: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="not a JSON object"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


# -- load: bounded memory and the attribute allowlist ------------------------------
_BOMB = {"$type": "ndarray", "dtype": "<U50000000", "shape": [1], "data": ["x"]}


@pytest.fixture(scope="module")
def unfitted_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("unfitted") / "m.safetensors"
    save(ALRNNRegressor(), path)
    return path


def test_unknown_attribute_names_are_refused(unfitted_file, tmp_path):
    def edit(header):
        for i in range(4):
            header["attributes"][f"a{i}"] = _BOMB

    bad = _reseal(unfitted_file, tmp_path / "bad.safetensors", edit)
    assert bad.stat().st_size < 1500
    with pytest.raises(ValueError, match="unknown attribute 'a0' for ALRNNRegressor"):
        load(bad)


def test_wide_str_dtype_with_tiny_data_is_bounded(unfitted_file, tmp_path):
    """Four 200 MB string arrays from a file under 1 kB: refused, and load
    allocates almost nothing on the way."""

    def edit(header):
        for name in ("feature_names_in_", "stop_reason_", "_fit_signature"):
            header["attributes"][name] = _BOMB
        header["attributes"]["init_losses_"] = [_BOMB]

    bad = _reseal(unfitted_file, tmp_path / "bad.safetensors", edit)
    assert bad.stat().st_size < 1500
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"200000000 bytes.*more than the"):
            load(bad)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


@pytest.mark.parametrize(
    "node, message",
    [
        ({**_BOMB, "data": ["xy"], "dtype": "<U1"}, "narrower than its"),
        ({**_BOMB, "data": ["abc"], "dtype": "<U2"}, "narrower than its longest"),
        ({**_BOMB, "data": [1]}, "only strings"),
        ({**_BOMB, "dtype": "V8"}, "unexpected dtype 'V8'"),
        ({**_BOMB, "dtype": "(1000000000,)f8"}, "unexpected dtype"),
        ({**_BOMB, "dtype": "<U0"}, "unexpected dtype"),
    ],
)
def test_json_array_dtype_must_fit_its_data(node, message, unfitted_file, tmp_path):
    def edit(header):
        header["attributes"]["stop_reason_"] = node

    with pytest.raises(ValueError, match=message):
        load(_reseal(unfitted_file, tmp_path / "bad.safetensors", edit))


def test_too_many_json_values_are_refused(unfitted_file, tmp_path):
    def edit(header):
        header["attributes"]["loss_curve_"] = [0] * (2**20 + 1)

    with pytest.raises(ValueError, match="more than the limit of 1048576"):
        load(_reseal(unfitted_file, tmp_path / "bad.safetensors", edit))


def test_padded_str_dtype_of_a_real_model_loads(tmp_path):
    """classes_ keeps the dtype of y (here wider than the labels)."""
    X = np.random.RandomState(0).normal(size=(20, 5, 1))
    y = np.where(X.sum(axis=(1, 2)) > 0, "up", "down").astype("<U50")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = ALRNNClassifier(max_iter=1, n_hidden=4, random_state=0).fit(X, y)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert loaded.classes_.tolist() == ["down", "up"]


def test_every_fitted_attribute_is_allowlisted():
    """What fit leaves on each class is what the codec may save (a new fitted
    attribute must be added to _persistence_codec._FITTED_ATTRIBUTES)."""
    from sk_alrnn.persistence._codec import estimator_classes, fitted_attributes

    for name, cls in estimator_classes().items():
        assert fitted_attributes(name, cls), name
        assert not fitted_attributes(name, cls) & set(cls._get_param_names()), name
    reg = _fitted()
    params = set(reg.get_params(deep=False))
    assert set(vars(reg)) - params <= fitted_attributes(
        "sk_alrnn.ALRNNRegressor", ALRNNRegressor
    )


def test_readme_states_the_caps_the_code_uses():
    # The README's long sections moved to the user guide (docs/user_guide/).
    guide = REPO / "docs" / "user_guide" / "saving.md"
    readme = guide.read_text()
    section = readme.split("## What `save` guarantees")[1].split("\n# ")[0]
    section = " ".join(section.split())
    assert persistence._MAX_HEADER == 64 * 2**20 and "64 MiB" in section
    assert persistence._MAX_JSON_VALUES == 2**20 and "2^20 JSON values" in section
    assert persistence._MAX_DECODED == 256 * 2**20 and "256 MiB" in section
    assert persistence._DECODED_PER_JSON_BYTE == 8 and "8 bytes per byte" in section
    assert persistence._DECODED_SLACK == 2**20 and "plus 1 MiB" in section
    for word in ("os.replace", "fsync", "0o600", "SHA-256", "Pickle is never used"):
        assert word in section
