"""Validation, test and k-fold splits, always cut from raw data before anything is fitted."""

from __future__ import annotations

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.records import is_records
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error


def _cut(split: Split, n_hold: int, rng: np.random.Generator | None,
         last: bool = False) -> tuple[Split, Split]:
    """(rest, held out): a random n_hold, or without rng the first (`last`: the last) n_hold
    rows."""
    n = len(split)
    order = np.arange(n) if rng is None else rng.permutation(n)
    if last and rng is None:
        order = np.roll(order, n_hold)
    return split.subset(np.sort(order[n_hold:])), split.subset(np.sort(order[:n_hold]))


def _is_stream(split: Split) -> bool:
    """A record stream has no random access: its splits are contiguous, held out from its end
    as Keras' validation_split does."""
    leaves = list(split.x.values()) if isinstance(split.x, dict) else [split.x]
    return any(is_records(a) for a in leaves)


def _count(fraction: float, n: int, field: str) -> int:
    k = int(round(fraction * n))
    if k < 1 or k >= n:
        raise config_error(f"{fraction} of {n} examples leaves an empty split", field)
    return k


def split_data(raw: RawData, cfg: DataConfig, seed: int) -> list[tuple[Split, Split | None]]:
    """(train, validation) pairs: one pair, or k for k-fold. raw.test is settled here too."""
    rng = None if _is_stream(raw.train) else np.random.default_rng(seed)
    train = raw.train
    if cfg.limit is not None:
        train = train.subset(slice(0, cfg.limit))
    if raw.test is None and cfg.test_split is not None:
        train, raw.test = _cut(train, _count(cfg.test_split, len(train), "data.test_split"), rng,
                               last=True)
    n = len(train)
    if cfg.kfold:
        if cfg.kfold > n:
            raise config_error(f"kfold {cfg.kfold} is more than the {n} examples", "data.kfold")
        order = rng.permutation(n) if rng is not None else np.arange(n)
        folds = np.array_split(order, cfg.kfold)
        return [
            (train.subset(np.sort(np.concatenate(folds[:i] + folds[i + 1:]))),
             train.subset(np.sort(fold)))
            for i, fold in enumerate(folds)
        ]
    if cfg.validation_size is not None:
        if cfg.validation_size >= n:
            raise config_error(f"validation_size {cfg.validation_size} leaves no training data "
                               f"({n} examples)", "data.validation_size")
        train, val = _cut(train, cfg.validation_size, None)
        return [(train, val)]
    if cfg.validation_split is not None:
        k = _count(cfg.validation_split, n, "data.validation_split")
        train, val = _cut(train, k, rng, last=True)
        return [(train, val)]
    return [(train, raw.validation)]
