"""Rich rendering of training: a live bar per epoch, a line per epoch, a final table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from nntrain.results.runs_table import Column, fitted_table, format_number, natural_width
from nntrain.training.report import Reporter

POLL_SECONDS = 0.25


class Unwrapped:
    """A table printed as it is on a terminal (made to fit its width), and at its full width
    into a file or a pipe, where no line may be wrapped and no cell cut."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not console.is_terminal:
            options = options.update_width(max(options.max_width,
                                               natural_width(console, self.table)))
        yield from console.render(self.table, options)


class FittedTable:
    """Columns chosen when printed: those that fit the terminal (by rank), else every one;
    what is left out is named under the table."""

    def __init__(self, title: str, columns: list[Column], note: str) -> None:
        self.title, self.columns, self.note = title, columns, note

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width if console.is_terminal else None
        table, left_out = fitted_table(console, self.title, self.columns, width, box.HEAVY_HEAD)
        yield Unwrapped(table)
        if left_out:
            yield Text(f"not shown, for want of width: {', '.join(left_out)} ({self.note})",
                       style="dim")


class RichReporter(Reporter):
    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: Any = None
        self.epochs = 0
        self.fold: int | None = None
        self._polling: threading.Event | None = None

    def note(self, text: str) -> None:
        self.console.print(f"[dim]{escape(text)}[/dim]", highlight=False)

    def fit_start(self, epochs: int, steps: int | None, initial_epoch: int, fold: int | None) -> None:
        self.epochs, self.fold = epochs, fold
        if fold is not None:
            self.console.rule(f"fold {fold + 1}")
        if not self.console.is_terminal:  # a file or a pipe shows no bar: no refresh thread
            return  # waking 4 times a second beside the training (issue 16, shared cores)
        self.progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}/{task.fields[epochs]}"),
            BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=self.console, transient=True, auto_refresh=True, refresh_per_second=4)
        self.task = self.progress.add_task("train", total=steps, epoch=initial_epoch + 1,
                                           epochs=epochs)
        self.progress.start()

    def watch_steps(self, steps_done: Callable[[], int]) -> None:
        if self.progress is None or not self.console.is_terminal:
            return
        stopped = self._polling = threading.Event()
        progress, task = self.progress, self.task

        def poll() -> None:
            while not stopped.wait(POLL_SECONDS):
                progress.update(task, completed=steps_done())

        threading.Thread(target=poll, name="nntrain-progress", daemon=True).start()

    def epoch_end(self, row: dict[str, Any]) -> None:
        parts = [f"{k} {format_number(v)}" for k, v in row.items() if k not in ("epoch",)]
        line = escape(f"epoch {row['epoch']}/{self.epochs}  " + "  ".join(parts))
        if self.progress is not None:
            self.progress.console.print(line, highlight=False)
            self.progress.update(self.task, completed=0, epoch=int(row["epoch"]) + 1)
        else:
            self.console.print(line, highlight=False)

    def fit_end(self, rows: list[dict[str, Any]]) -> None:
        if self._polling is not None:
            self._polling.set()
            self._polling = None
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def metrics_table(title: str, metrics: dict[str, Any]) -> Unwrapped:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right", no_wrap=True)
    for key, value in metrics.items():
        if isinstance(value, (int, float)):
            table.add_row(escape(str(key)), format_number(value))
    return Unwrapped(table)


def history_table(rows: list[dict[str, Any]]) -> FittedTable:
    """Epochs by metric, the first 5 and last 6 of a long run. On a narrow terminal the
    losses are kept first, then each metric with its validation twin, then lr and seconds."""
    keys = list(rows[0]) if rows else []
    shown = rows if len(rows) <= 12 else rows[:5] + [dict.fromkeys(keys, "…")] + rows[-6:]
    order = ["epoch", "loss", "val_loss"]
    for key in keys:
        if not key.startswith("val_") and key not in ("lr", "seconds"):
            order += [key, f"val_{key}"]
    order = [k for k in dict.fromkeys(order + keys) if k in keys]
    columns = []
    for key in keys:
        cells = [escape(format_number(row.get(key))) for row in shown]
        columns.append(Column(key, escape(key), cells, rank=order.index(key)))
    return FittedTable("training", columns, "metrics.csv has every column")
