"""What training tells the outside world; the CLI renders it, tests may ignore it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Reporter:
    """No-op base: the CLI subclasses it with a rich display."""

    def note(self, text: str) -> None:
        """A one-line remark (device chosen, monitor fallback, where the run is)."""

    def fit_start(self, epochs: int, steps: int | None, initial_epoch: int, fold: int | None) -> None:
        """Training of one model begins."""

    def watch_steps(self, steps_done: Callable[[], int]) -> None:
        """Training began; `steps_done()` reads the running epoch's steps (poll it, from any
        thread, a few times a second: each call reads a device variable)."""

    def epoch_end(self, row: dict[str, Any]) -> None:
        """One finished epoch: the metrics.csv row."""

    def fit_end(self, rows: list[dict[str, Any]]) -> None:
        """Training of one model ended (normally or not)."""
