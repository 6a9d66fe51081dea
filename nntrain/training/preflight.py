"""Checks run before a single step trains (and before the run directory exists): the output
folder can be written and has room for the checkpoints, the data fits the model's inputs, the
labels fit its outputs and loss, and the model runs on one batch."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.schema import CompileConfig, is_per_output
from nntrain.data.files import materialize
from nntrain.data.types import Arrays, Split
from nntrain.engine import tf
from nntrain.errors import config_error, runtime_error

# .keras files and backups hold the weights and (Adam) two optimizer slots per weight; a run
# keeps model.keras, best.keras, last.keras and the backup, plus one temporary copy in a write.
COPIES_ON_DISK = 5
BYTES_PER_PARAM_COPY = 3 * 4


def _nearest_existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def check_output(path: Path, field: str) -> Path:
    """The folder that will hold the run exists or can be created, and can be written.
    Returns the nearest folder that exists (where disk space is measured)."""
    path = Path(path).expanduser().absolute()
    try:
        folder = _nearest_existing(path)
    except OSError as exc:
        raise config_error(f"cannot use {path}: {exc.strerror}", field) from None
    if not folder.is_dir():
        raise config_error(f"cannot create {path}: {folder} is a file, not a folder", field)
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise runtime_error(f"cannot write in {folder}: {exc.strerror}",
                            f"choose a writable folder with {field}") from None
    return folder


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def check_disk_space(folder: Path, model: Any) -> None:
    """Enough free space for the checkpoints, estimated from the parameter count."""
    params = int(model.count_params())
    need = params * BYTES_PER_PARAM_COPY * COPIES_ON_DISK + 2**20
    free = shutil.disk_usage(folder).free
    if free < need:
        raise runtime_error(f"not enough disk space in {folder}: {_size(free)} free, but the "
                            f"checkpoints of this {params:,}-parameter model need about "
                            f"{_size(need)}", "free some space or write the run elsewhere "
                            "(output.dir or --run-dir)")


def _fits(shape: tuple, want: tuple) -> bool:
    """A label shape (batch excluded) matches an output shape; None in the output matches any."""
    return len(shape) == len(want) and all(w is None or s == w for s, w in zip(shape, want))


def _check_one(out: tuple, y: np.ndarray, loss: str, path: str, output: str) -> None:
    kind = loss.lower().replace("_", "")
    width = out[-1] if out else None
    where = f"output '{output}'" if output else "the model's output"
    shape = tuple(y.shape[1:])
    numeric = y.dtype.kind in "biuf" and y.size > 0
    if "sparsecategorical" in kind:
        if not (_fits(shape, out[:-1]) or _fits(shape, out[:-1] + (1,))):
            raise config_error(f"{loss} needs one integer class label per prediction, but the "
                               f"labels have shape {list(shape)} for {where} of shape "
                               f"{list(out)} (one-hot labels?)", path,
                               "use categorical_crossentropy or set data.preprocess.one_hot: false")
        fractional = y[np.mod(y, 1) != 0] if numeric and y.dtype.kind == "f" else y[:0]
        if fractional.size:
            raise config_error(f"{loss} needs whole class numbers, but the labels hold "
                               f"{fractional.flat[0]:g}", path,
                               "use a regression loss (mse) for continuous targets")
        if numeric and width is not None and (y.min() < 0 or y.max() >= width):
            raise config_error(f"labels go from {y.min():g} to {y.max():g}, but {where} has "
                               f"{width} units (labels must be 0..{width - 1})", path,
                               "remap the labels (data.classes) or change the output units")
        return
    fits = (_fits(shape, out) or (out[-1:] == (1,) and _fits(shape, out[:-1]))
            or (shape[-1:] == (1,) and _fits(shape[:-1], out)))
    if "categorical" in kind and not fits:
        columns = shape[-1] if shape else 1
        hint = ("set data.preprocess.one_hot: true" if columns == 1
                else "make the output units match the number of classes")
        raise config_error(f"{where} has {width} units but the labels have {columns} "
                           f"column(s); {loss} needs one-hot labels of the same width", path, hint)
    if "binary" in kind and numeric and (y.min() < 0 or y.max() > 1):
        raise config_error(f"{loss} needs labels between 0 and 1, got {y.min():g} .. "
                           f"{y.max():g}", path, "use sparse_categorical_crossentropy for "
                           "more than two classes")
    if not fits:
        raise config_error(f"{where} has shape {list(out)} but the labels have shape "
                           f"{list(shape)}", path, "make the last layer's units match the target")


def check_labels(model: Any, y: Arrays | None, compile_cfg: CompileConfig) -> None:
    """The labels fit each model output and its loss (shape, width, value range)."""
    if y is None:
        return
    names = list(model.output_names)
    shapes = model.output_shape if len(names) > 1 else [model.output_shape]
    losses = compile_cfg.loss
    per_output = is_per_output(losses)
    if isinstance(y, dict):
        missing = [n for n in names if n not in y]
        if missing:
            raise config_error(f"no labels for output(s) {missing}; the data gives "
                               f"{sorted(y)}", "data.target")
    elif len(names) > 1:
        raise config_error(f"the model has {len(names)} outputs {names} but the data gives one "
                           "label array", "data.target", "map each output to a column")
    for name, shape in zip(names, shapes):
        labels = y[name] if isinstance(y, dict) else y
        spec = losses.get(name) if per_output else losses
        if spec is None:
            continue
        loss = (spec.get("type", "") if isinstance(spec, dict) else str(spec))
        path = f"compile.loss.{name}" if per_output else "compile.loss"
        _check_one(tuple(shape[1:]), np.asarray(labels), loss, path,
                   name if len(names) > 1 else "")


def check_inputs(model: Any, x: Arrays, functional: bool) -> None:
    """Each input array's examples have the shape of the model input it feeds."""
    names = list(model.input_names)
    shapes = model.input_shape if len(names) > 1 else [model.input_shape]
    arrays = x if isinstance(x, dict) else {names[0]: x} if len(names) == 1 else None
    if arrays is None or any(n not in arrays for n in names):
        given = sorted(x) if isinstance(x, dict) else "one array"
        raise config_error(f"the model has inputs {names} but the data gives {given}",
                           "model.inputs", "map each input to its columns (data.features)")
    for i, (name, shape) in enumerate(zip(names, shapes)):
        got = tuple(np.shape(arrays[name])[1:])
        if not _fits(got, tuple(shape[1:])):
            path = f"model.inputs[{i}].shape" if functional else "model.input_shape"
            raise config_error(f"the model's input '{name}' takes examples of shape "
                               f"{list(shape[1:])}, but the data's have shape {list(got)}", path,
                               f"set it to {list(got)}, or reshape the data with "
                               "data.preprocess.reshape")


def _last_line(exc: Exception) -> str:
    """TensorFlow puts the cause on the last line of a long message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def check_one_batch(model: Any, split: Split, batch_size: int) -> None:
    """Run the model and its loss on one batch of training examples (weights are untouched),
    so a mismatch the other checks missed fails here, before the run directory exists."""
    if split.y is None:
        return
    part = split.subset(slice(0, min(batch_size, len(split))))
    try:
        model.evaluate(materialize(part.x), materialize(part.y), batch_size=len(part),
                       verbose=0)
    except (ValueError, TypeError, tf.errors.OpError) as exc:
        raise config_error(f"the model cannot run on the training data: {_last_line(exc)}",
                           "model") from None
