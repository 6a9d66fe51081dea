"""ModelConfig → a tf.keras Model (Sequential or functional), every layer by its Keras name."""

from __future__ import annotations

from typing import Any

import numpy as np

from nntrain.config.schema import ModelConfig, PartConfig
from nntrain.engine import keras
from nntrain.errors import config_error, first_line
from nntrain.model import keras_objects
from nntrain.model.perceptron import build_perceptron
from nntrain.model.preprocessing import PREFIX, front_layers, raw_input, with_front


def _deserialize_layer(config: Any) -> Any:
    layer = keras.layers.deserialize(config)
    if not isinstance(layer, keras.layers.Layer):  # Keras hands an unknown name back as given
        raise ValueError(f"unknown layer type {layer!r}")
    return layer


def make_layer(spec: dict[str, Any], path: str, *, force_float32: bool = False) -> Any:
    """{type: Conv2D, filters: 32, ...} → the layer Keras' own deserializer builds from it."""
    spec = {k: v for k, v in spec.items() if k != "inputs"}
    if force_float32:
        spec.setdefault("dtype", "float32")  # keep softmax / losses stable under mixed precision
    return keras_objects.construct(_deserialize_layer, spec, path, spec["type"])


def _fit_error(layer: Any, exc: Exception, path: str) -> Exception:
    first = first_line(exc)
    return config_error(f"{layer.__class__.__name__} does not fit its input: {first}", path)


def _layer_specs(cfg: ModelConfig) -> list[dict[str, Any]]:
    specs = []
    for layer in cfg.layers:
        spec = {"type": layer.type, **layer.args}
        if layer.name:
            spec["name"] = layer.name
        if layer.inputs is not None:
            spec["inputs"] = layer.inputs
        specs.append(spec)
    return specs


def _sequential(cfg: ModelConfig | PartConfig, float32_outputs: bool,
                state: dict[str, Any] | None, base: str = "model",
                name: str = "sequential") -> Any:
    if cfg.input_shape is None:
        raise config_error("a sequential model needs `input_shape`", f"{base}.input_shape")
    model = keras.Sequential(name=name)
    front = front_layers(state, None)
    if front:
        model.add(raw_input(state or {}, None, "input"))
        for layer in front:
            model.add(layer)
        _check_front(tuple(model.output_shape[1:]), tuple(cfg.input_shape), "model.input_shape")
    else:
        model.add(keras.Input(shape=tuple(cfg.input_shape), name="input"))
    specs = _layer_specs(cfg)
    for i, spec in enumerate(specs):
        path = f"{base}.layers[{i}]"
        layer = make_layer(spec, path, force_float32=float32_outputs and i == len(specs) - 1)
        try:
            model.add(layer)
        except (TypeError, ValueError) as exc:
            raise _fit_error(layer, exc, path) from None
    return model


def _check_front(got: tuple, want: tuple, path: str) -> None:
    """The preprocessing layers make examples of the shape the configured model takes."""
    if len(got) != len(want) or any(w is not None and g != w for g, w in zip(got, want)):
        raise config_error(f"the preprocessed examples have shape {list(got)}, but the model "
                           f"takes {list(want)}", path, f"set it to {list(got)}")


def _functional(cfg: ModelConfig | PartConfig, float32_outputs: bool,
                state: dict[str, Any] | None, base: str = "model",
                name: str = "functional") -> Any:
    tensors: dict[str, Any] = {}
    inputs = []
    one = len(cfg.inputs or []) == 1
    for i, spec in enumerate(cfg.inputs or []):
        key = None if one and _single_input(state) else spec.name  # the data's name for it
        front = front_layers(state, key)
        if front:
            inputs.append(raw_input(state or {}, key, spec.name))
            tensors[spec.name] = with_front(inputs[-1], front)
            _check_front(tuple(tensors[spec.name].shape[1:]), tuple(spec.shape),
                         f"{base}.inputs[{i}].shape")
        else:
            tensors[spec.name] = keras.Input(shape=tuple(spec.shape), name=spec.name,
                                             dtype=spec.dtype)
            inputs.append(tensors[spec.name])
    outputs = set(cfg.outputs or [])
    for i, spec in enumerate(_layer_specs(cfg)):
        path = f"{base}.layers[{i}]"
        refs = spec["inputs"]
        args = tensors[refs] if isinstance(refs, str) else [tensors[r] for r in refs]
        if isinstance(refs, list) and len(refs) == 1:
            args = args[0]
        layer = make_layer(spec, path, force_float32=float32_outputs and spec["name"] in outputs)
        try:
            tensors[spec["name"]] = layer(args)
        except (TypeError, ValueError) as exc:
            raise _fit_error(layer, exc, path) from None
    return keras.Model(inputs=inputs, outputs=[tensors[o] for o in cfg.outputs or []],
                       name=name)


def _single_input(state: dict[str, Any] | None) -> bool:
    return "shape" in ((state or {}).get("inputs") or {})


def build_part(part: PartConfig, name: str, float32_outputs: bool = False) -> Any:
    """One network of a generative model (model.<name>), either form, as its own keras.Model
    named after it; its layer errors name `model.<name>.layers[i]`."""
    build = _functional if part.inputs else _sequential
    return build(part, float32_outputs, None, f"model.{name}", name)


def build_model(cfg: ModelConfig, *, float32_outputs: bool = False,
                preprocessing: dict[str, Any] | None = None) -> Any:
    """Build (not compile). Seeds must be set before this for repeatable initial weights.
    `preprocessing`: the data's fitted state, whose input steps become the model's first
    layers (nntrain.model.preprocessing)."""
    if cfg.kind is not None:  # generative models build their parts themselves
        from nntrain.model.generative import build_generative

        return build_generative(cfg, float32_outputs)
    if cfg.type == "perceptron":
        if cfg.input_shape is None or cfg.perceptron is None:
            raise config_error("a perceptron needs `input_shape`", "model.input_shape")
        model = build_perceptron(cfg.input_shape, cfg.perceptron.learning_rate,
                                 cfg.perceptron.threshold)
    elif cfg.type == "functional":
        model = _functional(cfg, float32_outputs, preprocessing)
    else:
        model = _sequential(cfg, float32_outputs, preprocessing)
    if cfg.initial_weights:
        load_initial_weights(model, cfg.initial_weights)
    return model


def load_initial_weights(model: Any, path: str) -> None:
    """Start from given weights (the notes start a linear model from the OLS solution)."""
    with np.load(path) as npz:
        arrays = [npz[k] for k in npz.files]
    own = [w for w in model.weights if not w.name.startswith(PREFIX)]  # get_weights() order
    expected = [tuple(w.shape) for w in own]
    got = [a.shape for a in arrays]
    if expected != got:
        raise config_error(f"{path} holds arrays of shapes {got}; the model's weights have "
                           f"shapes {expected}", "model.initial_weights")
    for weight, array in zip(own, arrays):
        weight.assign(array)
