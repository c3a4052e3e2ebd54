"""README.md stays true: its python code blocks run as written."""

import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest
import torch

README = Path(__file__).parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language):
    """(line number, code) of every fenced block in the given language."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == language
    ]


PYTHON_BLOCKS = _blocks("python")


def test_setup_has_exactly_the_two_commands():
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [code.strip() for _, code in _blocks("bash") if code in setup]
    assert commands == [
        "pip install torch==2.13.0 && pip install -e . && python -m sk_alrnn",
        'pip install torch==2.13.0 && pip install -e ".[test,dask]" && pytest',
    ]


def test_readme_has_python_blocks():
    assert len(PYTHON_BLOCKS) >= 4


@pytest.mark.parametrize(
    "line, code", PYTHON_BLOCKS, ids=[f"line{line}" for line, _ in PYTHON_BLOCKS]
)
def test_python_block_runs(line, code):
    pytest.importorskip("pandas")
    threads = torch.get_num_threads()
    # One thread: the README's small models gain nothing from more, and extra
    # threads slow down badly when other work shares the machine.
    torch.set_num_threads(1)
    out = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out):
            exec(compile(code, f"README.md, block at line {line}", "exec"), {})
    finally:
        torch.set_num_threads(threads)
    printed = out.getvalue()
    if "np.allclose" in code:  # the numpy recurrence reproduces predict
        assert printed.strip().endswith("True"), printed
