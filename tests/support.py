"""What tests share besides fixtures: the repository's paths, a subprocess runner."""

import subprocess
import sys
from pathlib import Path

import pytest

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


def run_script(path, *args, cwd, env, time_limit):
    """Run ``python path *args`` in ``cwd`` with ``env``; fail the test past
    ``time_limit`` seconds, showing what the script printed until then.

    Returns the completed process: exit status not checked, output captured as
    text (``result.stdout``, ``result.stderr``).
    """
    try:
        return run_python(path, *args, cwd=cwd, env=env, timeout=time_limit)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"{Path(path).name} {' '.join(map(str, args))} took more than "
            f"{time_limit} s:\n{_text(exc.stdout)}\n{_text(exc.stderr)}"
        )


def _text(stream):
    # TimeoutExpired holds bytes (or None) whatever text= said
    if isinstance(stream, bytes):
        return stream.decode(errors="replace")
    return stream or ""
