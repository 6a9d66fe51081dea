"""The study directory of `nntrain tune`: what a search writes, where (every file atomically).
Its trials are ordinary run directories, trial_NNN/."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from nntrain.config.load import dump_config
from nntrain.config.schema import Config
from nntrain.runs.atomic import write_figure, write_text
from nntrain.runs.run_dir import RunDir

DEFAULT_STORAGE = "study.db"  # in the study directory, unless --storage names another


class StudyDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    study_json = property(lambda self: self.root / "study.json")  # storage, study name
    study_yaml = property(lambda self: self.root / "study.yaml")  # the config searched
    trials_csv = property(lambda self: self.root / "trials.csv")
    best_yaml = property(lambda self: self.root / "best.yaml")
    history_png = property(lambda self: self.root / "history.png")
    importance_png = property(lambda self: self.root / "importance.png")

    def trial(self, number: int) -> RunDir:
        return RunDir(self.root / f"trial_{number:03d}")

    def worker_log(self, index: int) -> Path:
        """What a `--jobs` process says (it shows no table of its own)."""
        return self.root / f"worker_{index}.log"

    @classmethod
    def create(cls, config: Config, root: Path | None = None) -> "StudyDir":
        """<output.dir>/<name>/tune-<timestamp>, or exactly `root` when given."""
        if root is None:
            base = Path(config.output.dir) / str(config.name)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            root, n = base / f"tune-{stamp}", 1
            while root.exists():
                n += 1
                root = base / f"tune-{stamp}-{n}"
        root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    def is_study(self) -> bool:
        return self.study_json.exists() and self.study_yaml.exists()

    def storage_url(self) -> str:
        """The Optuna storage: the one recorded, or study.db here (found wherever the folder
        has moved to)."""
        url = self.read_meta().get("storage")
        return url or f"sqlite:///{(self.root / DEFAULT_STORAGE).resolve()}"

    def read_meta(self) -> dict[str, Any]:
        try:
            return json.loads(self.study_json.read_text())
        except (OSError, ValueError):
            return {}

    def write_meta(self, meta: dict[str, Any]) -> None:
        write_text(self.study_json, json.dumps(meta, indent=2) + "\n")

    def write_config(self, path: Path, config: Config, relative: tuple[str, ...],
                     header: str = "") -> None:
        """study.yaml or best.yaml: a config file `nntrain fit` and `nntrain tune` take, its
        relative paths relative to this folder."""
        write_text(path, header + dump_config(config, self.root, relative))

    def write_trials(self, rows: list[dict[str, Any]]) -> None:
        RunDir(self.root).write_table(self.trials_csv, rows)

    def save_figure(self, figure: Any, path: Path) -> None:
        write_figure(figure, path)
