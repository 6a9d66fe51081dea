"""Every private tf-keras / TensorFlow API nntrain relies on, each behind one named function.

These are the installed tf-keras version's internals (TESTED_TF_KERAS), not public API: an
upgrade may rename any of them. tests/test_compat.py pins that version and exercises each one on
a real model, so a rename fails there, not in a user's run.
"""

from __future__ import annotations

import os
from typing import Any

from nntrain.engine import tf

TESTED_TF_KERAS = "2.21"

# What Keras' callbacks reset in on_train_begin and a resumed run needs back.
CALLBACK_STATE: dict[str, tuple[str, ...]] = {
    "EarlyStopping": ("wait", "best", "best_epoch", "stopped_epoch"),
    "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
}


def validate_target_and_loss(model: Any, y: Any, loss: Any) -> None:
    """The check Keras' default train_step makes, with its clear error for a model compiled
    without a loss; a train_step of our own keeps it."""
    model._validate_target_and_loss(y, loss)


def train_step_counter(model: Any) -> tf.Variable:
    """The steps this fit has run: a variable the compiled step increments, readable from
    another thread without a per-batch callback."""
    return model._train_counter


def take_tensor_logs(callback: Any) -> None:
    """Give a per-batch callback its logs as tensors: otherwise Keras copies every batch's logs
    to the host for it, a sync per step."""
    callback._supports_tf_logs = True


def store_backup_epoch(backup: Any, epoch: int) -> None:
    """Set the epoch variable BackupAndRestore's next backup writes."""
    backup._training_state._ckpt_saved_epoch.assign(epoch)


def backed_up_epochs(backup_dir: str) -> int:
    """How many epochs a BackupAndRestore folder holds (0 without a backup), read from the
    checkpoint its WorkerTrainingState writes under chief/."""
    latest = tf.train.latest_checkpoint(os.path.join(backup_dir, "chief"))
    if latest is None:
        return 0
    reader = tf.train.load_checkpoint(latest)
    return int(reader.get_tensor("ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE")) + 1


def eager_context() -> Any:
    """TensorFlow's eager context: the only handle on the coordination service's registration
    timeout and barrier, which MultiWorkerMirroredStrategy offers no way to bound."""
    from tensorflow.python.eager import context  # after nntrain.engine set TensorFlow up

    return context.context()


def tf_keras_version() -> str:
    """The installed tf-keras release (tf.keras does not carry it)."""
    import tf_keras

    return tf_keras.__version__


def slurm_nodes(nodelist: str, tasks_per_node: str) -> tuple[list[str], list[int]]:
    """Slurm's compressed node list ('n[1-2],m5') and tasks per node ('2(x2),1') expanded,
    with the parsers of TensorFlow's SlurmClusterResolver (whose cluster_spec itself calls
    nvidia-smi, and divides by zero on nodes without GPUs)."""
    from tensorflow.python.distribute.cluster_resolver import slurm_cluster_resolver as slurm

    return slurm.expand_hostlist(nodelist), slurm.expand_tasks_per_node(tasks_per_node)
