"""Find and load what a run (or a bare .keras file) holds: model, config, preprocessing."""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nntrain.data.preprocess import Preprocessor
from nntrain.errors import NntrainError, runtime_error
from nntrain.runs.run_dir import RunDir


@dataclass
class SavedModel:
    model: Any
    run: RunDir | None
    preprocessor: Preprocessor | None


# Top-level packages a .keras config may name; Keras imports any other module it names.
KERAS_PACKAGES = ("keras", "tf_keras", "builtins")


# The zip .keras format is the only one Keras loads in safe mode: tf-keras loads HDF5 files and
# SavedModel folders through legacy paths that ignore safe_mode and run Lambda bytecode.
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# config.json and metadata.json of a real model are kilobytes; a zip bomb inflates to gigabytes.
MAX_CONFIG_BYTES = 64 * 2**20
UNTRUSTED_HINT = "pass --allow-unsafe only if you trust where it came from"


def _keras() -> Any:
    """Keras with nntrain's own classes registered (load_model and the safety check look them
    up); imported on first use, so reading a model's layer names needs no TensorFlow."""
    from nntrain.engine import keras
    from nntrain.model import generative, perceptron  # noqa: F401  register their classes

    return keras


def layer_names(path: Path) -> list[str] | None:
    """The names `model.layers` will have, read from a .keras zip's config.json without
    TensorFlow (so a wrong --layer is refused in a fraction of a second); None where the file
    is no readable .keras zip or its model is not a layer graph (loading it tells more)."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = archive.getinfo("config.json")
            if member.file_size > MAX_CONFIG_BYTES:
                return None
            config = json.loads(archive.read(member))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    graph = config.get("config") if isinstance(config, dict) else None
    layers = graph.get("layers") if isinstance(graph, dict) else None
    if not isinstance(layers, list) or not all(
            isinstance(lay, dict) and isinstance(lay.get("config"), dict) for lay in layers):
        return None
    if config.get("class_name") == "Sequential":  # its InputLayer is not one of model.layers
        layers = [lay for lay in layers if lay.get("class_name") != "InputLayer"]
    return [str(lay["config"].get("name")) for lay in layers]


def model_format(path: Path) -> str:
    """What a model file is, read from its content, never its name."""
    if path.is_dir():
        return "saved_model" if (path / "saved_model.pb").exists() else "folder"
    if not path.is_file():
        return "not a regular file"
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC) and zipfile.is_zipfile(path):
        return "keras_zip"
    return "hdf5" if head == HDF5_MAGIC else "unknown"


FORMAT_NAMES = {
    "saved_model": "a TensorFlow SavedModel folder",
    "folder": "a folder",
    "hdf5": "an HDF5 (.h5) model file",
    "unknown": "not a Keras model file",
}


def unsafe_contents(archive: zipfile.ZipFile) -> list[str]:
    """What in a .keras file would run code when loaded: Lambda layers, and objects from
    modules outside Keras that are not registered serializables (Keras imports such a module
    by name, even in safe mode)."""
    keras = _keras()
    stack: list[Any] = [json.loads(archive.read("config.json"))]
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


def check_keras_zip(path: Path) -> None:
    """Refuse a .keras zip that is malformed, a decompression bomb, or would run code."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            if "config.json" not in members:
                raise runtime_error(f"cannot load {path}: it is a zip file but not a Keras model "
                                    "(no config.json inside)")
            for name in ("config.json", "metadata.json"):
                if name in members and members[name].file_size > MAX_CONFIG_BYTES:
                    raise runtime_error(
                        f"{path} was not loaded: its {name} would inflate to "
                        f"{members[name].file_size / 2**20:.0f} MiB (a real model's is a few KB; "
                        f"the limit is {MAX_CONFIG_BYTES // 2**20} MiB)")
            unsafe = unsafe_contents(archive)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise runtime_error(f"cannot load {path}: not a readable .keras file ({exc})") from None
    if unsafe:
        raise runtime_error(f"{path} contains code that would run when loading it "
                            f"({', '.join(unsafe)}) and was not loaded", UNTRUSTED_HINT)


MIXED_POLICIES = ("mixed_bfloat16", "mixed_float16")


def mixed_policy(path: Path) -> str | None:
    """The mixed dtype policy a .keras file's layers compute in (its variables are float32
    all the same), read from config.json without TensorFlow; None for float32 models."""
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
                return None
            text = archive.read("config.json").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    return next((name for name in MIXED_POLICIES if f'"{name}"' in text), None)


def _float32_policies(node: Any) -> Any:
    """A Keras config with each mixed dtype policy replaced by float32."""
    if isinstance(node, list):
        return [_float32_policies(v) for v in node]
    if not isinstance(node, dict):
        return node
    if node.get("class_name") == "Policy" and isinstance(node.get("config"), dict) \
            and node["config"].get("name") in MIXED_POLICIES:
        return {**node, "config": {**node["config"], "name": "float32"}}
    return {k: _float32_policies(v) for k, v in node.items()}


def _float32_copy(path: Path, folder: Path) -> Path:
    """The .keras file again, its layers computing in float32: the same weights, since a mixed
    policy keeps its variables in float32."""
    copy = folder / path.name
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "config.json":
                data = json.dumps(_float32_policies(json.loads(data))).encode()
            target.writestr(item, data)
    return copy


def load_keras_model(path: Path, allow_unsafe: bool = False,
                     compute_float32: bool = False) -> Any:
    """`compute_float32`: a model trained under a mixed policy, loaded to compute in float32
    (what the export formats run)."""
    if not path.exists():
        raise NntrainError(f"model file not found: {path}", 1)
    kind = model_format(path)
    if not allow_unsafe:
        if kind != "keras_zip" or path.suffix != ".keras":  # Keras takes its safe path only then
            raise runtime_error(
                f"{path} is {FORMAT_NAMES.get(kind, kind)}, not a zip .keras file, and was not "
                "loaded: only .keras files (what nntrain and model.save('x.keras') write) load "
                "safely; Keras loads other formats without its safe mode, so they can run code",
                UNTRUSTED_HINT)
        check_keras_zip(path)
    if compute_float32 and mixed_policy(path) is not None:
        with tempfile.TemporaryDirectory(prefix="nntrain-float32-") as folder:
            return _load(_float32_copy(path, Path(folder)), path, allow_unsafe)
    return _load(path, path, allow_unsafe)


def _load(file: Path, path: Path, allow_unsafe: bool) -> Any:
    """Keras' load_model of `file`; its errors name `path`, the file the user gave."""
    try:
        return _keras().models.load_model(file, safe_mode=not allow_unsafe)
    except (ValueError, TypeError) as exc:
        text = str(exc)
        if "safe_mode" in text or "lambda" in text.lower():
            raise runtime_error(f"{path} contains code (a Lambda layer) and was not loaded",
                                UNTRUSTED_HINT) from None
        raise runtime_error(f"cannot load {path}: {_load_failure(text)}") from None
    except OSError as exc:
        raise runtime_error(f"cannot load {path}: {exc}") from None


def _load_failure(text: str) -> str:
    """Keras' message without the layer config it dumps (which can hold base64 bytecode)."""
    found = re.match(r"Error when deserializing class '([^']+)'", text)
    if found is None:
        return text.strip().splitlines()[0][:300]
    cause = text.split("Exception encountered:", 1)[-1].strip().splitlines()
    reason = cause[0][:120] if cause and "Exception encountered:" in text else "invalid config"
    return f"Keras cannot rebuild its {found.group(1)} layer ({reason})"


def open_target(target: Path, allow_unsafe: bool = False,
                compute_float32: bool = False) -> SavedModel:
    """A run directory (model.keras + preprocess.json) or a .keras file (see load_keras_model
    for `compute_float32`)."""
    if target.is_dir():
        run = RunDir(target)
        if not run.is_run():
            raise NntrainError(f"{target} is not a run directory (no config.yaml)", 2)
        if not run.model_path.exists():
            hint = "the run has no final model; use its checkpoints/last.keras"
            raise runtime_error(f"{run.model_path} does not exist", hint)
        pre = Preprocessor(run.read_preprocess()) if run.preprocess_json.exists() else None
        return SavedModel(load_keras_model(run.model_path, allow_unsafe, compute_float32),
                          run, pre)
    if target.suffix != ".keras":
        raise NntrainError(f"{target}: expected a run directory or a .keras file", 2)
    # A checkpoint inside a run still finds its run's preprocessing.
    run = next((RunDir(p) for p in target.resolve().parents if RunDir(p).is_run()), None)
    pre = Preprocessor(run.read_preprocess()) if run and run.preprocess_json.exists() else None
    return SavedModel(load_keras_model(target, allow_unsafe, compute_float32), run, pre)
