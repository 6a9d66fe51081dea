"""Find and load what a run (or a bare .keras file) holds: model, config, preprocessing."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nntrain.data.preprocess import Preprocessor
from nntrain.device.engine import keras
from nntrain.errors import NntrainError, runtime_error
from nntrain.model import perceptron  # noqa: F401  registers its classes for load_model
from nntrain.runs.run_dir import RunDir


@dataclass
class SavedModel:
    model: Any
    run: RunDir | None
    preprocessor: Preprocessor | None


# Top-level packages a .keras config may name; Keras imports any other module it names.
KERAS_PACKAGES = ("keras", "tf_keras", "builtins")


def unsafe_contents(path: Path) -> list[str]:
    """What in a .keras file would run code when loaded: Lambda layers, and objects from
    modules outside Keras that are not registered serializables (Keras imports such a module
    by name, even in safe mode)."""
    try:
        with zipfile.ZipFile(path) as archive:
            stack: list[Any] = [json.loads(archive.read("config.json"))]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []  # not a readable .keras file: load_model says why
    found: set[str] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        if not isinstance(node, dict):
            continue
        stack.extend(node.values())
        if node.get("class_name") == "Lambda":
            found.add("a Lambda layer")
        module = node.get("module")
        if ("class_name" in node and isinstance(module, str)
                and module.split(".")[0] not in KERAS_PACKAGES
                and keras.saving.get_registered_object(str(node.get("registered_name"))) is None):
            found.add(f"an object from module '{module}'")
    return sorted(found)


def load_keras_model(path: Path, allow_unsafe: bool = False) -> Any:
    if not path.exists():
        raise NntrainError(f"model file not found: {path}", 1)
    unsafe = [] if allow_unsafe else unsafe_contents(path)
    if unsafe:
        raise runtime_error(f"{path} contains code that would run when loading it "
                            f"({', '.join(unsafe)}) and was not loaded",
                            "pass --allow-unsafe only if you trust where it came from")
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
