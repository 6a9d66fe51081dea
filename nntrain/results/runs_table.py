"""`nntrain runs`: every run under a folder, one row each, sortable and exportable."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich import box
from rich.table import Table

from nntrain.config.suggest import did_you_mean
from nntrain.errors import NntrainError
from nntrain.results.run_info import RunInfo, find_runs, is_number
from nntrain.training.monitor import higher_is_better

STATUS_STYLE = {"finished": "green", "running": "yellow", "interrupted": "magenta",
                "failed": "red", "killed": "red"}
# Columns sorted by their own order (everything else is a metric, best value first).
PLAIN_COLUMNS = ("run", "name", "started", "status", "epochs", "planned_epochs", "seconds")


def run_record(info: RunInfo, folder: Path) -> dict[str, Any]:
    """A flat row: metrics at the best epoch by their own names, eval.json's as test_<name>."""
    started = info.started
    best = info.best_row
    record: dict[str, Any] = {
        "run": str(info.root.relative_to(folder)) if info.root != folder else info.root.name,
        "name": info.name,
        "started": started.isoformat(timespec="seconds") if started else None,
        "status": info.state,
        "epochs": len(info.rows) or info.status.get("epochs_done"),
        "planned_epochs": info.planned_epochs,
        "seconds": info.seconds,
        "monitor": info.monitor,
        "best_epoch": best.get("epoch"),
    }
    record.update({m: best.get(m) for m in info.metric_names})
    record.update({f"test_{k}": v for k, v in info.test.items()})
    return record


def collect(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The runs' rows, and why each run that could not be read was left out (one corrupt run
    must not hide the others)."""
    if not folder.is_dir():
        raise NntrainError(f"{folder} is not a folder", path="DIR",
                           hint="fit writes runs under output.dir, by default runs/")
    records, unreadable = [], []
    for root in find_runs(folder):
        try:
            records.append(run_record(RunInfo.load(root), folder))
        except NntrainError as exc:
            unreadable.append(exc.render())
    return records, unreadable


def sort_records(records: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Best first for metrics (highest accuracy, lowest loss); runs without the key go last."""
    known = sorted({k for r in records for k, v in r.items() if v is not None})
    if records and key not in known:
        raise NntrainError(f"no run has '{key}' to sort by", path="--sort",
                           hint=did_you_mean(key, known) or f"one of: {', '.join(known)}")
    present = [r for r in records if r.get(key) is not None]
    missing = [r for r in records if r.get(key) is None]
    reverse = key not in PLAIN_COLUMNS and higher_is_better(key)
    return sorted(present, key=lambda r: r[key], reverse=reverse) + missing


def format_number(value: Any) -> str:
    return f"{value:.4g}" if is_number(value) else ("" if value is None else str(value))


def format_seconds(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    s = round(seconds)
    if s < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def short_date(iso: str | None) -> str:
    """'11-23 14:05' for this year's runs (as `ls -l` does), else '2025-11-23'."""
    if not iso:
        return ""
    when = datetime.fromisoformat(iso)
    return when.strftime("%m-%d %H:%M" if when.year == datetime.now().year else "%Y-%m-%d")


def runs_table(records: list[dict[str, Any]], title: str, extra: str | None = None) -> Table:
    """The on-screen table, narrow enough for 80 columns: numbers under metric-named headers.

    `run` is the folder (with the run's name under it when the path does not say it); the best
    column holds the monitored metric at the best epoch (its header names the monitor when all
    runs share one); `extra` adds the metric sorted by, unless it is already shown.
    """
    monitors = {r["monitor"] for r in records if r["monitor"]}
    shared = monitors.pop() if len(monitors) == 1 else None
    tests = list(dict.fromkeys(k for r in records for k in r if k.startswith("test_")))
    extra = None if extra in (shared, *tests) else extra
    table = Table(title=title, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("run", overflow="fold", ratio=2)
    for header in ("date", "epochs", "best epoch", f"best {shared or '(monitor)'}",
                   *(f"test {k[5:]}" for k in tests), *([extra] if extra else []), "time"):
        table.add_column(header, justify="right")
    table.add_column("status")
    for r in records:
        run = escape(r["run"]) + ("" if r["name"] in Path(r["run"]).parts
                                  else f"\n[dim]{escape(str(r['name']))}[/]")
        planned = f"/{r['planned_epochs']}" if r["planned_epochs"] else ""
        best = format_number(r.get(r["monitor"])) if r["monitor"] else ""
        if best and not shared:
            best = f"{escape(str(r['monitor']))} {best}"
        status = r["status"]
        table.add_row(run, short_date(r["started"]), format_number(r["epochs"]) + planned,
                      format_number(r["best_epoch"]), best,
                      *(format_number(r.get(k)) for k in tests),
                      *([format_number(r.get(extra))] if extra else []),
                      format_seconds(r["seconds"]),
                      f"[{STATUS_STYLE.get(status, 'white')}]{escape(str(status))}[/]")
    return table


def write_csv(records: list[dict[str, Any]], path: Path) -> None:
    import pandas as pd

    from nntrain.runs.atomic import write_with

    frame = pd.DataFrame.from_records(records)
    write_with(path, lambda tmp: frame.to_csv(tmp, index=False))
