"""TensorFlow Serving's REST predict API: a request body → one array per model input,
checked against what the model takes; outputs → the response. Every problem is a
RequestError whose text says what was wrong (the server answers it with status 400)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_EXAMPLES = 10_000  # per request; more is refused, not queued
MAX_BODY_BYTES = 64 * 2**20


class RequestError(ValueError):
    """A malformed request: status 400, {"error": str(self)}."""


@dataclass
class InputSpec:
    name: str
    shape: tuple[int | None, ...]  # one example's
    dtype: str  # float32, int32, int64, string, ...
    columns: list[str] | None = None  # a tabular input's column names, in order

    @property
    def text(self) -> bool:
        return self.dtype == "string"


@dataclass
class Signature:
    """What the served model takes and gives, for checking requests and for /metadata."""

    name: str
    version: str
    inputs: list[InputSpec]
    outputs: list[str]
    class_names: dict[str, list[Any]] = field(default_factory=dict)  # per classifier output

    @property
    def columns(self) -> dict[str, InputSpec]:
        return {c: spec for spec in self.inputs for c in spec.columns or []}


def _no_constants(token: str) -> float:
    raise RequestError(f"{token} is not a number JSON allows")


def parse_body(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(f"the request is {len(body) / 2**20:.0f} MiB; the limit is "
                           f"{MAX_BODY_BYTES // 2**20} MiB")
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except RequestError:
        raise
    except RecursionError:
        raise RequestError("the body nests lists or objects too deeply") from None
    except ValueError as exc:
        raise RequestError(f"the body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RequestError(f"the body must be a JSON object with \"instances\" or \"inputs\", "
                           f"not a {type(data).__name__}")
    keys = [k for k in ("instances", "inputs") if k in data]
    if len(keys) != 1:
        raise RequestError("the body needs exactly one of \"instances\" (a list of examples) or "
                           f"\"inputs\" (columns); it has {', '.join(map(repr, data)) or 'none'}")
    return data


def _as_array(values: Any, spec: InputSpec, what: str) -> np.ndarray:
    """A batch for one input: right type, one example's shape (flat rows reshaped when the
    sizes agree), finite."""
    if spec.text:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise RequestError(f"{what}: input '{spec.name}' takes text (a string per example)")
        return np.array(values, dtype=object)
    bad = _has_bad_leaf(values)
    if bad:
        raise RequestError(f"{what}: input '{spec.name}' takes numbers; found {bad}")
    try:
        array = np.asarray(values, dtype="float64")
    except ValueError:
        raise RequestError(f"{what}: input '{spec.name}' has examples of different shapes "
                           "(ragged lists)") from None
    want = tuple(spec.shape)
    fits = len(array.shape) == len(want) + 1 and all(
        w is None or w == d for d, w in zip(array.shape[1:], want))
    if not fits:
        size = math.prod(d or 0 for d in want)
        if array.ndim < 1 or array.size != len(array) * size or None in want:
            raise RequestError(f"{what}: input '{spec.name}' takes examples of shape "
                               f"{list(want)}; got {list(array.shape[1:])}")
        array = array.reshape((len(array), *want))
    if not np.all(np.isfinite(array)):
        raise RequestError(f"{what}: input '{spec.name}' holds a value too large for a number")
    return array.astype(spec.dtype)


def _has_bad_leaf(values: Any) -> str | None:
    """The first value that is no number (a string, null, true/false, an object), if any."""
    stack = [values]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            return json.dumps(value)[:60]
    return None


def _by_columns(rows: list[dict[str, Any]], signature: Signature, what: str
                ) -> dict[str, Any]:
    """Named columns (a tabular model's feature names) → each input's rows, in column order."""
    out = {}
    for spec in signature.inputs:
        missing = [c for c in spec.columns or [] if any(c not in row for row in rows)]
        if missing:
            raise RequestError(f"{what} lack(s) column '{missing[0]}' (the model takes "
                               f"{', '.join(spec.columns or [])})")
        columns = spec.columns or []
        out[spec.name] = [row[columns[0]] if spec.text else [row[c] for c in columns]
                          for row in rows]
    return out


def _named(rows: list[dict[str, Any]], signature: Signature, what: str) -> dict[str, Any]:
    """Objects keyed by input names, or by column names."""
    names = {spec.name for spec in signature.inputs}
    keys = {k for row in rows for k in row}
    if keys <= names:
        missing = [n for n in names if any(n not in row for row in rows)]
        if missing:
            raise RequestError(f"{what} lack(s) input '{missing[0]}'")
        return {n: [row[n] for row in rows] for n in names}
    if signature.columns and keys <= set(signature.columns):
        return _by_columns(rows, signature, what)
    unknown = sorted(keys - names - set(signature.columns))
    takes = sorted(names) + sorted(signature.columns)
    raise RequestError(f"{what}: unknown key(s) {', '.join(map(repr, unknown[:5]))}; the model "
                       f"takes {', '.join(takes[:20])}")


def _instances(instances: Any, signature: Signature) -> dict[str, Any]:
    if not isinstance(instances, list) or not instances:
        raise RequestError("\"instances\" must be a non-empty list of examples")
    if all(isinstance(row, dict) for row in instances):
        return _named(instances, signature, "instances")
    if any(isinstance(row, dict) for row in instances):
        raise RequestError("\"instances\" mixes objects and plain values")
    if len(signature.inputs) > 1:
        raise RequestError(f"the model has {len(signature.inputs)} inputs; give each instance "
                           f"as an object keyed by {', '.join(s.name for s in signature.inputs)}")
    return {signature.inputs[0].name: instances}


def _columnar(inputs: Any, signature: Signature) -> dict[str, Any]:
    if not isinstance(inputs, dict):
        if len(signature.inputs) > 1:
            raise RequestError(f"the model has {len(signature.inputs)} inputs; give \"inputs\" "
                               "as an object keyed by input name")
        return {signature.inputs[0].name: inputs}
    lists = [v for v in inputs.values() if not isinstance(v, list)]
    if lists or not inputs:
        raise RequestError("\"inputs\" must map each input (or column) name to a list of "
                           "values, one per example")
    counts = {len(v) for v in inputs.values()}
    if len(counts) > 1:
        raise RequestError(f"\"inputs\" lists differ in length ({sorted(counts)})")
    rows = [dict(zip(inputs, values)) for values in zip(*inputs.values())]
    return _named(rows, signature, "inputs") if rows else {}


def to_batches(data: dict[str, Any], signature: Signature) -> dict[str, np.ndarray]:
    """One array per model input from a parsed body, every example checked."""
    columnar = "inputs" in data
    raw = _columnar(data["inputs"], signature) if columnar else \
        _instances(data["instances"], signature)
    specs = {spec.name: spec for spec in signature.inputs}
    what = "inputs" if columnar else "instances"
    batches = {name: _as_array(values, specs[name], what) for name, values in raw.items()}
    count = len(next(iter(batches.values()))) if batches else 0
    if count == 0:
        raise RequestError(f"\"{what}\" holds no examples")
    if count > MAX_EXAMPLES:
        raise RequestError(f"{count} examples in one request; the limit is {MAX_EXAMPLES}")
    return batches


def response(outputs: dict[str, np.ndarray], classes: dict[str, list[Any]],
             signature: Signature, columnar: bool) -> dict[str, Any]:
    """TF Serving's answer: "predictions" (one per example; an object per example for a model
    with several outputs); "outputs" too for a columnar request, as TF Serving names it there;
    and "classes", the predicted class names of classifier outputs."""
    names = signature.outputs
    if len(names) == 1:
        predictions: Any = outputs[names[0]].tolist()
    else:
        predictions = [dict(zip(names, row)) for row in zip(*(outputs[n].tolist() for n in names))]
    body: dict[str, Any] = {"predictions": predictions}
    if columnar:
        body["outputs"] = predictions if len(names) == 1 else \
            {n: outputs[n].tolist() for n in names}
    if classes:
        body["classes"] = classes[names[0]] if len(names) == 1 else classes
    return body
