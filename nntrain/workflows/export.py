"""`nntrain export`: model.keras as a SavedModel (TF Serving's layout), a TFLite file or an
ONNX file, checked against model.keras on held-out examples; the check is printed and kept in
export.json beside the exported files.

A model trained under a mixed policy is exported computing in float32 (and checked against
model.keras computing in float32): LiteRT and ONNX Runtime have no bfloat16 kernels for most
ops, and graph rewrites round bfloat16 at other points than Keras does, beyond any tolerance.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.data.files import materialize
from nntrain.data.types import Split
from nntrain.errors import NntrainError, config_error, runtime_error
from nntrain.export import onnx, tflite
from nntrain.export.check import ExportCheck, Head, check_export, size_bytes
from nntrain.export.saved_model import SavedModelRunner, write_saved_model
from nntrain.model.heads import classifier_head, loss_takes_logits
from nntrain.runs.atomic import write_text
from nntrain.runs.saved_model import SavedModel, mixed_policy, open_target
from nntrain.workflows.evaluate import has_front, preprocessor_of, splits_of

FORMATS = ("saved_model", "tflite", "onnx")
HELD_OUT = 1000  # examples the export is checked on
CALIBRATION = 300  # training examples int8 quantization calibrates on
REPORT = "export.json"
NEEDS = {"onnx": ("tf2onnx", "onnxruntime")}


@dataclass
class ExportResult:
    format: str
    quantize: str | None
    path: Path
    bytes: int
    keras_bytes: int
    split: str
    check: ExportCheck
    report: Path
    preprocessing_inside: bool
    trained_in: str | None  # the mixed policy model.keras computes in; the export is float32


def check_request(fmt: str, quantize: str | None) -> None:
    """What the command line got wrong, or an extra not installed: said before TensorFlow
    loads."""
    if fmt not in FORMATS:
        raise config_error(f"unknown format '{fmt}'; choose {', '.join(FORMATS)}", "--format")
    allowed = {"saved_model": (), "tflite": tflite.QUANTIZE, "onnx": onnx.QUANTIZE}[fmt]
    if quantize is not None and quantize not in allowed:
        raise config_error(f"--format {fmt} takes "
                           f"{'no --quantize' if not allowed else ' or '.join(allowed)}, "
                           f"not {quantize}", "--quantize")
    missing = [m for m in NEEDS.get(fmt, ()) if importlib.util.find_spec(m) is None]
    if missing:
        raise NntrainError(f"--format {fmt} needs {', '.join(missing)}, which is not installed",
                           1, hint='pip install -e ".[export]"')


def _default_path(saved: SavedModel, fmt: str, quantize: str | None) -> Path:
    assert saved.run is not None
    name = saved.run.read_config().name
    folder = saved.run.root / "export"
    if fmt == "saved_model":
        return folder / name  # TF Serving's --model_base_path; versions 1, 2, ... inside
    return folder / f"{name}{'.' + quantize if quantize else ''}.{fmt}"


def _by_input(model: Any, x: Any) -> dict[str, np.ndarray]:
    names = list(model.input_names)
    arrays = materialize(x)
    if isinstance(arrays, dict):
        return {n: np.asarray(arrays[n]) for n in names}
    return {names[0]: np.asarray(arrays)}


def _label_classes(y: Any, name: str, count: int) -> np.ndarray | None:
    labels = y.get(name) if isinstance(y, dict) else (y if count == 1 else None)
    if labels is None:
        return None
    labels = np.asarray(materialize(labels))
    wide = labels.ndim > 1 and labels.shape[-1] > 1
    return labels.reshape(len(labels), -1).argmax(axis=1) if wide else \
        labels.reshape(-1).astype(int)


def _heads(model: Any, y: Any) -> list[Head]:
    names = list(model.output_names)
    heads = []
    for name in names:
        logits = loss_takes_logits(model, name)
        kind = classifier_head(model.get_layer(name), logits)
        labels = _label_classes(y, name, len(names)) if kind and y is not None else None
        heads.append(Head(name, kind, labels, logits))
    return heads


def keras_runner(model: Any) -> Any:
    """model.keras called on named inputs, outputs in model.output_names order."""
    def run(inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        x = [inputs[name] for name in model.input_names]
        outputs = model(x if len(x) > 1 else x[0], training=False)
        return [np.asarray(o) for o in (outputs if isinstance(outputs, list) else [outputs])]

    return run


def _calibration(model: Any, train: Split) -> Any:
    """int8's representative dataset: the first training examples, one at a time."""
    inputs = _by_input(model, train.subset(slice(0, CALIBRATION)).x)

    def examples() -> Any:
        for i in range(len(next(iter(inputs.values())))):
            yield {name: value[i:i + 1] for name, value in inputs.items()}

    return examples


def _write(saved: SavedModel, fmt: str, quantize: str | None, target: Path,
           train: Split) -> tuple[Path, Any]:
    """The exported file (or SavedModel version folder) and a runner that calls it."""
    model, outputs = saved.model, list(saved.model.output_names)
    if fmt != "saved_model" and any(t.dtype.name == "string" for t in model.inputs):
        raise runtime_error(f"the model takes text: its TextVectorization layer runs TensorFlow "
                            f"string ops that {'LiteRT' if fmt == 'tflite' else 'ONNX Runtime'} "
                            "lacks", "export it with --format saved_model, which TF Serving runs")
    calibration = _calibration(model, train) if quantize == "int8" else None
    if fmt == "saved_model":
        folder = write_saved_model(model, target)
        return folder, SavedModelRunner(folder, outputs)
    if fmt == "onnx":
        return onnx.write_onnx(model, target, quantize, calibration), \
            onnx.OnnxRunner(target, outputs)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".saved_model.") as scratch:
        folder = write_saved_model(model, Path(scratch))
        tflite.write_tflite(folder, target, quantize, calibration)
    return target, tflite.TFLiteRunner(target, outputs)


def _write_report(result: ExportResult, model_name: str) -> None:
    """export.json: one entry per exported path, those of earlier exports kept."""
    try:
        entries = json.loads(result.report.read_text()).get("exports", {})
    except (OSError, ValueError, AttributeError):
        entries = {}
    entries[str(result.path.relative_to(result.report.parent))] = {
        "model": model_name, "format": result.format, "quantize": result.quantize,
        "bytes": result.bytes, "keras_bytes": result.keras_bytes,
        "preprocessing_inside": result.preprocessing_inside, "split": result.split,
        "trained_in": result.trained_in,
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **result.check.as_json()}
    write_text(result.report, json.dumps({"exports": entries}, indent=2) + "\n")


def run_export(target: Path, fmt: str, quantize: str | None, output: Path | None,
               allow_unsafe: bool) -> ExportResult:
    saved = open_target(target, allow_unsafe, compute_float32=True)
    if saved.run is None:
        raise NntrainError(f"{target} lies in no run directory: export checks the model on the "
                           "run's held-out data", path="TARGET",
                           hint="give the run directory the model was trained in")
    config = saved.run.read_config(allow_unsafe)
    splits = splits_of(config, preprocessor_of(saved, config))
    split_name, held = next(iter(splits.items()))
    held = held.subset(slice(0, HELD_OUT))
    destination = (output or _default_path(saved, fmt, quantize)).resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    written, runner = _write(saved, fmt, quantize, destination, splits["training"])
    check = check_export(keras_runner(saved.model), runner, _by_input(saved.model, held.x),
                         _heads(saved.model, held.y), quantize)
    keras_file = target if target.is_file() else saved.run.model_path
    result = ExportResult(fmt, quantize, written, size_bytes(written), size_bytes(keras_file),
                          split_name, check, destination.parent / REPORT,
                          has_front(saved.model), mixed_policy(keras_file))
    _write_report(result, config.name)
    return result
