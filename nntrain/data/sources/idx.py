"""MNIST's IDX format (gzipped or not): train-images-idx3-ubyte[.gz] and friends in a folder."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error, runtime_error

# The IDX type byte → NumPy dtype (values are big-endian).
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
# train-images-idx3-ubyte, t10k-labels.idx1-ubyte.gz, test-images-idx3-ubyte, ...
_NAME = re.compile(r"^(train|t10k|test)-(images|labels)[-.]idx\d-ubyte(\.gz)?$")


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file → an array of its declared shape; checks the header against the size."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise runtime_error(f"cannot read {path}: {exc}") from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _DTYPES:
        raise runtime_error(f"{path} is not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_DTYPES[raw[2]]), raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4).astype(int).tolist()
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(dims)) * dtype.itemsize:
        raise runtime_error(f"{path}: the header says shape {dims} but the file holds "
                            f"{len(raw) - offset} bytes of data (truncated download?)")
    return np.frombuffer(raw, dtype, offset=offset).reshape(dims).astype(dtype.newbyteorder("="))


def find_idx(folder: Path) -> dict[tuple[str, str], Path]:
    """{('train' | 'test', 'images' | 'labels'): file} for the IDX files in `folder`."""
    found = {}
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        m = _NAME.match(p.name)
        if m:
            found[("train" if m.group(1) == "train" else "test", m.group(2))] = p
    return found


def read_split(files: dict[tuple[str, str], Path], which: str) -> Split | None:
    if (which, "images") not in files:
        return None
    x, y = read_idx(files[(which, "images")]), read_idx(files[(which, "labels")])
    if len(x) != len(y):
        raise runtime_error(f"{files[(which, 'images')]} has {len(x)} images but "
                            f"{files[(which, 'labels')]} has {len(y)} labels")
    return Split(x, y)


def load(cfg: DataConfig) -> RawData:
    folder = Path(cfg.path or "")
    files = find_idx(folder)
    for which in ("train", "test"):
        kinds = {k for w, k in files if w == which}
        if which == "train" and len(kinds) < 2 or kinds == {"images"} or kinds == {"labels"}:
            raise config_error(
                f"{folder} needs {which} images and labels as IDX files (found: "
                f"{', '.join(p.name for p in files.values()) or 'none'})", "data.path",
                "names like train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz")
    return RawData(read_split(files, "train"), test=read_split(files, "test"),
                   info={"source": f"IDX files in {folder}"})
