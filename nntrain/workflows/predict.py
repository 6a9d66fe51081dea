"""`nntrain predict`: new inputs → the stored preprocessing → model (or one layer) → CSV / NPY.

What a user can get wrong (the input's columns and files, the --layer name) is checked by
`check_predict` from the run's files alone, before TensorFlow starts; `run_predict` loads it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nntrain.config.suggest import did_you_mean
from nntrain.data.files import BATCH, ImageFiles, is_files
from nntrain.data.images import COLOR_MODES, image_info
from nntrain.data.inputs import Note, read_inputs
from nntrain.data.pipeline import to_dataset
from nntrain.data.preprocess import Preprocessor
from nntrain.data.types import Arrays, Split
from nntrain.errors import NntrainError, first_line
from nntrain.model.heads import classifier_head, loss_takes_logits, probabilities
from nntrain.runs.atomic import write_with
from nntrain.runs.run_dir import RunDir
from nntrain.runs.saved_model import layer_names, open_target

STDOUT = Path("-")  # --output -: the CSV to standard output


@dataclass
class PredictRequest:
    """A prediction checked without TensorFlow: the raw inputs, read with the run's
    preprocessing (None when the target has none: run_predict refuses it after loading the
    model, so an unsafe model file is reported first)."""

    target: Path
    input_path: Path
    layer: str | None
    preprocessor: Preprocessor | None
    x: Arrays | ImageFiles | None


def _run_of(target: Path) -> RunDir | None:
    """The run a target belongs to: itself, or the run a .keras checkpoint lies in."""
    if target.is_dir():
        return RunDir(target)
    return next((RunDir(p) for p in target.resolve().parents if RunDir(p).is_run()), None)


def _no_layer(layer: str, names: list[str]) -> NntrainError:
    return NntrainError(f"the model has no layer '{layer}' (layers: {', '.join(names)})",
                        path="--layer", hint=did_you_mean(layer, names))


def check_predict(target: Path, input_path: Path, layer: str | None,
                  note: Note | None = None) -> PredictRequest:
    """--layer against the layer names in the model file, and the input against the run's
    preprocess.json: a typo is answered in a fraction of a second, not after TensorFlow's."""
    run = _run_of(target)
    if layer:
        names = layer_names(run.model_path if target.is_dir() and run else target)
        if names is not None and layer not in names:
            raise _no_layer(layer, names)
    pre = Preprocessor(run.read_preprocess()) if run and run.preprocess_json.exists() else None
    x = read_inputs(input_path, pre, note) if pre is not None else None
    return PredictRequest(target, input_path, layer, pre, x)


def _as_declared(model: Any) -> Preprocessor:
    """Inputs read as the model's own Input layers declare them, passed on unchanged. A single
    input of shape (height, width, 1 | 3 | 4) takes image files too, decoded and resized
    (bilinear) to that size, as image_dir and image_dataset_from_directory make pixels."""
    names = list(model.input_names)
    specs = {name: {"shape": list(tensor.shape[1:]), "text": tensor.dtype.name == "string"}
             for name, tensor in zip(names, model.inputs)}
    shape = tuple(model.inputs[0].shape[1:])
    pixels = (len(names) == 1 and len(shape) == 3 and None not in shape
              and shape[2] in COLOR_MODES and model.inputs[0].dtype.name != "string")
    info = image_info(shape[:2], shape[2], resized=True) if pixels else {}
    return Preprocessor({"in_model": True, "info": info,
                         "inputs": specs[names[0]] if len(names) == 1 else specs})


def default_output(input_path: Path) -> Path:
    """`<input stem>.predictions.csv` in the current folder, never beside the input (which
    may be a shared dataset folder)."""
    name = input_path.resolve().name if input_path.is_dir() else input_path.stem
    return Path(f"{name}.predictions.csv")


def _sub_model(model: Any, layer: str) -> Any:
    from nntrain.engine import keras

    names = [lay.name for lay in model.layers]
    if layer not in names:
        raise _no_layer(layer, names)
    return keras.Model(model.inputs, model.get_layer(layer).output)


def _columns(prefix: str, values: np.ndarray, kind: str | None,
             class_names: list[Any] | None) -> dict[str, Any]:
    values = values.reshape(len(values), -1)
    cols: dict[str, Any] = {}
    if kind == "softmax" and values.shape[1] > 1:
        names = class_names if class_names and len(class_names) == values.shape[1] \
            else list(range(values.shape[1]))
        cols[f"{prefix}class"] = [names[i] for i in values.argmax(axis=1)]
        for i, n in enumerate(names):
            cols[f"{prefix}prob_{n}"] = values[:, i]
    elif kind == "sigmoid" and values.shape[1] == 1:
        names = class_names if class_names and len(class_names) == 2 else [0, 1]
        cols[f"{prefix}class"] = [names[int(p >= 0.5)] for p in values[:, 0]]
        cols[f"{prefix}prob_{names[1]}"] = values[:, 0]
    else:
        for i in range(values.shape[1]):
            cols[f"{prefix}{'prediction' if values.shape[1] == 1 else f'output_{i}'}"] = values[:, i]
    return cols


def _predict(model: Any, x: Arrays | ImageFiles, input_path: Path) -> Any:
    """Arrays in one call; image files streamed, BATCH decoded at a time."""
    data = to_dataset(Split(x), BATCH, with_labels=False) if is_files(x) else x
    try:
        raw = model.predict(data, verbose=0)
    except (ValueError, TypeError) as exc:
        raise NntrainError(f"{input_path} does not fit the model's input: "
                           f"{first_line(exc)}", 1) from None
    return [_float32(r) for r in raw] if isinstance(raw, list) else _float32(raw)


def _float32(values: np.ndarray) -> np.ndarray:
    """A hidden layer of a mixed-precision model gives bfloat16 or float16, which NumPy files
    and CSV cells cannot hold as such (NumPy has no bfloat16)."""
    narrow = values.dtype.itemsize < 4 and values.dtype.kind in "fV"
    return values.astype("float32") if narrow else values


def _frame(model: Any, raw: Any, layer: str | None, class_names: Any) -> pd.DataFrame:
    """One row per example: a layer's units, or each head's class and probabilities."""
    outputs = raw if isinstance(raw, list) else [raw]
    heads = [model.get_layer(n) for n in model.output_names] if not layer else [None]
    columns: dict[str, Any] = {}
    for head, values in zip(heads, outputs):
        if layer:
            cols = {f"{layer}_{i}": v for i, v in enumerate(values.reshape(len(values), -1).T)}
        else:
            multi = len(outputs) > 1
            names = class_names.get(head.name) if isinstance(class_names, dict) else class_names
            logits = loss_takes_logits(model, head.name)
            kind = classifier_head(head, logits)
            cols = _columns(f"{head.name}_" if multi else "", probabilities(values, kind, logits),
                            kind, names)
        columns.update(cols)
    return pd.DataFrame(columns)


def run_predict(request: PredictRequest, output: Path | None,
                allow_unsafe: bool) -> tuple[pd.DataFrame | np.ndarray, Path]:
    """Predictions written to `output` (default_output when None; STDOUT for `-`)."""
    saved = open_target(request.target, allow_unsafe)
    if getattr(saved.model, "part_name", None):  # nntrain.model.generative: a VAE or a GAN
        raise NntrainError(f"{request.target} holds a generative model, which predicts no "
                           f"targets; draw new examples with: nntrain generate "
                           f"{request.target}", 2)
    pre, x = request.preprocessor, request.x
    if pre is None:  # a .keras file alone: nntrain's models hold their preprocessing
        pre = _as_declared(saved.model)
        x = read_inputs(request.input_path, pre)
    model = _sub_model(saved.model, request.layer) if request.layer else saved.model
    raw = _predict(model, pre.transform_x(x), request.input_path)
    output = output or default_output(request.input_path)
    if output.suffix == ".npy":
        array = raw if not isinstance(raw, list) else np.concatenate(
            [r.reshape(len(r), -1) for r in raw], axis=1)
        write_with(output, lambda tmp: np.save(tmp, array))
        return array, output
    frame = _frame(model, raw, request.layer, pre.class_names)
    if is_files(x):
        frame.insert(0, "file", list(x.paths))
    if output == STDOUT:
        frame.to_csv(sys.stdout, index=False)
    else:
        write_with(output, lambda tmp: frame.to_csv(tmp, index=False))
    return frame, output
