"""One .npy of inputs (`path`) and, optionally, one .npy of labels (`target_path`): read whole
when small, memory-mapped and streamed when large (npy_stream)."""

from __future__ import annotations

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.sources.arrays import read_numpy
from nntrain.data.sources.npy_stream import load_stream, streams
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error


def load(cfg: DataConfig) -> RawData:
    if streams(cfg):
        return load_stream(cfg)
    x = read_numpy(cfg.path or "", "data.path")
    y = read_numpy(cfg.target_path, "data.target_path") if cfg.target_path else None
    for arr, field in ((x, "data.path"), (y, "data.target_path")):
        if isinstance(arr, dict):
            raise config_error(f"{getattr(cfg, field.split('.')[1])} is an .npz archive",
                               field, "use `source: npz`")
        if arr is not None and np.ndim(arr) == 0:
            raise config_error("a single number is not a set of examples", field)
    if y is not None and len(y) != len(x):
        raise config_error(f"{cfg.target_path} has {len(y)} labels for {len(x)} examples",
                           "data.target_path")
    return RawData(Split(x, y), info={"source": f"npy {cfg.path}"})
