"""tf.data input pipelines: the resumable training stream, and one builder for validation,
eval and predict."""

from __future__ import annotations

from typing import Any

from nntrain.data.types import Split


def to_dataset(split: Split, batch_size: int, *, shuffle: bool = False, seed: int | None = None,
               with_labels: bool = True, cache: bool = True) -> Any:
    """from_tensor_slices → cache → shuffle (seeded, reshuffled each epoch) → batch → prefetch."""
    from nntrain.engine import tf

    tensors = (split.x, split.y) if with_labels and split.y is not None else split.x
    ds = tf.data.Dataset.from_tensor_slices(tensors)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(len(split), 50_000), seed=seed, reshuffle_each_iteration=True)
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

    with tf.device("/cpu:0"):  # host memory, like from_tensor_slices; never a GPU's
        tensors = tf.nest.map_structure(
            tf.convert_to_tensor, (split.x, split.y) if split.y is not None else split.x)
    n = len(split)
    steps_per_pass = -(-n // batch_size)

    def one_pass(p: Any) -> Any:
        order = tf.range(n, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(
                order, seed=tf.stack([tf.constant(seed, tf.int64), p]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    first_pass, skip = divmod(first_step, steps_per_pass)
    return shard_by_example(
        tf.data.Dataset.counter(first_pass).flat_map(one_pass).skip(skip)
        .map(lambda idx: tf.nest.map_structure(lambda t: tf.gather(t, idx), tensors),
             num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE))
