"""Train one model on one fold: callbacks from the config, Keras' fit, the NaN guard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nntrain.config.schema import Config
from nntrain.data import Fold
from nntrain.data.pipeline import to_dataset
from nntrain.device.engine import keras
from nntrain.device.setup import DeviceSetup
from nntrain.model.build import build_model
from nntrain.model.compile import compile_model
from nntrain.training.callbacks import Checkpoints, MetricsLog, NanGuard, ProgressBridge
from nntrain.training.preflight import check_labels
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
        assert config.compile is not None
        compile_model(model, config.compile, jit_compile=device.jit_compile)
    check_labels(model, fold.train.y, config.compile)
    return model


def _monitor(name: str, has_validation: bool, reporter: Reporter, what: str) -> str:
    if name.startswith("val_") and not has_validation:
        reporter.note(f"{what}: no validation data, so it watches '{name[4:]}' instead of '{name}'")
        return name[4:]
    return name


def callbacks_for(config: Config, has_validation: bool, out: FoldOutputs,
                  reporter: Reporter) -> tuple[list[Any], NanGuard]:
    cb = config.callbacks
    guard = NanGuard()
    callbacks: list[Any] = [guard, keras.callbacks.BackupAndRestore(out.backup_dir)]
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
    if cb.checkpoint is not None:
        monitor = _monitor(cb.checkpoint.monitor, has_validation, reporter, "checkpoint")
        callbacks.append(Checkpoints(out.save_checkpoint, monitor, cb.checkpoint.mode,
                                     cb.checkpoint.every_seconds))
    callbacks.append(ProgressBridge(reporter))
    return callbacks, guard


def train(model: Any, config: Config, fold: Fold, out: FoldOutputs, reporter: Reporter,
          seed: int) -> Any:
    """model.fit on tf.data pipelines; raises our error when the loss diverges."""
    t = config.train
    train_ds = to_dataset(fold.train, t.batch_size, shuffle=t.shuffle, seed=seed)
    val_ds = to_dataset(fold.validation, t.batch_size) if fold.validation is not None else None
    callbacks, guard = callbacks_for(config, val_ds is not None, out, reporter)
    steps = t.steps_per_epoch or -(-len(fold.train) // t.batch_size)
    reporter.fit_start(t.epochs, steps, len(out.rows), fold.index)
    try:
        history = model.fit(train_ds, validation_data=val_ds, epochs=t.epochs,
                            steps_per_epoch=t.steps_per_epoch, class_weight=t.class_weight,
                            callbacks=callbacks, verbose=0)
    finally:
        reporter.fit_end(out.rows)
    guard.raise_if_failed()
    return history


def evaluate(model: Any, split: Any, batch_size: int) -> dict[str, float]:
    results = model.evaluate(to_dataset(split, batch_size, cache=False), verbose=0,
                             return_dict=True)
    return {k: float(v) for k, v in results.items()}
