"""tf.data input pipelines: one builder used by fit, eval and predict alike."""

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
