"""Preprocessing fitted on the training split and replayed, identically, by eval and predict."""

from __future__ import annotations

from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.files import BATCH, materialize, streamed_moments
from nntrain.data.records import is_records, is_streamed, label_sample
from nntrain.data.types import Arrays, Split
from nntrain.errors import config_error, runtime_error


def _map_arrays(arrays: Arrays, fn: Any) -> Arrays:
    if isinstance(arrays, dict):
        return {k: fn(v, k) for k, v in arrays.items()}
    return fn(arrays, None)


def _pick(value: Any, key: str | None) -> Any:
    """The per-input (or per-output) entry of a state value kept as one value or a mapping."""
    return value.get(key) if key is not None and isinstance(value, dict) else value


MAX_ONE_HOT_CLASSES = 100_000  # beyond this a one-hot label matrix outgrows any machine


def is_text(a: np.ndarray) -> bool:
    return a.dtype.kind in "OUS"


class Preprocessor:
    """Its whole state is JSON (preprocess.json in the run), so predict needs no training data."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self._vectorizers: dict[str | None, Any] = {}

    # -- fitting ------------------------------------------------------------------------------
    @classmethod
    def fit(cls, cfg: DataConfig, train: Split, info: dict[str, Any],
            in_model: bool = False) -> "Preprocessor":
        """`in_model`: the model holds the input steps as Keras layers (nntrain.model
        .preprocessing), so the data stays raw; the state still records them for the model."""
        p = cfg.preprocess
        state: dict[str, Any] = {
            "in_model": in_model,
            "rescale": p.rescale,
            "reshape": p.reshape,
            "flatten": p.flatten,
            "one_hot": p.one_hot,
            "info": info,
            "inputs": _map_arrays(train.x, lambda a, _k: {"shape": list(a.shape[1:]),
                                                          "text": is_text(a)}),
        }
        if _texts(train.x):
            state["text"] = _map_text(train.x, lambda a, _k: _vocabulary(a, cfg))
        pre = cls(state)
        if p.normalize:
            shaped = pre._shape_x(train.x, normalize=False, layers=True)
            state["normalize"] = _map_arrays(
                shaped, lambda a, k: None if _pick(state["inputs"], k)["text"] else _moments(a))
        if p.one_hot:
            if train.y is None:
                raise config_error("one_hot needs labels", "data.preprocess.one_hot")
            names = info.get("class_names")
            chosen = p.one_hot if isinstance(p.one_hot, list) else None
            if chosen is not None:
                outputs = list(train.y) if isinstance(train.y, dict) else []
                unknown = [o for o in chosen if o not in outputs]
                if unknown:
                    raise config_error(f"one_hot names output '{unknown[0]}'; the outputs are "
                                       f"{outputs or 'one unnamed label array'}",
                                       "data.preprocess.one_hot")
            state["num_classes"] = _map_arrays(
                train.y, lambda a, k: None if chosen is not None and k not in chosen
                else _num_classes(label_sample(a), _pick(names, k), k))
        return pre

    # -- applying -----------------------------------------------------------------------------
    def _shape_x(self, x: Arrays, normalize: bool = True, layers: bool | None = None) -> Arrays:
        """The input steps; `layers` False leaves those the model holds as layers undone."""
        s = self.state
        if layers is None:
            layers = not s.get("in_model")

        def one(a: np.ndarray, key: str | None) -> np.ndarray:
            spec = _pick(s.get("inputs", {}), key) or {}
            if spec.get("text") and is_streamed(a):  # files tf.data reads
                return self._vectorize(materialize(a), key) if layers else a
            if spec.get("text"):
                return self._vectorize(a, key) if layers else _as_text(a, key)
            if is_streamed(a):
                return _shape_files(a, s, _pick(s.get("normalize"), key) if normalize else None) \
                    if layers else a
            if a.dtype.kind in "iufb" and not (s.get("info", {}).get("token_ids") and a.dtype.kind in "iu"):
                a = a.astype("float32")
            if not layers:
                return a
            if s.get("rescale") is not None:
                a = a * np.float32(s["rescale"])
            if s.get("reshape"):
                try:
                    a = a.reshape((len(a), *s["reshape"]))
                except ValueError:
                    raise config_error(
                        f"cannot reshape examples of shape {list(a.shape[1:])} to {s['reshape']}",
                        "data.preprocess.reshape") from None
            if s.get("flatten"):
                a = a.reshape((len(a), -1))
            stats = _pick(s.get("normalize"), key) if normalize else None
            if stats:
                mean, std = np.asarray(stats["mean"], "float32"), np.asarray(stats["std"], "float32")
                if a.shape[1:] != mean.shape:
                    raise runtime_error(f"inputs of shape {list(a.shape[1:])} do not match the "
                                        f"{list(mean.shape)} the normalization was fitted on")
                a = (a - mean) / std
            return a

        return _map_arrays(x, one)

    def _vectorize(self, a: np.ndarray, key: str | None) -> np.ndarray:
        """Strings → token ids with the vocabulary fitted on the training split."""
        a = _as_text(a, key)
        if key not in self._vectorizers:
            from nntrain.engine import keras

            t = _pick(self.state["text"], key)
            self._vectorizers[key] = keras.layers.TextVectorization(
                vocabulary=t["vocabulary"], output_sequence_length=t["sequence_length"])
        return self._vectorizers[key](a.astype(str)).numpy().astype("int32")

    def transform_x(self, x: Arrays, layers: bool | None = None) -> Arrays:
        """What the model takes; `layers` True: also the steps the model does itself (what
        its first trainable layer sees, e.g. for the least-squares comparison)."""
        return self._shape_x(x, layers=layers)

    def transform_y(self, y: Arrays | None) -> Arrays | None:
        if y is None or not self.state.get("one_hot"):
            return y
        counts = self.state["num_classes"]

        def one(a: np.ndarray, key: str | None) -> np.ndarray:
            k = _pick(counts, key)
            if k is None:  # an output left out of a one_hot list
                return a
            if is_records(a):  # checked on a sample when fitted; tf.one_hot while reading
                return a.then("one_hot", k)
            labels = _integer_labels(a, key)
            bad = (labels < 0) | (labels >= k)
            if bad.any():
                raise runtime_error(f"label {labels[bad][0]} is outside the {k} classes 0..{k - 1} "
                                    "seen in training")
            return np.eye(k, dtype="float32")[labels]

        return _map_arrays(y, one)

    def transform(self, split: Split | None) -> Split | None:
        if split is None:
            return None
        return Split(self.transform_x(split.x), self.transform_y(split.y))

    @property
    def class_names(self) -> list[Any] | dict[str, list[Any]] | None:
        return self.state.get("info", {}).get("class_names")


def _as_text(a: np.ndarray, key: str | None) -> np.ndarray:
    if not is_text(a):
        raise runtime_error(f"input{f' {key!r}' if key else ''} must be text, got "
                            f"{a.dtype} values")
    return a.astype(str).reshape(-1).astype(object)


def _texts(x: Arrays) -> bool:
    return any(is_text(a) for a in (x.values() if isinstance(x, dict) else [x]))


def _map_text(x: Arrays, fn: Any) -> Any:
    if isinstance(x, dict):
        return {k: fn(v, k) for k, v in x.items() if is_text(v)}
    return fn(x, None)


def _vocabulary(a: np.ndarray, cfg: DataConfig) -> dict[str, Any]:
    """keras TextVectorization's vocabulary, adapted on the training texts only."""
    from nntrain.engine import keras

    layer = keras.layers.TextVectorization(max_tokens=cfg.max_tokens)
    layer.adapt(a.batched(BATCH) if is_streamed(a) else a.astype(str).reshape(-1))
    vocab = [str(t) for t in layer.get_vocabulary()]
    return {"vocabulary": vocab, "vocab_size": len(vocab), "sequence_length": cfg.sequence_length}


def _shape_files(files: Any, state: dict[str, Any], stats: dict[str, Any] | None) -> Any:
    """The array steps of `_shape_x`, recorded for tf.data to run after decoding."""
    if state.get("rescale") is not None:
        files = files.then("rescale", state["rescale"])
    if state.get("reshape"):
        if int(np.prod(files.example_shape)) != int(np.prod(state["reshape"])):
            raise config_error(f"cannot reshape examples of shape {list(files.example_shape)} "
                               f"to {state['reshape']}", "data.preprocess.reshape")
        files = files.then("reshape", list(state["reshape"]))
    if state.get("flatten"):
        files = files.then("flatten")
    if stats:
        if tuple(np.shape(stats["mean"])) != files.example_shape:
            raise runtime_error(f"inputs of shape {list(files.example_shape)} do not match the "
                                f"{list(np.shape(stats['mean']))} the normalization was fitted on")
        files = files.then("normalize", stats)
    return files


def _moments(a: Any) -> dict[str, Any]:
    """Per-feature mean and std over the examples (std 0 → 1 so constant features stay 0);
    one streamed pass for files and records."""
    mean, std = streamed_moments(a) if is_streamed(a) else (a.mean(axis=0), a.std(axis=0))
    std = np.where(std > 0, std, 1.0)
    return {"mean": mean.astype("float32").tolist(), "std": std.astype("float32").tolist()}


def _integer_labels(a: np.ndarray, key: str | None) -> np.ndarray:
    where = f" of output '{key}'" if key else ""
    if a.ndim > 1 and int(np.prod(a.shape[1:])) != 1:
        raise config_error(f"one_hot needs one class label per example; labels{where} have "
                           f"shape {list(a.shape[1:])}", "data.preprocess.one_hot")
    flat = a.reshape(-1)
    if flat.dtype.kind == "f":
        if not np.all(np.isfinite(flat)) or np.any(flat != np.round(flat)):
            sample = flat[~np.isfinite(flat) | (flat != np.round(flat))][0]
            raise config_error(f"one_hot needs integer class labels; labels{where} include "
                               f"{sample}", "data.preprocess.one_hot",
                               "for a regression target leave one_hot off")
    elif flat.dtype.kind not in "iub":
        raise config_error(f"one_hot needs integer class labels; labels{where} are "
                           f"{flat.dtype}", "data.preprocess.one_hot")
    return flat.astype(np.int64)


def _num_classes(labels: np.ndarray, names: Any, key: str | None) -> int:
    flat = _integer_labels(labels, key)
    if flat.min() < 0:
        raise config_error(f"one_hot needs labels 0..k-1; found {flat.min()}",
                           "data.preprocess.one_hot", "map labels with `classes`")
    if isinstance(names, list):
        return len(names)
    k = int(flat.max()) + 1
    if k > MAX_ONE_HOT_CLASSES:
        raise config_error(f"labels go up to {k - 1}: one_hot would make {k:,} columns per "
                           "example", "data.preprocess.one_hot",
                           "use sparse_categorical_crossentropy on the class numbers instead")
    return k
