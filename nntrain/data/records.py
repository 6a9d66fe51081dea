"""Record sources (TFRecord shards, TensorFlow Datasets) as streams: a split is a set of index
ranges of the source's examples in file order, read by tf.data pass after pass, never held.

A `RecordField` is one input or label of such a split. Like `ImageFiles` it behaves like the
array it stands for where the data layer needs one (`len`, `shape`, indexing to a subset), so
splits and k-fold work on it; cuts are contiguous (a stream has no random access), and the
preprocessing it is given runs in the tf.data map.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from nntrain.data.files import StreamedArray, apply_ops, is_files, shape_after

Ranges = tuple[tuple[int, int], ...]
SAMPLE = 2048  # examples read for label / shape checks and one-batch runs
SHUFFLE_BYTES = 256 * 2**20  # what a shuffle buffer may hold
HOST_BATCH_BYTES = 16 * 2**20  # a batch read on the host, for statistics and checks


class RecordStream(Protocol):
    """How a record source is read: `records` gives the raw records of some index ranges (in
    file order, or in a file order drawn from `order_seed`), `parse` a batch of them."""

    count: int
    files: tuple[str, ...]
    record_bytes: float  # stored size of one record, for shuffle buffers and cache sizes

    def records(self, ranges: Ranges, order_seed: Any, shard: tuple[int, int]) -> Any: ...

    def parse(self, records: Any) -> dict[str, Any]: ...

    def example_shape(self, key: str) -> tuple[int, ...]: ...

    def is_label(self, key: str) -> bool: ...

    def is_text(self, key: str) -> bool: ...

    def whole(self, ranges: Ranges) -> bool: ...

    def local_count(self, ranges: Ranges, shard: tuple[int, int]) -> int: ...


@dataclass(frozen=True)
class RecordField(StreamedArray):
    stream: RecordStream
    key: str  # the feature this field is
    ranges: Ranges
    ops: tuple[tuple[str, Any], ...] = field(default=())

    def __len__(self) -> int:
        return sum(b - a for a, b in self.ranges)

    def __getitem__(self, index: Any) -> "RecordField":
        if isinstance(index, slice) and index.step in (None, 1):
            return replace(self, ranges=_first(self.ranges, index.stop, index.start or 0))
        positions = np.concatenate([np.arange(a, b) for a, b in self.ranges])[index]
        return replace(self, ranges=as_ranges(np.atleast_1d(positions)))

    @property
    def dtype(self) -> np.dtype:
        if self.stream.is_text(self.key):
            return np.dtype(object)  # strings, for a TextVectorization layer in the model
        return np.dtype("int64") if self.stream.is_label(self.key) and not self.ops else \
            np.dtype("float32")

    @property
    def example_shape(self) -> tuple[int, ...]:
        return shape_after(self.stream.example_shape(self.key), self.ops)

    def local_count(self, shard: tuple[int, int]) -> int:
        return self.stream.local_count(self.ranges, shard)

    def value(self, features: dict[str, Any]) -> Any:
        """This field of a parsed batch, preprocessed."""
        return apply_ops(features[self.key], self.ops, batched=True)

    def batched(self, size: int) -> Any:
        """This field's values over the whole split, in order, as tf.data batches."""
        return batches(self, size, None, (0, 1))

    def batches(self) -> Any:
        """This field's values over the whole split, as NumPy batches (one streamed pass) of
        about HOST_BATCH_BYTES: small rows many at a time, as a per-batch cost dominates."""
        size = int(min(65_536, max(256, HOST_BATCH_BYTES // max(self.example_bytes, 1.0))))
        return self.batched(size).as_numpy_iterator()

    def sample(self, n: int = SAMPLE) -> np.ndarray:
        """The first n values: label and shape checks look at these, not at every record."""
        return np.concatenate(list(self[: min(n, len(self))].batches()))


class OneSplitStream:
    """What a stream of one split (a CSV file, a TFDS split) answers alike: no file shares."""

    count: int
    labels: Any

    def whole(self, ranges: Ranges) -> bool:
        return ranges == ((0, self.count),)

    def local_count(self, ranges: Ranges, shard: tuple[int, int]) -> int:
        return sum(b - a for a, b in ranges)

    def is_label(self, key: str) -> bool:
        return key in self.labels

    def is_text(self, key: str) -> bool:
        return False


def in_ranges(ds: Any, ranges: Ranges, first: Any = 0) -> Any:
    """The elements of `ds` whose position (counted from `first`) is in `ranges`."""
    from nntrain.engine import tf

    lo = tf.constant([a for a, _ in ranges] or [0], tf.int64)
    hi = tf.constant([b for _, b in ranges] or [0], tf.int64)
    end = tf.maximum(tf.reduce_max(hi) - tf.cast(first, tf.int64), 0)
    return (ds.take(end).enumerate(start=first)  # stop reading after the last range
            .filter(lambda n, _r: tf.reduce_any((n >= lo) & (n < hi)))
            .map(lambda _n, r: r))


def _first(ranges: Ranges, stop: int | None, start: int) -> Ranges:
    """The examples start..stop (positions within the split) as ranges of the stream."""
    out, seen = [], 0
    for a, b in ranges:
        lo, hi = max(a, a + start - seen), b if stop is None else min(b, a + stop - seen)
        if lo < hi:
            out.append((lo, hi))
        seen += b - a
    return tuple(out)


def as_ranges(positions: np.ndarray) -> Ranges:
    """Sorted example positions → the runs of consecutive ones."""
    if not len(positions):
        return ()
    if np.any(np.diff(positions) <= 0):
        raise ValueError("a record stream can only be cut into ordered parts")
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [len(positions)]])
    return tuple((int(positions[a]), int(positions[b - 1]) + 1) for a, b in zip(starts, stops))


def is_records(a: Any) -> bool:
    return isinstance(a, RecordField)


def is_streamed(a: Any) -> bool:
    """Read by tf.data from disk, never whole: image files or a record stream."""
    return is_files(a) or is_records(a)


def fields_of(structure: Any) -> list[RecordField]:
    """The record fields in (x, y), all of one split of one stream."""
    from nntrain.engine import tf

    found = [a for a in tf.nest.flatten(structure) if is_records(a)]
    if len({(id(f.stream), f.ranges) for f in found}) > 1:
        raise ValueError("record fields of different splits cannot be read together")
    return found


def batches(structure: Any, size: int, order_seed: Any, shard: tuple[int, int],
            shuffle_seed: Any = None) -> Any:
    """The split's examples as tf.data batches shaped like `structure`: records shuffled in a
    buffer while still encoded (when `shuffle_seed` is given), batched, then parsed and decoded
    a batch at a time (vectorized, as tf.data's own CSV and Example readers work)."""
    from nntrain.engine import tf

    first = fields_of(structure)[0]
    stream = first.stream
    ds = stream.records(first.ranges, order_seed, shard)
    if shuffle_seed is not None:
        ds = ds.shuffle(shuffle_buffer(stream.record_bytes, len(first)), seed=shuffle_seed)

    def parse(records: Any) -> Any:
        features = stream.parse(records)
        return tf.nest.map_structure(lambda leaf: leaf.value(features), structure)

    return ds.batch(size).map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def shuffle_buffer(bytes_per_example: float, n: int) -> int:
    return int(max(1, min(n, 100_000, SHUFFLE_BYTES // max(bytes_per_example, 1.0))))


def label_sample(y: Any) -> Any:
    """Labels to check against the model: all of them when in memory, else the first SAMPLE."""
    def one(a: Any) -> Any:
        return a.sample() if is_records(a) else a

    return {k: one(v) for k, v in y.items()} if isinstance(y, dict) else one(y) \
        if y is not None else None
