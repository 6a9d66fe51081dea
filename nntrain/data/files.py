"""Inputs that stay on disk until tf.data reads them: a split of an image or text folder is
its file listing (a few bytes per example), decoded batch by batch while training, never held
whole.

`ImageFiles` and `TextFiles` behave like the array they stand for where the data layer needs
one (`len`, `shape`, `dtype`, indexing to a subset), so splits, k-fold, `limit` and `classes`
work on them unchanged; the preprocessing an image input is given (rescale, reshape, flatten,
normalization) runs in the tf.data map, after decoding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
BATCH = 256  # files decoded at a time when a pass over the files is computed on the host


class StreamedArray:
    """What the data layer asks of an array, for examples read from disk: `len` and
    `example_shape` given, `shape`, `ndim` and `then` (one more preprocessing step) derived."""

    ops: tuple[tuple[str, Any], ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self), *self.example_shape)  # type: ignore[arg-type, attr-defined]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def example_bytes(self) -> float:
        """What one decoded example takes in memory (cache and shuffle-buffer sizes)."""
        return float(np.prod(self.example_shape)) * 4  # type: ignore[attr-defined]

    def then(self, op: str, arg: Any = None) -> Any:
        return replace(self, ops=(*self.ops, (op, arg)))  # type: ignore[type-var]


class FileInputs(StreamedArray):
    """One file per example: `paths` listed, each read by `decode` inside tf.data."""

    paths: np.ndarray  # str, one per example

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: Any) -> Any:
        return replace(self, paths=self.paths[index])  # type: ignore[type-var]

    def tensor_spec(self) -> Any:
        from nntrain.engine import tf

        dtype = tf.string if self.dtype.kind == "O" else tf.float32  # type: ignore[attr-defined]
        return tf.TensorSpec(self.example_shape, dtype)  # type: ignore[attr-defined]

    def batched(self, size: int) -> Any:
        """The decoded examples, in order, as tf.data batches."""
        from nntrain.engine import tf

        return self.dataset().batch(size).prefetch(tf.data.AUTOTUNE)

    def batches(self) -> Any:
        """The decoded examples as NumPy batches (for statistics and one-batch checks)."""
        return self.batched(BATCH).as_numpy_iterator()

    def dataset(self) -> Any:
        """The decoded examples, in order, one per element."""
        from nntrain.engine import tf

        return tf.data.Dataset.from_tensor_slices(self.paths.astype(str)).map(
            self.decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


@dataclass(frozen=True)
class TextFiles(FileInputs):
    """A text folder's files: each file's whole text is one example (a string), read as
    UTF-8 with undecodable bytes replaced and the surrounding whitespace stripped, as
    text_dir read them into memory before."""

    paths: np.ndarray
    ops: tuple[tuple[str, Any], ...] = field(default=())
    example_shape: tuple[int, ...] = ()

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(object)

    @property
    def example_bytes(self) -> float:
        sample = self.paths[:: max(1, len(self.paths) // 64)][:64]
        return float(np.mean([os.path.getsize(p) for p in sample])) if len(sample) else 0.0

    def decode(self, path: Any) -> Any:
        from nntrain.engine import tf

        text = tf.strings.unicode_transcode(tf.io.read_file(path), "UTF-8", "UTF-8",
                                            errors="replace")
        return tf.strings.strip(text)


@dataclass(frozen=True)
class ImageFiles(FileInputs):
    paths: np.ndarray  # str, one per example
    image_size: tuple[int, int]
    color_mode: str
    ops: tuple[tuple[str, Any], ...] = field(default=())  # applied after decoding, in order

    @property
    def dtype(self) -> np.dtype:
        return np.dtype("float32")

    @property
    def example_shape(self) -> tuple[int, ...]:
        return shape_after((*self.image_size, CHANNELS[self.color_mode]), self.ops)

    def decode(self, path: Any) -> Any:
        """One file → its float32 pixels, exactly as image_dataset_from_directory makes them
        (decode_image, bilinear resize), then the preprocessing steps."""
        from nntrain.engine import tf

        image = tf.io.decode_image(tf.io.read_file(path), channels=CHANNELS[self.color_mode],
                                   expand_animations=False)
        image = tf.image.resize(image, self.image_size, method="bilinear")
        image.set_shape((*self.image_size, CHANNELS[self.color_mode]))
        return apply_ops(image, self.ops)


def shape_after(shape: tuple[int, ...], ops: tuple[tuple[str, Any], ...]) -> tuple[int, ...]:
    """One example's shape once the preprocessing steps have run."""
    for op, arg in ops:
        if op == "reshape":
            shape = tuple(arg)
        elif op == "flatten":
            shape = (int(np.prod(shape)),)
        elif op == "one_hot":
            shape = (int(arg),)
    return shape


def apply_ops(value: Any, ops: tuple[tuple[str, Any], ...], batched: bool = False) -> Any:
    """The preprocessing steps on one decoded example (or a batch of them), in tf.data's map."""
    from nntrain.engine import tf

    lead = (-1,) if batched else ()
    for op, arg in ops:
        if op == "rescale":
            value = value * np.float32(arg)
        elif op == "reshape":
            value = tf.reshape(value, (*lead, *arg))
        elif op == "flatten":
            value = tf.reshape(value, (tf.shape(value)[0], -1) if batched else (-1,))
        elif op == "normalize":
            value = (value - np.asarray(arg["mean"], "float32")) / np.asarray(arg["std"],
                                                                            "float32")
        elif op == "one_hot":
            value = tf.one_hot(tf.reshape(tf.cast(value, tf.int64), lead), int(arg))
    return value


def is_files(a: Any) -> bool:
    return isinstance(a, FileInputs)


def materialize(arrays: Any) -> Any:
    """Arrays as NumPy, reading what is streamed (image files, record fields: whatever has
    `batches`): only for small subsets (one batch)."""
    def one(a: Any) -> Any:
        return np.concatenate(list(a.batches())) if hasattr(a, "batches") else a

    return {k: one(v) for k, v in arrays.items()} if isinstance(arrays, dict) else one(arrays)


def streamed_moments(files: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std over every example, one pass over the files in float64."""
    total = squares = None
    count = 0
    for batch in files.batches():
        b = batch.astype("float64")
        total = b.sum(axis=0) if total is None else total + b.sum(axis=0)
        squares = (b * b).sum(axis=0) if squares is None else squares + (b * b).sum(axis=0)
        count += len(b)
    mean = total / count
    return mean, np.sqrt(np.maximum(squares / count - mean * mean, 0.0))
