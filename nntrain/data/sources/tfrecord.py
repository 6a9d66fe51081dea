"""TFRecord shards of tf.train.Example, by glob, parsed by the config's `features` spec.

Loading only lists the files and counts their records (one pass over the bytes, no parsing);
the examples are read, parsed and decoded by tf.data while training.
"""

from __future__ import annotations

import glob
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig, FeatureSpec, target_names
from nntrain.data.images import image_info
from nntrain.data.records import Ranges, RecordField, in_ranges
from nntrain.data.sources import regular_file
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error

DTYPES = {"string": "string", "int64": "int64", "float32": "float32"}


@dataclass(frozen=True, eq=False)
class TFRecordFiles:
    files: tuple[str, ...]
    counts: tuple[int, ...]
    features: dict[str, FeatureSpec]
    labels: tuple[str, ...]
    record_bytes: float

    @property
    def count(self) -> int:
        return sum(self.counts)

    def whole(self, ranges: Ranges) -> bool:
        return ranges == ((0, self.count),)

    def local_count(self, ranges: Ranges, shard: tuple[int, int]) -> int:
        """Examples of `ranges` in this worker's files."""
        starts = np.cumsum((0,) + self.counts[:-1])
        return sum(max(0, min(b, s + c) - max(a, s)) for i, (s, c) in
                   enumerate(zip(starts, self.counts)) if i % shard[1] == shard[0]
                   for a, b in ranges)

    def is_label(self, key: str) -> bool:
        return key in self.labels

    def is_text(self, key: str) -> bool:
        spec = self.features[key]
        return spec.dtype == "string" and not spec.decode and key not in self.labels

    def example_shape(self, key: str) -> tuple[int, ...]:
        if self.is_text(key):
            return ()  # one string per example, as text in memory
        shape = tuple(self.features[key].shape)
        return shape if shape or key not in self.labels else (1,)

    def records(self, ranges: Ranges, order_seed: Any, shard: tuple[int, int]) -> Any:
        """Serialized records of `ranges`, files read in parallel (interleaved, in a fixed
        order for a given `order_seed`); `shard` = (k, n): only every n-th file from the k-th."""
        from nntrain.engine import tf

        index = np.arange(len(self.files))[shard[0]::shard[1]]
        starts = np.cumsum((0,) + self.counts[:-1])
        whole = self.whole(ranges)
        files = tf.constant(self.files)
        order = tf.constant(index, tf.int64)
        if order_seed is not None:
            order = tf.random.experimental.stateless_shuffle(order, seed=order_seed)

        def read(i: Any) -> Any:
            ds = tf.data.TFRecordDataset(tf.gather(files, i))
            if whole:
                return ds
            return in_ranges(ds, ranges, tf.gather(tf.constant(starts, tf.int64), i))

        return tf.data.Dataset.from_tensor_slices(order).interleave(
            read, cycle_length=min(len(index), 8) or 1, num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True)

    def parse(self, records: Any) -> dict[str, Any]:
        """A batch of serialized examples → each feature as a batch (images decoded)."""
        from nntrain.engine import tf

        spec = {k: tf.io.FixedLenFeature(f.shape if not f.decode else [], DTYPES[f.dtype])
                for k, f in self.features.items()}
        parsed = tf.io.parse_example(records, spec)
        return {k: self._decoded(v, self.features[k], k) for k, v in parsed.items()}

    def _decoded(self, value: Any, spec: FeatureSpec, key: str) -> Any:
        from nntrain.engine import tf

        if spec.decode:
            h, w, c = spec.shape

            def image(encoded: Any) -> Any:
                pixels = tf.io.decode_image(encoded, channels=c, expand_animations=False)
                return tf.image.resize(pixels, (h, w), method="bilinear")

            return tf.map_fn(image, value, fn_output_signature=tf.TensorSpec((h, w, c),
                                                                            tf.float32))
        if key in self.labels or self.is_text(key):
            return tf.reshape(value, (-1, *self.example_shape(key)))
        return tf.cast(value, tf.float32)


def _files(pattern: str, field: str) -> tuple[str, ...]:
    files = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not files:
        raise config_error(f"no file matches {pattern}", field)
    return tuple(str(regular_file(f, field)) for f in files)


def _count(path: str, field: str) -> int:
    """Records in a file, from their length headers alone (the payloads are skipped), so
    listing a source costs no pass over its data and each worker reads only its own files."""
    size, n, at = Path(path).stat().st_size, 0, 0
    with open(path, "rb") as fh:
        while at < size:
            head = fh.read(12)  # uint64 length, uint32 CRC of the length
            if len(head) < 12:
                break
            at += 12 + struct.unpack("<Q", head[:8])[0] + 4  # the data and its CRC
            fh.seek(at)
            n += 1
    if at != size:
        raise config_error(f"{path} is not a TFRecord file (its record lengths do not add up "
                           "to its size)", field)
    return n


def _stream(cfg: DataConfig, pattern: str, field: str) -> TFRecordFiles:
    files = _files(pattern, field)
    counts = tuple(_count(f, field) for f in files)
    if not sum(counts):
        raise config_error(f"{pattern} holds no records", field)
    size = sum(Path(f).stat().st_size for f in files)
    return TFRecordFiles(files, counts, dict(cfg.features or {}),  # type: ignore[arg-type]
                         tuple(target_names(cfg.target or [])), size / sum(counts))


def _split(cfg: DataConfig, stream: TFRecordFiles) -> Split:
    whole = ((0, stream.count),)
    targets = target_names(cfg.target or [])
    inputs = [k for k in stream.features if k not in targets]
    if not inputs:
        raise config_error("every feature is a target: no inputs are left", "data.features")
    for k in inputs:
        if stream.is_text(k) and int(np.prod(stream.features[k].shape)) != 1:
            raise config_error(f"feature '{k}' is text (a string without `decode`): one string "
                               f"per example, shape [] (got {list(stream.features[k].shape)})",
                               f"data.features.{k}.shape")
    x: Any = ({k: RecordField(stream, k, whole) for k in inputs} if len(inputs) > 1
              else RecordField(stream, inputs[0], whole))
    t = cfg.target
    y: Any = ({out: RecordField(stream, str(col), whole) for out, col in t.items()}
              if isinstance(t, dict) else RecordField(stream, targets[0], whole))
    return Split(x, y)


def _check_sample(split: Split, field: str) -> None:
    """Parse and decode the first records now, so a wrong spec is named before training."""
    from nntrain.engine import tf

    first = split.x if isinstance(split.x, RecordField) else next(iter(split.x.values()))
    try:
        first.sample(4)
    except (tf.errors.OpError, ValueError) as exc:
        message = getattr(exc, "message", str(exc)).strip().splitlines()[0]
        raise config_error(f"the records do not parse with the `features` spec: {message}",
                           field, "give each feature's dtype and shape as the files store it"
                           ) from None


def load(cfg: DataConfig) -> RawData:
    splits: dict[str, Split] = {}
    for key in ("path", "validation_path", "test_path"):
        pattern = getattr(cfg, key)
        if pattern:
            splits[key] = _split(cfg, _stream(cfg, pattern, f"data.{key}"))
    _check_sample(splits["path"], "data.features")
    info: dict[str, Any] = {"source": f"tfrecord {cfg.path}",
                            "feature_names": [k for k in (cfg.features or {})
                                              if k not in target_names(cfg.target or [])]}
    image = [(cfg.features or {})[k] for k in info["feature_names"]]
    if len(image) == 1 and image[0].decode:  # predict decodes an image file as _decoded does
        info.update(image_info(image[0].shape[:2], image[0].shape[2], resized=True))
    return RawData(splits["path"], splits.get("validation_path"), splits.get("test_path"), info)
