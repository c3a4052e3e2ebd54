"""First-call overhead of a kernel: cold (compiling) and warm (cached) numba runs.

Used by bench_kernels.py; each phase runs in a fresh interpreter with its own
NUMBA_CACHE_DIR and reports import times and the first two calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

# Run in a fresh interpreter: imports, then the first forward + backward call.
# argv: kernel name, torch threads, dtype name. Prints one JSON line.
FIRST_CALL_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
from sk_alrnn._nn._kernels import use_kernel
from sk_alrnn._nn._model import ALRNN
t2 = time.perf_counter()
import importlib
importlib.import_module("sk_alrnn._nn._kernels.numba_cpu")
t3 = time.perf_counter()
torch.set_num_threads(int(sys.argv[2]))
gen = torch.Generator().manual_seed(0)
dtype = getattr(torch, sys.argv[3])
net = ALRNN(2, 8, 2, 1, generator=gen, dtype=dtype)
X = torch.randn(8, 20, 2, generator=gen, dtype=dtype)
times = []
for _ in range(2):
    start = time.perf_counter()
    with use_kernel(sys.argv[1]):
        net(X).square().mean().backward()
    times.append(time.perf_counter() - start)
print(json.dumps({
    "import_torch_s": t1 - t0,
    "import_sk_alrnn_s": t2 - t1,
    "import_kernel_s": t3 - t2,
    "first_call_s": times[0],
    "second_call_s": times[1],
}))
"""


def first_call(kernel: str, threads: int, dtype: str) -> dict:
    """Cold (compiling) and warm (cached) first call in fresh processes.

    Parameters
    ----------
    kernel : str
        The kernel forced in the child processes.
    threads : int
        torch threads in the child processes.
    dtype : str
        ``"float32"`` or ``"float64"``.

    Returns
    -------
    result : dict
        ``{"cold": {...}, "warm": {...}}``, each with the import times, the first
        and second call in seconds, and the files in the cache folder afterwards.
    """
    command = [sys.executable, "-c", FIRST_CALL_CHILD, kernel, str(threads), dtype]
    result = {}
    with tempfile.TemporaryDirectory(prefix="sk_alrnn_numba_cache_") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for phase in ("cold", "warm"):
            proc = subprocess.run(
                command,
                env=env,
                cwd=cache,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
                result[phase] = {"error": tail[0]}
                continue
            entry = json.loads(proc.stdout.strip().splitlines()[-1])
            entry["cache_files"] = sum(len(f) for _, _, f in os.walk(cache))
            result[phase] = entry
    return result
