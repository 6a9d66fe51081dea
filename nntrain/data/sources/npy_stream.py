"""Large .npy files (and the uncompressed arrays of an .npz) streamed: the arrays are
memory-mapped, a record is a row number, and each batch of row numbers is gathered from the
maps, so only the rows a batch takes are read from disk and the operating system may drop them
again."""

from __future__ import annotations

import functools
import os
import struct
import zipfile
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


MEMBER = "::"  # "archive.npz::x_train.npy": one array of an .npz


def mapped(where: str) -> np.ndarray:
    """The array of an .npy file, or of an .npz member stored uncompressed (`np.savez`),
    memory-mapped read-only: once per process and version of the file (a file written again
    is mapped again)."""
    path = where.split(MEMBER)[0]
    stat = os.stat(path)
    return _mapped(where, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _mapped(where: str, _mtime_ns: int, _size: int) -> np.ndarray:
    path, _, member = where.partition(MEMBER)
    if not member:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{member} is compressed (np.savez_compressed), so it cannot be mapped")
    with open(path, "rb") as fh:  # the member's bytes start after its local header
        fh.seek(info.header_offset)
        name_bytes, extra_bytes = struct.unpack("<HH", fh.read(30)[26:30])
        fh.seek(info.header_offset + 30 + name_bytes + extra_bytes)
        version = np.lib.format.read_magic(fh)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(fh)
        offset = fh.tell()
    if dtype.hasobject:
        raise ValueError(f"{member} holds Python objects (allow_pickle)")
    return np.memmap(path, dtype, "r", offset, shape, "F" if fortran else "C")


@dataclass(frozen=True, eq=False)
class NpyRows(OneSplitStream):
    paths: dict[str, str]  # field key ("x", "y", "x:NAME") → where its array is (see mapped)
    count: int
    shapes: dict[str, tuple[int, ...]]  # one example's shape
    dtypes: dict[str, str]  # what a parsed batch holds: float32, or int64 for whole labels
    labels: frozenset[str]  # "y" when its values are whole numbers (classes)
    record_bytes: float = 8.0  # a record is a row number

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.partition(MEMBER)[0] for w in self.paths.values()))

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


def _shown(where: str) -> str:
    path, _, member = where.partition(MEMBER)
    return f"{path} ({member})" if member else path


def _checked(where: str, field: str) -> np.ndarray:
    """The mapped array of `where`, refused with a message naming it unless it holds numbers,
    one example per row."""
    try:
        array = mapped(where)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "object" in str(exc):
            raise runtime_error(f"{_shown(where)} holds Python objects; nntrain reads only plain "
                                "arrays (pickles can run code)", "save it with np.save / "
                                "np.savez from numeric arrays") from None
        raise config_error(f"cannot map {_shown(where)}: {exc}", field,
                           "set data.cache: memory (the file is then read whole)") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise config_error(f"cannot read {_shown(where)} as NumPy data: {exc}", field) from None
    if array.ndim == 0:
        raise config_error("a single number is not a set of examples", field)
    if array.dtype.kind not in "biuf":
        raise config_error(f"{_shown(where)} holds {array.dtype} values; a streamed array "
                           "holds numbers", field,
                           "set data.cache: memory (the file is then read whole)")
    return array


Part = str | dict[str, str] | None  # a `where` (see mapped), or {input / output name: where}


def rows_split(x: Part, y: Part, field: str) -> Split:
    """A split of record fields over mapped arrays, one stream for all of x and y."""
    def keyed(prefix: str, part: Part) -> dict[str, str]:
        if isinstance(part, dict):
            return {f"{prefix}:{name}": where for name, where in part.items()}
        return {prefix: part} if part else {}

    wheres = {**keyed("x", x), **keyed("y", y)}
    arrays = {key: _checked(where, field) for key, where in wheres.items()}
    counts = {_shown(wheres[k]): len(a) for k, a in arrays.items()}
    if len(set(counts.values())) > 1:
        raise config_error("the arrays hold different numbers of examples: " + ", ".join(
            f"{name} {n}" for name, n in counts.items()), field)
    labels = frozenset(k for k, a in arrays.items() if k[0] == "y" and a.dtype.kind in "biu")
    count = len(next(iter(arrays.values())))
    stream = NpyRows(wheres, count, {k: tuple(a.shape[1:]) for k, a in arrays.items()},
                     {k: "int64" if k in labels else "float32" for k in arrays}, labels)
    fields = {k: RecordField(stream, k, ((0, count),)) for k in wheres}

    def packed(prefix: str, part: Part) -> Any:
        if isinstance(part, dict):
            return {name: fields[f"{prefix}:{name}"] for name in part}
        return fields[prefix] if part else None

    return Split(packed("x", x), packed("y", y))


def load_stream(cfg: DataConfig) -> RawData:
    x, y = (str(Path(p).resolve()) if p else None for p in (cfg.path, cfg.target_path))
    regular_file(cfg.path or "", "data.path")
    if y is not None:
        regular_file(y, "data.target_path")
        n, labels = len(_checked(x, "data.path")), len(_checked(y, "data.target_path"))
        if labels != n:
            raise config_error(f"{cfg.target_path} has {labels} labels for {n} examples",
                               "data.target_path")
    return RawData(rows_split(x, y, "data.path"),
                   info={"source": f"npy {cfg.path} (streamed)"})
