"""Config specs → Keras objects through Keras' own deserializers: `{type: X, **args}` becomes
Keras' serialized form, and Keras resolves every nested initializer, regularizer, constraint,
activation, schedule and wrapped layer itself, as when it loads a saved model."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nntrain.config.keras_catalog import catalog
from nntrain.engine import keras
from nntrain.errors import config_error

Spec = str | dict[str, Any]
# What Keras' deserializers raise for a spec they cannot build (KeyError: a wrapper's `layer`).
BUILD_ERRORS = (TypeError, ValueError, KeyError)


def serialized(value: Any) -> Any:
    """`{type: X, **args}` → `{"class_name": X, "config": args}`, recursively."""
    if isinstance(value, dict):
        inner = {k: serialized(v) for k, v in value.items() if k != "type"}
        return {"class_name": value["type"], "config": inner} if "type" in value else inner
    if isinstance(value, list):
        return [serialized(v) for v in value]
    return value


def _message(exc: Exception) -> str:
    """Keras wraps a failure in each enclosing class ("Error when deserializing class 'Dense'
    ... Exception encountered: <cause>"); the innermost cause is what the user can fix."""
    cause = str(exc).rsplit("Exception encountered:", 1)[-1].strip()
    return re.split(r" (?:Please ensure you|Make sure custom classes|Full object config)", cause)[0]


def _builds(build: Callable[[Any], Any], spec: Spec) -> bool:
    try:
        build(serialized(spec))
    except BUILD_ERRORS:
        return False
    return True


def construct(build: Callable[[Any], Any], spec: Spec, path: str, what: str) -> Any:
    """build(serialized spec), with a failure reported at the argument that caused it: the
    first one without which Keras builds the object."""
    try:
        return build(serialized(spec))
    except BUILD_ERRORS as exc:
        message = _message(exc)
    args = [a for a in spec if a not in ("type", "name")] if isinstance(spec, dict) else []
    culprit = next((a for a in args if _builds(build, {k: v for k, v in spec.items() if k != a})),
                   None)
    raise config_error(f"Keras cannot build {what}: {message}",
                       f"{path}.{culprit}" if culprit else path) from None


def _optimizer(config: Spec) -> Any:
    """Keras' form with the current class's module: tf-keras' `optimizers.get` builds a mapping
    without a module as the legacy optimizer, and has no AdamW, Lion or Adafactor there."""
    config = config if isinstance(config, dict) else {"class_name": config, "config": {}}
    names = {n.lower(): n for n in catalog()["optimizers"]}  # `adam` and `Adam` alike
    name = names.get(config["class_name"].lower(), config["class_name"])
    return keras.saving.deserialize_keras_object(
        {**config, "class_name": name, "module": "keras.optimizers", "registered_name": None})


def optimizer(spec: Spec, path: str = "compile.optimizer") -> Any:
    """Always the current `tf.keras.optimizers` class, whichever spelling the config uses."""
    return construct(_optimizer, spec, path, "this optimizer")


def loss(spec: Spec, path: str) -> Any:
    return construct(keras.losses.get, spec, path, "this loss")


def metric(spec: Spec, path: str) -> Any:
    if isinstance(spec, str):
        return spec  # compile() picks the right variant of 'accuracy', 'mae', ...
    return construct(keras.metrics.get, spec, path, "this metric")
