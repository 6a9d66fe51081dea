"""Data layer: sources → splits → preprocessing fitted on the training split → tf.data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.images import KEY, pixels_info
from nntrain.data.preprocess import Preprocessor
from nntrain.data.records import is_records
from nntrain.data.sources import load_source
from nntrain.data.splits import split_data
from nntrain.data.types import Arrays, RawData, Split, num_examples, take
from nntrain.errors import config_error

__all__ = ["Fold", "Preprocessor", "Split", "RawData", "Arrays", "prepare", "load_raw",
           "num_examples", "take"]


@dataclass
class Fold:
    """What one model trains on: preprocessed splits and the preprocessor fitted for them."""

    train: Split
    validation: Split | None
    test: Split | None
    preprocessor: Preprocessor
    index: int | None = None  # k-fold: 0..k-1


def _class_ids(classes: list[Any], names: Any, labels: np.ndarray) -> list[Any]:
    """`classes` as label values: a class name becomes its index; numbers stay as given."""
    ids = []
    for c in classes:
        if isinstance(names, list) and c in names:
            ids.append(names.index(c))
        elif isinstance(names, list) and str(c) in map(str, names) and labels.dtype.kind in "iu":
            ids.append([str(n) for n in names].index(str(c)))
        elif isinstance(c, str) and labels.dtype.kind in "iuf":
            raise config_error(f"class '{c}' is not one of the class names "
                               f"{names if isinstance(names, list) else '(labels are numbers)'}",
                               "data.classes")
        else:
            ids.append(c)
    return ids


def _filter_classes(split: Split | None, ids: list[Any]) -> Split | None:
    """Keep only the labels `ids` and number them 0..k-1 in that order."""
    if split is None:
        return None
    labels = _labels(split)
    keep = np.isin(labels, ids)
    remap = {w: i for i, w in enumerate(ids)}
    kept = split.subset(np.flatnonzero(keep))
    new_y = np.array([remap[v] for v in labels[keep].tolist()], dtype=np.int64)
    return Split(kept.x, new_y.reshape(-1, *split.y.shape[1:]).astype(split.y.dtype))


def _labels(split: Split) -> np.ndarray:
    if is_records(split.y):
        raise config_error("`classes` works on data loaded into memory; a record stream is "
                           "read as stored", "data.classes", "write the records of those "
                           "classes only, or leave `classes` out")
    if isinstance(split.y, dict) or split.y is None:
        raise config_error("`classes` needs a single label array", "data.classes")
    if split.y.ndim > 1 and int(np.prod(split.y.shape[1:])) != 1:
        raise config_error(f"`classes` needs one label per example, got labels of shape "
                           f"{list(split.y.shape[1:])}", "data.classes")
    return split.y.reshape(-1)


def _select_classes(raw: RawData, classes: list[Any]) -> None:
    names = raw.info.get("class_names")
    labels = _labels(raw.train)
    ids = _class_ids(classes, names, labels)
    present = set(labels.tolist())
    missing = [c for c, i in zip(classes, ids) if i not in present]
    if missing:
        raise config_error(f"no training example has label {missing[0]!r}", "data.classes",
                           f"labels present: {sorted(present)[:20]}")
    raw.train = _filter_classes(raw.train, ids)
    raw.validation = _filter_classes(raw.validation, ids)
    raw.test = _filter_classes(raw.test, ids)
    raw.info["class_names"] = [names[i] if isinstance(names, list) else c
                               for c, i in zip(classes, ids)]
    raw.info["classes_selected"] = list(classes)


def _shapes(arrays: Arrays) -> dict[str, tuple[int, ...]]:
    items = arrays.items() if isinstance(arrays, dict) else [("", arrays)]
    return {k: tuple(v.shape[1:]) for k, v in items}


def _check_consistent(raw: RawData) -> None:
    """Every array of a split has one row per example; other splits look like the training one."""
    for name, split in (("train", raw.train), ("validation", raw.validation), ("test", raw.test)):
        if split is None:
            continue
        arrays = [split.x, split.y]
        lengths = {len(v) for a in arrays if a is not None
                   for v in (a.values() if isinstance(a, dict) else [a])}
        if len(lengths) > 1:
            raise config_error(f"the {name} inputs and labels have different numbers of "
                               f"examples: {sorted(lengths)}", "data")
        if name == "train":
            continue
        for part in ("x", "y"):
            got, want = getattr(split, part), getattr(raw.train, part)
            if got is None or want is None:
                continue
            if _shapes(got) != _shapes(want):
                raise config_error(f"{name} {'inputs' if part == 'x' else 'labels'} have shape "
                                   f"{_shapes(got)}, training ones {_shapes(want)}",
                                   f"data.{name}_path" if name != "train" else "data")


def load_raw(cfg: DataConfig) -> RawData:
    raw = load_source(cfg)
    _check_consistent(raw)
    if not len(raw.train):
        raise config_error("the source has no training examples", "data")
    if cfg.classes is not None:
        _select_classes(raw, cfg.classes)
    if KEY not in raw.info:  # keras.datasets' mnist / cifar, IDX files, mnist_5k, uint8 npz
        raw.info.update(pixels_info(raw.train.x))  # so predict takes image files
    return raw


def prepare(cfg: DataConfig, seed: int, in_model: bool = False) -> list[Fold]:
    """Load once, split, and fit the preprocessing on each training split only (`in_model`:
    for a model that does the input steps itself, see Preprocessor.fit)."""
    raw = load_raw(cfg)
    folds = []
    for i, (train, val) in enumerate(split_data(raw, cfg, seed)):
        pre = Preprocessor.fit(cfg, train, raw.info, in_model)
        folds.append(Fold(pre.transform(train), pre.transform(val), pre.transform(raw.test), pre,
                          i if cfg.kfold else None))
    return folds
