"""nntrain.compat holds the installed tf-keras' internals: each is exercised here on a real model
or callback, so a tf-keras upgrade that renames one fails here first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nntrain import compat
from nntrain.engine import keras, tf
from tests.conftest import REPO

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 3, dtype="float32")
Y = np.array([0, 1, 1, 0] * 3, dtype="float32")


def _model() -> Any:
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def test_installed_tf_keras_is_the_one_compat_was_written_for() -> None:
    import tf_keras

    assert tf_keras.__version__.startswith(compat.TESTED_TF_KERAS + "."), (
        f"compat.py was written against tf-keras {compat.TESTED_TF_KERAS}; check every function "
        f"in it (installed: {tf_keras.__version__}), then update TESTED_TF_KERAS")


def test_validate_target_and_loss_is_keras_own_check() -> None:
    model = _model()
    compat.validate_target_and_loss(model, tf.constant(Y), tf.constant(1.0))
    with pytest.raises(ValueError, match="loss"):
        compat.validate_target_and_loss(model, tf.constant(Y), None)


def test_train_step_counter_counts_the_steps_of_the_fit() -> None:
    model = _model()
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0)  # 3 steps an epoch
    counter = compat.train_step_counter(model)
    assert isinstance(counter, tf.Variable)
    assert int(counter.numpy()) == 6


class _LogTypes(keras.callbacks.Callback):
    def __init__(self, tensors: bool) -> None:
        super().__init__()
        self.seen: list[type] = []
        if tensors:
            compat.take_tensor_logs(self)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.seen.append(type((logs or {})["loss"]))


@pytest.mark.parametrize("tensors", [True, False])
def test_take_tensor_logs_gives_a_callback_tensors_instead_of_host_copies(tensors: bool) -> None:
    """Keras passes tensors only when every per-batch callback takes them: one at a time here."""
    callback = _LogTypes(tensors)
    _model().fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[callback])
    assert [issubclass(t, tf.Tensor) for t in callback.seen] == [tensors] * 3


class _Restore(keras.callbacks.Callback):
    """Sets a callback's state after its on_train_begin reset it, as a resumed run does."""

    def __init__(self, target: Any, state: dict[str, Any]) -> None:
        super().__init__()
        self.target, self.state = target, state

    def on_train_begin(self, logs: dict | None = None) -> None:
        assert set(self.state) == set(compat.CALLBACK_STATE[type(self.target).__name__])
        for attr, value in self.state.items():
            assert hasattr(self.target, attr), f"{type(self.target).__name__}.{attr} is gone"
            setattr(self.target, attr, value)


def test_restored_early_stopping_state_decides_when_it_stops() -> None:
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
    state = {"wait": 2, "best": 0.0, "best_epoch": 0, "stopped_epoch": 0}  # 2 bad epochs before
    history = _model().fit(X, Y, batch_size=4, initial_epoch=2, epochs=10, verbose=0,
                           callbacks=[stop, _Restore(stop, state)])  # resumed after 2 epochs
    assert len(history.history["loss"]) == 1
    assert stop.stopped_epoch == 2 and stop.wait == 3


def test_restored_plateau_state_decides_when_the_rate_drops() -> None:
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=2, factor=0.5)
    state = {"wait": 1, "best": 0.0, "cooldown_counter": 0}  # one bad epoch before
    model = _model()
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[plateau, _Restore(plateau, state)])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


class _StoringBackup(keras.callbacks.BackupAndRestore):
    """Backs up once, at the end, with the epoch stored through compat."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 == self.params["epochs"]:
            compat.store_backup_epoch(self, epoch)
            super().on_epoch_end(epoch, logs)


def test_stored_backup_epoch_reaches_the_backup_and_is_read_back(tmp_path: Path) -> None:
    assert compat.backed_up_epochs(str(tmp_path)) == 0
    backup = _StoringBackup(str(tmp_path), delete_checkpoint=False)
    _model().fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[backup])
    assert compat.backed_up_epochs(str(tmp_path)) == 3


def test_eager_context_configures_the_coordination_service() -> None:
    """In a process of its own: the configuration stays in the process's eager context."""
    script = """
import json
from nntrain.compat import eager_context
from nntrain.device.cluster import _bound_registration
_bound_registration({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, 2.5)
config = eager_context().coordination_service
print(json.dumps([config.service_leader, config.cluster_register_timeout_in_ms,
                  config.cluster_register_with_barrier,
                  [[j.name, j.num_tasks] for j in config.coordinated_job_list]]))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [
        "/job:chief/replica:0/task:0", 2500, True, [["chief", 1], ["worker", 2]]]


def test_slurm_node_lists_expand_as_slurm_writes_them() -> None:
    from nntrain.compat import slurm_nodes

    assert slurm_nodes("gpu[01-02],cpu7", "2(x2),1") == (["gpu01", "gpu02", "cpu7"], [2, 2, 1])
