"""Data layer: sources → splits → preprocessing fitted on the training split → tf.data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.preprocess import Preprocessor
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


def _filter_classes(split: Split | None, classes: list, info: dict) -> Split | None:
    """Keep only `classes` (original label values) and number them 0..k-1 in that order."""
    if split is None:
        return None
    if isinstance(split.y, dict) or split.y is None:
        raise config_error("`classes` needs a single label array", "data.classes")
    names = info.get("class_names")
    wanted = [names.index(c) if isinstance(names, list) and c in names else c for c in classes]
    labels = split.y.reshape(len(split.y), -1)[:, 0] if split.y.ndim > 1 else split.y
    keep = np.isin(labels, wanted)
    remap = {w: i for i, w in enumerate(wanted)}
    kept = split.subset(np.flatnonzero(keep))
    new_y = np.vectorize(remap.__getitem__, otypes=[np.int64])(
        labels[keep]).reshape(-1, *split.y.shape[1:])
    return Split(kept.x, new_y.astype(split.y.dtype))


def load_raw(cfg: DataConfig) -> RawData:
    raw = load_source(cfg)
    if cfg.classes is not None:
        before = len(raw.train)
        raw.train = _filter_classes(raw.train, cfg.classes, raw.info)
        raw.validation = _filter_classes(raw.validation, cfg.classes, raw.info)
        raw.test = _filter_classes(raw.test, cfg.classes, raw.info)
        if not len(raw.train):
            raise config_error(f"none of the {before} training examples has a label in "
                               f"{cfg.classes}", "data.classes")
        names = raw.info.get("class_names")
        raw.info["class_names"] = [
            names[c] if isinstance(names, list) and isinstance(c, int) and c < len(names) else c
            for c in cfg.classes]
    return raw


def prepare(cfg: DataConfig, seed: int) -> list[Fold]:
    """Load once, split, and fit the preprocessing on each training split only."""
    raw = load_raw(cfg)
    folds = []
    pairs = split_data(raw, cfg, seed)
    for i, (train, val) in enumerate(pairs):
        pre = Preprocessor.fit(cfg, train, raw.info)
        folds.append(Fold(pre.transform(train), pre.transform(val), pre.transform(raw.test), pre,
                          i if cfg.kfold else None))
    return folds
