"""Config specs → Keras objects, always through Keras' own registries (`get`, `deserialize`)."""

from __future__ import annotations

from typing import Any

from nntrain.config.keras_catalog import catalog
from nntrain.engine import keras
from nntrain.errors import config_error

Spec = str | dict[str, Any]


def _keras_config(spec: dict[str, Any]) -> dict[str, Any]:
    args = {k: v for k, v in spec.items() if k != "type"}
    return {"class_name": spec["type"], "config": args}


def _construct(get: Any, spec: Spec, path: str, what: str) -> Any:
    try:
        return get(_keras_config(spec) if isinstance(spec, dict) else spec)
    except (ValueError, TypeError) as exc:
        raise config_error(f"Keras cannot build this {what}: {exc}", path) from None


def activation(spec: Spec, path: str) -> Any:
    """Activation functions by name; advanced activations (LeakyReLU, PReLU, ...) as layers."""
    name = spec["type"] if isinstance(spec, dict) else spec
    if name in catalog()["activation_layers"]:
        args = {k: v for k, v in spec.items() if k != "type"} if isinstance(spec, dict) else {}
        return _construct(lambda _s: getattr(keras.layers, name)(**args), spec, path, "activation")
    return _construct(keras.activations.get, name, path, "activation")


def optimizer(spec: Spec, path: str = "compile.optimizer") -> Any:
    if isinstance(spec, dict) and isinstance(spec.get("learning_rate"), dict):
        spec = dict(spec)
        spec["learning_rate"] = _construct(keras.optimizers.schedules.deserialize,
                                           spec["learning_rate"], f"{path}.learning_rate",
                                           "learning-rate schedule")
    return _construct(keras.optimizers.get, spec, path, "optimizer")


def loss(spec: Spec, path: str) -> Any:
    return _construct(keras.losses.get, spec, path, "loss")


def metric(spec: Spec, path: str) -> Any:
    if isinstance(spec, str):
        return spec  # compile() picks the right variant of 'accuracy', 'mae', ...
    return _construct(keras.metrics.get, spec, path, "metric")


_ARG_GETTERS = {
    "initializer": keras.initializers.get,
    "regularizer": keras.regularizers.get,
    "constraint": keras.constraints.get,
}


def layer_argument(arg: str, value: Any, path: str) -> Any:
    """Turn one layer constructor argument into what Keras expects."""
    if value is None:
        return None
    if arg == "activation" or arg.endswith("_activation"):
        return activation(value, path)
    for suffix, get in _ARG_GETTERS.items():
        if (arg.endswith(f"_{suffix}") or arg == suffix) and isinstance(value, dict):
            return _construct(get, value, path, suffix)
    return value
