"""The run directory: the one place that decides what a run writes, where, and how."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.load import dump_config, validate_data
from nntrain.config.schema import Config
from nntrain.config.yaml_source import read_yaml_file
from nntrain.errors import runtime_error
from nntrain.runs.atomic import write_figure, write_text, write_with

STATUS_RUNNING, STATUS_FINISHED = "running", "finished"
STATUS_INTERRUPTED, STATUS_FAILED = "interrupted", "failed"


def writer_alive(status: dict[str, Any]) -> bool | None:
    """Whether the process that wrote a status.json still runs; None where nothing can tell
    (another machine's process, or no pid recorded)."""
    pid = status.get("pid")
    if not isinstance(pid, int) or status.get("host") != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        pass
    return True


class BackupDir:
    """checkpoints/backup: Keras' BackupAndRestore files (chief/, its own layout) and, beside
    them, the state of the callbacks Keras' backup leaves out, with their best weights."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    state_json = property(lambda self: self.root / "state.json")

    def best_weights(self, epoch: int) -> Path:
        return self.root / f"weights-{epoch}.npz"

    def all_best_weights(self) -> list[Path]:
        return sorted(self.root.glob("weights-*.npz"))

    def read_states(self) -> dict[str, Any]:
        """{epochs done: state}; empty when missing or unreadable (resume checks for that)."""
        try:
            return json.loads(self.state_json.read_text())
        except (OSError, ValueError):
            return {}

    def write_states(self, entries: dict[str, Any]) -> None:
        write_text(self.state_json, json.dumps(entries, indent=1))

    def save_weights(self, path: Path, weights: list[Any]) -> None:
        write_with(path, lambda tmp: np.savez(tmp, *weights))


class RunDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- where things go ----------------------------------------------------------------------
    config_yaml = property(lambda self: self.root / "config.yaml")
    model_path = property(lambda self: self.root / "model.keras")
    checkpoints = property(lambda self: self.root / "checkpoints")
    best_path = property(lambda self: self.checkpoints / "best.keras")
    last_path = property(lambda self: self.checkpoints / "last.keras")
    backup_dir = property(lambda self: self.checkpoints / "backup")
    backup = property(lambda self: BackupDir(self.backup_dir))
    cache_dir = property(lambda self: self.root / "cache")  # data.cache: disk, while training
    metrics_csv = property(lambda self: self.root / "metrics.csv")
    eval_json = property(lambda self: self.root / "eval.json")
    tensorboard = property(lambda self: self.root / "tensorboard")
    summary_txt = property(lambda self: self.root / "summary.txt")
    preprocess_json = property(lambda self: self.root / "preprocess.json")
    status_json = property(lambda self: self.root / "status.json")
    curves_png = property(lambda self: self.root / "curves.png")
    confusion_png = property(lambda self: self.root / "confusion_matrix.png")
    per_class_csv = property(lambda self: self.root / "per_class.csv")
    folds_csv = property(lambda self: self.root / "folds.csv")
    ols_csv = property(lambda self: self.root / "ols.csv")
    ols_weights = property(lambda self: self.root / "ols_weights.npz")

    def checkpoint(self, which: str) -> Path:
        """best.keras or last.keras."""
        return self.best_path if which == "best" else self.last_path

    def lock(self) -> int:
        """Take the run for this process: an exclusive lock on the folder itself (no lock file
        to leave behind), held until the returned descriptor is closed or the process ends.
        A second fit, resume or eval of the same run stops here, naming the first."""
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = self.read_status().get("pid")
            holder = f"process {pid}" if pid else "another nntrain process"
            raise runtime_error(f"{self.root} is in use by {holder}",
                                "wait for it to finish, or stop it first") from None
        return fd

    def fold(self, index: int) -> "RunDir":
        return RunDir(self.root / f"fold_{index + 1}")

    @classmethod
    def create(cls, config: Config, run_dir: Path | None = None) -> "RunDir":
        """<output.dir>/<name>/<timestamp>, or exactly `run_dir` when given."""
        if run_dir is None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            base = Path(config.output.dir) / str(config.name)
            root, n = base / stamp, 1
            while root.exists():
                n += 1
                root = base / f"{stamp}-{n}"
        else:
            root = Path(run_dir)
        root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    # -- writing (every file atomically) ------------------------------------------------------
    def write_config(self, config: Config, relative: tuple[str, ...] = ()) -> None:
        """config.yaml, the `relative` path fields relative to the run's own folder."""
        write_text(self.config_yaml, dump_config(config, self.root, relative))

    def write_json(self, path: Path, data: Any) -> None:
        write_text(path, json.dumps(data, indent=2, default=_json_default) + "\n")

    def write_summary(self, text: str) -> None:
        write_text(self.summary_txt, text)

    def write_preprocess(self, state: dict[str, Any]) -> None:
        self.write_json(self.preprocess_json, state)

    def write_eval(self, metrics: dict[str, Any]) -> None:
        self.write_json(self.eval_json, metrics)

    def write_metrics(self, rows: list[dict[str, Any]]) -> None:
        """Rewritten every epoch, so not synced to disk each time (see atomic_path)."""
        self.write_table(self.metrics_csv, rows, durable=False)

    def write_table(self, path: Path, rows: list[dict[str, Any]], durable: bool = True) -> None:
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        write_text(path, buf.getvalue(), durable)

    def save_arrays(self, path: Path, arrays: dict[str, Any]) -> None:
        write_with(path, lambda tmp: np.savez(tmp, **arrays))

    def save_figure(self, figure: Any, path: Path) -> None:
        write_figure(figure, path)

    def remove(self, *paths: Path) -> None:
        """Drop files a new result replaces with nothing (a stale confusion matrix)."""
        for path in paths:
            path.unlink(missing_ok=True)

    def save_model(self, model: Any, path: Path | None = None) -> None:
        write_with(path or self.model_path, lambda tmp: model.save(tmp, overwrite=True))

    def set_status(self, status: str, **extra: Any) -> None:
        data = self.read_status()
        now = time.time()
        data.setdefault("started", _iso(now))
        data.setdefault("started_ts", now)
        data.update(status=status, updated=_iso(now), seconds=round(now - data["started_ts"], 3))
        data.update(extra)
        self.write_json(self.status_json, data)

    # -- reading ------------------------------------------------------------------------------
    def read_status(self) -> dict[str, Any]:
        try:
            return json.loads(self.status_json.read_text())
        except (OSError, ValueError):
            return {}

    def provenance(self) -> list[dict[str, Any]]:
        """What status.json records of each process that trained the run: the fit, then one
        entry per resume (see nntrain.runs.provenance)."""
        recorded = self.read_status().get("provenance")
        return recorded if isinstance(recorded, list) else []

    def read_config(self, allow_unsafe: bool = False) -> Config:
        """Relative paths resolved as load_config does, with the run's folder as the config's."""
        data, smap = read_yaml_file(self.config_yaml)
        return validate_data(data, smap, allow_unsafe=allow_unsafe, base=self.root)

    def read_preprocess(self) -> dict[str, Any]:
        return json.loads(self.preprocess_json.read_text())

    def read_metrics(self) -> list[dict[str, Any]]:
        return [{k: _number(v) for k, v in row.items()} for row in self.read_table(self.metrics_csv)]

    def read_table(self, path: Path) -> list[dict[str, str]]:
        """The rows of one of the run's CSV files, as text; none when it does not exist."""
        try:
            with open(path, newline="") as fh:
                return list(csv.DictReader(fh))
        except FileNotFoundError:
            return []
        except (UnicodeDecodeError, csv.Error) as exc:
            raise runtime_error(f"{path} is not a readable CSV file ({exc})") from None

    def is_run(self) -> bool:
        return self.config_yaml.exists()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def _number(value: str) -> Any:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return value
    return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")
