"""Checks that the labels fit the model's outputs and the loss, before a single step runs."""

from __future__ import annotations

from typing import Any

import numpy as np

from nntrain.config.schema import CompileConfig
from nntrain.data.types import Arrays
from nntrain.errors import config_error


def _loss_name(spec: Any) -> str:
    name = spec.get("type", "") if isinstance(spec, dict) else str(spec)
    return name.lower().replace("_", "")


def _check_one(units: tuple, y: np.ndarray, loss: str, path: str, output: str) -> None:
    width = units[-1] if units else None
    where = f"output '{output}'" if output else "the model's output"
    labels = y.reshape(len(y), -1)
    if "sparsecategorical" in loss:
        if labels.shape[1] != 1:
            raise config_error(f"{loss} needs integer class labels, but the labels have "
                               f"{labels.shape[1]} columns (one-hot?)", path,
                               "use categorical_crossentropy or set data.preprocess.one_hot: false")
        top = int(np.max(labels)) if labels.size else 0
        if width is not None and (top >= width or np.min(labels) < 0):
            raise config_error(f"labels go from {int(np.min(labels))} to {top}, but {where} has "
                               f"{width} units (labels must be 0..{width - 1})", path,
                               "remap the labels (data.classes) or change the output units")
        return
    if "categorical" in loss and width is not None and labels.shape[1] != width:
        hint = ("set data.preprocess.one_hot: true" if labels.shape[1] == 1
                else "make the output units match the number of classes")
        raise config_error(f"{where} has {width} units but the labels have {labels.shape[1]} "
                           f"column(s); {loss} needs one-hot labels of the same width", path, hint)
    if "binary" in loss:
        if labels.size and (np.min(labels) < 0 or np.max(labels) > 1):
            raise config_error(f"{loss} needs labels between 0 and 1, got {np.min(labels)} .. "
                               f"{np.max(labels)}", path)
    if width is not None and labels.shape[1] != width and "categorical" not in loss:
        raise config_error(f"{where} has {width} units but each label has {labels.shape[1]} "
                           "value(s)", path, "make the last layer's units match the target")


def check_labels(model: Any, y: Arrays | None, compile_cfg: CompileConfig) -> None:
    if y is None:
        return
    names = list(model.output_names)
    shapes = model.output_shape if len(names) > 1 else [model.output_shape]
    losses = compile_cfg.loss
    per_output = isinstance(losses, dict) and "type" not in losses
    if isinstance(y, dict):
        missing = [n for n in names if n not in y]
        if missing:
            raise config_error(f"no labels for output(s) {missing}; the data gives "
                               f"{sorted(y)}", "data.target")
    elif len(names) > 1:
        raise config_error(f"the model has {len(names)} outputs {names} but the data gives one "
                           "label array", "data.target", "map each output to a column")
    for name, shape in zip(names, shapes):
        labels = y[name] if isinstance(y, dict) else y
        spec = losses.get(name) if per_output else losses
        if spec is None:
            continue
        path = f"compile.loss.{name}" if per_output else "compile.loss"
        _check_one(tuple(shape[1:]), np.asarray(labels), _loss_name(spec), path,
                   name if len(names) > 1 else "")
