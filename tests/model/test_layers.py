"""Layers come from Keras' own deserializer: nested objects, wrappers and activations as Keras
builds them, and build failures reported at the config field that caused them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nntrain.config.load import load_config
from nntrain.engine import keras
from nntrain.errors import NntrainError
from nntrain.model.build import build_model, make_layer
from tests.conftest import REPO


def test_nested_objects_are_built_by_keras() -> None:
    layer = make_layer({"type": "Dense", "units": 3, "name": "hidden",
                        "activation": {"type": "LeakyReLU", "alpha": 0.1},
                        "kernel_initializer": {"type": "HeNormal", "seed": 1},
                        "kernel_regularizer": {"type": "L1L2", "l1": 0.001},
                        "kernel_constraint": {"type": "MaxNorm", "max_value": 2}}, "p")
    assert layer.name == "hidden"
    assert isinstance(layer.activation, keras.layers.LeakyReLU)
    assert layer.activation.alpha == pytest.approx(0.1)
    assert isinstance(layer.kernel_initializer, keras.initializers.HeNormal)
    assert layer.kernel_initializer.seed == 1
    assert layer.kernel_regularizer.get_config()["l1"] == pytest.approx(0.001)
    assert layer.kernel_constraint.get_config()["max_value"] == 2


@pytest.mark.parametrize(("activation", "of_minus_one"), [
    ("relu", 0.0), ("LeakyReLU", -0.3), ("leaky_relu", -0.2),
    ({"type": "LeakyReLU", "alpha": 0.1}, -0.1),
])
def test_activation_names_and_layers_keras_resolves(activation: Any, of_minus_one: float) -> None:
    layer = make_layer({"type": "Dense", "units": 1, "activation": activation,
                        "kernel_initializer": "ones"}, "p")
    assert float(layer(np.array([[-1.0]], dtype="float32"))[0, 0]) == pytest.approx(of_minus_one)


def _output_shape(spec: dict[str, Any], input_shape: tuple[int, ...]) -> tuple[Any, ...]:
    return tuple(make_layer(spec, "p")(keras.Input(shape=input_shape)).shape)


def test_wrapped_layers_and_cells() -> None:
    lstm = {"type": "LSTM", "units": 4, "return_sequences": True}
    backward = {**lstm, "go_backwards": True}
    assert _output_shape({"type": "Bidirectional", "layer": lstm, "backward_layer": backward},
                         (5, 3)) == (None, 5, 8)
    assert _output_shape({"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}},
                         (5, 3)) == (None, 5, 2)
    assert _output_shape({"type": "RNN", "cell": {"type": "GRUCell", "units": 6}},
                         (5, 3)) == (None, 6)
    assert _output_shape({"type": "Conv2D", "filters": 2, "kernel_size": [3, 3],
                          "strides": [1, 1], "padding": "same"}, (4, 4, 1)) == (None, 4, 4, 2)


@pytest.mark.parametrize(("spec", "path", "says"), [
    ({"type": "Dense", "units": 3, "kernel_initializer": {"type": "HeNormal", "sed": 1}},
     "model.layers[2].kernel_initializer", "unexpected keyword argument 'sed'"),
    ({"type": "Dense", "units": 3, "kernel_regularizer": {"type": "L2", "l2": "x"}},
     "model.layers[2].kernel_regularizer", "not a valid regularization penalty"),
    ({"type": "Dense", "units": 3, "activation": {"type": "LeakyReLU", "alfa": 0.1}},
     "model.layers[2].activation", "alfa"),
    ({"type": "Dense", "units": -3}, "model.layers[2]", "units"),
    ({"type": "Dropout", "rate": 2}, "model.layers[2]", "rate"),
    ({"type": "Dens", "units": 3}, "model.layers[2]", "unknown layer type 'Dens'"),
    ({"type": "Bidirectional"}, "model.layers[2]", "layer"),
])
def test_build_errors_name_the_field(spec: dict[str, Any], path: str, says: str) -> None:
    with pytest.raises(NntrainError) as caught:
        make_layer(spec, "model.layers[2]")
    message = str(caught.value)
    assert message.startswith(f"{path}: Keras cannot build {spec['type']}: "), message
    assert says in message and "custom_object_scope" not in message


def test_output_layer_is_float32_under_mixed_precision() -> None:
    config = load_config(REPO / "configs" / "tiny" / "xor.yaml").config
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(config.model, float32_outputs=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert [layer.dtype_policy.name for layer in model.layers] == ["mixed_float16", "float32"]
