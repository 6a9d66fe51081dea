"""tf.data input pipelines: the resumable training stream, and one builder for validation,
eval and predict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nntrain.data.files import is_files
from nntrain.data.records import batches, fields_of, is_streamed, shuffle_buffer
from nntrain.data.sources import available_memory
from nntrain.data.types import Split

CACHE_SHARE = 0.25  # of the memory free, that `cache: auto` may fill with decoded examples
CACHE_LIMIT = 2**30  # so a folder of images the size of memory keeps streaming
ELEMENT_BYTES = 512  # what tf.data's cache holds per example beyond its values (measured:
# 8.7 M CSV rows of 21 numbers cached took 4.2 GB peak, 0.6 GB of them values)
PARSE_BATCH = 256  # records parsed at a time where examples are then taken one by one


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
        return lambda paths: tf.map_fn(files.decode, paths,
                                       fn_output_signature=files.tensor_spec())

    decoders = [one(a) if is_files(a) else None for a in leaves]

    def decode(*element: Any) -> Any:
        element = element[0] if len(element) == 1 else element
        values = tf.nest.flatten(element)
        return tf.nest.pack_sequence_as(
            element, [d(v) if d is not None else v for d, v in zip(decoders, values)])

    return decode


def _examples(structure: Any, shard: tuple[int, int] = (0, 1)) -> Any:
    """One example per element, in the split's fixed order (decoded when read from disk)."""
    from nntrain.engine import tf

    if fields_of(structure):
        return batches(structure, PARSE_BATCH, None, shard).unbatch()
    ds = tf.data.Dataset.from_tensor_slices(_slices(structure))
    decode = _decoder(structure, batched=False)
    return ds if decode is None else ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE,
                                            deterministic=True)


def to_dataset(split: Split, batch_size: int, *, with_labels: bool = True,
               cache: bool = True, shard: tuple[int, int] = (0, 1)) -> Any:
    """Examples → batch → prefetch; arrays cached, what is read from disk never (it may not
    fit in memory)."""
    from nntrain.engine import tf

    structure = (split.x, split.y) if with_labels and split.y is not None else split.x
    if fields_of(structure):
        ds = batches(structure, batch_size, None, shard)
    else:
        ds = _examples(structure, shard)
        ds = (ds.cache() if cache and not _streamed(structure) else ds).batch(batch_size)
    return _shard_policy(ds.prefetch(tf.data.AUTOTUNE), shard)


def _streamed(structure: Any) -> bool:
    from nntrain.engine import tf

    return any(is_streamed(a) for a in tf.nest.flatten(structure))


def _shard_policy(ds: Any, shard: tuple[int, int]) -> Any:
    """A stream read by several workers with a `shard` is already split by file (each reads
    its own share), so tf.data must not split it again; everything else is split by example
    (AutoShardPolicy.DATA): in-memory arrays have no files for tf.data to hand out."""
    from nntrain.engine import tf

    policy = tf.data.experimental.AutoShardPolicy
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy.OFF if shard[1] > 1 \
        else policy.DATA
    return ds.with_options(options)


def file_shard(split: Split, workers: tuple[int, int]) -> tuple[int, int]:
    """(k, n) when this worker reads every n-th file of the split's stream from the k-th: a
    stream with at least as many files as workers whose split takes whole files; else (0, 1)."""
    fields = fields_of((split.x, split.y))
    if workers[1] < 2 or not fields:
        return (0, 1)
    stream = fields[0].stream
    return workers if len(stream.files) >= workers[1] and stream.whole(fields[0].ranges) \
        else (0, 1)


def training_share(split: Split, workers: tuple[int, int]) -> tuple[int, int]:
    """(k, n) when this worker trains on its own share of the files: a record stream's whole
    files (file_shard), or every n-th file from the k-th of a folder read one file per
    example; (0, 1) for data in memory, which tf.data splits by example."""
    from nntrain.engine import tf

    if workers[1] > 1 and any(is_files(a) for a in tf.nest.flatten((split.x, split.y))):
        return workers if len(split) >= workers[1] else (0, 1)
    return file_shard(split, workers)


def share_note(split: Split, shard: tuple[int, int]) -> str:
    """What this worker reads, for its start line."""
    fields = fields_of((split.x, split.y))
    if fields:
        files = fields[0].stream.files[shard[0]::shard[1]]
        return f"reads {len(files)} training file(s): {', '.join(Path(f).name for f in files)}"
    k, n = shard
    share = len(range(k, len(split), n))
    return f"reads {share} of the {len(split)} training files (files {k + 1}, {k + 1 + n}, " \
           f"{k + 1 + 2 * n}, ... of the listing)"


def cache_choice(policy: str, split: Split, folder: Path | None) -> str | None:
    """Where decoded examples of a streamed split are kept between passes: '' (memory), a file
    path (disk) or None. auto: memory when they take less than CACHE_SHARE of what is free."""
    from nntrain.engine import tf

    leaves = tf.nest.flatten((split.x, split.y))
    if policy == "none" or not _streamed(leaves):
        return None
    if policy == "auto":
        size = sum(len(a) * (a.example_bytes + ELEMENT_BYTES) for a in leaves if is_streamed(a))
        free = available_memory()
        fits = free is not None and size < min(CACHE_SHARE * free, CACHE_LIMIT)
        return "" if fits else None
    if policy == "memory" or folder is None:
        return ""
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / "examples")


def training_stream(split: Split, batch_size: int, shuffle: bool, seed: int, first_step: int,
                    cache: str | None = None, shard: tuple[int, int] = (0, 1),
                    replicas: int = 1) -> Any:
    """The training batches as one endless stream of passes over the data, from `first_step`.

    Pass p visits the examples in an order drawn from (seed, p), so a resumed run sees exactly
    the batches an uninterrupted one would (tf.data's reshuffle_each_iteration would restart
    its sequence of orders in the new process): a permutation for arrays and files, a file
    order and a shuffle buffer for record streams and cached examples.

    A worker reading its own share (`shard`, see `training_share`) batches its passes back to
    back, so every batch is whole: tf.distribute splits each into workers × `replicas` parts
    and a step takes this worker's `replicas` of them, which tells how far a resume skips.
    """
    from nntrain.engine import tf

    if shard[1] > 1 and not fields_of((split.x, split.y)):  # one file per example
        split = split.subset(np.arange(shard[0], len(split), shard[1]))
    structure = (split.x, split.y) if split.y is not None else split.x
    shared = shard[1] > 1
    one_pass, load = _passes(split, structure, batch_size, shuffle, seed, cache, shard, shared)
    n = fields_of(structure)[0].local_count(shard) if fields_of(structure) else len(split)
    if shared:
        first_pass, skip = divmod(consumed_examples(first_step, batch_size, shard, replicas), n)
        ds = tf.data.Dataset.counter(first_pass).flat_map(one_pass).skip(skip).batch(batch_size)
    else:
        first_pass, skip = divmod(first_step, -(-n // batch_size))
        ds = tf.data.Dataset.counter(first_pass).flat_map(one_pass).skip(skip)
    if load is not None:
        ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return _shard_policy(ds.prefetch(tf.data.AUTOTUNE), shard)


def _passes(split: Split, structure: Any, batch_size: int, shuffle: bool, seed: int,
            cache: str | None, shard: tuple[int, int], examples: bool) -> tuple[Any, Any]:
    """Pass p → its batches (its examples, when `examples`), and the map that loads a batch of
    example indices (None where the pass already yields the data)."""
    from nntrain.engine import tf

    def seeds(p: Any) -> tuple[Any, Any]:
        return tf.stack([tf.constant(seed, tf.int64), p]), tf.constant(seed, tf.int64) * 1_000_003 + p

    def batched(ds: Any) -> Any:
        return ds if examples else ds.batch(batch_size)

    if cache is None and not fields_of(structure):
        return _indexed_passes(split, structure, shuffle, seeds, batched)
    if cache is None:
        def record_pass(p: Any) -> Any:
            order, pass_seed = seeds(p)
            ds = batches(structure, batch_size, order if shuffle else None, shard,
                         pass_seed if shuffle else None)
            return ds.unbatch() if examples else ds
        return record_pass, None
    base = _examples(structure, shard).cache(cache)
    n = fields_of(structure)[0].local_count(shard) if fields_of(structure) else len(split)
    buffer = shuffle_buffer(_example_bytes(structure), n)
    return (lambda p: batched(base.shuffle(buffer, seed=seeds(p)[1]) if shuffle else base)), None


def _indexed_passes(split: Split, structure: Any, shuffle: bool, seeds: Any,
                    batched: Any) -> tuple[Any, Any]:
    """Arrays and files: pass p is the permutation stateless_shuffle(seed, p) of the example
    indices, gathered (and decoded) batch by batch."""
    from nntrain.engine import tf

    decode = _decoder(structure, batched=True)
    with tf.device("/cpu:0"):  # host memory, like from_tensor_slices; never a GPU's
        tensors = tf.nest.map_structure(tf.convert_to_tensor, _slices(structure))
    n = len(split)

    def one_pass(p: Any) -> Any:
        order = tf.range(n, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(order, seed=seeds(p)[0])
        return batched(tf.data.Dataset.from_tensor_slices(order))

    def load(idx: Any) -> Any:
        batch = tf.nest.map_structure(lambda t: tf.gather(t, idx), tensors)
        return decode(batch) if decode is not None else batch

    return one_pass, load


def consumed_examples(steps: int, batch_size: int, shard: tuple[int, int], replicas: int) -> int:
    """Examples one worker of a shared read has taken after `steps` global steps: each of its
    batches is cut into workers × replicas parts of sizes ⌊B/N⌋ or ⌈B/N⌉, the larger first and
    rotated by the worker's place (tf.data.experimental.rebatch's batch_sizes_for_worker),
    and a step takes `replicas` parts."""
    parts = shard[1] * replicas
    floor, larger = divmod(batch_size, parts)
    sizes = [floor + 1] * larger + [floor] * (parts - larger)
    offset = shard[0] * replicas
    sizes = sizes[offset:] + sizes[:offset]
    taken = steps * replicas
    return taken // parts * batch_size + sum(sizes[: taken % parts])


def _example_bytes(structure: Any) -> float:
    """Bytes one decoded example takes (what a shuffle buffer of cached examples holds)."""
    from nntrain.engine import tf

    return float(sum(a.example_bytes for a in tf.nest.flatten(structure)
                     if hasattr(a, "example_bytes")))
