"""An .npz archive: `x_key` / `y_key` arrays (or mappings of them for several inputs / outputs);
a key that is absent falls back to <key>_train and <key>_test, keras.datasets' convention.
Read whole when small; when large, an archive written by np.savez (uncompressed) is
memory-mapped and streamed (npy_stream), one written by np.savez_compressed read whole."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.config.suggest import did_you_mean
from nntrain.data.records import fields_of
from nntrain.data.sources import regular_file
from nntrain.data.sources.arrays import read_numpy
from nntrain.data.sources.npy_stream import MEMBER, rows_split, streams
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


def _members(path: str, field: str) -> dict[str, str] | None:
    """{array name: where it is} for an archive whose arrays are all stored uncompressed
    (np.savez), to be memory-mapped (npy_stream); None for a compressed one, read whole."""
    regular_file(path, field)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (OSError, zipfile.BadZipFile):
        return None  # read_numpy says what the file is
    if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        return None
    where = str(Path(path).resolve())
    return {i.filename[:-4]: f"{where}{MEMBER}{i.filename}" for i in infos
            if i.filename.endswith(".npy")}


def _read(cfg: DataConfig, path: str, field: str,
          streamed: bool) -> tuple[Split, Split | None]:
    members = _members(path, field) if streamed else None
    arrays = members if members is not None else read_numpy(path, field)
    if not isinstance(arrays, dict):
        raise config_error(f"{path} is a single .npy array, not an .npz archive", field,
                           "use `source: npy`")
    x, _ = _pick(arrays, cfg.x_key, path, "data.x_key", "train")
    y, _ = _pick(arrays, cfg.y_key, path, "data.y_key", "train")
    x_te, has_x = _pick(arrays, cfg.x_key, path, "data.x_key", "test")
    y_te, has_y = _pick(arrays, cfg.y_key, path, "data.y_key", "test")
    split = rows_split if members is not None else lambda a, b, _field: Split(a, b)
    test = split(x_te, y_te, field) if has_x and has_y and x_te is not None else None
    return split(x, y, field), test


def load(cfg: DataConfig) -> RawData:
    path, streamed = cfg.path or "", streams(cfg)
    train, test = _read(cfg, path, "data.path", streamed)
    validation = _read(cfg, cfg.validation_path, "data.validation_path", streamed)[0] \
        if cfg.validation_path else None
    if cfg.test_path:
        test = _read(cfg, cfg.test_path, "data.test_path", streamed)[0]
    mapped = bool(fields_of(train.x))
    info: dict[str, Any] = {"source": f"npz {path}{' (streamed)' if mapped else ''}",
                            "npz_keys": cfg.x_key}
    return RawData(train, validation, test, info)
