"""What the benchmarks print about the machine: CPU model and vector flags.

Ratios differ between CPUs, so every benchmark prints these with its numbers.
Never imported by the package.
"""

from __future__ import annotations

import platform
from pathlib import Path

WANTED_FLAGS = ("sse3", "avx", "avx2", "fma", "avx512f", "amx_tile", "asimd", "sve")


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    for line in _cpuinfo():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def cpu_flags() -> list[str]:
    """The CPU's vector-unit flags that matter for the kernels."""
    for line in _cpuinfo():
        if line.startswith(("flags", "Features")):
            have = set(line.split(":", 1)[1].split())
            return [f for f in WANTED_FLAGS if f in have]
    return []
