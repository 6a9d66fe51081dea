"""Data sources: each module has `load(cfg: DataConfig) -> RawData`; looked up by `data.source`."""

from __future__ import annotations

import importlib

from nntrain.config.data_schema import KERAS_DATASETS, DataConfig
from nntrain.data.types import RawData


def _module_for(source: str) -> str:
    return "keras_datasets" if source in KERAS_DATASETS else source


def load_source(cfg: DataConfig) -> RawData:
    """Imported lazily so a CSV run never pays for the image or text loaders."""
    module = importlib.import_module(f"nntrain.data.sources.{_module_for(cfg.source)}")
    return module.load(cfg)
