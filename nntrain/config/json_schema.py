"""JSON Schema of the config, generated from the same classes that validate it.

The pydantic classes give the structure; Keras' vocabulary (layer, activation, initializer,
regularizer, constraint, optimizer, schedule, loss and metric names, and each layer's and
optimizer's constructor arguments) comes from keras_catalog.json, the same snapshot
`nntrain validate` checks against. So an editor with the YAML language server completes and
checks what `nntrain validate` would accept, without TensorFlow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nntrain.config.keras_catalog import catalog
from nntrain.config.keras_check import NESTED_LAYER_ARGS, category_for_arg
from nntrain.config.schema import Config

# Keys of a layer mapping besides its constructor arguments.
LAYER_KEYS = ("type", "name", "inputs")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _any_case(name: str) -> str:
    """A regex matching `name` in any letter case (JSON Schema regexes have no (?i))."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in name)


def _name_enum(names: list[str], what: str, any_case: bool = False) -> dict[str, Any]:
    enum = {"type": "string", "enum": sorted(names), "description": f"Keras {what} name"}
    if not any_case:
        return enum
    pattern = "^(" + "|".join(_any_case(n) for n in sorted(names)) + ")$"
    return {"anyOf": [enum, {"type": "string", "pattern": pattern}]}


def _args_by_type(classes: dict[str, Any], extra_keys: tuple[str, ...],
                  spellings: Callable[[str], list[str]] = lambda name: [name]
                  ) -> list[dict[str, Any]]:
    """One if/then per class: when `type` names it, only its constructor arguments are allowed."""
    rules = []
    for name, info in sorted(classes.items()):
        allowed = sorted(set(info["params"]) | set(extra_keys))
        then: dict[str, Any] = {"properties": dict.fromkeys(allowed, {}),
                                "additionalProperties": False}
        if info.get("required"):
            then["required"] = info["required"]
        rules.append({"if": {"properties": {"type": {"enum": spellings(name)}},
                             "required": ["type"]}, "then": then})
    return rules


def _object_spec(type_ref: str, what: str, names_or_mapping: bool = True,
                 **extra: Any) -> dict[str, Any]:
    """A Keras object: a name, or {type: name, ...constructor arguments}."""
    mapping = {"type": "object", "required": ["type"],
               "properties": {"type": _ref(type_ref)}, "additionalProperties": True, **extra}
    options = [_ref(type_ref), mapping] if names_or_mapping else [mapping]
    return {"anyOf": options, "description": f"a Keras {what}: a name or {{type: Name, ...}}"}


def keras_defs() -> dict[str, Any]:
    """$defs for every Keras vocabulary the config uses."""
    cat = catalog()
    defs: dict[str, Any] = {
        "LayerType": _name_enum(list(cat["layers"]), "layer class"),
        "ActivationName": _name_enum(cat["activations"] + cat["activation_layers"], "activation"),
        "InitializerName": _name_enum(cat["initializers"], "initializer"),
        "RegularizerName": _name_enum(cat["regularizers"], "regularizer"),
        "ConstraintName": _name_enum(cat["constraints"], "constraint"),
        "OptimizerName": _name_enum(list(cat["optimizers"]), "optimizer", any_case=True),
        "ScheduleName": _name_enum(list(cat["schedules"]), "learning-rate schedule"),
        "LossName": _name_enum(cat["losses"], "loss"),
        "MetricName": _name_enum(cat["metrics"], "metric"),
    }
    for what in ("activation", "initializer", "constraint", "loss", "metric"):
        defs[what.capitalize()] = _object_spec(f"{what.capitalize()}Name", what)
    defs["Regularizer"] = _object_spec("RegularizerName", "regularizer")
    defs["Regularizer"]["anyOf"].append({"type": "number"})
    defs["Schedule"] = _object_spec("ScheduleName", "learning-rate schedule", False,
                                    allOf=_args_by_type(cat["schedules"], ("type",)))
    defs["Optimizer"] = _object_spec(
        "OptimizerName", "optimizer",
        allOf=_args_by_type(cat["optimizers"], ("type",), lambda n: [n, n.lower()]))
    defs["Optimizer"]["anyOf"][1]["properties"]["learning_rate"] = {
        "anyOf": [{"type": "number"}, _ref("Schedule")]}
    return defs


def _layer_schema(base: dict[str, Any]) -> dict[str, Any]:
    """`type` from the layer enum, typed activations / initializers / ..., per-type arguments."""
    cat = catalog()
    layer = dict(base)
    properties = dict(base["properties"])
    properties["type"] = {**_ref("LayerType"), "description": base["properties"]["type"].get(
        "description", "Keras layer class")}
    args = sorted({p for info in cat["layers"].values() for p in info["params"]})
    for arg in args:
        category = category_for_arg(arg)
        if category:
            properties[arg] = {"anyOf": [_ref(category[:-1].capitalize()), {"type": "null"}]}
        elif arg in NESTED_LAYER_ARGS:
            properties[arg] = {"anyOf": [_ref("LayerConfig"), {"not": {"type": "object"}}]}
    layer["properties"] = properties
    layer["allOf"] = _args_by_type(cat["layers"], LAYER_KEYS)
    return layer


def _per_output(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": item, "not": {"required": ["type"]}}


def config_json_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    defs = schema["$defs"]
    defs.update(keras_defs())
    defs["LayerConfig"] = _layer_schema(defs["LayerConfig"])
    comp = defs["CompileConfig"]["properties"]
    comp["optimizer"] = {**_ref("Optimizer"), "default": comp["optimizer"].get("default")}
    comp["loss"] = {"anyOf": [_ref("Loss"), _per_output(_ref("Loss"))],
                    "description": comp["loss"].get("description")}
    # a vae's or gan's loss is filled in before validation; nntrain validate still requires
    # it of every other model, naming compile.loss where the compile section is
    defs["CompileConfig"]["required"] = [
        r for r in defs["CompileConfig"].get("required", []) if r != "loss"]
    metrics = {"type": "array", "items": _ref("Metric")}
    comp["metrics"] = {"anyOf": [metrics, _per_output({"anyOf": [_ref("Metric"), metrics]})],
                       "description": "metrics, or a mapping output name → metrics"}
    for callback in defs["CallbacksConfig"]["properties"].values():
        callback["anyOf"].append({"type": "boolean", "description": "true: defaults, false: off"})
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nntrain config"
    return schema
