"""Data sources: each module has `load(cfg: DataConfig) -> RawData`; looked up by `data.source`."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

from nntrain.config.data_files import kind_problem
from nntrain.config.data_schema import KERAS_DATASETS, DataConfig
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error, runtime_error


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


def regular_file(path: str | Path, field: str) -> Path:
    """A data file must be a regular file (config.data_files says why), checked again here
    because fit may be handed a path that changed since validation."""
    path = Path(path)
    if not path.exists():
        raise config_error(f"file not found: {path}", field)
    problem = kind_problem(str(path), folder=False)
    if problem:
        raise config_error(problem, field)
    return path


def available_memory() -> int | None:
    """Bytes the kernel says can be allocated without swapping (None where it cannot tell)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_fits_in_memory(nbytes: int, path: str | Path) -> None:
    """Refuse before reading what could not be held (an .npz of zeros inflates 1000-fold)."""
    free = available_memory()
    if free is not None and nbytes > 0.8 * free:
        raise runtime_error(f"{path} would take {nbytes / 2**30:.1f} GiB in memory, more than "
                            f"the {free / 2**30:.1f} GiB available", "use a smaller file")
