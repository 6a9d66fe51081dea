"""The live progress bar follows training by polling a step counter, never from a batch hook."""

from __future__ import annotations

import io
import threading
import time

from rich.console import Console

from nntrain.cli.progress import POLL_SECONDS, RichReporter


def _wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_bar_follows_the_polled_step_counter_and_stops_polling_at_the_end() -> None:
    reporter = RichReporter(Console(file=io.StringIO(), force_terminal=True, width=100))
    steps = [0]
    reporter.fit_start(epochs=3, steps=50, initial_epoch=0, fold=None)
    task = reporter.progress.tasks[0]
    reporter.watch_steps(lambda: steps[0])
    steps[0] = 17
    assert _wait_until(lambda: task.completed == 17)
    steps[0] = 42
    assert _wait_until(lambda: task.completed == 42)
    reporter.fit_end([])
    time.sleep(2 * POLL_SECONDS)
    assert not any(t.name == "nntrain-progress" for t in threading.enumerate())


def test_no_polling_when_the_output_is_not_a_terminal() -> None:
    reporter = RichReporter(Console(file=io.StringIO(), force_terminal=False))
    reporter.fit_start(epochs=1, steps=10, initial_epoch=0, fold=None)
    polled: list[int] = []
    reporter.watch_steps(lambda: polled.append(1) or 0)
    time.sleep(2 * POLL_SECONDS)
    reporter.fit_end([])
    assert polled == []


def test_no_refresh_thread_when_the_output_is_not_a_terminal() -> None:
    """On a pipe (Slurm logs, CI, benchmarks) nothing wakes beside the training: the lines
    per epoch are printed by the epoch's end."""
    out = io.StringIO()
    reporter = RichReporter(Console(file=out, force_terminal=False, width=100))
    before = set(threading.enumerate())
    reporter.fit_start(epochs=2, steps=10, initial_epoch=0, fold=None)
    reporter.watch_steps(lambda: 0)
    assert set(threading.enumerate()) == before
    reporter.epoch_end({"epoch": 1, "loss": 0.5})
    reporter.fit_end([])
    assert "epoch 1/2  loss 0.5" in out.getvalue()
