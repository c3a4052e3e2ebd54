"""Time the AL-RNN recurrence kernels against ``torch.nn.RNN`` and a research loop.

Usage::

    python benchmarks/bench_kernels.py                  # a few minutes on 2 cores
    python benchmarks/bench_kernels.py --quick          # smoke run, seconds
    python benchmarks/bench_kernels.py --threads 2 --dtype float64 --out /tmp/k.json

What is measured, for each size (B, T, M, P, K) = (batch, time steps, latent units,
ReLU units, input features) and one output (O = 1):

- ``train``: one training step, ``zero_grad`` + forward + mean squared error of the
  readout at the last step + backward + Adam step (the same Adam, ``--adam``, for
  every variant);
- ``inference``: one forward pass under ``torch.no_grad()``.

Variants:

- ``nn.RNN``: ``torch.nn.RNN(nonlinearity="relu", batch_first=True)`` with M hidden
  units and a ``Linear(M, 1)`` readout of the last step; the baseline (ratio 1.0);
- ``eager``: an AL-RNN written as research code does it, a Python loop that per step
  slices the linear and ReLU parts, concatenates them and multiplies (no
  precomputed input drive, one autograd node per operation);
- ``ref``, ``torch``, ``numba``: ``sk_alrnn``'s ``ALRNN`` module with the
  recurrence kernel forced by ``sk_alrnn._nn._kernels.use_kernel``. A kernel that is not
  available (for instance before ``numba_cpu.py`` exists) is reported as ``n/a``.

All variants of one size start from the same AL-RNN weights (the eager loop gets a
copy of the module's), and before timing their outputs and gradients are compared
with the reference kernel, so a fast but wrong kernel shows up in the output.

Timing: every case is warmed up, then a sample is the mean of enough back-to-back
calls to last ``--min-sample-ms``; ``--repeats`` rounds each take one sample of
every case, in an order rotated from round to round, so that slow drifts of a
shared machine spread over all variants. Tables report medians as ratios to
``nn.RNN`` of the same size (below 1 is faster), and the eager loop's time divided
by each kernel's (above 1 is faster).

First call: the numba kernel compiles on its first call and caches the machine
code. Two fresh processes share a new, empty ``NUMBA_CACHE_DIR``: the first
compiles (cold), the second loads the cache (warm). Each reports the time of its
first forward + backward call, and separately the time to import torch, sk_alrnn
and the kernel module (numba compiling eagerly at import would show up there).

Targets (checked for the numba and torch kernels, printed as PASS / MISS / n/a):
train step <= 0.4x nn.RNN at (32,100,32) and (32,500,64), <= 1.0x at
(128,100,128) and within 2.5x of the GEMM floor there; at least 10x faster than
the eager loop at (1,2000,16); inference <= 0.5x nn.RNN at every size; first
call <= 3 s cold and <= 0.3 s with a warm cache.

References: ``nn.RNN`` as it comes, ``nn.RNN ftz`` the same model with
``torch.set_flush_denormal(True)`` (the fair reference, since the sk_alrnn
kernels run with subnormals flushed, as ``fit`` and ``predict`` run them), and
the GEMM floor: one single-thread ``torch.mm`` of (B, M) @ (M, M) timed in the
same rounds, times T for inference and 3T for a train step (the three products
per step of a recurrence with BPTT), the arithmetic any implementation does.
The CPU model and its vector flags are printed: ratios differ between CPUs.

Results (raw medians in ms, ratios, machine info) go to ``--out`` as JSON. This
script is never imported by the package.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from _first_call import first_call
from _machine import cpu_flags, cpu_model
from _variants import EagerALRNN, RNNBaseline, check_agreement, kernel_status
from torch import nn

from sk_alrnn import __version__
from sk_alrnn._nn._kernels import KERNELS, select_kernel, use_kernel
from sk_alrnn._nn._kernels.fpenv import flush_denormals
from sk_alrnn._nn._model import ALRNN

DEFAULT_OUT = Path(__file__).parent / "results" / "bench_kernels.json"
# (B batch, T time steps, M latent units, P ReLU units, K input features)
SIZES = [
    (8, 20, 8, 1, 2),
    (32, 100, 32, 4, 2),
    (32, 500, 64, 8, 4),
    (128, 100, 128, 16, 8),
    (1, 2000, 16, 2, 1),
]
QUICK_SIZES = SIZES[:2]
# variant key -> (short column name, kernel forced while it runs)
VARIANTS = {
    "nn_rnn": ("nn.RNN", None),
    "nn_rnn_ftz": ("nn.RNN ftz", None),
    "gemm": ("GEMM floor", None),
    "eager_loop": ("eager", None),
    "alrnn_reference": ("ref", "reference"),
    "alrnn_torch": ("torch", "torch"),
    "alrnn_numba": ("numba", "numba"),
}
KERNEL_VARIANT = {kernel: key for key, (_, kernel) in VARIANTS.items() if kernel}
TARGET_KERNELS = ("numba", "torch")
MODES = ("train", "inference")
COLD_LIMIT_S = 3.0
WARM_LIMIT_S = 0.3


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults in --help, except for flags and mode-dependent (None) ones."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: the two smallest sizes, 3 repeats, short samples",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="rounds (default: 15; --quick: 3)"
    )
    parser.add_argument(
        "--min-sample-ms",
        type=float,
        default=None,
        help="shortest time of one sample of back-to-back calls "
        "(default: 20; --quick: 2)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (0: torch's default)"
    )
    parser.add_argument(
        "--dtype", default="float32", choices=["float32", "float64"], help="precision"
    )
    parser.add_argument(
        "--adam",
        default="fused",
        choices=["fused", "foreach", "plain"],
        help="Adam implementation used by every variant (fused: as ALRNNRegressor)",
    )
    parser.add_argument(
        "--no-first-call",
        action="store_true",
        help="skip the cold/warm first-call subprocesses",
    )
    parser.add_argument("--seed", type=int, default=0, help="weights and data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 15
    if args.min_sample_ms is None:
        args.min_sample_ms = 2.0 if args.quick else 20.0
    if args.repeats < 1 or args.threads < 0 or args.min_sample_ms < 0:
        parser.error("--repeats must be >= 1, --threads and --min-sample-ms >= 0")
    args.sizes = QUICK_SIZES if args.quick else SIZES
    return args


# -- one size -------------------------------------------------------------------------
@dataclass
class Case:
    """One timed configuration: a size, a mode and a variant."""

    size: tuple[int, int, int, int, int]
    mode: str
    variant: str
    call: Callable[[], None]
    number: int = 1  # back-to-back calls per sample
    times: list[float] = field(default_factory=list)  # seconds per call


def _optimizer(model: nn.Module, adam: str) -> torch.optim.Optimizer:
    options = {"fused": {"fused": True}, "foreach": {"foreach": True}, "plain": {}}
    return torch.optim.Adam(model.parameters(), lr=1e-3, **options[adam])


@contextlib.contextmanager
def _denormals(key: str):
    """The floating-point environment each variant runs in.

    The sk_alrnn kernels run as ``fit`` and ``predict`` run them, with subnormals
    flushed; ``nn_rnn_ftz`` is nn.RNN with ``torch.set_flush_denormal(True)``,
    the fair reference; the other variants run with the default environment.
    """
    if key == "nn_rnn_ftz":
        torch.set_flush_denormal(True)
        try:
            yield
        finally:
            torch.set_flush_denormal(False)
    elif key in ("alrnn_torch", "alrnn_numba"):
        with flush_denormals():
            yield
    else:
        yield


def _train_call(model, X, y, kernel, adam, key) -> Callable[[], None]:
    optimizer = _optimizer(model, adam)

    def call() -> None:
        with use_kernel(kernel), _denormals(key):
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(model(X), y)
            loss.backward()
            optimizer.step()

    return call


def _inference_call(model, X, kernel, key) -> Callable[[], None]:
    def call() -> None:
        with torch.no_grad(), use_kernel(kernel), _denormals(key):
            model(X)

    return call


def _gemm_call(n_batch: int, n_hidden: int, dtype) -> Callable[[], None]:
    """One (B, M) @ (M, M) product: a step of the recurrence's arithmetic."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n_batch, n_hidden, generator=gen, dtype=dtype)
    w = torch.randn(n_hidden, n_hidden, generator=gen, dtype=dtype)
    out = torch.empty(n_batch, n_hidden, dtype=dtype)

    def call() -> None:
        torch.mm(a, w, out=out)

    return call


def build_cases(
    size: tuple[int, int, int, int, int],
    available: list[str],
    args: argparse.Namespace,
    dtype: torch.dtype,
) -> tuple[list[Case], dict]:
    """Models, data and timed calls of one size.

    Parameters
    ----------
    size : tuple
        (B, T, M, P, K).
    available : list of str
        Variant keys to build (unavailable kernels left out).
    args : argparse.Namespace
        Command line (``adam``, ``seed``).
    dtype : torch.dtype

    Returns
    -------
    cases : list of Case
        A train and an inference case per variant.
    errors : dict
        The output of :func:`check_agreement` for this size.
    """
    n_batch, n_steps, n_hidden, n_nonlinear, n_features = size
    gen = torch.Generator().manual_seed(args.seed)
    X = torch.randn(n_batch, n_steps, n_features, generator=gen, dtype=dtype)
    y = torch.randn(n_batch, 1, generator=gen, dtype=dtype)  # (B, O)
    alrnn = ALRNN(n_features, n_hidden, n_nonlinear, 1, generator=gen, dtype=dtype)
    torch.manual_seed(args.seed)  # nn.RNN initialises from the global generator
    models: dict[str, nn.Module] = {}
    for key in available:
        if key == "gemm":
            continue
        if key == "nn_rnn":
            models[key] = RNNBaseline(n_features, n_hidden, 1).to(dtype)
        elif key == "nn_rnn_ftz":  # the same weights as nn_rnn
            models[key] = RNNBaseline(n_features, n_hidden, 1).to(dtype)
            models[key].load_state_dict(models["nn_rnn"].state_dict())
        elif key == "eager_loop":
            models[key] = EagerALRNN(alrnn)
        else:  # every kernel gets its own copy (and its own optimizer state)
            clone = ALRNN(n_features, n_hidden, n_nonlinear, 1, dtype=dtype)
            clone.load_state_dict(alrnn.state_dict())
            models[key] = clone
    kernels = {key: kernel for key, (_, kernel) in VARIANTS.items()}
    errors = check_agreement(models, X, y, kernels)
    cases = []
    for key, model in models.items():
        kernel = VARIANTS[key][1]
        train = _train_call(model, X, y, kernel, args.adam, key)
        cases.append(Case(size, "train", key, train))
        infer = _inference_call(model, X, kernel, key)
        cases.append(Case(size, "inference", key, infer))
    if "gemm" in available:
        for mode in MODES:
            cases.append(Case(size, mode, "gemm", _gemm_call(n_batch, n_hidden, dtype)))
    return cases, errors


def _sample(case: Case) -> float:
    """Seconds per call, averaged over ``case.number`` back-to-back calls."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit: no collector pauses inside a sample
    try:
        start = time.perf_counter()
        for _ in range(case.number):
            case.call()
        return (time.perf_counter() - start) / case.number
    finally:
        if gc_was_enabled:
            gc.enable()


def warm_up(case: Case, min_sample_s: float) -> None:
    """Run a case a few times, then choose its calls per sample."""
    for _ in range(2):
        case.call()
    case.number = 1
    per_call = min(_sample(case) for _ in range(2))
    case.number = max(1, min(1000, math.ceil(min_sample_s / max(per_call, 1e-9))))


def run_rounds(groups: list[list[Case]], repeats: int) -> None:
    """Take ``repeats`` samples of every case, interleaved.

    Parameters
    ----------
    groups : list of list of Case
        Cases of one size per group; in round r each group runs rotated by r.
    repeats : int
    """
    for r in range(repeats):
        for cases in groups:
            shift = r % len(cases)
            for case in cases[shift:] + cases[:shift]:
                case.times.append(_sample(case))


# -- report -----------------------------------------------------------------------
def _label(size: tuple[int, ...]) -> str:
    return "(" + ",".join(map(str, size)) + ")"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def summarise(cases: list[Case], sizes: list[tuple]) -> dict:
    """Medians and ratios per size and mode.

    Returns
    -------
    table : dict
        ``table[mode][size label]`` with ``median_ms`` per variant, ``ratio_to_rnn``
        per variant and ``eager_over`` (eager-loop time / kernel time) per kernel;
        missing variants are None.
    """
    table: dict = {mode: {} for mode in MODES}
    by_key = {(c.size, c.mode, c.variant): c for c in cases}
    for mode in MODES:
        for size in sizes:
            medians = {}
            for key in VARIANTS:
                case = by_key.get((size, mode, key))
                medians[key] = 1e3 * statistics.median(case.times) if case else None
            if medians["gemm"] is not None:  # per step: 1 product, 3 with BPTT
                medians["gemm"] *= size[1] * (3 if mode == "train" else 1)
            floor, rnn_ftz = medians["gemm"], medians["nn_rnn_ftz"]
            rnn, eager = medians["nn_rnn"], medians["eager_loop"]
            table[mode][_label(size)] = {
                "median_ms": medians,
                "min_ms": {
                    k: 1e3 * min(by_key[(size, mode, k)].times)
                    for k in VARIANTS
                    if (size, mode, k) in by_key
                },
                "calls_per_sample": {
                    k: by_key[(size, mode, k)].number
                    for k in VARIANTS
                    if (size, mode, k) in by_key
                },
                "ratio_to_rnn": {
                    k: None if m is None or rnn is None else m / rnn
                    for k, m in medians.items()
                },
                "ratio_to_rnn_ftz": {
                    k: None if m is None or rnn_ftz is None else m / rnn_ftz
                    for k, m in medians.items()
                },
                "ratio_to_gemm_floor": {
                    k: None if m is None or floor is None else m / floor
                    for k, m in medians.items()
                },
                "eager_over": {
                    kernel: None
                    if eager is None or medians[KERNEL_VARIANT[kernel]] is None
                    else eager / medians[KERNEL_VARIANT[kernel]]
                    for kernel in KERNELS
                },
            }
    return table


def check_targets(table: dict, first: dict | None) -> list[dict]:
    """PASS / MISS / n/a for each target and each of the fast kernels."""

    def ratio(mode: str, size: tuple, kernel: str) -> float | None:
        row = table[mode].get(_label(size))
        return None if row is None else row["ratio_to_rnn"][KERNEL_VARIANT[kernel]]

    def speedup(size: tuple, kernel: str) -> float | None:
        row = table["train"].get(_label(size))
        return None if row is None else row["eager_over"][kernel]

    specs = []  # (description, {kernel: value}, limit, "le" | "ge")
    for size in (SIZES[1], SIZES[2]):
        values = {k: ratio("train", size, k) for k in TARGET_KERNELS}
        specs.append((f"train <= 0.4x nn.RNN at {_label(size)}", values, 0.4, "le"))
    values = {k: ratio("train", SIZES[3], k) for k in TARGET_KERNELS}
    specs.append((f"train <= 1.0x nn.RNN at {_label(SIZES[3])}", values, 1.0, "le"))
    values = {k: speedup(SIZES[4], k) for k in TARGET_KERNELS}
    description = f"train >= 10x faster than eager at {_label(SIZES[4])}"
    specs.append((description, values, 10.0, "ge"))
    row = table["train"].get(_label(SIZES[3]))
    values = {
        k: None if row is None else row["ratio_to_gemm_floor"][KERNEL_VARIANT[k]]
        for k in TARGET_KERNELS
    }
    description = f"train <= 2.5x the GEMM floor at {_label(SIZES[3])}"
    specs.append((description, values, 2.5, "le"))
    for size in SIZES:
        values = {k: ratio("inference", size, k) for k in TARGET_KERNELS}
        specs.append((f"inference <= 0.5x nn.RNN at {_label(size)}", values, 0.5, "le"))
    for phase, limit in (("cold", COLD_LIMIT_S), ("warm", WARM_LIMIT_S)):
        value = (first or {}).get(phase, {}).get("first_call_s")
        specs.append(
            (f"{phase} first call < {limit:g} s", {"numba": value}, limit, "le")
        )
    targets = []
    for description, values, limit, sense in specs:
        status = {}
        for kernel in TARGET_KERNELS:
            if kernel not in values:
                continue
            value = values[kernel]
            if value is None:
                status[kernel] = "n/a"
            elif value <= limit if sense == "le" else value >= limit:
                status[kernel] = "PASS"
            else:
                status[kernel] = "MISS"
        targets.append(
            {
                "target": description,
                "limit": limit,
                "values": values,
                "status": status,
            }
        )
    return targets


def print_report(
    table: dict, targets: list[dict], first: dict | None, args, status
) -> None:
    """Print the ratio tables, the first-call times and the targets."""
    shown = [k for k in VARIANTS if k != "nn_rnn"]
    header = ["size (B,T,M,P,K)", "nn.RNN [ms]"]
    header += [VARIANTS[k][0] for k in shown] + ["eager/numba", "eager/torch"]
    widths = [max(len(h), 8) for h in header]
    widths[0] = 22
    for mode in MODES:
        what = "train step" if mode == "train" else "inference (no_grad)"
        print(
            f"\n{what}: median of {args.repeats} interleaved repeats, ratio to "
            "nn.RNN (lower is faster); eager/<kernel>: speed-up over the eager loop"
        )
        print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for label, row in table[mode].items():
            rnn = row["median_ms"]["nn_rnn"]
            cells = [label, "n/a" if rnn is None else f"{rnn:.3f}"]
            cells += [_ratio(row["ratio_to_rnn"][k]) for k in shown]
            cells += [_ratio(row["eager_over"][k]) for k in ("numba", "torch")]
            print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))

    print(
        "\nagainst the fair references: ratio to nn.RNN with denormals flushed, "
        "and to the GEMM floor (one (B,M)@(M,M) torch.mm per step, 3 with BPTT, "
        "timed in this run)"
    )
    for mode in MODES:
        for label, row in table[mode].items():
            cells = [
                f"{VARIANTS[k][0]} {_ratio(row['ratio_to_rnn_ftz'][k])} / "
                f"{_ratio(row['ratio_to_gemm_floor'][k])}"
                for k in ("nn_rnn", "alrnn_torch", "alrnn_numba")
            ]
            print(f"  {mode:9s} {label:>20s}  " + "   ".join(cells))

    print("\nfirst call of the numba kernel (fresh processes, own NUMBA_CACHE_DIR)")
    if first is None:
        reason = status.get("numba") or "skipped (--no-first-call)"
        print(f"  n/a: {reason}")
    else:
        for phase in ("cold", "warm"):
            e = first.get(phase, {})
            if "error" in e:
                print(f"  {phase}: failed: {e['error']}")
                continue
            print(
                f"  {phase}: first call {e['first_call_s']:.3f} s, second "
                f"{1e3 * e['second_call_s']:.2f} ms; imports: torch "
                f"{e['import_torch_s']:.2f} s, sk_alrnn {e['import_sk_alrnn_s']:.2f} s,"
                f" kernel module {e['import_kernel_s']:.2f} s; cache files "
                f"{e['cache_files']}"
            )

    print("\ntargets")
    width = max(len(t["target"]) for t in targets)
    print(f"{'target'.ljust(width)}  {'numba':>14}  {'torch':>14}")
    for t in targets:
        cells = []
        for kernel in TARGET_KERNELS:
            if kernel not in t["status"]:
                cells.append("-".rjust(14))
                continue
            value = t["values"][kernel]
            shown_value = "" if value is None else f"{value:.2f} "
            cells.append(f"{shown_value}{t['status'][kernel]}".rjust(14))
        print(f"{t['target'].ljust(width)}  " + "  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(args.seed)
    status = kernel_status(dtype)
    available = [
        key
        for key, (_, kernel) in VARIANTS.items()
        if kernel is None or not status[kernel]
    ]
    print(
        f"sk_alrnn {__version__}, torch {torch.__version__}, {args.dtype}, "
        f"{torch.get_num_threads()} thread(s), Adam {args.adam}, CPU {cpu_model()} "
        f"({' '.join(cpu_flags())})"
    )
    for name in KERNELS:
        print(f"kernel {name}: {'available' if not status[name] else status[name]}")

    start = time.perf_counter()
    groups, errors = [], {}
    for size in args.sizes:
        cases, errors[_label(size)] = build_cases(size, available, args, dtype)
        for case in cases:
            warm_up(case, args.min_sample_ms / 1e3)
        groups.append(cases)
    tolerance = 1e-3 if dtype == torch.float32 else 1e-9
    for label, errs in errors.items():
        for key, err in errs.items():
            if err > tolerance:
                print(
                    f"WARNING: {key} at {label} deviates from the reference: {err:.2e}"
                )
    run_rounds(groups, args.repeats)
    timed = time.perf_counter() - start

    first = None
    if not args.no_first_call and not status["numba"]:
        threads = args.threads or torch.get_num_threads()
        first = first_call("numba", threads, args.dtype)
    all_cases = [case for cases in groups for case in cases]
    table = summarise(all_cases, args.sizes)
    targets = check_targets(table, first)
    print_report(table, targets, first, args, status)
    print(f"\ntimed part: {timed:.1f} s")

    numba_version = None
    with contextlib.suppress(ImportError):
        import numba

        numba_version = numba.__version__
    document = {
        "benchmark": "bench_kernels",
        "settings": {
            "sizes": [dict(zip("BTMPK", s, strict=True)) for s in args.sizes],
            "n_outputs": 1,
            "loss": "mse of the readout at the last step",
            "repeats": args.repeats,
            "min_sample_ms": args.min_sample_ms,
            "adam": args.adam,
            "quick": args.quick,
            "seed": args.seed,
        },
        "machine": {
            "cpu_model": cpu_model(),
            "cpu_flags": cpu_flags(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "dtype": args.dtype,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "numba": numba_version,
            "sk_alrnn": __version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "kernels": {
            name: {"available": not reason, "reason": reason}
            for name, reason in status.items()
        },
        "default_kernel": select_kernel(torch.zeros(1, 1, 1, dtype=dtype)),
        "max_rel_error_vs_reference": errors,
        "results": table,
        "first_call": first,
        "targets": targets,
        "timed_s": timed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
