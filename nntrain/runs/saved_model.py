"""Find and load what a run (or a bare .keras file) holds: model, config, preprocessing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nntrain.data.preprocess import Preprocessor
from nntrain.device.engine import keras
from nntrain.errors import NntrainError, runtime_error
from nntrain.runs.run_dir import RunDir


@dataclass
class SavedModel:
    model: Any
    run: RunDir | None
    preprocessor: Preprocessor | None


def load_keras_model(path: Path, allow_unsafe: bool = False) -> Any:
    if not path.exists():
        raise NntrainError(f"model file not found: {path}", 1)
    try:
        return keras.models.load_model(path, safe_mode=not allow_unsafe)
    except ValueError as exc:
        text = str(exc)
        if "safe_mode" in text or "lambda" in text.lower():
            raise runtime_error(f"{path} contains code (a Lambda layer) and was not loaded",
                                "pass --allow-unsafe only if you trust where it came from") from None
        raise runtime_error(f"cannot load {path}: {text.splitlines()[0]}") from None
    except OSError as exc:
        raise runtime_error(f"cannot load {path}: {exc}") from None


def open_target(target: Path, allow_unsafe: bool = False) -> SavedModel:
    """A run directory (model.keras + preprocess.json) or a .keras file."""
    if target.is_dir():
        run = RunDir(target)
        if not run.is_run():
            raise NntrainError(f"{target} is not a run directory (no config.yaml)", 2)
        if not run.model_path.exists():
            hint = "the run has no final model; use its checkpoints/last.keras"
            raise runtime_error(f"{run.model_path} does not exist", hint)
        pre = Preprocessor(run.read_preprocess()) if run.preprocess_json.exists() else None
        return SavedModel(load_keras_model(run.model_path, allow_unsafe), run, pre)
    if target.suffix != ".keras":
        raise NntrainError(f"{target}: expected a run directory or a .keras file", 2)
    # A checkpoint inside a run still finds its run's preprocessing.
    run = next((RunDir(p) for p in target.resolve().parents if RunDir(p).is_run()), None)
    pre = Preprocessor(run.read_preprocess()) if run and run.preprocess_json.exists() else None
    return SavedModel(load_keras_model(target, allow_unsafe), run, pre)
