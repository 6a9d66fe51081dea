"""One folder per class of .txt files, one example per file (the layout of
keras.utils.text_dataset_from_directory, e.g. aclImdb/train/{neg,pos}): listed, not read;
tf.data reads the files while training (nntrain.data.files.TextFiles), so a folder larger than
memory trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.files import TextFiles
from nntrain.data.sources import interleave
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error


def labelled_texts(groups: list[list[str]]) -> Split:
    """Texts grouped by class → strings (n,) and int labels, interleaved."""
    x = np.array([t for g in groups for t in g], dtype=object)
    return interleave(Split(x, _labels(groups)))


def _labels(groups: list[list[str]]) -> np.ndarray:
    return np.concatenate([np.full(len(g), i, np.int64) for i, g in enumerate(groups)])


def _read(path: str, field: str, class_names: list[str] | None) -> tuple[Split, list[str]]:
    folder = Path(path)
    if not folder.is_dir():
        raise config_error(f"not a folder: {path}", field, "text_dir wants one sub-folder of "
                           ".txt files per class")
    names = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if class_names is not None and names != class_names:
        raise config_error(f"{path} has class folders {names}, the training data {class_names}",
                           field)
    groups = [[str(f) for f in sorted((folder / n).glob("*.txt")) if f.is_file()]
              for n in names]
    if not any(groups):
        raise config_error(f"no .txt files in the class folders of {path}", field)
    files = TextFiles(np.array([p for g in groups for p in g], dtype=object))
    return interleave(Split(files, _labels(groups))), names


def load(cfg: DataConfig) -> RawData:
    train, names = _read(cfg.path or "", "data.path", None)
    extra = {key: _read(getattr(cfg, key), f"data.{key}", names)[0]
             for key in ("validation_path", "test_path") if getattr(cfg, key)}
    info: dict[str, Any] = {"source": f"text files in {cfg.path}", "class_names": names,
                            "feature_names": ["text"]}
    return RawData(train, extra.get("validation_path"), extra.get("test_path"), info)
