"""Data sources: each module has `load(cfg: DataConfig) -> RawData`; looked up by `data.source`."""

from __future__ import annotations

import importlib

import numpy as np

from nntrain.config.data_schema import KERAS_DATASETS, DataConfig
from nntrain.data.types import RawData, Split


def _module_for(source: str) -> str:
    return "keras_datasets" if source in KERAS_DATASETS else source


def load_source(cfg: DataConfig) -> RawData:
    """Imported lazily so a CSV run never pays for the image or text loaders."""
    module = importlib.import_module(f"nntrain.data.sources.{_module_for(cfg.source)}")
    return module.load(cfg)


def interleave(split: Split) -> Split:
    """A fixed shuffle for sources stored class by class, so `validation_size` (first N) and
    `limit` see every class; fixed, so the same files always give the same order."""
    return split.subset(np.random.default_rng(0).permutation(len(split)))
