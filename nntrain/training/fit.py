"""Train one model on one fold: callbacks from the config, a resumable data stream, Keras' fit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nntrain.config.schema import Config
from nntrain.data import Fold, Split
from nntrain.data.pipeline import shard_by_example, to_dataset
from nntrain.engine import keras, tf
from nntrain.device.setup import DeviceSetup
from nntrain.model.build import build_model
from nntrain.model.compile import compile_model
from nntrain.model.perceptron import compile_perceptron
from nntrain.training.callbacks import (Checkpoints, MetricsLog, ProgressBridge,
                                        ResumableBackup, StopOnSignal, backed_up_epochs,
                                        resume_state)
from nntrain.training.divergence import (NanGuard, checks_in_graph, diverged_at,
                                         guard_train_step, is_divergence)
from nntrain.training.preflight import check_inputs, check_labels, check_one_batch
from nntrain.training.report import Reporter


@dataclass
class FoldOutputs:
    """Where the runs layer wants things written for one model."""

    tensorboard_dir: str
    backup_dir: str
    save_checkpoint: Callable[[Any, str], None]
    write_metrics: Callable[[list[dict[str, Any]]], None]
    rows: list[dict[str, Any]] = field(default_factory=list)


def build_and_compile(config: Config, device: DeviceSetup, fold: Fold) -> Any:
    """Model, optimizer and metrics are created inside the strategy's scope."""
    float32_outputs = device.precision != "float32"
    with device.strategy.scope():
        model = build_model(config.model, float32_outputs=float32_outputs)
        if config.compile is None:  # the perceptron: its own rule, no gradient descent
            compile_perceptron(model, jit_compile=device.jit_compile)
        else:
            compile_model(model, config.compile, jit_compile=device.jit_compile)
            if checks_in_graph(model):
                guard_train_step(model)
    check_inputs(model, fold.train.x, config.model.type == "functional")
    if config.compile is not None:
        check_labels(model, fold.train.y, config.compile)
    check_one_batch(model, fold.train, config.train.batch_size)
    return model


def _monitor(name: str, has_validation: bool, reporter: Reporter, what: str) -> str:
    if name.startswith("val_") and not has_validation:
        reporter.note(f"{what}: no validation data, so it watches '{name[4:]}' instead of '{name}'")
        return name[4:]
    return name


def callbacks_for(config: Config, has_validation: bool, out: FoldOutputs, reporter: Reporter,
                  stop: StopOnSignal, multi_worker: bool = False,
                  nan_check_per_batch: bool = False) -> list[Any]:
    """Order matters: StopOnSignal comes first, Checkpoints' last.keras is written before
    EarlyStopping restores the best weights at train end, and ResumableBackup comes last (see
    their docstrings).

    In a multi-worker run every worker must save at the same epochs (saving runs collective
    ops; a worker saving alone fails the next step), so no clock may decide when: checkpoints
    are written every epoch there.
    """
    cb = config.callbacks
    callbacks: list[Any] = [stop] + ([NanGuard()] if nan_check_per_batch else [])
    if cb.checkpoint is not None:
        monitor = _monitor(cb.checkpoint.monitor, has_validation, reporter, "checkpoint")
        every = 0.0 if multi_worker else cb.checkpoint.every_seconds
        callbacks.append(Checkpoints(out.save_checkpoint, monitor, cb.checkpoint.mode, every))
    if cb.early_stopping is not None:
        es = cb.early_stopping.model_dump()
        es["monitor"] = _monitor(es["monitor"], has_validation, reporter, "early_stopping")
        callbacks.append(keras.callbacks.EarlyStopping(**es))
    if cb.reduce_lr_on_plateau is not None:
        rl = cb.reduce_lr_on_plateau.model_dump()
        rl["monitor"] = _monitor(rl["monitor"], has_validation, reporter, "reduce_lr_on_plateau")
        callbacks.append(keras.callbacks.ReduceLROnPlateau(**rl))
    if cb.tensorboard is not None:
        callbacks.append(keras.callbacks.TensorBoard(
            log_dir=out.tensorboard_dir, histogram_freq=cb.tensorboard.histogram_freq,
            write_graph=cb.tensorboard.write_graph, update_freq=cb.tensorboard.update_freq,
            profile_batch=0))
    callbacks.append(MetricsLog(out.rows, out.write_metrics, reporter))
    callbacks.append(ProgressBridge(reporter))
    callbacks.append(ResumableBackup(out.backup_dir, callbacks, every_epoch=multi_worker))
    return callbacks


def training_stream(split: Split, batch_size: int, shuffle: bool, seed: int,
                    first_step: int) -> Any:
    """The training batches as one endless stream of passes over the data, from `first_step`.

    Pass p visits the examples in the order stateless_shuffle(seed, p), so a resumed run sees
    exactly the batches an uninterrupted one would (tf.data's reshuffle_each_iteration would
    restart its sequence of orders in the new process).
    """
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


def train(model: Any, config: Config, fold: Fold, out: FoldOutputs, reporter: Reporter,
          seed: int, stop: StopOnSignal) -> Any:
    """model.fit from where the backup left off (epoch 0 without one), stopping cleanly on
    signals; raises our error when the loss diverges (see training.divergence)."""
    t = config.train
    steps = t.steps_per_epoch or -(-len(fold.train) // t.batch_size)
    done = backed_up_epochs(out.backup_dir)
    saved = resume_state(out.backup_dir, done)
    epochs = done if saved and saved["stop"] else t.epochs  # early stopping had ended it
    out.rows[:] = [r for r in out.rows if int(r["epoch"]) <= done]
    if done:
        reporter.note(f"resuming after epoch {done}")
    train_ds = training_stream(fold.train, t.batch_size, t.shuffle, seed, done * steps)
    val_ds = to_dataset(fold.validation, t.batch_size) if fold.validation is not None else None
    multi_worker = isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy)
    per_batch = config.compile is not None and not checks_in_graph(model)
    callbacks = callbacks_for(config, val_ds is not None, out, reporter, stop, multi_worker,
                              per_batch)
    reporter.fit_start(t.epochs, steps, done, fold.index)
    try:
        with stop.deferred():
            history = model.fit(train_ds, validation_data=val_ds, epochs=epochs,
                                steps_per_epoch=steps, class_weight=t.class_weight,
                                callbacks=callbacks, verbose=0)
    except tf.errors.InvalidArgumentError as exc:
        if is_divergence(exc):
            raise diverged_at(model, steps, exc) from None
        raise
    finally:
        reporter.fit_end(out.rows)
    return history


def evaluate(model: Any, split: Any, batch_size: int) -> dict[str, float]:
    results = model.evaluate(to_dataset(split, batch_size, cache=False), verbose=0,
                             return_dict=True)
    return {k: float(v) for k, v in results.items()}
