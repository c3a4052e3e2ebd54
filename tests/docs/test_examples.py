"""Every gallery script in examples/ runs to completion, headless, in under a minute."""

import os

import pytest
from support import REPO, run_script

EXAMPLES = sorted((REPO / "examples").glob("*.py"))
TIME_LIMIT_S = 60


def test_there_are_examples():
    assert EXAMPLES, "no scripts found in examples/"


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    pytest.importorskip("matplotlib")
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "SK_ALRNN_FIGURE_DIR": str(tmp_path),  # examples may save figures here
        # One torch thread: the examples' small models gain nothing from more,
        # and extra threads slow down badly when pytest shares the machine.
        "OMP_NUM_THREADS": "1",
    }
    result = run_script(
        script,
        cwd=tmp_path,  # anything written to the current folder lands here
        env=env,
        time_limit=TIME_LIMIT_S,
    )
    assert result.returncode == 0, (
        f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    )
