"""One run as plain data: its config, status, per-epoch rows, best epoch and test metrics.

The config is read as raw YAML, not through the schema, so runs written by older versions of
nntrain still show up in tables and comparisons.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from nntrain.runs.run_dir import RunDir, writer_alive
from nntrain.training.monitor import higher_is_better

# metrics.csv columns that are bookkeeping, not metrics.
NOT_METRICS = ("epoch", "lr", "seconds")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, ValueError, yaml.YAMLError):  # ValueError: not UTF-8
        return {}
    return data if isinstance(data, dict) else {}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class RunInfo:
    root: Path
    config: dict[str, Any]
    status: dict[str, Any]
    rows: list[dict[str, Any]]
    test: dict[str, float]

    @classmethod
    def load(cls, root: Path, parent: "RunInfo | None" = None) -> "RunInfo":
        """A run directory, or one fold of `parent` (whose config and status it shares)."""
        run = RunDir(root)
        test = {k: float(v) for k, v in _read_json(run.eval_json).items() if is_number(v)}
        if parent is not None:
            return cls(run.root, parent.config, parent.status, run.read_metrics(), test)
        return cls(run.root, _read_yaml(run.config_yaml), _read_json(run.status_json),
                   run.read_metrics(), test)

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.status.get("name") or self.root.name)

    @property
    def state(self) -> str:
        """status.json's status, except that a 'running' run whose process has left this
        machine was killed (SIGKILL, out of memory, power loss): nothing could record that."""
        status = str(self.status.get("status", "unknown"))
        if status == "running" and writer_alive(self.status) is False:
            return "killed"
        return status

    @property
    def started(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.status["started"]).astimezone()
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def planned_epochs(self) -> int | None:
        epochs = (self.config.get("train") or {}).get("epochs", self.status.get("epochs"))
        return epochs if isinstance(epochs, int) else None

    @property
    def metric_names(self) -> list[str]:
        names: list[str] = []
        for row in self.rows:
            names += [k for k in row if k not in NOT_METRICS and k not in names]
        return names

    def _callback(self, name: str) -> dict[str, Any] | None:
        value = (self.config.get("callbacks") or {}).get(name)
        return value if isinstance(value, dict) else None

    @property
    def monitor(self) -> str | None:
        """The metric the run chose its best epoch by (early stopping's, else checkpoint's)."""
        cb = self._callback("early_stopping") or self._callback("checkpoint") or {}
        wanted = str(cb.get("monitor", "val_loss"))
        names = self.metric_names
        for candidate in (wanted, wanted.removeprefix("val_"), "val_loss", "loss"):
            if candidate in names:
                return candidate
        return None

    @cached_property
    def best_index(self) -> int | None:
        """Row of the best epoch by `monitor` (the first one when several tie)."""
        monitor = self.monitor
        if monitor is None:
            return None
        cb = self._callback("early_stopping") or self._callback("checkpoint") or {}
        mode = cb.get("mode", "auto")
        rising = mode == "max" or (mode != "min" and higher_is_better(monitor))
        scored = [(i, r[monitor]) for i, r in enumerate(self.rows) if is_number(r.get(monitor))]
        if not scored:
            return None
        return (max if rising else min)(scored, key=lambda item: item[1])[0]

    @property
    def best_row(self) -> dict[str, Any]:
        return self.rows[self.best_index] if self.best_index is not None else {}

    @property
    def final_row(self) -> dict[str, Any]:
        return self.rows[-1] if self.rows else {}

    @property
    def early_stopped(self) -> bool:
        """Early stopping ended a finished run before its planned epochs."""
        planned = self.planned_epochs
        return (self._callback("early_stopping") is not None
                and self.status.get("status") == "finished"
                and planned is not None and 0 < len(self.rows) < planned)

    @property
    def seconds(self) -> float | None:
        value = self.status.get("seconds")
        return float(value) if is_number(value) else None

    @property
    def folds(self) -> list[Path]:
        """fold_1, fold_2, ... of a k-fold run, in order."""
        found = [p for p in self.root.glob("fold_*") if p.is_dir() and p.name[5:].isdigit()]
        return sorted(found, key=lambda p: int(p.name[5:]))


def find_runs(folder: Path) -> list[Path]:
    """Every folder under `folder` (itself included) holding config.yaml and status.json."""
    found = []
    for here, dirs, files in os.walk(folder):
        if "config.yaml" in files and "status.json" in files:
            found.append(Path(here))
            dirs.clear()
        dirs.sort()
    return sorted(found)
