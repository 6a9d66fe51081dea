"""`nntrain serve`: a run's model behind TensorFlow Serving's REST API (FastAPI + uvicorn),
fed as `nntrain predict` feeds it: raw values, named columns for tabular models."""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.data.preprocess import Preprocessor
from nntrain.errors import NntrainError
from nntrain.model.heads import classifier_head, loss_takes_logits, probabilities
from nntrain.model.signature import serving_function
from nntrain.runs.run_dir import RunDir
from nntrain.runs.saved_model import SavedModel, open_target
from nntrain.serve.protocol import InputSpec, Signature

SETTINGS = "NNTRAIN_SERVE"  # what each of several worker processes loads (JSON)


@dataclass
class ServeSettings:
    target: str
    host: str = "127.0.0.1"
    port: int = 8501
    workers: int = 1
    batching: bool = True
    allow_unsafe: bool = False


def _columns(names: Any, spec: InputSpec) -> list[str] | None:
    """A tabular input's column names: one per value it takes (or the one of a text input)."""
    if not isinstance(names, list):
        return None
    size = 1 if spec.text else math.prod(d or 0 for d in spec.shape)
    return [str(n) for n in names] if len(names) == size and len(spec.shape) <= 1 else None


def _dtype(tensor: Any) -> str:
    return "string" if tensor.dtype.name == "string" else tensor.dtype.name


def signature_of(saved: SavedModel, name: str) -> Signature:
    model, pre = saved.model, saved.preprocessor
    info = (pre.state.get("info") if pre else None) or {}
    features = info.get("feature_names")
    specs = []
    for key, tensor in zip(model.input_names, model.inputs):
        spec = InputSpec(key, tuple(tensor.shape[1:]), _dtype(tensor))
        if pre is not None and not pre.state.get("in_model"):  # raw values, preprocessed here
            raw = pre.state["inputs"].get(key, {}) if len(model.inputs) > 1 else \
                pre.state["inputs"]
            spec = InputSpec(key, tuple(raw.get("shape", spec.shape)),
                             "string" if raw.get("text") else "float32")
        spec.columns = _columns(features.get(key) if isinstance(features, dict) and
                                len(model.inputs) > 1 else features, spec)
        specs.append(spec)
    names = pre.class_names if pre else None
    class_names = {o: (names.get(o) if isinstance(names, dict) else names)
                   for o in model.output_names if names}
    return Signature(name, "1", specs, list(model.output_names),
                     {k: v for k, v in class_names.items() if v})


def _heads(model: Any) -> dict[str, tuple[str | None, bool]]:
    """Each output's class kind and whether it gives logits."""
    logits = {n: loss_takes_logits(model, n) for n in model.output_names}
    return {n: (classifier_head(model.get_layer(n), logits[n]), logits[n]) for n in logits}


def predictor(saved: SavedModel) -> Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Inputs by name → outputs by name, probabilities for classifier heads (as predict
    reports them); one graph call, no eager overhead."""
    from nntrain.engine import tf

    model, pre = saved.model, saved.preprocessor
    serve, heads, names = serving_function(model), _heads(model), list(model.input_names)

    def predict(batches: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        x: Any = batches if len(names) > 1 else batches[names[0]]
        if pre is not None and not pre.state.get("in_model"):
            x = pre.transform_x(x)
        x = x if isinstance(x, dict) else {names[0]: x}
        outputs = serve(*[tf.constant(x[n]) for n in names])
        return {n: np.asarray(probabilities(outputs[n].numpy(), *heads[n]), "float32")
                for n in model.output_names}

    return predict


def class_namer(saved: SavedModel, signature: Signature) -> Callable[[dict[str, np.ndarray]],
                                                                     dict[str, list[Any]]]:
    """Each classifier output's predicted class names (class numbers when none are known)."""
    heads = _heads(saved.model)

    def classes(outputs: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        found = {}
        for name, (kind, _logits) in heads.items():
            if kind is None:
                continue
            values = outputs[name].reshape(len(outputs[name]), -1)
            ids = values.argmax(axis=1) if kind == "softmax" else (values[:, 0] >= 0.5).astype(int)
            names = signature.class_names.get(name)
            width = values.shape[1] if kind == "softmax" else 2
            found[name] = [names[i] if names and len(names) == width else int(i) for i in ids]
        return found

    return classes


def check_port(host: str, port: int) -> None:
    """A taken port is said before the model loads, naming the option."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise NntrainError(f"cannot listen on {host}:{port}: {reason}", 1,
                           path="--port", hint="choose another --port, or stop what uses it"
                           ) from None


def check_installed() -> None:
    """The `serve` extra, said before the model loads."""
    import importlib

    missing = []
    for module in ("fastapi", "uvicorn"):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise NntrainError(f"nntrain serve needs {', '.join(missing)}, which is not installed",
                           1, hint='pip install -e ".[serve]"')


def model_name(target: Path) -> str:
    """The name clients address (/v1/models/NAME): the run's config name; no TensorFlow."""
    run = next((RunDir(p) for p in (target, *target.resolve().parents) if RunDir(p).is_run()),
               None)
    return run.read_config().name if run else "model"


def build_app(settings: ServeSettings) -> Any:
    from nntrain.serve.app import create_app
    from nntrain.serve.batching import Batcher, Unbatched

    saved = open_target(Path(settings.target), settings.allow_unsafe)
    signature = signature_of(saved, model_name(Path(settings.target)))
    predict = predictor(saved)
    shapes = {n: tuple(t.shape[1:]) for n, t in zip(saved.model.output_names,
                                                      saved.model.outputs)}
    call = Batcher(predict) if settings.batching else Unbatched(predict)
    return create_app(signature, call, class_namer(saved, signature), shapes)


def app_from_environment() -> Any:
    """uvicorn's factory in each worker process (--workers N > 1)."""
    return build_app(ServeSettings(**json.loads(os.environ[SETTINGS])))


def run_server(settings: ServeSettings, started: Callable[[], None]) -> None:
    """Serve until Ctrl-C; `started` hears when the model is loaded (with one worker)."""
    import uvicorn

    check_port(settings.host, settings.port)
    options: dict[str, Any] = {"host": settings.host, "port": settings.port,
                               "log_level": "warning", "access_log": False}
    if settings.workers > 1:  # each worker process loads the model itself
        os.environ[SETTINGS] = json.dumps(settings.__dict__)
        started()
        uvicorn.run("nntrain.workflows.serve:app_from_environment", factory=True,
                    workers=settings.workers, **options)
        return
    app = build_app(settings)
    started()
    uvicorn.run(app, **options)
