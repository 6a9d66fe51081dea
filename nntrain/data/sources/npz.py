"""An .npz archive: `x_key` / `y_key` arrays (or mappings of them for several inputs / outputs);
a key that is absent falls back to <key>_train and <key>_test, keras.datasets' convention."""

from __future__ import annotations

from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.config.suggest import did_you_mean
from nntrain.data.sources.arrays import read_numpy
from nntrain.data.types import Arrays, RawData, Split
from nntrain.errors import config_error


def _array(arrays: dict[str, np.ndarray], key: str, path: str, field: str,
           part: str) -> np.ndarray | None:
    """`key`, or `key`_train / `key`_test when the archive is split; None: no test part."""
    if part == "train" and key in arrays:
        return arrays[key]
    if f"{key}_{part}" in arrays:
        return arrays[f"{key}_{part}"]
    if part == "test":
        return None
    raise config_error(f"{path} has no array '{key}' (arrays: {', '.join(arrays) or 'none'})",
                       field, did_you_mean(key, arrays))


def _pick(arrays: dict[str, np.ndarray], keys: str | dict[str, str] | None, path: str,
          field: str, part: str) -> tuple[Arrays | None, bool]:
    """(arrays for `keys`, whether every one was found); mappings give {name: array}."""
    if keys is None:
        return None, True
    if isinstance(keys, str):
        a = _array(arrays, keys, path, field, part)
        return a, a is not None
    got = {name: _array(arrays, k, path, f"{field}.{name}", part) for name, k in keys.items()}
    complete = all(v is not None for v in got.values())
    return (got if complete else None), complete


def _read(cfg: DataConfig, path: str, field: str) -> tuple[Split, Split | None]:
    arrays = read_numpy(path, field)
    if not isinstance(arrays, dict):
        raise config_error(f"{path} is a single .npy array, not an .npz archive", field,
                           "use `source: npy`")
    x, _ = _pick(arrays, cfg.x_key, path, "data.x_key", "train")
    y, _ = _pick(arrays, cfg.y_key, path, "data.y_key", "train")
    x_te, has_x = _pick(arrays, cfg.x_key, path, "data.x_key", "test")
    y_te, has_y = _pick(arrays, cfg.y_key, path, "data.y_key", "test")
    test = Split(x_te, y_te) if has_x and has_y and x_te is not None else None
    return Split(x, y), test


def load(cfg: DataConfig) -> RawData:
    path = cfg.path or ""
    train, test = _read(cfg, path, "data.path")
    validation = _read(cfg, cfg.validation_path, "data.validation_path")[0] \
        if cfg.validation_path else None
    if cfg.test_path:
        test = _read(cfg, cfg.test_path, "data.test_path")[0]
    info: dict[str, Any] = {"source": f"npz {path}", "npz_keys": cfg.x_key}
    return RawData(train, validation, test, info)
