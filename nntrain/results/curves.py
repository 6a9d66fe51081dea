"""Learning curves: the figure fit writes as curves.png, and the overlay `nntrain compare --plot` draws.

Figures are built with `matplotlib.figure.Figure` and saved through Agg directly, so nothing
here needs a display or changes the user's global matplotlib backend.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from nntrain.results.run_info import RunInfo, is_number
# Every panel is PANEL_W x PANEL_H inches at DPI, so a figure's pixel size is predictable.
PANEL_W, PANEL_H, DPI = 5, 4, 100
MAX_COLUMNS = 3


def panel_names(metric_names: list[str]) -> list[str]:
    """One panel per metric; its val_ twin shares the panel."""
    bases: list[str] = []
    for name in metric_names:
        base = name.removeprefix("val_") if name.startswith("val_") else name
        if base not in bases:
            bases.append(base)
    return bases


def _figure(panels: int, title: str) -> tuple[Figure, list[Any]]:
    cols = min(panels, MAX_COLUMNS)
    rows = math.ceil(panels / cols)
    fig = Figure(figsize=(PANEL_W * cols, PANEL_H * rows), dpi=DPI, layout="constrained")
    axes = list(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes[panels:]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig, axes[:panels]


def _values(info: RunInfo, key: str) -> list[float]:
    return [float(r[key]) if is_number(r.get(key)) else math.nan for r in info.rows]


def _style(ax: Any, title: str, ys: list[float]) -> None:
    """Losses that fall by orders of magnitude read better on a log scale."""
    finite = [y for y in ys if math.isfinite(y)]
    if title.endswith("loss") and finite and min(finite) > 0 and max(finite) / min(finite) > 50:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def curves_figure(info: RunInfo, title: str) -> Figure:
    """Training and validation per metric; the best epoch and an early stop as vertical lines."""
    names = info.metric_names
    bases = panel_names(names)
    fig, axes = _figure(len(bases), title)
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(info.rows)]
    best, monitor = info.best_index, info.monitor
    for ax, base in zip(axes, bases):
        ys: list[float] = []
        for key, label in ((base, "training"), (f"val_{base}", "validation")):
            if key in names:
                ys += _values(info, key)
                ax.plot(epochs, _values(info, key), label=label)
        if best is not None and monitor is not None:
            value = info.rows[best][monitor]
            ax.axvline(epochs[best], color="tab:green", linestyle=":",
                       label=f"best epoch {epochs[best]} ({monitor} {value:.4g})")
            if monitor.removeprefix("val_") == base:
                ax.plot([epochs[best]], [value], "o", color="tab:green")
        if info.early_stopped:
            ax.axvline(epochs[-1], color="tab:red", linestyle="--",
                       label=f"early stop after epoch {epochs[-1]}")
        _style(ax, base, ys)
    return fig


def run_curves(run_root: Path) -> list[tuple[Path, Figure]]:
    """The curves of a run (or of each fold_N of a k-fold run), with the folder each belongs
    in; none when no epoch ran."""
    info = RunInfo.load(run_root)
    targets = [RunInfo.load(f, parent=info) for f in info.folds] or [info]
    return [(target.root, curves_figure(target, info.name + (
                f" — {target.root.name}" if target is not info else "")))
            for target in targets if target.rows]


def compare_figure(runs: list[tuple[str, RunInfo]], metric: str | None) -> Figure:
    """Loss (and `metric`) of several runs in one figure: validation solid, training dashed."""
    bases = ["loss"] + ([metric.removeprefix("val_")] if metric else [])
    fig, axes = _figure(len(bases), "comparison")
    for ax, base in zip(axes, bases):
        ys: list[float] = []
        for n, (label, info) in enumerate(runs):
            epochs = [r.get("epoch", i + 1) for i, r in enumerate(info.rows)]
            for key, style, kind in ((base, "--", "training"), (f"val_{base}", "-", "validation")):
                if key in info.metric_names:
                    ys += _values(info, key)
                    ax.plot(epochs, _values(info, key), style, color=f"C{n % 10}",
                            label=f"{label} ({kind})")
        _style(ax, base, ys)
    return fig
