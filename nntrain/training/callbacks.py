"""Keras callbacks nntrain adds: metrics rows with lr and time, atomic best/last checkpoints,
a NaN guard that says where, and a bridge to the progress display."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from nntrain.device.engine import keras, tf
from nntrain.errors import runtime_error
from nntrain.training.report import Reporter


def current_lr(model: Any) -> float:
    opt = model.optimizer
    lr = opt.learning_rate
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        lr = lr(opt.iterations)
    return float(keras.backend.get_value(lr))


class MetricsLog(keras.callbacks.Callback):
    """One row per epoch (epoch, metrics, lr, seconds); the whole table is rewritten each epoch."""

    def __init__(self, rows: list[dict[str, Any]], write: Callable[[list[dict[str, Any]]], None],
                 reporter: Reporter) -> None:
        super().__init__()
        self.rows, self.write, self.reporter = rows, write, reporter
        self._t0 = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row: dict[str, Any] = {"epoch": epoch + 1}
        for key, value in (logs or {}).items():
            if key != "lr":
                row[key] = float(value)
        row["lr"] = current_lr(self.model)
        row["seconds"] = round(time.perf_counter() - self._t0, 4)
        self.rows[:] = [r for r in self.rows if int(r["epoch"]) < epoch + 1] + [row]
        self.write(self.rows)
        self.reporter.epoch_end(row)


class Checkpoints(keras.callbacks.Callback):
    """best.keras (the best weights by `monitor`) and last.keras, written atomically.

    Resuming relies on BackupAndRestore, saved every epoch; these whole-model files are
    written at most every `every_seconds` and always when training ends, because a .keras
    save costs tens of milliseconds, which would dominate short epochs.
    """

    def __init__(self, save: Callable[[Any, str], None], monitor: str, mode: str,
                 every_seconds: float) -> None:
        super().__init__()
        self.save, self.monitor, self.every_seconds = save, monitor, every_seconds
        if mode == "auto":
            mode = "max" if any(w in monitor for w in ("acc", "auc", "precision", "recall", "f1")) \
                else "min"
        self.better = (lambda a, b: a > b) if mode == "max" else (lambda a, b: a < b)
        self.best: float | None = None
        self.best_weights: list[Any] | None = None
        self.pending = False
        self.last_write = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            return  # never overwrite a good checkpoint with a diverged model
        self.pending = True
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(float(value)) and (
                self.best is None or self.better(float(value), self.best)):
            self.best = float(value)
            self.best_weights = self.model.get_weights()
        if time.monotonic() - self.last_write >= self.every_seconds:
            self.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.save(self.model, "last")
        if self.best_weights is not None:
            current = self.model.get_weights()
            self.model.set_weights(self.best_weights)
            self.save(self.model, "best")
            self.model.set_weights(current)
            self.best_weights = None
        self.pending = False
        self.last_write = time.monotonic()


class NanGuard(keras.callbacks.Callback):
    """Stops at the first non-finite loss and says which epoch and batch."""

    def __init__(self) -> None:
        super().__init__()
        self._supports_tf_logs = True
        self.epoch = 0
        self.failure: str | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not bool(tf.math.is_finite(loss)):
            self.failure = (f"the loss became {float(loss)} at epoch {self.epoch + 1}, "
                            f"batch {batch + 1}")
            self.model.stop_training = True

    def raise_if_failed(self) -> None:
        if self.failure:
            raise runtime_error(f"training diverged: {self.failure}; the last good checkpoint "
                                "is kept", "lower compile.optimizer.learning_rate and run again")


class ProgressBridge(keras.callbacks.Callback):
    """Counts steps for the display; keeps logs as tensors so it forces no device sync."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__()
        self._supports_tf_logs = True
        self.reporter = reporter
        self.steps = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.steps = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.steps = batch + 1
        self.reporter.batch_end(self.steps)
