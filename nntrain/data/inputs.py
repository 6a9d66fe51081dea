"""`nntrain predict --input FILE`: new examples read as the training data was (raw; the caller
applies preprocessor.transform_x)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.suggest import did_you_mean
from nntrain.data.preprocess import Preprocessor, is_text
from nntrain.data.sources.arrays import read_numpy
from nntrain.data.sources.csv import read_table, report_missing
from nntrain.data.types import Arrays
from nntrain.errors import config_error

FIELD = "--input"
SUFFIXES = (".csv", ".npy", ".npz", ".txt")


def read_inputs(path: str | Path, preprocessor: Preprocessor) -> Arrays:
    """Inputs for the model's input(s), shaped like one training example each."""
    path = Path(path)
    if not path.is_file():
        raise config_error(f"file not found: {path}", FIELD)
    state = preprocessor.state
    spec = state.get("inputs") or {}
    info = state.get("info") or {}
    multi = "shape" not in spec and bool(spec)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _from_csv(path, spec, info.get("feature_names"), multi)
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
    raise config_error(f"cannot read {path.name}: use one of {', '.join(SUFFIXES)}", FIELD)


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


def _from_csv(path: Path, spec: dict[str, Any], names: Any, multi: bool) -> Arrays:
    frame = read_table(path, FIELD)
    if names is None:  # not trained from a table: every column is a feature
        names = {k: list(frame.columns) for k in spec} if multi else list(frame.columns)
        if not multi and spec.get("text"):
            names = ["text"] if "text" in frame.columns else list(frame.columns)[:1]
    groups = names if isinstance(names, dict) else {None: names}
    wanted = [c for cols in groups.values() for c in cols]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise config_error(f"{path} lacks column(s) {', '.join(map(str, missing))} that the "
                           f"model was trained on (it needs {', '.join(map(str, wanted))})",
                           FIELD, did_you_mean(str(missing[0]), map(str, frame.columns)))
    report_missing(frame[wanted], path)
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
    return out if isinstance(names, dict) else out[None]


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
