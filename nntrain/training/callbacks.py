"""Keras callbacks nntrain adds: metrics rows with lr and time, atomic best/last checkpoints,
clean stops on signals, a backup that resumes every callback's state, and a bridge to the
progress display. None of them runs per batch: Keras then skips its batch-hook machinery."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nntrain import compat
from nntrain.engine import keras
from nntrain.runs.run_dir import BackupDir
from nntrain.training.divergence import all_finite
from nntrain.training.report import Reporter


def current_lr(model: Any) -> float:
    opt = model.optimizer
    lr = opt.learning_rate
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        lr = lr(opt.iterations)
    return float(keras.backend.get_value(lr))


class MetricsLog(keras.callbacks.Callback):
    """One row per epoch (epoch, metrics, lr, seconds); the whole table is rewritten each epoch.

    `seconds` is the wall time from the previous epoch's end (or the start of training) to this
    one's: the steps, validation and every callback's epoch-end work, ours included.
    """

    def __init__(self, rows: list[dict[str, Any]], write: Callable[[list[dict[str, Any]]], None],
                 reporter: Reporter) -> None:
        super().__init__()
        self.rows, self.write, self.reporter = rows, write, reporter
        self._since = time.perf_counter()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._since = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        now = time.perf_counter()
        row: dict[str, Any] = {"epoch": epoch + 1}
        for key, value in (logs or {}).items():
            if key != "lr":
                row[key] = float(value)
        row["lr"] = current_lr(self.model)
        row["seconds"] = round(now - self._since, 4)
        self._since = now
        self.rows[:] = [r for r in self.rows if int(r["epoch"]) < epoch + 1] + [row]
        self.write(self.rows)
        self.reporter.epoch_end(row)


class Checkpoints(keras.callbacks.Callback):
    """best.keras (the best weights by `monitor`) and last.keras, written atomically.

    Resuming relies on the backup saved every epoch; these whole-model files are written at
    most every `every_seconds` and always when training ends, because a .keras save costs
    tens of milliseconds, which would dominate short epochs. Weights that are not finite are
    never written: a diverged model must not replace the last good checkpoint.
    """

    def __init__(self, save: Callable[[Any, str], None], monitor: str, mode: str,  # min | max
                 every_seconds: float) -> None:
        super().__init__()
        self.save, self.monitor, self.every_seconds = save, monitor, every_seconds
        self.better = (lambda a, b: a > b) if mode == "max" else (lambda a, b: a < b)
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: list[Any] | None = None
        self.pending = False
        self.last_write = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.pending = True
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(float(value)) and (
                self.best is None or self.better(float(value), self.best)):
            self.best, self.best_epoch = float(value), epoch
            self.best_weights = self.model.get_weights()
        if time.monotonic() - self.last_write >= self.every_seconds:
            self.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        current = self.model.get_weights()
        if all_finite(current):
            self.save(self.model, "last")
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            self.save(self.model, "best")
            self.model.set_weights(current)
            self.best_weights = None
        self.pending = False
        self.last_write = time.monotonic()


class Interrupted(Exception):
    """Training was stopped by SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StopOnSignal(keras.callbacks.Callback):
    """SIGINT / SIGTERM while `deferring` stop training after the running step, so no step or
    file write is cut in half; otherwise (and on a second signal) they stop at once.

    The handler only asks Keras to stop (`stop_training`, which fit checks after every step);
    the unfinished epoch is then dropped here, first among the callbacks, before validation or
    any epoch-end write sees it. Must be the first callback.
    """

    def __init__(self) -> None:
        super().__init__()
        self.signum: int | None = None
        self.deferring = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        self.check()  # a signal during the last epoch's end: fit returned normally

    def _handle(self, signum: int, frame: Any) -> None:
        first = self.signum is None
        self.signum = signum
        if not (first and self.deferring):
            raise Interrupted(signum)
        if self.model is not None:
            self.model.stop_training = True

    def check(self, *args: Any) -> None:
        if self.signum is not None:
            raise Interrupted(self.signum)

    on_epoch_begin = on_epoch_end = on_test_begin = check


# What Keras' callbacks (and ours) reset in on_train_begin and a resumed run needs back.
RESUMABLE = {**compat.CALLBACK_STATE, "Checkpoints": ("best", "best_epoch", "pending")}
KEPT_ENTRIES = 2
BACKUP_BUDGET = 0.02  # the most of the training time backups may take


def backed_up_epochs(backup_dir: str) -> int:
    """How many epochs the backup holds: where a resumed fit starts (0 without a backup)."""
    return compat.backed_up_epochs(backup_dir)


def resume_state(backup: BackupDir, epochs_done: int) -> dict[str, Any] | None:
    """The callbacks' state saved after `epochs_done` epochs, if there is one."""
    return backup.read_states().get(str(epochs_done)) if epochs_done else None


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """Keras' backup (weights, optimizer, epoch and step counters) plus what it leaves out: the
    counters, best values and best weights of early stopping, LR plateaus and best.keras.

    That state goes to state.json next to the backup *before* each backup is written, keeping
    the last two backups, so whichever epoch a kill leaves in the backup, its state is there.
    Must come after those callbacks in the list: it snapshots their epoch-end state and
    overrides what their on_train_begin reset. The backup outlives fit (the run deletes it once
    everything is written), so a kill between fit and the final files still resumes.

    Backups cost at most BACKUP_BUDGET of the training time: an epoch is backed up once the
    training since the last backup took 1/BACKUP_BUDGET times what that backup cost, and always
    at the end. Epochs of a second or more are all backed up; on epochs of milliseconds a kill
    loses at most a second or two. In a multi-worker run every worker must save at the same
    epochs (saving runs collective ops), so no clock decides: every epoch is backed up.
    """

    def __init__(self, backup: BackupDir, callbacks: list[Any], every_epoch: bool = False) -> None:
        super().__init__(str(backup.root), delete_checkpoint=False)
        self.files = backup
        self.tracked = {type(c).__name__: c for c in callbacks if type(c).__name__ in RESUMABLE}
        self.every_epoch = every_epoch
        self._cost = 0.0
        self._since = time.monotonic()

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        done = backed_up_epochs(self.backup_dir)
        # What a killed process wrote past its last backup is redone, so it is dropped.
        entries = {k: v for k, v in self.files.read_states().items() if int(k) <= done}
        self._keep(entries)
        for name, state in entries.get(str(done), {}).get("callbacks", {}).items():
            callback = self.tracked.get(name)
            if callback is None:
                continue
            for attr in RESUMABLE[name]:
                setattr(callback, attr, state[attr])
            if state.get("weights"):
                with np.load(self.files.root / state["weights"]) as npz:
                    callback.best_weights = [npz[k] for k in npz.files]

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Keras stores the epoch in the backup's variable here; only epochs that are backed
        up need it (on_epoch_end), which saves a device write per epoch."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        last = epoch + 1 >= self.params["epochs"] or self.model.stop_training
        if self.every_epoch or last or time.monotonic() - self._since >= self._cost / BACKUP_BUDGET:
            started = time.monotonic()
            self._write_state(epoch + 1)
            compat.store_backup_epoch(self, epoch)
            super().on_epoch_end(epoch, logs)
            self._since = time.monotonic()
            self._cost = self._since - started

    def _write_state(self, epochs_done: int) -> None:
        callbacks = {}
        for name, callback in self.tracked.items():
            state = {attr: _plain(getattr(callback, attr)) for attr in RESUMABLE[name]}
            weights = getattr(callback, "best_weights", None)
            if weights is not None:
                target = self.files.best_weights(callback.best_epoch + 1)
                state["weights"] = target.name
                if not target.exists():
                    self.files.save_weights(target, weights)
            callbacks[name] = state
        entries = self.files.read_states()
        early_stopping = self.tracked.get("EarlyStopping")
        entries[str(epochs_done)] = {"stop": bool(getattr(early_stopping, "stopped_epoch", 0)),
                                     "callbacks": callbacks}
        self._keep(dict(sorted(entries.items(), key=lambda kv: int(kv[0]))[-KEPT_ENTRIES:]))

    def _keep(self, entries: dict[str, Any]) -> None:
        """Write these entries as the state, and delete the weights files none of them uses."""
        self.files.write_states(entries)
        used = {s.get("weights") for e in entries.values() for s in e["callbacks"].values()}
        for stale in self.files.all_best_weights():
            if stale.name not in used:
                stale.unlink(missing_ok=True)


class ProgressBridge(keras.callbacks.Callback):
    """Lets the display poll the steps the running epoch has done (Keras' step counter, a
    variable the compiled step increments and fit resets), so no callback runs per batch or
    reads a device value per epoch."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__()
        self.reporter = reporter

    def on_train_begin(self, logs: dict | None = None) -> None:
        counter, steps = compat.train_step_counter(self.model), self.params["steps"]
        self.reporter.watch_steps(lambda: int(counter.numpy()) % steps)
