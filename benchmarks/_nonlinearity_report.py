"""Tables and figures for bench_nonlinearity.py (reads its JSON document only)."""

from __future__ import annotations

from pathlib import Path


def _cell(s: dict | None) -> str:
    if s is None:
        return "-"
    star = "" if s["converged"] else "*"
    return f"{s['mean']:.3f} ± {s['std']:.3f}{star}"


def _order(summary: dict) -> list[str]:
    alrnn = sorted(
        (s["n_nonlinear"], label)
        for label, s in summary.items()
        if s["model"] == "alrnn"
    )
    return [label for _, label in alrnn] + [
        label for label, s in summary.items() if s["model"] != "alrnn"
    ]


def markdown_report(doc: dict) -> str:
    """Two markdown tables: score against P (+ baselines), learning curves."""
    tasks = doc["tasks"]
    s = doc["settings"]
    lines = [
        f"### Test score against P ({doc['mode']} mode: {s['seeds']} seeds, "
        f"{s['n_train']} train / {s['n_test']} test sequences)",
        "",
    ]
    labels = []
    for result in tasks.values():
        for label in _order(result["summary"]):
            key = label.split(" ")[0] if "(=M)" in label else label
            if key not in labels and "(=M)" not in label:
                labels.append(key)
    columns = [lab for lab in labels if lab.startswith("P=")]
    columns += ["P=M", *[lab for lab in labels if not lab.startswith("P=")]]
    lines.append(
        "| task (score) | trivial | " + " | ".join(columns) + " | needed P | sparse P |"
    )
    lines.append("|" + "---|" * (len(columns) + 4))
    for name, result in tasks.items():
        by_col = {}
        for label, summ in result["summary"].items():
            by_col["P=M" if "(=M)" in label else label] = summ
        cells = [_cell(by_col.get(col)) for col in columns]
        lines.append(
            f"| {name} ({result['score_name']}) | {result['trivial_score']:.3f} | "
            + " | ".join(cells)
            + f" | {result['needed_n_nonlinear']} | "
            f"{result['sparse_n_nonlinear']} |"
        )
    lines += [
        "",
        "Mean ± std over seeds; P=M is the fully piecewise-linear RNN (M = "
        + ", ".join(f"{n}: {r['n_hidden']}" for n, r in tasks.items())
        + "). * some runs stopped at max_iter while still improving. "
        "Needed P: smallest P not credibly worse than the best AL-RNN (paired over "
        "seeds: mean difference + 1 sem above -2 % of the gain over the trivial "
        "score).",
        "",
        f"### Learning curves (test score; {s['lc_seeds']} seeds)",
        "",
    ]
    sizes = [*map(str, s["lc_sizes"]), str(s["n_train"])]
    lines.append("| task | model | " + " | ".join(f"n={n}" for n in sizes) + " |")
    lines.append("|" + "---|" * (len(sizes) + 2))
    for name, result in tasks.items():
        curve = result.get("learning_curve", {})
        for label in _order({k: result["summary"][k] for k in curve}):
            cells = [_cell(curve[label].get(n)) for n in sizes]
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    lines += ["", f"Wall time: {doc['wall_seconds']:.0f} s."]
    return "\n".join(lines)


def save_plots(doc: dict, out: Path) -> list[Path]:
    """nonlinearity_sweep.png and learning_curves.png; returns their paths."""
    from matplotlib.figure import Figure

    from sk_alrnn.plotting import plot_learning_curves

    tasks = doc["tasks"]
    n = len(tasks)
    paths = []
    fig = Figure(figsize=(4.0 * n, 3.4), layout="constrained")
    for ax, (name, result) in zip(
        fig.subplots(1, n, squeeze=False)[0], tasks.items(), strict=True
    ):
        summ = result["summary"]
        alrnn = sorted(
            (s["n_nonlinear"], s) for s in summ.values() if s["model"] == "alrnn"
        )
        ps = [p for p, _ in alrnn]
        ax.errorbar(
            ps,
            [s["mean"] for _, s in alrnn],
            color="C0",
            yerr=[s["std"] for _, s in alrnn],
            fmt="o-",
            capsize=3,
            label="AL-RNN",
        )
        baselines = [(lab, s) for lab, s in summ.items() if s["model"] != "alrnn"]
        for k, (label, s) in enumerate(baselines, start=1):
            ax.axhline(s["mean"], ls="--", color=f"C{k}", label=label)
            ax.axhspan(
                s["mean"] - s["std"], s["mean"] + s["std"], color=f"C{k}", alpha=0.15
            )
        ax.axhline(result["trivial_score"], color="gray", ls=":", label="trivial")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xticks(ps, [str(p) for p in ps])
        ax.set_xlabel("n_nonlinear (P)")
        ax.set_ylabel(f"test {result['score_name']}")
        ax.set_title(name, fontsize="medium")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small")
    paths.append(out / "nonlinearity_sweep.png")
    fig.savefig(paths[-1], dpi=110)

    fig = Figure(figsize=(4.0 * n, 3.4), layout="constrained")
    for ax, (name, result) in zip(
        fig.subplots(1, n, squeeze=False)[0], tasks.items(), strict=True
    ):
        curves = {
            label: (
                [int(k) for k in points],
                [points[k]["mean"] for k in points],
            )
            for label, points in sorted(
                result.get("learning_curve", {}).items(),
                key=lambda item: _order(result["summary"]).index(item[0]),
            )
        }
        plot_learning_curves(
            curves,
            ax=ax,
            score_name=result["score_name"],
            baseline=result["trivial_score"],
        )
        ax.set_title(name, fontsize="medium")
    paths.append(out / "learning_curves.png")
    fig.savefig(paths[-1], dpi=110)
    return paths
