"""`nntrain predict --input FILE`: new examples read as the training data was (raw; the caller
applies preprocessor.transform_x). Images stay files, decoded later by tf.data in batches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nntrain.config.suggest import did_you_mean
from nntrain.data.files import FORMATS, ImageFiles
from nntrain.data.images import COLOR_MODES, check_fixed_size, describe, image_spec
from nntrain.data.preprocess import Preprocessor, is_text
from nntrain.data.sources.arrays import read_numpy
from nntrain.data.sources.csv import read_table, report_missing
from nntrain.data.sources.image_dir import _check_images
from nntrain.data.types import Arrays
from nntrain.errors import config_error

FIELD = "--input"
SUFFIXES = (".csv", ".npy", ".npz", ".txt")

Note = Callable[[str], None]


def read_inputs(path: str | Path, preprocessor: Preprocessor,
                note: Note | None = None) -> Arrays | ImageFiles:
    """Inputs for the model's input(s), shaped like one training example each; `note` hears
    what the user should know (columns taken by position)."""
    path = Path(path)
    if not path.exists():
        raise config_error(f"file not found: {path}", FIELD)
    state = preprocessor.state
    spec = state.get("inputs") or {}
    info = state.get("info") or {}
    multi = "shape" not in spec and bool(spec)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in FORMATS:
        return _images(path, info, spec)
    if suffix == ".csv":
        return _from_csv(path, spec, info, multi, note or (lambda _text: None))
    if suffix == ".npy":
        arr = read_numpy(path, FIELD)
        if multi:
            raise config_error(f"the model has inputs {', '.join(spec)}; one .npy holds one "
                               "array", FIELD, "give an .npz with one array per input name")
        return _conform(arr, spec, None, path)
    if suffix == ".npz":
        return _from_npz(path, spec, info.get("npz_keys"), multi)
    if suffix == ".txt":
        if multi or not spec.get("text"):
            raise config_error("a .txt input (one example per line) is for models with one "
                               "text input", FIELD)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return np.array([t.strip() for t in lines if t.strip()], dtype=object)
    kinds = [*SUFFIXES, *(("an image", "a folder of images") if image_spec(info) else ())]
    raise config_error(f"cannot read {path.name}: use one of {', '.join(kinds)}", FIELD)


def _images(path: Path, info: dict[str, Any], spec: dict[str, Any]) -> ImageFiles:
    """One image, or every image under a folder: listed, checked by their first bytes (and,
    for a source that stored its pixels at one size, by their size and channels), and decoded
    later as the training source made its pixels (nntrain.data.images)."""
    what = "a folder" if path.is_dir() else "an image"
    image = image_spec(info)
    source = info.get("source") or "arrays"
    if image is None:
        raise config_error(f"{path} is {what}; the model was trained on {source}, which "
                           "holds no images (image sources: image_dir, tfrecord with `decode`, "
                           "tfds image features, uint8 pixel arrays such as mnist)", FIELD,
                           f"give one of {', '.join(SUFFIXES)}")
    if spec and "shape" not in spec:
        raise config_error(f"{path} is {what}; the model has inputs {', '.join(spec)}, and an "
                           "image is for a model with one image input", FIELD,
                           "give an .npz with one array per input name")
    h, w = image["size"]
    channels = image["channels"]
    raw = tuple(spec.get("shape") or (h, w, channels))
    if int(np.prod(raw)) != h * w * channels:
        raise config_error(f"{path} is {what}; the model takes inputs of shape {list(raw)}, "
                           f"not {describe(image)} images", FIELD)
    paths = [str(p) for p in (_image_files(path) if path.is_dir() else [path])]
    _check_images(paths, FIELD)
    if not image["resized"]:
        check_fixed_size(paths, image, source, FIELD)
    files = ImageFiles(np.array(paths, dtype=object), (h, w), COLOR_MODES[channels])
    # mnist's examples are (28, 28), a flat source's (784,): the decoded (h, w, c) reshaped
    return files if raw == (h, w, channels) else files.then("reshape", list(raw))


def _image_files(folder: Path) -> list[Path]:
    """Every file under the folder, sub-folders included, sorted; hidden ones (.DS_Store,
    .ipynb_checkpoints) left out. Anything else that is no image is an error, not skipped:
    a prediction silently missing would go unnoticed."""
    found = sorted(p for p in folder.rglob("*") if p.is_file() and
                   not any(part.startswith(".") for part in p.relative_to(folder).parts))
    others = [p for p in found if p.suffix.lower() not in FORMATS]
    if others:
        raise config_error(f"{others[0]} is not an image ({', '.join(FORMATS)}); "
                           f"{len(others)} such file(s) in {folder}", FIELD,
                           "give a folder that holds only images")
    if not found:
        raise config_error(f"no images in {folder} (formats: {', '.join(FORMATS)})", FIELD)
    return found


def _conform(arr: Any, spec: dict[str, Any], key: str | None, path: Path) -> np.ndarray:
    """Check one array against the training examples' shape; a single example gains a batch
    axis, and flat rows are reshaped when the sizes agree."""
    arr = np.asarray(arr)
    where = f"input '{key}'" if key else "the input"
    if not spec:
        return arr
    if spec.get("text"):
        if not is_text(arr):
            raise config_error(f"{path}: {where} must be text, got {arr.dtype} values", FIELD)
        return arr.reshape(-1).astype(object)
    want = tuple(spec["shape"])
    if arr.shape[1:] == want:
        return arr
    if arr.shape == want:
        return arr[None]
    if arr.ndim >= 1 and len(arr) and int(np.prod(arr.shape[1:])) == int(np.prod(want)):
        return arr.reshape((len(arr), *want))
    raise config_error(f"{path}: {where} has examples of shape {list(arr.shape[1:])}; the model "
                       f"was trained on shape {list(want)}", FIELD)


def _from_csv(path: Path, spec: dict[str, Any], info: dict[str, Any], multi: bool,
              note: Note) -> Arrays:
    frame = read_table(path, FIELD)
    groups = _feature_columns(frame, path, spec, info, multi, note)
    report_missing(frame[[c for cols in groups.values() for c in cols]], path)
    out = {}
    for key, cols in groups.items():
        sub = spec.get(key, {}) if key is not None else spec
        if sub.get("text"):
            out[key] = frame[cols[0]].astype(str).to_numpy(dtype=object)
            continue
        bad = [c for c in cols if frame[c].dtype.kind not in "iufb"]
        if bad:
            raise config_error(f"{path}: column '{bad[0]}' is not numeric", FIELD)
        out[key] = _conform(frame[cols].to_numpy(dtype="float32"), sub, key, path)
    return out[None] if list(out) == [None] else out


def _feature_columns(frame: pd.DataFrame, path: Path, spec: dict[str, Any],
                     info: dict[str, Any], multi: bool, note: Note) -> dict[Any, list[Any]]:
    """The columns for each input (None: the only one): the training table's, by name; for
    data with no names of its own (arrays, truth tables), the file's columns in order when
    there are as many as the model takes."""
    names = info.get("feature_names")
    columns = list(frame.columns)
    if names is None:  # not trained from a table
        if multi:
            return {k: columns for k in spec}
        if spec.get("text"):
            return {None: ["text"] if "text" in columns else columns[:1]}
        width = int(np.prod(spec["shape"])) if "shape" in spec else len(columns)
        if len(columns) != width:
            raise config_error(f"{path} has {len(columns)} column(s); the model takes {width} "
                               "value(s) per example, one column each, in order", FIELD)
        note(f"{path}: the training data had no column names, so its {width} column(s) are "
             "taken in order")
        return {None: columns}
    groups = names if isinstance(names, dict) else {None: names}
    wanted = [c for cols in groups.values() for c in cols]
    missing = [c for c in wanted if c not in columns]
    positional = bool(info.get("positional_features")) and not multi
    if missing and positional and len(columns) == len(wanted):
        note(f"{path}: columns {_listed(columns)} taken in order as the model's inputs "
             f"{_listed(wanted)}")
        return {None: columns}
    if missing:
        unused = [str(c) for c in columns if c not in wanted]  # a used name is no typo
        hint = did_you_mean(str(missing[0]), unused) or (
            f"or give exactly {len(wanted)} columns: they are taken in order"
            if positional else None)
        raise config_error(f"{path} lacks column(s) {_listed(missing)} that the model was "
                           f"trained on (it needs {_listed(wanted)}; the file has "
                           f"{_listed(columns)})", FIELD, hint)
    return groups


def _listed(names: list[Any], limit: int = 12) -> str:
    """Names for a message: the first `limit` of a long list, and how many in all."""
    shown = ", ".join(map(str, names[:limit]))
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"


def _from_npz(path: Path, spec: dict[str, Any], keys: Any, multi: bool) -> Arrays:
    arrays = read_numpy(path, FIELD)
    if not isinstance(arrays, dict):
        raise config_error(f"{path} is a single .npy array, not an .npz archive", FIELD)

    def find(name: str | None, key: str | None) -> np.ndarray:
        test = key and f"{key}_test"
        options = (name, key, test) if multi else (key, "x", test, "x_test")
        candidates = [c for c in dict.fromkeys(options) if c]
        for c in candidates:
            if c in arrays:
                return arrays[c]
        if not multi and len(arrays) == 1:
            return next(iter(arrays.values()))
        raise config_error(f"{path} has no array {candidates[0]!r} (arrays: "
                           f"{', '.join(arrays) or 'none'})", FIELD,
                           did_you_mean(candidates[0], arrays))

    if multi:
        return {k: _conform(find(k, keys.get(k) if isinstance(keys, dict) else None),
                            spec[k], k, path) for k in spec}
    return _conform(find(None, keys if isinstance(keys, str) else None), spec, None, path)
