"""`nntrain predict`: new inputs → the stored preprocessing → model (or one layer) → CSV / NPY."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nntrain.config.suggest import did_you_mean
from nntrain.data.inputs import read_inputs
from nntrain.engine import keras
from nntrain.errors import NntrainError
from nntrain.model.heads import classifier_head
from nntrain.runs.atomic import write_with
from nntrain.runs.saved_model import open_target


def _sub_model(model: Any, layer: str) -> Any:
    names = [lay.name for lay in model.layers]
    if layer not in names:
        raise NntrainError(f"the model has no layer '{layer}' (layers: {', '.join(names)})",
                           path="--layer", hint=did_you_mean(layer, names))
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


def run_predict(target: Path, input_path: Path, output: Path | None, layer: str | None,
                allow_unsafe: bool) -> tuple[pd.DataFrame | np.ndarray, Path]:
    saved = open_target(target, allow_unsafe)
    if saved.preprocessor is None:
        raise NntrainError(f"{target} has no preprocess.json next to it, so its inputs cannot "
                           "be prepared like in training", 1)
    x = saved.preprocessor.transform_x(read_inputs(input_path, saved.preprocessor))
    model = _sub_model(saved.model, layer) if layer else saved.model
    try:
        raw = model.predict(x, verbose=0)
    except (ValueError, TypeError) as exc:
        raise NntrainError(f"{input_path} does not fit the model's input: "
                           f"{str(exc).strip().splitlines()[0]}", 1) from None
    output = output or input_path.with_name(f"{input_path.stem}.predictions.csv")
    if output.suffix == ".npy":
        array = raw if not isinstance(raw, list) else np.concatenate(
            [r.reshape(len(r), -1) for r in raw], axis=1)
        write_with(output, lambda tmp: np.save(tmp, array))
        return array, output
    outputs = raw if isinstance(raw, list) else [raw]
    heads = [model.get_layer(n) for n in model.output_names] if not layer else [None]
    class_names = saved.preprocessor.class_names
    columns: dict[str, Any] = {}
    for head, values in zip(heads, outputs):
        if layer:
            cols = {f"{layer}_{i}": v for i, v in enumerate(values.reshape(len(values), -1).T)}
        else:
            multi = len(outputs) > 1
            names = class_names.get(head.name) if isinstance(class_names, dict) else class_names
            cols = _columns(f"{head.name}_" if multi else "", values, classifier_head(head), names)
        columns.update(cols)
    frame = pd.DataFrame(columns)
    write_with(output, lambda tmp: frame.to_csv(tmp, index=False))
    return frame, output
