"""`nntrain weights`: a layer's kernel and bias as a table, rows = inputs, columns = units.

For a one-layer linear model this is the table that sits next to regression coefficients:
the first layer's rows are named after the input features when the data says what they are
(the weights apply to the preprocessed inputs, so they are standardized ones under `normalize`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nntrain.config.suggest import did_you_mean
from nntrain.errors import NntrainError


@dataclass
class LayerWeights:
    layer: str
    table: pd.DataFrame  # index: input units (+ "bias"), columns: output units
    others: list[str]  # further weights of the layer, e.g. "recurrent_kernel (8, 32)"


def _kernel(layer: Any) -> Any | None:
    return next((w for w in layer.weights if len(w.shape) >= 2), None)


def _short(weight: Any) -> str:
    return weight.name.split("/")[-1].split(":")[0]


def _pick_layer(model: Any, name: str | None) -> Any:
    with_kernel = [lay for lay in model.layers if _kernel(lay) is not None]
    if not with_kernel:
        raise NntrainError("the model has no layer with a weight matrix", path="--layer")
    if name is None:
        return with_kernel[0]
    names = [lay.name for lay in model.layers]
    if name not in names:
        raise NntrainError(f"the model has no layer '{name}' (layers: {', '.join(names)})",
                           path="--layer", hint=did_you_mean(name, names))
    layer = model.get_layer(name)
    if _kernel(layer) is None:
        raise NntrainError(f"layer '{name}' has no weight matrix; layers that have one: "
                           f"{', '.join(lay.name for lay in with_kernel)}", path="--layer")
    return layer


def _labels(names: Any, count: int, default: list[str]) -> list[str]:
    return [str(n) for n in names] if isinstance(names, list) and len(names) == count else default


def layer_weights(model: Any, name: str | None, info: dict[str, Any]) -> LayerWeights:
    """`info` is the data's info from preprocess.json (feature_names, class_names)."""
    layer = _pick_layer(model, name)
    kernel = _kernel(layer)
    values = np.asarray(kernel.numpy())
    units = values.shape[-1]
    matrix = values.reshape(-1, units)
    if values.ndim == 2:
        rows = [f"in_{i}" for i in range(len(matrix))]
        if layer is next(lay for lay in model.layers if _kernel(lay) is not None):
            rows = _labels(info.get("feature_names"), len(matrix), rows)
    else:
        rows = [",".join(map(str, index)) for index in np.ndindex(values.shape[:-1])]
    columns = [f"unit_{j}" for j in range(units)]
    if layer.name in model.output_names:
        columns = _labels(info.get("class_names"), units, columns)
    table = pd.DataFrame(matrix, index=rows, columns=columns)
    bias = next((w for w in layer.weights if len(w.shape) == 1 and "bias" in _short(w)
                 and w.shape[0] == units), None)
    if bias is not None:
        table.loc["bias"] = np.asarray(bias.numpy())
    others = [f"{_short(w)} {tuple(w.shape)}" for w in layer.weights
              if w is not kernel and w is not bias]
    return LayerWeights(layer.name, table, others)
