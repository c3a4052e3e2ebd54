"""The command line's inputs and outputs: files it cannot read or write.

Every such problem is one line on stderr naming the file, what went wrong and
the fix, exit status 2 (argparse's usage-error status), and no training.
"""

import bz2
import gzip
import io
import lzma
import os
import zipfile

import numpy as np
import pytest
from support import run_python

import sk_alrnn.cli._csv_file as csv_file
from sk_alrnn.cli import main
from sk_alrnn.cli._data import load_data
from sk_alrnn.cli._parser import build_parser
from sk_alrnn.cli._request import request_from_args

pytest.importorskip("pandas")


def _load(argv):
    """The sweep's data for ``argv``: parser -> request -> load_data."""
    return load_data(request_from_args(build_parser()[0].parse_args(argv)))


FAST = ["--n-hidden", "4", "--max-iter", "1", "--no-progress", "--no-statsmodels"]
TASK = ["--n-hidden", "4", "--max-iter", "1", "--n-samples", "40", "--no-progress"]


def _csv_text(n=40):
    t = 0.1 * np.arange(n)
    rows = "\n".join(f"{float(np.sin(v))!r},{float(np.cos(v))!r}" for v in t)
    return "a,b\n" + rows + "\n"


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if the sweep starts training."""

    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr("sk_alrnn.cli.sweep_nonlinearity", refuse)
    monkeypatch.setattr("sk_alrnn.cli.fit_and_score", refuse)


def _refused(argv, capsys):
    """Run the command line; it must exit 2 with one line on stderr."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    assert exc.value.code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "--help" in err
    assert out == ""  # nothing printed: the sweep did not start
    return err


def _gz(text):
    return gzip.compress(text.encode())


def _zip(*members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, text in enumerate(members):
            archive.writestr(f"part{i}.csv", text)
    return buffer.getvalue()


def _corrupt_gzip():
    data = bytearray(_gz(_csv_text()))
    data[20:40] = b"\xff" * 20  # inside the deflate stream
    return bytes(data)


BROKEN = {
    # name: (file name, bytes, words the message must hold)
    "truncated gzip": ("big.csv.gz", _gz(_csv_text())[:-30], "gzip data is truncated"),
    "corrupt gzip": ("big.csv.gz", _corrupt_gzip(), "gzip data is truncated or corr"),
    "gzip header only": ("big.csv.gz", b"\x1f\x8b\x08", "gzip data is truncated"),
    "truncated bz2": (
        "big.csv.bz2",
        bz2.compress(_csv_text().encode())[:-20],
        "bzip2 data is truncated",
    ),
    "truncated xz": (
        "big.csv.xz",
        lzma.compress(_csv_text().encode())[:-20],
        "xz data is truncated",
    ),
    "truncated zip": ("big.zip", _zip(_csv_text())[:-40], "zip data is truncated"),
    "zip of two": ("two.zip", _zip("a\n1\n", "b\n2\n"), "holds 2 files"),
    "zstandard": ("big.csv.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 20, "zstd -d"),
    "latin-1": ("latin.csv", "température\n1\n2\n".encode("latin-1"), "not UTF-8"),
    "gzip of latin-1": (
        "latin.csv.gz",
        gzip.compress("température\n1\n".encode("latin-1")),
        "inside the gzip data",
    ),
    "empty": ("empty.csv", b"", "the file is empty"),
    "blank lines": ("blank.csv", b"\n\n  \n", "the file is empty"),
    "empty gzip": ("empty.csv.gz", gzip.compress(b""), "the file is empty"),
    "header only": ("header.csv", b"a,b\n", "header but no data rows"),
    "duplicate names": ("dup.csv", b"a,a,b\n1,2,3\n", "names column 'a' twice"),
    "duplicate names ;": ("dup.csv", b"x;y;x\n1;2;3\n", "names column 'x' twice"),
    "saved index": ("idx.csv", b",a,b\n0,1,2\n1,1,2\n", "save with index=False"),
    "trailing comma": ("tc.csv", b"a,b,\n1,2,\n", "column(s) [2] (counting"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_unreadable_csv_is_one_line_with_exit_2(case, tmp_path, capsys, no_training):
    name, data, words = BROKEN[case]
    path = tmp_path / name
    path.write_bytes(data)
    err = _refused(["sweep", "--csv", str(path), "--target", "a", *FAST], capsys)
    assert f"--csv {path}: " in err and words in err, err


def test_truncated_gzip_from_the_shell(tmp_path):
    path = tmp_path / "big.csv.gz"
    path.write_bytes(_gz(_csv_text(400))[:-50])
    result = run_python("-m", "sk_alrnn", "sweep", "--csv", path, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(path) in result.stderr and "gzip data is truncated" in result.stderr
    assert "get it again" in result.stderr  # the fix


@pytest.mark.parametrize(
    "case, argv, words",
    [
        ("missing", ["--csv", "{tmp}/none.csv"], "no such file; check the name"),
        ("folder", ["--csv", "{tmp}"], "is a folder; expected a CSV file"),
    ],
)
def test_missing_file_and_folder(case, argv, words, tmp_path, capsys, no_training):
    argv = [a.format(tmp=tmp_path) for a in argv]
    err = _refused(["sweep", *argv, "--target", "a"], capsys)
    assert words in err


def test_unreadable_permissions_say_so(tmp_path, capsys, monkeypatch, no_training):
    path = tmp_path / "secret.csv"
    path.write_text(_csv_text())
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make open() refuse instead

        def denied(file, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(file))

        monkeypatch.setattr(csv_file, "open", denied, raising=False)
    try:
        err = _refused(["sweep", "--csv", str(path), "--target", "a"], capsys)
    finally:
        path.chmod(0o644)
    assert str(path) in err and "permission denied" in err and "chmod u+r" in err


@pytest.mark.parametrize(
    "name, pack",
    [
        ("s.csv.gz", _gz),
        ("s.csv.bz2", lambda t: bz2.compress(t.encode())),
        ("s.csv.xz", lambda t: lzma.compress(t.encode())),
        ("s.zip", _zip),
        ("gzipped.csv", _gz),  # told by the first bytes, not the name
        ("bom.csv", lambda t: b"\xef\xbb\xbf" + t.encode()),
    ],
)
def test_compressed_csv_reads_like_the_plain_one(name, pack, tmp_path):
    text = _csv_text()
    plain, packed = tmp_path / "s.csv", tmp_path / name
    plain.write_text(text)
    packed.write_bytes(pack(text))
    loaded = []
    for path in (plain, packed):
        argv = ["sweep", "--csv", str(path), "--target", "a"]
        loaded.append(_load(argv))
    assert loaded[1].source["inputs"] == ["a", "b"]
    np.testing.assert_array_equal(loaded[0].X, loaded[1].X)
    np.testing.assert_array_equal(loaded[0].y, loaded[1].y)


def test_csv_values_are_read_exactly(tmp_path):
    """Every float round-trips: pandas < 3's default parser is one ulp off."""
    values = np.random.default_rng(3).normal(size=200) * 10.0 ** np.arange(-4, 6, 0.05)
    path = tmp_path / "exact.csv"
    path.write_text("v\n" + "\n".join(repr(float(v)) for v in values) + "\n")
    argv = ["sweep", "--csv", str(path), "--target", "v", "--window", "1"]
    data = _load(argv)
    np.testing.assert_array_equal(data.series.values, values)
    np.testing.assert_array_equal(data.y, values[1:])


def test_duplicate_header_names_all_of_them(tmp_path, capsys, no_training):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a,c,b\n" + "1,2,3,4,5\n" * 30)
    err = _refused(["sweep", "--csv", str(path), "--target", "c"], capsys)
    assert "columns 0 and 2" in err and "['a', 'b']" in err and "rename" in err


def test_non_numeric_feature_is_named(tmp_path, capsys, no_training):
    rows = "\n".join(f"{i},{np.sin(i):.4f},{'xy'[i % 2]}" for i in range(40))
    path = tmp_path / "mixed.csv"
    path.write_text("t,level,label\n" + rows + "\n")
    argv = ["sweep", "--csv", str(path), "--target", "level"]
    err = _refused([*argv, "--features", "label", "t"], capsys)
    assert "['label'] are not numeric" in err and "'x'" in err and "--features" in err
    # left out, the same file is fine
    args = build_parser()[0].parse_args([*argv, "--features", "t"])
    assert load_data(request_from_args(args)).source["inputs"] == ["t", "level"]


def test_a_header_of_numbers_is_taken_for_data(tmp_path, capsys, no_training):
    path = tmp_path / "nohead.csv"
    path.write_text("".join(f"{i / 10},{i}\n" for i in range(40)))
    err = _refused(["sweep", "--csv", str(path), "--target", "a"], capsys)
    assert "no column 'a'" in err and "first row is data" in err


def test_decimal_commas_are_recognised(tmp_path, capsys, no_training):
    path = tmp_path / "eu.csv"
    path.write_text("a;b\n" + "".join(f"{i},5;{i}\n" for i in range(40)))
    err = _refused(["sweep", "--csv", str(path), "--target", "a"], capsys)
    assert "'a' holds '0,5' at data row 0" in err and "decimal comma" in err


def test_ragged_rows_say_what_is_expected(tmp_path, capsys, no_training):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n1,2,3,4\n")
    err = _refused(["sweep", "--csv", str(path), "--target", "a"], capsys)
    assert "could not read it as CSV" in err and "one value per header column" in err


# -- output paths: checked before any training ---------------------------------
def _bad_outputs(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return [
        (["--json", str(tmp_path)], "is a folder; expected a file name"),
        (["--plot", str(tmp_path)], "is a folder; expected a file name"),
        (["--json", str(blocker / "out.json")], "is a file, not a folder"),
        (["--plot", str(blocker / "sub" / "f.png")], "is a file, not a folder"),
        (["--plot", str(tmp_path / "f.docx")], "cannot save .docx figures"),
        (
            ["--json", str(tmp_path / "x"), "--plot", str(tmp_path / "x")],
            "both name",
        ),
    ]


@pytest.mark.parametrize("task", [True, False], ids=["task", "csv"])
def test_bad_output_paths_fail_before_training(task, tmp_path, capsys, no_training):
    csv = tmp_path / "s.csv"
    csv.write_text(_csv_text())
    source = TASK if task else ["--csv", str(csv), "--target", "a", *FAST]
    for flags, words in _bad_outputs(tmp_path):
        if "--plot" in flags:
            pytest.importorskip("matplotlib")
        err = _refused(["sweep", *source, *flags], capsys)
        assert flags[1] in err and words in err, (flags, err)


def test_output_folder_not_writable(tmp_path, capsys, monkeypatch, no_training):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the check say no
        monkeypatch.setattr(os, "access", lambda *a, **k: False)
    try:
        target = folder / "new" / "out.json"  # missing folders are made ...
        err = _refused(["sweep", *TASK, "--json", str(target)], capsys)
    finally:
        folder.chmod(0o755)
    assert f"cannot write in the folder {folder}" in err  # ... where one can


def test_a_late_write_failure_keeps_the_report(tmp_path, capsys, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sk_alrnn.cli.write_json", full)
    path = tmp_path / "out.json"
    argv = ["sweep", *TASK, "--n-nonlinear", "0", "--json", str(path)]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "n_nonlinear" in out  # the table was printed
    assert err.strip().count("\n") == 0
    assert f"--json {path}: could not write it (" in err and "No space left" in err
