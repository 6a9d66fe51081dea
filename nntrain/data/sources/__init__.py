"""Data sources: each module has `load(cfg: DataConfig) -> RawData`; looked up by `data.source`."""

from __future__ import annotations

import importlib
import stat
from pathlib import Path

import numpy as np

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
    """A data file must be a regular file: a FIFO would block forever and /dev/zero never
    ends."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise config_error(f"file not found: {path}", field) from None
    except OSError as exc:
        raise config_error(f"cannot read {path}: {exc.strerror}", field) from None
    if not stat.S_ISREG(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if
                stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a folder" if stat.S_ISDIR(mode)
                else "not a regular file")
        raise config_error(f"cannot read {path}: it is {kind}, not a data file", field)
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
