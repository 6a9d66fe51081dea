"""Checks every Keras name and constructor argument in a config against Keras' catalog."""

from __future__ import annotations

from typing import Any

from nntrain.config.keras_catalog import catalog
from nntrain.config.suggest import closest, did_you_mean
from nntrain.errors import Problems

# Layers that run arbitrary Python: refused unless the user passes --allow-unsafe.
UNSAFE_LAYERS = {"Lambda"}
# Wrappers whose `layer` / `backward_layer` / `cell` arguments are layers themselves.
NESTED_LAYER_ARGS = ("layer", "backward_layer", "cell")


def category_for_arg(arg: str) -> str | None:
    if not isinstance(arg, str):  # a number as a YAML key: reported as an unknown argument
        return None
    if arg == "activation" or arg.endswith("_activation"):
        return "activations"
    for suffix in ("initializer", "regularizer", "constraint"):
        if arg.endswith(f"_{suffix}") or arg == suffix:
            return f"{suffix}s"
    return None


class KerasNameChecker:
    def __init__(self, allow_unsafe: bool = False) -> None:
        self.cat = catalog()
        self.allow_unsafe = allow_unsafe
        self.problems = Problems()

    # -- generic objects -------------------------------------------------------------------
    def _names(self, category: str) -> list[str]:
        names = self.cat[category]
        names = list(names) if isinstance(names, dict) else names
        if category == "activations":
            names = names + self.cat["activation_layers"]
        return names

    def check_object(self, spec: Any, category: str, path: str, what: str) -> None:
        """A name or {type, args} that Keras' `get` for `category` resolves."""
        if spec is None:
            return
        if isinstance(spec, (int, float)) and category in {"regularizers"}:
            return
        name = spec.get("type") if isinstance(spec, dict) else spec
        if not isinstance(name, str):
            self.problems.add(f"expected a {what} name or a mapping with `type`, got {spec!r}", path)
            return
        names = self._names(category)
        case_insensitive = category in {"optimizers"}
        known = name in names or (case_insensitive and name.lower() in {n.lower() for n in names})
        if not known:
            self.problems.add(f"unknown {what} '{name}'", path + (".type" if isinstance(spec, dict) else ""),
                              did_you_mean(name, names))
            return
        classes = self.cat[category] if isinstance(self.cat[category], dict) else None
        if isinstance(spec, dict) and classes:
            cls_name = name if name in classes else closest(name, classes)
            if cls_name in classes:
                self._check_args(spec, classes[cls_name], path, what=f"{cls_name}")
        if category == "optimizers" and isinstance(spec, dict):
            lr = spec.get("learning_rate")
            if isinstance(lr, dict):
                self.check_object(lr, "schedules", f"{path}.learning_rate", "learning-rate schedule")
            elif "learning_rate" in spec and (isinstance(lr, bool) or not isinstance(lr, (int, float))
                                              or not 0 < lr < float("inf")):
                self.problems.add(f"learning_rate must be a positive number or a schedule, got "
                                  f"{lr!r}", f"{path}.learning_rate")

    def _check_args(self, spec: dict[str, Any], info: dict[str, Any], path: str, what: str,
                    ignore: tuple[str, ...] = ("type",)) -> None:
        params = info["params"]
        for key in spec:
            if key in ignore:
                continue
            if key not in params:
                self.problems.add(f"{what} has no argument '{key}'", f"{path}.{key}",
                                  did_you_mean(key, params))
        for req in info.get("required", []):
            if req not in spec:
                self.problems.add(f"{what} needs the argument '{req}'", path)

    # -- layers ----------------------------------------------------------------------------
    def check_layer(self, layer: dict[str, Any], path: str, functional: bool) -> None:
        layer_type = layer.get("type")
        layers = self.cat["layers"]
        if layer_type in UNSAFE_LAYERS and not self.allow_unsafe:
            self.problems.add(f"layer type '{layer_type}' runs arbitrary code and is refused",
                              f"{path}.type", "pass --allow-unsafe if you trust this config")
            return
        if layer_type not in layers:
            self.problems.add(f"unknown layer type '{layer_type}'", f"{path}.type",
                              did_you_mean(str(layer_type), layers))
            return
        if not functional and layer.get("inputs") is not None:
            self.problems.add("`inputs` belongs to the functional form (model.inputs / outputs)",
                              f"{path}.inputs")
        self._check_args(layer, layers[layer_type], path, layer_type,
                         ignore=("type", "inputs", "name"))
        for arg, value in layer.items():
            category = category_for_arg(arg)
            if category and value is not None:
                self.check_object(value, category, f"{path}.{arg}", category[:-1])
            if arg in NESTED_LAYER_ARGS and isinstance(value, dict):
                self.check_layer(value, f"{path}.{arg}", functional=False)

    # -- the whole config (raw data, so it runs even when the structure has other problems) -
    def check(self, data: dict[str, Any]) -> Problems:
        model = data.get("model") if isinstance(data.get("model"), dict) else {}
        functional = bool(model.get("inputs")) or model.get("type") == "functional"
        layers = model.get("layers") if isinstance(model.get("layers"), list) else []
        for i, layer in enumerate(layers):
            if isinstance(layer, dict) and isinstance(layer.get("type"), str):
                self.check_layer(layer, f"model.layers[{i}]", functional)
        outputs = model.get("outputs") if isinstance(model.get("outputs"), list) else []
        if functional and isinstance(model.get("inputs"), list):
            self._check_graph(model["inputs"], layers, outputs)
        if isinstance(data.get("compile"), dict):
            self._check_compile(data["compile"], {str(o) for o in outputs})
        return self.problems

    def _check_graph(self, inputs: list[Any], layers: list[Any], outputs: list[Any]) -> None:
        known = {i.get("name") for i in inputs if isinstance(i, dict)}
        for i, layer in enumerate(layers):
            path = f"model.layers[{i}]"
            if not isinstance(layer, dict):
                continue
            name = layer.get("name")
            if not name:
                self.problems.add("every layer of the functional form needs a `name`", path)
                continue
            if name in known:
                self.problems.add(f"the name '{name}' is used twice", f"{path}.name")
            refs = layer.get("inputs")
            refs = [refs] if isinstance(refs, str) else (refs if isinstance(refs, list) else [])
            if not refs:
                self.problems.add("a functional layer needs `inputs` (an input or a layer name)",
                                  path)
            for ref in refs:
                if ref not in known:
                    self.problems.add(f"'{ref}' is not an input or an earlier layer",
                                      f"{path}.inputs", did_you_mean(str(ref), map(str, known)))
            known.add(name)
        for j, out in enumerate(outputs):
            if out not in known:
                self.problems.add(f"output '{out}' is not a layer name", f"model.outputs[{j}]",
                                  did_you_mean(str(out), map(str, known)))

    def _per_output(self, value: Any, outputs: set[str], path: str) -> dict[str, Any] | None:
        """A mapping output name → value (None when `value` is not per-output)."""
        if not isinstance(value, dict) or "type" in value:
            return None
        for out in value:
            if str(out) not in outputs:
                self.problems.add(f"'{out}' is not one of the model outputs {sorted(outputs)}",
                                  f"{path}.{out}", did_you_mean(str(out), outputs))
        return value

    def _check_compile(self, comp: dict[str, Any], outputs: set[str]) -> None:
        self.check_object(comp.get("optimizer"), "optimizers", "compile.optimizer", "optimizer")
        losses = self._per_output(comp.get("loss"), outputs, "compile.loss")
        if losses is None:
            self.check_object(comp.get("loss"), "losses", "compile.loss", "loss")
        else:
            for out, spec in losses.items():
                self.check_object(spec, "losses", f"compile.loss.{out}", "loss")
        self._per_output(comp.get("loss_weights"), outputs, "compile.loss_weights")
        metrics = comp.get("metrics")
        per_output = self._per_output(metrics, outputs, "compile.metrics")
        groups = per_output.items() if per_output is not None else [(None, metrics)]
        for out, specs in groups:
            base = "compile.metrics" + (f".{out}" if out is not None else "")
            for k, spec in enumerate(specs if isinstance(specs, list) else [specs]):
                self.check_object(spec, "metrics", f"{base}[{k}]", "metric")
