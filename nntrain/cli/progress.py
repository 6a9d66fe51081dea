"""Rich rendering of training: a live bar per epoch, a line per epoch, a final table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rich.markup import escape
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nntrain.training.report import Reporter

POLL_SECONDS = 0.25


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


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
        parts = [f"{k} {format_value(v)}" for k, v in row.items() if k not in ("epoch",)]
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


def metrics_table(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        if isinstance(value, (int, float)):
            table.add_row(escape(str(key)), format_value(value))
    return table


def history_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="training", header_style="bold")
    if not rows:
        return table
    columns = list(rows[0])
    for c in columns:
        table.add_column(escape(str(c)), justify="right")
    shown = rows if len(rows) <= 12 else rows[:5] + [dict.fromkeys(columns, "…")] + rows[-6:]
    for row in shown:
        table.add_row(*(escape(format_value(row.get(c, ""))) for c in columns))
    return table
