"""Where the per-step GEMM kernel overtakes the fused numba kernel on this CPU.

Usage::

    python benchmarks/bench_crossover.py              # about two minutes on 2 cores
    python benchmarks/bench_crossover.py --quick      # smoke run, seconds
    python benchmarks/bench_crossover.py --out /tmp/crossover.json

For a grid of batch sizes B and latent sizes M (T = 100 steps, P = M // 8 ReLU
units, K = 4 input features, float32, one torch thread, subnormals flushed as
``fit`` runs the kernels), one training step (``zero_grad`` + forward + mean
squared error of the last step's readout + backward + fused Adam step) and one
forward pass under ``torch.no_grad()`` of :class:`sk_alrnn._nn._model.ALRNN`
are timed with the recurrence kernel forced to ``"numba"`` (fused loops) and to
``"torch"`` (one ``torch.mm`` over the whole batch per step). Samples are
interleaved in rotated order over ``--repeats`` rounds; the table prints the
median time of the torch kernel over the numba kernel (below 1: the GEMM path is
faster) and what :func:`sk_alrnn._nn._kernels.select_kernel` picks for that size.

The CPU model and vector flags are printed and stored: the crossover depends on
the CPU (its GEMM library and vector width). Results go to ``--out`` as JSON.
This script is never imported by the package.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from pathlib import Path

import torch
from _machine import cpu_flags, cpu_model
from bench_kernels import Case, _inference_call, _train_call, run_rounds, warm_up

from sk_alrnn import __version__
from sk_alrnn._nn._kernels import select_kernel
from sk_alrnn._nn._kernels.fpenv import flush_denormals
from sk_alrnn._nn._model import ALRNN

DEFAULT_OUT = Path(__file__).parent / "results" / "bench_crossover.json"
BATCHES = (8, 16, 32, 64, 128, 256)
HIDDEN = (16, 32, 64, 100, 128, 192)
N_STEPS, N_FEATURES = 100, 4
KERNELS = ("numba", "torch")
MODES = ("train", "inference")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--repeats", type=int, default=None, help="rounds (7; 2 quick)")
    parser.add_argument("--min-sample-ms", type=float, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (2 if args.quick else 7)
    args.min_sample_ms = args.min_sample_ms or (2.0 if args.quick else 20.0)
    args.batches = BATCHES[1:3] if args.quick else BATCHES
    args.hidden = HIDDEN[:2] if args.quick else HIDDEN
    return args


def build(n_batch: int, n_hidden: int) -> list[Case]:
    """The four timed calls (two kernels, two modes) of one size."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(n_batch, N_STEPS, N_FEATURES, generator=gen)
    y = torch.randn(n_batch, 1, generator=gen)
    base = ALRNN(N_FEATURES, n_hidden, max(1, n_hidden // 8), 1, generator=gen)
    size = (n_batch, N_STEPS, n_hidden)
    cases = []
    for kernel in KERNELS:
        model = ALRNN(N_FEATURES, n_hidden, max(1, n_hidden // 8), 1)
        model.load_state_dict(base.state_dict())
        key = f"alrnn_{kernel}"  # flushes subnormals, as fit does
        cases.append(
            Case(size, "train", kernel, _train_call(model, X, y, kernel, "fused", key))
        )
        cases.append(
            Case(size, "inference", kernel, _inference_call(model, X, kernel, key))
        )
    return cases


def main(argv: list[str] | None = None) -> int:
    """Time the grid, print the table, write the JSON."""
    args = parse_args(argv)
    torch.set_num_threads(1)
    machine = {
        "cpu": cpu_model(),
        "flags": cpu_flags(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sk_alrnn": __version__,
    }
    print(
        f"CPU {machine['cpu']} ({' '.join(machine['flags'])}), "
        f"torch {torch.__version__}, 1 thread"
    )
    groups = [build(b, m) for b in args.batches for m in args.hidden]
    for cases in groups:
        for case in cases:
            warm_up(case, args.min_sample_ms / 1e3)
    run_rounds(groups, args.repeats)
    med = {
        (c.size, c.mode, c.variant): 1e3 * statistics.median(c.times)
        for g in groups
        for c in g
    }
    rows = []
    with flush_denormals():
        for b in args.batches:
            for m in args.hidden:
                size = (b, N_STEPS, m)
                row = {"B": b, "T": N_STEPS, "M": m}
                for mode in MODES:
                    numba_ms, torch_ms = (
                        med[(size, mode, "numba")],
                        med[(size, mode, "torch")],
                    )
                    row[mode] = {
                        "numba_ms": numba_ms,
                        "torch_ms": torch_ms,
                        "torch_over_numba": torch_ms / numba_ms,
                    }
                row["selected"] = select_kernel(torch.zeros(b, N_STEPS, m))
                rows.append(row)
    for mode in MODES:
        print(
            f"\n{mode}: torch-kernel time / numba-kernel time "
            f"(T={N_STEPS}; < 1: GEMM path faster)"
        )
        print("B \\ M " + "".join(f"{m:>8}" for m in args.hidden))
        for b in args.batches:
            cells = [r for r in rows if r["B"] == b]
            print(
                f"{b:>6} "
                + "".join(f"{r[mode]['torch_over_numba']:>8.2f}" for r in cells)
            )
    print("\nselect_kernel picks:")
    for b in args.batches:
        print(f"{b:>6} " + "".join(f"{r['selected']:>8}" for r in rows if r["B"] == b))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "bench_crossover",
                "machine": machine,
                "repeats": args.repeats,
                "rows": rows,
            },
            indent=1,
        )
    )
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
