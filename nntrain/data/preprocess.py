"""Preprocessing fitted on the training split and replayed, identically, by eval and predict."""

from __future__ import annotations

from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.types import Arrays, Split
from nntrain.errors import config_error


def _map_arrays(arrays: Arrays, fn: Any) -> Arrays:
    if isinstance(arrays, dict):
        return {k: fn(v, k) for k, v in arrays.items()}
    return fn(arrays, None)


class Preprocessor:
    """Its whole state is JSON (preprocess.json in the run), so predict needs no training data."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    # -- fitting ------------------------------------------------------------------------------
    @classmethod
    def fit(cls, cfg: DataConfig, train: Split, info: dict[str, Any]) -> "Preprocessor":
        p = cfg.preprocess
        state: dict[str, Any] = {
            "rescale": p.rescale,
            "reshape": p.reshape,
            "flatten": p.flatten,
            "one_hot": p.one_hot,
            "info": info,
        }
        pre = cls(state)
        if p.normalize:
            shaped = pre._shape_x(train.x, normalize=False)
            state["normalize"] = _map_arrays(shaped, lambda a, _k: _moments(a))
        if p.one_hot and train.y is not None:
            state["num_classes"] = _map_arrays(train.y, lambda a, _k: _num_classes(a, info))
        return pre

    # -- applying -----------------------------------------------------------------------------
    def _shape_x(self, x: Arrays, normalize: bool = True) -> Arrays:
        s = self.state

        def one(a: np.ndarray, key: str | None) -> np.ndarray:
            if a.dtype.kind in "iufb":
                a = a.astype("float32")
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
            stats = s.get("normalize") if normalize else None
            if stats:
                m = stats[key] if key is not None else stats
                a = (a - np.asarray(m["mean"], "float32")) / np.asarray(m["std"], "float32")
            return a

        return _map_arrays(x, one)

    def transform_x(self, x: Arrays) -> Arrays:
        return self._shape_x(x)

    def transform_y(self, y: Arrays | None) -> Arrays | None:
        if y is None or not self.state.get("one_hot"):
            return y
        counts = self.state["num_classes"]

        def one(a: np.ndarray, key: str | None) -> np.ndarray:
            k = counts[key] if key is not None else counts
            labels = a.reshape(-1).astype(np.int64)
            return np.eye(k, dtype="float32")[labels]

        return _map_arrays(y, one)

    def transform(self, split: Split | None) -> Split | None:
        if split is None:
            return None
        return Split(self.transform_x(split.x), self.transform_y(split.y))

    @property
    def class_names(self) -> list[Any] | dict[str, list[Any]] | None:
        return self.state.get("info", {}).get("class_names")


def _moments(a: np.ndarray) -> dict[str, Any]:
    """Per-feature mean and std over the examples (std 0 → 1 so constant features stay 0)."""
    mean = a.mean(axis=0)
    std = a.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return {"mean": mean.astype("float32").tolist(), "std": std.astype("float32").tolist()}


def _num_classes(labels: np.ndarray, info: dict[str, Any]) -> int:
    names = info.get("class_names")
    if isinstance(names, list):
        return len(names)
    return int(labels.max()) + 1
