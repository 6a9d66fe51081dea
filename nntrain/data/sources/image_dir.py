"""One folder per class of images, listed (not read): the same files, class order and labels
as keras.utils.image_dataset_from_directory, decoded by tf.data while training
(nntrain.data.files), so a folder larger than memory trains."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.files import FORMATS, ImageFiles
from nntrain.data.sources import interleave
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error


# The first bytes of each format tf.io.decode_image reads.
MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")


def _check_images(paths: list[str], field: str) -> None:
    """Read each file's first bytes (not the image), so a file that is no image is named now
    rather than failing TensorFlow's decoder in the middle of an epoch."""
    for path in paths:
        with open(path, "rb") as fh:
            head = fh.read(4)
        if not head.startswith(MAGIC):
            raise config_error(f"{path} is not a JPEG, PNG, GIF or BMP image (by its content)",
                               field, "remove it from the image folder")


def _class_files(folder: Path) -> list[str]:
    """Every image under one class folder, sub-folders included, in a fixed order."""
    found = []
    for root, _dirs, files in sorted(os.walk(folder, followlinks=False), key=lambda w: w[0]):
        found += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(FORMATS)]
    return found


def _read(cfg: DataConfig, path: str, field: str,
          class_names: list[str] | None) -> tuple[Split, list[str]]:
    folder = Path(path)
    if not folder.is_dir():
        raise config_error(f"not a folder: {path}", field, "image_dir wants one sub-folder of "
                           "images per class")
    present = sorted(p.name for p in folder.iterdir() if p.is_dir())
    names = class_names or present
    missing = [n for n in names if n not in present]
    if missing:
        raise config_error(f"{path} has no folder for class(es) {missing} (it has "
                           f"{present or 'no sub-folders'})", field)
    paths: list[str] = []
    labels: list[int] = []
    for index, name in enumerate(names):
        files = _class_files(folder / name)
        paths += files
        labels += [index] * len(files)
    if not paths:
        raise config_error(f"no images in {path} (formats: {', '.join(FORMATS)})", field)
    _check_images(paths, field)
    files_x = ImageFiles(np.array(paths, dtype=object), tuple(cfg.image_size), cfg.color_mode)
    return Split(files_x, np.array(labels, dtype=np.int64)), list(names)


def load(cfg: DataConfig) -> RawData:
    train, names = _read(cfg, cfg.path or "", "data.path", None)
    extra: dict[str, Split] = {}
    for key in ("validation_path", "test_path"):
        if getattr(cfg, key):
            extra[key] = _read(cfg, getattr(cfg, key), f"data.{key}", names)[0]
    info: dict[str, Any] = {"source": f"images in {cfg.path}", "class_names": names,
                            "image_size": cfg.image_size, "color_mode": cfg.color_mode}
    return RawData(interleave(train), extra.get("validation_path"), extra.get("test_path"), info)
