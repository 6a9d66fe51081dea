"""One folder per class of images, read by keras.utils.image_dataset_from_directory (same
formats, class order, resizing and color modes) into NumPy arrays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.sources import interleave
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error


def _read(cfg: DataConfig, path: str, field: str,
          class_names: list[str] | None) -> tuple[Split, list[str]]:
    if not Path(path).is_dir():
        raise config_error(f"not a folder: {path}", field, "image_dir wants one sub-folder of "
                           "images per class")
    from nntrain.engine import keras

    try:
        ds = keras.utils.image_dataset_from_directory(
            path, labels="inferred", label_mode="int", class_names=class_names,
            color_mode=cfg.color_mode, image_size=tuple(cfg.image_size), shuffle=False,
            batch_size=256)
    except ValueError as exc:
        raise config_error(f"{path}: {exc}", field) from None
    xs, ys = [], []
    for x, y in ds.as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    if not xs:
        raise config_error(f"no images in {path}", field)
    return Split(np.concatenate(xs), np.concatenate(ys).astype(np.int64)), list(ds.class_names)


def load(cfg: DataConfig) -> RawData:
    train, names = _read(cfg, cfg.path or "", "data.path", None)
    extra: dict[str, Split] = {}
    for key in ("validation_path", "test_path"):
        if getattr(cfg, key):
            extra[key] = _read(cfg, getattr(cfg, key), f"data.{key}", names)[0]
    info: dict[str, Any] = {"source": f"images in {cfg.path}", "class_names": names,
                            "image_size": cfg.image_size, "color_mode": cfg.color_mode}
    return RawData(interleave(train), extra.get("validation_path"), extra.get("test_path"), info)
