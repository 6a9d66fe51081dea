"""A large .npy (and its labels .npy) streamed: the files are memory-mapped, a record is a row
number, and each batch of row numbers is gathered from the maps, so only the rows a batch takes
are read from disk and the operating system may drop them again."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.records import OneSplitStream, Ranges, RecordField
from nntrain.data.sources import regular_file
from nntrain.data.sources.csv_stream import STREAM_BYTES
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error, runtime_error


def streams(cfg: DataConfig) -> bool:
    """Whether this config's .npy files are memory-mapped rather than read whole."""
    if cfg.cache in ("none", "disk"):
        return True
    sizes = [Path(p).stat().st_size for p in (cfg.path, cfg.target_path)
             if p and Path(p).is_file()]
    return cfg.cache == "auto" and sum(sizes) > STREAM_BYTES


def mapped(path: str) -> np.ndarray:
    """The array of an .npy file, memory-mapped read-only: once per process and version of
    the file (a file written again is mapped again)."""
    stat = os.stat(path)
    return _mapped(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _mapped(path: str, _mtime_ns: int, _size: int) -> np.ndarray:
    return np.load(path, mmap_mode="r", allow_pickle=False)


@dataclass(frozen=True, eq=False)
class NpyRows(OneSplitStream):
    paths: dict[str, str]  # "x" (and "y") → its .npy
    count: int
    shapes: dict[str, tuple[int, ...]]  # one example's shape
    dtypes: dict[str, str]  # what a parsed batch holds: float32, or int64 for whole labels
    labels: frozenset[str]  # "y" when its values are whole numbers (classes)
    record_bytes: float = 8.0  # a record is a row number

    @property
    def files(self) -> tuple[str, ...]:
        return (self.paths["x"],)

    def example_shape(self, key: str) -> tuple[int, ...]:
        return self.shapes[key]

    def records(self, ranges: Ranges, order_seed: Any, shard: tuple[int, int]) -> Any:
        from nntrain.engine import tf

        bounds = np.array(ranges or ((0, 0),), "int64")  # rows are at hand: no filtering
        return tf.data.Dataset.from_tensor_slices(bounds).flat_map(
            lambda b: tf.data.Dataset.range(b[0], b[1]))

    def parse(self, rows: Any) -> dict[str, Any]:
        from nntrain.engine import tf

        keys = list(self.paths)

        def gather(numbers: np.ndarray) -> list[np.ndarray]:
            return [np.asarray(mapped(self.paths[k])[numbers], self.dtypes[k]) for k in keys]

        values = tf.numpy_function(gather, [rows], [tf.as_dtype(self.dtypes[k]) for k in keys],
                                   stateful=False)
        for key, value in zip(keys, values):
            value.set_shape((None, *self.shapes[key]))
        return dict(zip(keys, values))


def _open(path: str, field: str) -> np.ndarray:
    regular_file(path, field)
    try:
        array = mapped(str(Path(path).resolve()))
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "object" in str(exc):
            raise runtime_error(f"{path} holds Python objects; nntrain reads only plain arrays "
                                "(pickles can run code)", "save it with np.save from numeric "
                                "arrays") from None
        raise config_error(f"cannot read {path} as NumPy data: {exc}", field) from None
    except (OSError, EOFError) as exc:
        raise config_error(f"cannot read {path} as NumPy data: {exc}", field) from None
    if array.ndim == 0:
        raise config_error("a single number is not a set of examples", field)
    if array.dtype.kind not in "biuf":
        raise config_error(f"{path} holds {array.dtype} values; a streamed .npy holds numbers",
                           field, "set data.cache: memory (the file is then read whole)")
    return array


def load_stream(cfg: DataConfig) -> RawData:
    x = _open(cfg.path or "", "data.path")
    paths, shapes = {"x": str(Path(cfg.path or "").resolve())}, {"x": tuple(x.shape[1:])}
    dtypes, labels = {"x": "float32"}, frozenset()
    if cfg.target_path:
        y = _open(cfg.target_path, "data.target_path")
        if len(y) != len(x):
            raise config_error(f"{cfg.target_path} has {len(y)} labels for {len(x)} examples",
                               "data.target_path")
        paths["y"], shapes["y"] = str(Path(cfg.target_path).resolve()), tuple(y.shape[1:])
        whole = y.dtype.kind in "biu"
        dtypes["y"], labels = ("int64", frozenset({"y"})) if whole else ("float32", labels)
    stream = NpyRows(paths, len(x), shapes, dtypes, labels)
    every = ((0, len(x)),)
    field = {k: RecordField(stream, k, every) for k in paths}
    return RawData(Split(field["x"], field.get("y")),
                   info={"source": f"npy {cfg.path} (streamed)"})
