"""Every optimizer validation offers trains, as the current tf.keras class in both spellings."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nntrain.config.keras_catalog import catalog
from nntrain.config.load import load_config
from tests.conftest import REPO, run_cli

XOR = REPO / "configs" / "tiny" / "xor.yaml"
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
Y = np.array([0, 1, 1, 0], dtype="float32")


def _train(*overrides: str) -> tuple[object, float]:
    from nntrain.engine import keras
    from nntrain.model.build import build_model
    from nntrain.model.compile import compile_model

    config = load_config(XOR, list(overrides)).config
    keras.utils.set_random_seed(1)
    model = build_model(config.model)
    compile_model(model, config.compile)
    history = model.fit(X, Y, batch_size=2, epochs=2, verbose=0)
    return model.optimizer, history.history["loss"][-1]


@pytest.mark.parametrize("spelling", ["name", "mapping"])
@pytest.mark.parametrize("name", sorted(catalog()["optimizers"]))
def test_every_optimizer_trains_as_the_current_class(name: str, spelling: str) -> None:
    from nntrain.engine import keras

    value = name.lower() if spelling == "name" else f"{{type: {name}}}"
    optimizer, loss = _train(f"compile.optimizer={value}")
    assert type(optimizer) is getattr(keras.optimizers, name)
    assert isinstance(optimizer, keras.optimizers.Optimizer)
    assert "legacy" not in type(optimizer).__module__
    assert math.isfinite(loss)


def test_current_optimizer_arguments_reach_keras() -> None:
    optimizer, loss = _train(
        "compile.optimizer={type: AdamW, learning_rate: 0.01, weight_decay: 0.004, "
        "use_ema: true, ema_momentum: 0.9, global_clipnorm: 1.0}")
    assert (optimizer.weight_decay, optimizer.use_ema, optimizer.global_clipnorm) == (
        0.004, True, 1.0)
    assert math.isfinite(loss)


def test_schedule_as_learning_rate_of_a_current_optimizer() -> None:
    optimizer, _ = _train("compile.optimizer={type: Lion, learning_rate: {type: ExponentialDecay, "
                          "initial_learning_rate: 0.01, decay_steps: 1, decay_rate: 0.5}}")
    assert optimizer.get_config()["learning_rate"]["class_name"] == "ExponentialDecay"
    assert float(optimizer.learning_rate) < 0.01  # it decayed over the steps


def test_fit_with_adamw_saves_the_current_class(tmp_path: Path) -> None:
    result = run_cli("fit", XOR, "--run-dir", tmp_path / "run", "--set", "train.epochs=2",
                     "--set", "compile.optimizer={type: AdamW, learning_rate: 0.01, "
                     "weight_decay: 0.004}")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "run" / "model.keras") as archive:
        saved = json.loads(archive.read("config.json"))["compile_config"]["optimizer"]
    assert (saved["module"], saved["class_name"]) == ("keras.optimizers", "AdamW")
