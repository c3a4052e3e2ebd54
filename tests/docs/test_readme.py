"""README.md and the user guide stay true: their python code blocks run as written.

The README is the landing page; the long sections live in docs/user_guide/*.md
(the Sphinx user guide), whose python blocks are run here just like the README's.
"""

import ast
import contextlib
import importlib
import io
import pkgutil
import re
import warnings
from pathlib import Path

import pytest
import torch
from support import REPO

import sk_alrnn

ROOT = REPO
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "user_guide"
PAGES = [README, *sorted(GUIDE.glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language, path=README):
    """(line number, code) of every fenced block in the given language."""
    text = path.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == language
    ]


PYTHON_BLOCKS = [
    (path.relative_to(ROOT).as_posix(), line, code)
    for path in PAGES
    for line, code in _blocks("python", path)
]


def test_setup_has_exactly_the_two_commands():
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [code.strip() for _, code in _blocks("bash") if code in setup]
    assert commands == [
        "pip install torch==2.13.0 && pip install -e . && python -m sk_alrnn",
        'pip install torch==2.13.0 && pip install -e ".[test,dask]" && pytest',
    ]


def test_readme_is_a_landing_page_linking_every_guide_page():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    for page in sorted(GUIDE.glob("*.md")):
        assert f"(docs/user_guide/{page.name})" in text, page.name


def test_readme_and_guide_have_python_blocks():
    assert _blocks("python"), "the README's quickstart has gone"
    # 12 blocks when they all lived in the README; none may get lost.
    assert len(PYTHON_BLOCKS) >= 12


@pytest.mark.parametrize(
    "page, line, code",
    PYTHON_BLOCKS,
    ids=[f"{Path(page).stem}-line{line}" for page, line, _ in PYTHON_BLOCKS],
)
def test_python_block_runs(page, line, code):
    pytest.importorskip("pandas")
    threads = torch.get_num_threads()
    # One thread: the small models gain nothing from more, and extra
    # threads slow down badly when other work shares the machine.
    torch.set_num_threads(1)
    out = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out):
            exec(compile(code, f"{page}, block at line {line}", "exec"), {})
    finally:
        torch.set_num_threads(threads)
    printed = out.getvalue()
    if "np.allclose" in code:  # the numpy recurrence reproduces predict
        assert printed.strip().endswith("True"), printed


def _api_modules():
    """docs/conf.py's API_MODULES, read without running the Sphinx config."""
    tree = ast.parse((ROOT / "docs" / "conf.py").read_text(encoding="utf-8"))
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id == "API_MODULES":
            return [name for name, _ in ast.literal_eval(node.value)]
    raise AssertionError("docs/conf.py has no API_MODULES")


def test_api_reference_covers_every_public_module():
    documented = set(_api_modules())
    public = {"sk_alrnn"} | {
        f"sk_alrnn.{info.name}"
        for info in pkgutil.iter_modules(sk_alrnn.__path__)
        if not info.name.startswith("_") and info.name != "cli"
    }
    assert public <= documented, sorted(public - documented)
    for name in documented:
        importlib.import_module(name)
