"""`nntrain runs`: every run under a folder, one row each, sortable and exportable."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich import box
from rich.box import Box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

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
    """4 significant digits, but whole numbers (counts, epochs, supports) in full: 10000, not
    1e+04."""
    if not is_number(value):
        return "" if value is None else str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


@dataclass(eq=False)
class Column:
    """A column of a table that must fit a terminal, its cells already formatted (markup);
    the lower its rank, the sooner it is kept."""

    key: str
    header: str
    cells: list[str]
    justify: str = "right"
    rank: int = 0


def break_text(text: str, width: int, after: str = "_ ") -> str:
    """`text` in lines of at most `width` characters, broken only after a character of
    `after` (a header such as val_root_mean_squared_error, a run's folder path); a piece
    longer than `width` stays whole."""
    pieces = re.findall(rf"[^{re.escape(after)}]*[{re.escape(after)}]?", text)
    lines = [""]
    for piece in filter(None, pieces):
        if lines[-1] and len(lines[-1] + piece.rstrip()) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.rstrip() for line in lines)


def header_lines(header: str, width: int) -> str:
    """A header over at most three lines, as narrow as its cells allow."""
    while break_text(header, width).count("\n") > 2:
        width += 1
    return break_text(header, width)


def fitted_table(console: Console, title: str, columns: list[Column], width: int | None,
                 style: Box = box.SIMPLE_HEAD) -> tuple[Table, list[str]]:
    """The table of `columns`, in their order, that never cuts a cell. With a `width` (of a
    terminal) it holds only the columns that fit in it, taken by rank (the lowest always);
    the keys left out come back with it. Without, it holds every column, for printing
    unwrapped."""
    chosen = list(columns) if width is None else []
    for column in sorted(columns, key=lambda c: c.rank) if width is not None else []:
        trial = [c for c in columns if c in chosen or c is column]
        if not chosen or natural_width(console, _table(title, trial, style, True)) <= width:
            chosen = trial
    return (_table(title, chosen, style, width is not None),
            [c.key for c in columns if c not in chosen])


def _table(title: str, columns: list[Column], style: Box, narrow: bool) -> Table:
    """`narrow`: each header over up to three lines, as narrow as its cells allow."""
    table = Table(title=title, header_style="bold", box=style, pad_edge=style != box.SIMPLE_HEAD,
                  collapse_padding=style == box.SIMPLE_HEAD)
    for c in columns:
        widest = max((cell_len(line) for cell in c.cells
                      for line in Text.from_markup(cell).plain.split("\n")), default=0)
        table.add_column(header_lines(c.header, max(widest, 4)) if narrow else c.header,
                         justify=c.justify, no_wrap=True)  # type: ignore[arg-type]
    for row in zip(*(c.cells for c in columns)):
        table.add_row(*row)
    return table


def natural_width(console: Console, table: Table) -> int:
    """The width a table takes when nothing limits it."""
    return console.measure(table, options=console.options.update_width(1_000_000)).maximum


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


# `nntrain runs`' own columns (beside every metric): shown in this order, kept in RANK's
RUN_COLUMNS = ("run", "date", "epochs", "best_epoch", "best", "time", "status")
RANK = ("run", "status", "best", "epochs", "time", "best_epoch", "date")


def runs_columns(records: list[dict[str, Any]], chosen: list[str] | None = None,
                 metric: str | None = None,
                 extra: str | None = None) -> tuple[list[str], list[str]]:
    """The keys of the columns to show, in the order shown and in the order kept when not all
    fit: `chosen` (--columns) as given, else the run's own columns with `metric`'s columns
    (--metric) or every test metric (the most common first), and `extra` (the metric sorted
    by)."""
    metrics = list(dict.fromkeys(k for r in records for k, v in r.items()
                                 if k not in (*PLAIN_COLUMNS, "monitor", "best_epoch")))
    if chosen is not None:
        unknown = [c for c in chosen if c not in (*RUN_COLUMNS, *metrics)]
        if unknown:
            raise NntrainError(f"no column '{unknown[0]}'", path="--columns",
                               hint=did_you_mean(unknown[0], [*RUN_COLUMNS, *metrics])
                               or f"one of: {', '.join([*RUN_COLUMNS, *metrics])}")
        return list(dict.fromkeys(chosen)), list(dict.fromkeys(chosen))
    if metric is not None:
        base = metric.removeprefix("val_").removeprefix("test_")
        shown = [k for k in (f"val_{base}", f"test_{base}") if k in metrics]
        if not shown and base in metrics:  # no validation data: the training value
            shown = [base]
        if not shown:
            names = sorted({k.removeprefix("val_").removeprefix("test_") for k in metrics})
            raise NntrainError(f"no run has the metric '{metric}'", path="--metric",
                               hint=did_you_mean(metric, names) or f"one of: {', '.join(names)}")
    else:
        tests = [k for k in metrics if k.startswith("test_")]
        shown = sorted(tests, key=lambda k: -sum(r.get(k) is not None for r in records))
    extras = [extra] if extra and extra not in shown and extra in metrics else []
    display = ["run", "date", "epochs", "best_epoch", "best", *shown, *extras, "time", "status"]
    if metric is not None:  # asked for: kept before the run's own columns
        return display, [*RANK[:3], *extras, *shown, *RANK[3:]]
    return display, [*RANK[:3], *extras, *RANK[3:5], *shown, *RANK[5:]]


def runs_table(console: Console, records: list[dict[str, Any]], title: str,
               keys: tuple[list[str], list[str]], width: int | None) -> tuple[Table, list[str]]:
    """The on-screen table of `keys` (see runs_columns), fitted to `width` (see fitted_table),
    and the keys left out. `run` is the folder (with the run's name under it when the path
    does not say it); `best` holds the monitored metric at the best epoch (its header names
    the monitor when all runs share one)."""
    monitors = {r["monitor"] for r in records if r["monitor"]}
    shared = monitors.pop() if len(monitors) == 1 else None
    run_width = max(20, width // 3) if width is not None else 1_000_000
    cells = {
        "run": [escape(break_text(r["run"], run_width, "/_")) + (
            "" if r["name"] in Path(r["run"]).parts else
            f"\n[dim]{escape(break_text(str(r['name']), run_width))}[/]") for r in records],
        "date": [short_date(r["started"]) for r in records],
        "epochs": [format_number(r["epochs"]) + (f"/{r['planned_epochs']}" if r["planned_epochs"]
                                                 else "") for r in records],
        "best_epoch": [format_number(r["best_epoch"]) for r in records],
        "best": [_best(r, shared) for r in records],
        "time": [format_seconds(r["seconds"]) for r in records],
        "status": [f"[{STATUS_STYLE.get(r['status'], 'white')}]{escape(str(r['status']))}[/]"
                   for r in records],
    }
    headers = {"best_epoch": "best epoch", "best": f"best {shared or '(monitor)'}"}
    display, priority = keys
    columns = []
    for key in display:
        column = cells.get(key) or [format_number(r.get(key)) for r in records]
        header = headers.get(key) or (f"test {key[5:]}" if key.startswith("test_") else key)
        columns.append(Column(key, header, column, "left" if key in ("run", "status") else
                              "right", priority.index(key)))
    return fitted_table(console, title, columns, width)


def _best(record: dict[str, Any], shared: str | None) -> str:
    best = format_number(record.get(record["monitor"])) if record["monitor"] else ""
    return f"{escape(str(record['monitor']))} {best}" if best and not shared else best


def write_csv(records: list[dict[str, Any]], path: Path) -> None:
    import pandas as pd

    from nntrain.runs.atomic import write_with

    frame = pd.DataFrame.from_records(records)
    write_with(path, lambda tmp: frame.to_csv(tmp, index=False))
