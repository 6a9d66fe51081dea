"""tf.data input pipelines: the resumable training stream, and one builder for validation,
eval and predict."""

from __future__ import annotations

from typing import Any

from nntrain.data.files import is_files
from nntrain.data.types import Split


def _slices(structure: Any) -> Any:
    """What tf.data slices: the arrays themselves, and the paths of file-backed inputs."""
    from nntrain.engine import tf

    return tf.nest.map_structure(lambda a: a.paths.astype(str) if is_files(a) else a, structure)


def _decoder(structure: Any, batched: bool) -> Any | None:
    """The map that turns sliced paths into decoded inputs (None: nothing is file-backed)."""
    from nntrain.engine import tf

    leaves = tf.nest.flatten(structure)
    if not any(is_files(a) for a in leaves):
        return None

    def one(files: Any) -> Any:
        if not batched:
            return files.decode
        spec = tf.TensorSpec(files.example_shape, tf.float32)
        return lambda paths: tf.map_fn(files.decode, paths, fn_output_signature=spec)

    decoders = [one(a) if is_files(a) else None for a in leaves]

    def decode(*element: Any) -> Any:
        element = element[0] if len(element) == 1 else element
        values = tf.nest.flatten(element)
        return tf.nest.pack_sequence_as(
            element, [d(v) if d is not None else v for d, v in zip(decoders, values)])

    return decode


def to_dataset(split: Split, batch_size: int, *, shuffle: bool = False, seed: int | None = None,
               with_labels: bool = True, cache: bool = True) -> Any:
    """from_tensor_slices → cache → shuffle (seeded, reshuffled each epoch) → decode files →
    batch → prefetch. File-backed inputs are never cached: they may not fit in memory."""
    from nntrain.engine import tf

    structure = (split.x, split.y) if with_labels and split.y is not None else split.x
    decode = _decoder(structure, batched=False)
    ds = tf.data.Dataset.from_tensor_slices(_slices(structure))
    if cache and decode is None:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(len(split), 50_000), seed=seed, reshuffle_each_iteration=True)
    if decode is not None:
        ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return shard_by_example(ds.batch(batch_size).prefetch(tf.data.AUTOTUNE))


def shard_by_example(ds: Any) -> Any:
    """In-memory arrays have no files for tf.data to split between the workers of a multi-worker
    run, so each worker takes its share of every global batch (AutoShardPolicy.DATA) instead of
    tf.data trying files first and warning."""
    from nntrain.engine import tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def training_stream(split: Split, batch_size: int, shuffle: bool, seed: int,
                    first_step: int) -> Any:
    """The training batches as one endless stream of passes over the data, from `first_step`.

    Pass p visits the examples in the order stateless_shuffle(seed, p), so a resumed run sees
    exactly the batches an uninterrupted one would (tf.data's reshuffle_each_iteration would
    restart its sequence of orders in the new process).
    """
    from nntrain.engine import tf

    structure = (split.x, split.y) if split.y is not None else split.x
    decode = _decoder(structure, batched=True)
    with tf.device("/cpu:0"):  # host memory, like from_tensor_slices; never a GPU's
        tensors = tf.nest.map_structure(tf.convert_to_tensor, _slices(structure))
    n = len(split)
    steps_per_pass = -(-n // batch_size)

    def one_pass(p: Any) -> Any:
        order = tf.range(n, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(
                order, seed=tf.stack([tf.constant(seed, tf.int64), p]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    def load(idx: Any) -> Any:
        batch = tf.nest.map_structure(lambda t: tf.gather(t, idx), tensors)
        return decode(batch) if decode is not None else batch

    first_pass, skip = divmod(first_step, steps_per_pass)
    return shard_by_example(
        tf.data.Dataset.counter(first_pass).flat_map(one_pass).skip(skip)
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE))
