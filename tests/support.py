"""What tests share besides fixtures: the repository's paths, a subprocess runner."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def run_python(*args, check=False, timeout=600, **kwargs):
    """Run ``python *args`` in a fresh interpreter of this environment.

    Output is captured as text (``result.stdout``, ``result.stderr``); other
    keywords (``env``, ``cwd``, ``input``, ...) go to :func:`subprocess.run`.
    """
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(
        [sys.executable, *map(str, args)], check=check, timeout=timeout, **kwargs
    )
