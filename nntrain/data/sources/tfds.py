"""TensorFlow Datasets by name, read from `data_dir` (prepared there once, downloaded when not),
streamed split by split with TFDS split strings.

Loading reads only the dataset's metadata (split sizes, feature shapes, class names); the
examples are read by tf.data while training.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.images import image_info
from nntrain.data.records import OneSplitStream, Ranges, RecordField, in_ranges
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error, first_line, runtime_error

DEFAULT_DATA_DIR = "~/tensorflow_datasets"
PROBE_HOST = "storage.googleapis.com"  # where TFDS keeps most datasets' files


@dataclass(frozen=True, eq=False)
class TfdsSplit(OneSplitStream):
    builder: Any
    split: str
    count: int
    shapes: dict[str, tuple[int, ...]]
    labels: tuple[str, ...]
    texts: tuple[str, ...] = ()  # string features (tfds.features.Text): text inputs
    files: tuple[str, ...] = ()  # TFDS reads its own shards; nntrain does not hand them out

    def is_text(self, key: str) -> bool:
        return key in self.texts

    @property
    def record_bytes(self) -> float:
        return float(sum(int(np.prod(s)) * 4 for s in self.shapes.values()))

    def example_shape(self, key: str) -> tuple[int, ...]:
        shape = self.shapes[key]
        return shape if shape or key not in self.labels else (1,)

    def records(self, ranges: Ranges, order_seed: Any, shard: tuple[int, int]) -> Any:
        """The split's examples in TFDS' stored order, cut to `ranges`."""
        ds = self.builder.as_dataset(split=self.split, shuffle_files=False)
        return ds if self.whole(ranges) else in_ranges(ds, ranges)

    def parse(self, records: dict[str, Any]) -> dict[str, Any]:
        """A batch of TFDS examples (already decoded) → labels shaped, the rest float32."""
        from nntrain.engine import tf

        return {k: tf.reshape(v, (-1, *self.example_shape(k))) if k in self.labels else
                v if self.is_text(k) else tf.cast(v, tf.float32)
                for k, v in records.items() if k in self.shapes}


def _builder(cfg: DataConfig) -> Any:
    """The prepared dataset in data_dir, prepared (downloaded) first when it is not there."""
    import tensorflow_datasets as tfds

    data_dir = str(Path(cfg.data_dir or DEFAULT_DATA_DIR).expanduser())
    try:
        builder = tfds.builder(cfg.name, data_dir=data_dir)
    except (tfds.core.registered.DatasetNotFoundError, ValueError) as exc:
        raise config_error(f"no TensorFlow Datasets dataset '{cfg.name}' in {data_dir} or in "
                           f"the TFDS catalog ({first_line(exc)[:200]})",
                           "data.name") from None
    if not builder.is_prepared():
        hint = (f"on a machine online run `tfds build {cfg.name} --data_dir {data_dir}` (or "
                "nntrain fit of this config) and copy that folder here")
        where = f"TensorFlow Datasets '{cfg.name}' is not prepared in {data_dir}"
        if not _online():
            raise runtime_error(f"{where}, and this machine cannot reach the internet to "
                                "download it", hint)
        try:
            builder.download_and_prepare()
        except Exception as exc:  # TFDS raises whatever its downloader met
            raise runtime_error(f"{where} and could not be downloaded ({type(exc).__name__}: "
                                f"{first_line(exc)[:200]})", hint) from None
    return builder


def _online() -> bool:
    """Whether a download can start: TFDS retries for minutes before it gives up offline."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY")):
        return True
    try:
        socket.create_connection((PROBE_HOST, 443), timeout=5).close()
        return True
    except OSError:
        return False


def _roles(cfg: DataConfig, info: Any) -> tuple[list[str], str]:
    """(input features, label feature): the config's, else the dataset's supervised keys."""
    names = list(info.features.keys())
    keys = info.supervised_keys or ((None, "label") if "label" in names else None)
    target = cfg.target if isinstance(cfg.target, str) else keys[1] if keys else None
    if target not in names:
        raise config_error(f"give `target`: one of the features {', '.join(names)}"
                           if target is None else f"target '{target}' is not a feature of "
                           f"{cfg.name} ({', '.join(names)})", "data.target")
    inputs = list(cfg.features) if isinstance(cfg.features, list) else (
        [keys[0]] if keys and keys[0] else [n for n in names if n != target])
    unknown = [n for n in inputs if n not in names]
    if unknown:
        raise config_error(f"'{unknown[0]}' is not a feature of {cfg.name} "
                           f"({', '.join(names)})", "data.features")
    return inputs, target


def _split(builder: Any, split: str, inputs: list[str], target: str, field: str) -> Split:
    info = builder.info
    try:
        count = int(info.splits[split].num_examples)
    except (KeyError, ValueError, AssertionError) as exc:
        raise config_error(f"'{split}' is not a split of {info.name} (splits: "
                           f"{', '.join(info.splits)}; {first_line(exc)[:120]})",
                           field) from None
    shapes = {k: tuple(info.features[k].shape) for k in inputs + [target]}
    texts = tuple(k for k in inputs if info.features[k].dtype.name == "string")
    for k in inputs:
        if any(d is None for d in shapes[k]) or (k in texts and shapes[k]):
            raise config_error(f"feature '{k}' of {info.name} has no fixed numeric shape "
                               f"({shapes[k]}) and is not one text per example; nntrain reads "
                               "fixed-shape tensors and single strings from TFDS",
                               "data.features")
    stream = TfdsSplit(builder, split, count, shapes, (target,), texts)
    whole = ((0, count),)
    x: Any = ({k: RecordField(stream, k, whole) for k in inputs} if len(inputs) > 1
              else RecordField(stream, inputs[0], whole))
    return Split(x, RecordField(stream, target, whole))


def load(cfg: DataConfig) -> RawData:
    builder = _builder(cfg)
    info = builder.info
    inputs, target = _roles(cfg, info)
    names = cfg.split
    test = names.test if names and names.test else ("test" if "test" in info.splits and
                                                    cfg.test_split is None else None)
    train = _split(builder, names.train if names else "train", inputs, target, "data.split.train")
    validation = (_split(builder, names.validation, inputs, target, "data.split.validation")
                  if names and names.validation else None)
    meta: dict[str, Any] = {"source": f"tfds {cfg.name} ({info.version})",
                            "feature_names": inputs}
    feature = info.features[inputs[0]]
    if len(inputs) == 1 and type(feature).__name__ == "Image":  # uint8 pixels, stored at one size
        meta.update(image_info(feature.shape[:2], feature.shape[2], resized=False))
    label = info.features[target]
    if getattr(label, "names", None):
        meta["class_names"] = list(label.names)
    return RawData(train, validation, _split(builder, test, inputs, target, "data.split.test")
                   if test else None, meta)
