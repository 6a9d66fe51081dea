"""The input steps fitted on the training split (preprocess.json's state) as Keras layers at the
front of the model: Rescaling, Reshape, Flatten, Normalization, TextVectorization. So the saved
`model.keras`, loaded by plain tf.keras, predicts on raw inputs by itself.

The state is plain JSON written by the data layer; this module only reads it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nntrain.engine import keras

PREFIX = "preprocess_"  # the front layers' names: not part of `model.initial_weights`


def _pick(value: Any, key: str | None) -> Any:
    return value.get(key) if key is not None and isinstance(value, dict) else value


def _for_input(state: dict[str, Any], key: str | None) -> dict[str, Any]:
    """The input spec of `key` (None: the one input), whether the state keeps one or a mapping."""
    inputs = state.get("inputs") or {}
    if "shape" in inputs:
        return inputs
    return inputs.get(key) or {} if key is not None else {}


def raw_input(state: dict[str, Any], key: str | None, name: str) -> Any:
    """The model's Input for the raw examples of one input, as the data gives them."""
    spec = _for_input(state, key)
    token_ids = bool((state.get("info") or {}).get("token_ids"))
    dtype = "string" if spec.get("text") else "int32" if token_ids else "float32"
    return keras.Input(shape=tuple(spec.get("shape") or ()), dtype=dtype, name=name)


def front_layers(state: dict[str, Any] | None, key: str | None) -> list[Any]:
    """The layers that turn one raw input into what the configured model takes (none when
    the state keeps the steps outside the model, as runs made before this did)."""
    if not state or not state.get("in_model"):
        return []
    spec = _for_input(state, key)
    suffix = f"_{key}" if key else ""
    if spec.get("text"):
        text = _pick(state["text"], key)
        return [keras.layers.TextVectorization(
            vocabulary=text["vocabulary"],  # as the data layer's own vectorizer takes it
            output_sequence_length=text["sequence_length"], name=f"{PREFIX}text{suffix}")]
    # float32 under any policy: in bfloat16 a raw value keeps 8 bits, so a year 2003 becomes
    # 2000 before it is normalized; the first layer after these casts what they give.
    exact = {"dtype": "float32"}
    layers = []
    if state.get("rescale") is not None:
        layers.append(keras.layers.Rescaling(state["rescale"], name=f"{PREFIX}rescale{suffix}",
                                             **exact))
    if state.get("reshape"):
        layers.append(keras.layers.Reshape(state["reshape"], name=f"{PREFIX}reshape{suffix}",
                                           **exact))
    if state.get("flatten"):
        layers.append(keras.layers.Flatten(name=f"{PREFIX}flatten{suffix}", **exact))
    stats = _pick(state.get("normalize"), key)
    if stats:
        mean, std = np.asarray(stats["mean"], "float32"), np.asarray(stats["std"], "float32")
        axis = tuple(range(1, mean.ndim + 1)) if mean.ndim > 1 else -1
        layers.append(keras.layers.Normalization(axis=axis, mean=mean, variance=std * std,
                                                 name=f"{PREFIX}normalize{suffix}", **exact))
    return layers


def with_front(raw: Any, layers: list[Any]) -> Any:
    for layer in layers:
        raw = layer(raw)
    return raw


def takes_strings(model: Any) -> bool:
    """Raw text goes in (a TextVectorization layer inside): XLA cannot compile such a model."""
    return any(t.dtype.name == "string" for t in model.inputs)
