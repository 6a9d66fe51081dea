"""Checks every Keras name and constructor argument in a config against Keras' catalog."""

from __future__ import annotations

from typing import Any

from nntrain.config.arg_rules import arg_problem
from nntrain.config.data_schema import target_names
from nntrain.config.keras_catalog import catalog
from nntrain.config.schema import is_per_output, model_output_names
from nntrain.config.suggest import closest, did_you_mean
from nntrain.errors import Problems

# Layers that run arbitrary Python: refused unless the user passes --allow-unsafe.
UNSAFE_LAYERS = {"Lambda"}
# Wrappers whose `layer` / `backward_layer` / `cell` arguments are layers themselves.
NESTED_LAYER_ARGS = ("layer", "backward_layer", "cell")
# Why a model has no names to map to, for a mapping that finds none.
UNNAMED = {"model outputs": "a sequential model's output is named by its last layer's `name`; "
                            "or give one value, not a mapping",
           "model inputs": "a sequential model has one unnamed input; give a list of columns"}


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
                self._check_args(spec, classes[cls_name], path, what=f"{cls_name}",
                                 ignore=("type", "learning_rate"))
        elif isinstance(spec, dict):  # no signatures in the catalog: the named sizes and numbers
            self._check_values(spec, {"kinds": {}}, path, name, ("type",))
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
        self._check_values(spec, info, path, what, ignore)

    def _check_values(self, spec: dict[str, Any], info: dict[str, Any], path: str, what: str,
                      ignore: tuple[str, ...]) -> None:
        """Each argument's value has the kind Keras takes (units: a positive integer)."""
        required = info.get("required", [])
        for key, value in spec.items():
            if key in ignore or not isinstance(key, str):
                continue
            problem = arg_problem(key, value, info["kinds"], key in required)
            if problem:
                self.problems.add(f"{what} {key} {problem}", f"{path}.{key}")

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
        for part in ("encoder", "decoder", "generator", "discriminator"):
            if isinstance(model.get(part), dict):
                self._check_part(model[part], f"model.{part}")
        names = model_output_names(model)
        if isinstance(data.get("compile"), dict):
            self._check_compile(data["compile"], names)
        if isinstance(data.get("data"), dict):
            self._check_data_names(data["data"], model, names)
        return self.problems

    def _check_part(self, part: dict[str, Any], path: str) -> None:
        """A generative model's network (model.kind: vae | gan), as a model of its own."""
        functional = isinstance(part.get("inputs"), list)
        layers = part.get("layers") if isinstance(part.get("layers"), list) else []
        for i, layer in enumerate(layers):
            if isinstance(layer, dict) and isinstance(layer.get("type"), str):
                self.check_layer(layer, f"{path}.layers[{i}]", functional)
        if functional:
            outputs = part.get("outputs") if isinstance(part.get("outputs"), list) else []
            self._check_graph(part["inputs"], layers, outputs, path)

    def _check_graph(self, inputs: list[Any], layers: list[Any], outputs: list[Any],
                     base: str = "model") -> None:
        known = {i.get("name") for i in inputs if isinstance(i, dict)}
        for i, layer in enumerate(layers):
            path = f"{base}.layers[{i}]"
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
                self.problems.add(f"output '{out}' is not a layer name", f"{base}.outputs[{j}]",
                                  did_you_mean(str(out), map(str, known)))

    def _per_output(self, value: Any, outputs: set[str], path: str) -> dict[str, Any] | None:
        """A mapping output name → value (None when `value` is not per-output)."""
        if not is_per_output(value):
            return None
        self._known_names(value, outputs, path, "model outputs")
        return value

    def _known_names(self, names: Any, known: set[str], path: str, what: str) -> None:
        """Each key of a mapping (or item of a list) names one of `known`."""
        for i, name in enumerate(names):
            if str(name) not in known:
                where = f"{path}.{name}" if isinstance(names, dict) else f"{path}[{i}]"
                listed = f"{sorted(known)}" if known else f"(none: {UNNAMED[what]})"
                self.problems.add(f"'{name}' is not one of the {what} {listed}", where,
                                  did_you_mean(str(name), known))

    def _check_data_names(self, data: dict[str, Any], model: dict[str, Any],
                          outputs: set[str]) -> None:
        """data's per-output and per-input mappings name the model's outputs and inputs."""
        inputs = model.get("inputs") if isinstance(model.get("inputs"), list) else []
        input_names = {str(i.get("name")) for i in inputs if isinstance(i, dict)}
        for key in ("target", "y_key"):
            if isinstance(data.get(key), dict):
                self._known_names(data[key], outputs, f"data.{key}", "model outputs")
        preprocess = data.get("preprocess") if isinstance(data.get("preprocess"), dict) else {}
        if isinstance(preprocess.get("one_hot"), list):
            self._known_names(preprocess["one_hot"], outputs, "data.preprocess.one_hot",
                              "model outputs")
        for key in ("features", "x_key"):
            if isinstance(data.get(key), dict):
                self._known_names(_input_features(data, key), input_names, f"data.{key}",
                                  "model inputs")

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


def _input_features(data: dict[str, Any], key: str) -> dict[str, Any]:
    """The entries of `features` / `x_key` that feed model inputs by name: all of them, except
    for tfrecord, whose features also parse the target and feed one input when one is left."""
    entries = data[key]
    if key != "features" or data.get("source") != "tfrecord":
        return entries
    target = data.get("target")
    targets = set(map(str, target_names(target))) if isinstance(target, (str, list, dict)) else set()
    inputs = {k: v for k, v in entries.items() if k not in targets}
    return inputs if len(inputs) > 1 else {}
