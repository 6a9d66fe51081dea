"""Stop at the first non-finite loss, say where, and never apply the update it produced.

The check runs inside the compiled train step (tf.debugging.check_numerics ahead of the
optimizer's update), so it costs no host round trip per step. Where it cannot (see
checks_in_graph) the per-batch NanGuard callback watches the loss instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nntrain import compat
from nntrain.engine import keras, tf
from nntrain.errors import NntrainError, runtime_error

MARKER = "nntrain: non-finite training loss"


def diverged(epoch: int, batch: int, loss: str = "not finite") -> NntrainError:
    """Epoch and batch are 1-based."""
    return runtime_error(
        f"training diverged: the loss became {loss} at epoch {epoch}, batch {batch}; "
        "the last good checkpoint is kept",
        "lower compile.optimizer.learning_rate (e.g. by 10x) and run again")


def guard_train_step(model: Any) -> None:
    """Keras' default train step with the loss checked before the update depends on it."""

    def train_step(data: Any) -> dict[str, Any]:
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x, y, y_pred, sample_weight)
        compat.validate_target_and_loss(model, y, loss)
        with tf.control_dependencies([tf.debugging.check_numerics(loss, MARKER)]):
            model.optimizer.minimize(loss, model.trainable_variables, tape=tape)
        return model.compute_metrics(x, y, y_pred, sample_weight)

    model.train_step = train_step


def checks_in_graph(model: Any) -> bool:
    """False where XLA would drop the check (XLA on a non-GPU device), and across machines: a
    worker whose own loss failed the check would stop alone and leave the others waiting in
    the next all-reduce, while the per-batch callback reads the loss all workers share."""
    if isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    return not model.jit_compile or bool(tf.config.list_logical_devices("GPU"))


def is_divergence(exc: Exception) -> bool:
    return isinstance(exc, tf.errors.InvalidArgumentError) and MARKER in str(exc)


def diverged_at(model: Any, steps_per_epoch: int, exc: Exception) -> NntrainError:
    """The failing step is the first the optimizer did not apply; check_numerics' message ends
    with "Tensor had NaN values" (or Inf)."""
    step = int(model.optimizer.iterations.numpy())
    loss = "nan" if "NaN" in str(exc) else "inf" if "Inf" in str(exc) else "not finite"
    return diverged(step // steps_per_epoch + 1, step % steps_per_epoch + 1, loss)


class NanGuard(keras.callbacks.Callback):
    """The per-batch check, for models whose compiled step cannot carry it.

    It raises instead of setting `stop_training`, so the partial epoch never reaches the
    epoch-end callbacks: no metrics row, backup or checkpoint is written from NaN weights.
    """

    def __init__(self) -> None:
        super().__init__()
        compat.take_tensor_logs(self)
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not bool(tf.math.is_finite(loss)):
            raise diverged(self.epoch + 1, batch + 1, str(float(loss)))


def all_finite(weights: list[Any]) -> bool:
    """Whether weights may be written: a diverged model never replaces a good checkpoint."""
    return all(np.isfinite(w).all() for w in weights)
