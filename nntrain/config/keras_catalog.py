"""Keras' own vocabulary, read from Keras' registries, kept as JSON so validation needs no TensorFlow.

`nntrain validate` and `nntrain --help` must not import TensorFlow (it takes seconds), yet a
misspelled layer or activation must be caught with a "did you mean". So the names and constructor
arguments come from a snapshot that this module writes *from Keras' registries*
(`python -m nntrain.config.keras_catalog`), and a test checks the snapshot against the installed
Keras. Nothing here is a hand-kept table.
"""

from __future__ import annotations

import inspect
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("keras_catalog.json")

# Keyword arguments every Keras layer takes through **kwargs (Layer.__init__ and its allowed_kwargs).
_BASE_LAYER_ARGS = [
    "trainable", "name", "dtype", "dynamic", "input_dim", "input_shape", "batch_input_shape",
    "batch_size", "weights", "activity_regularizer", "autocast", "implementation",
]


def _public_names(module: Any) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _kind_of_default(default: Any) -> str | None:
    """What a number default says the argument takes: 'int' or 'number' (bools, strings,
    tuples and None say nothing: such arguments often take several forms)."""
    if isinstance(default, bool):
        return None
    if isinstance(default, int):
        return "int"
    return "number" if isinstance(default, float) else None


def _init_params(cls: type) -> tuple[list[str], list[str], bool, dict[str, str]]:
    """Constructor parameter names, the required ones, whether **kwargs is accepted, and the
    kind of value each number-defaulted parameter takes."""
    sig = inspect.signature(cls.__init__)
    params, required, var_kw, kinds = [], [], False, {}
    for p in list(sig.parameters.values())[1:]:
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind is not p.VAR_POSITIONAL:
            params.append(p.name)
            if p.default is p.empty:
                required.append(p.name)
            elif _kind_of_default(p.default):
                kinds[p.name] = _kind_of_default(p.default)
    return params, required, var_kw, kinds


def _classes(module: Any, base: type) -> dict[str, dict[str, Any]]:
    """Each class's constructor arguments, following **kwargs up the class hierarchy."""
    out: dict[str, dict[str, Any]] = {}
    for name in _public_names(module):
        obj = getattr(module, name)
        if inspect.isclass(obj) and issubclass(obj, base) and obj is not base:
            params, required, var_kw, kinds = _init_params(obj)
            for parent in obj.__mro__[1:]:
                if not var_kw or parent is object:
                    break
                more, _, var_kw, more_kinds = _init_params(parent)
                params += [p for p in more if p not in params]
                kinds = {**more_kinds, **kinds}
            out[name] = {"params": params, "required": required, "var_kwargs": var_kw,
                         "kinds": {p: kinds[p] for p in sorted(kinds) if p in params}}
    return out


def _getter_names(module: Any, get: Any) -> list[str]:
    """Every public name of `module` that Keras' own `get` resolves."""
    names = []
    for name in _public_names(module):
        if name in {"get", "serialize", "deserialize"} or inspect.ismodule(getattr(module, name)):
            continue
        try:
            if get(name) is not None:
                names.append(name)
        except Exception:  # noqa: BLE001 - a name `get` refuses is simply not offered
            continue
    return names


def build_catalog() -> dict[str, Any]:
    """Read the catalog from the installed tf-keras (imports TensorFlow)."""
    from nntrain.compat import tf_keras_version
    from nntrain.engine import keras

    layers = _classes(keras.layers, keras.layers.Layer)
    for info in layers.values():
        info["params"] = sorted(set(info["params"]) | set(_BASE_LAYER_ARGS))
    activation_layers = [
        n for n in ("ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU") if n in layers
    ]
    metric_names = _getter_names(keras.metrics, keras.metrics.get)
    return {
        "keras_version": tf_keras_version(),
        "layers": layers,
        "activations": _getter_names(keras.activations, keras.activations.get),
        "activation_layers": activation_layers,
        "initializers": _getter_names(keras.initializers, keras.initializers.get),
        "regularizers": _getter_names(keras.regularizers, keras.regularizers.get),
        "constraints": _getter_names(keras.constraints, keras.constraints.get),
        "optimizers": _classes(keras.optimizers, keras.optimizers.Optimizer),
        "schedules": _classes(
            keras.optimizers.schedules, keras.optimizers.schedules.LearningRateSchedule
        ),
        "losses": _getter_names(keras.losses, keras.losses.get),
        # Strings compile() understands beside the registry (Keras picks the right accuracy).
        "metrics": sorted(set(metric_names) | {"accuracy", "acc", "crossentropy", "ce"}),
    }


@lru_cache(maxsize=1)
def catalog() -> dict[str, Any]:
    return json.loads(CATALOG_PATH.read_text())


def write_catalog(path: Path = CATALOG_PATH) -> None:
    path.write_text(json.dumps(build_catalog(), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    write_catalog()
    print(f"wrote {CATALOG_PATH}")
