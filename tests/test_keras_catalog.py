"""The Keras names that validation offers are exactly what the installed Keras resolves."""

from __future__ import annotations

import json
from pathlib import Path

from nntrain.config.keras_catalog import CATALOG_PATH, build_catalog
from tests.conftest import run_cli


def test_catalog_snapshot_matches_installed_keras() -> None:
    shipped = json.loads(CATALOG_PATH.read_text())
    live = json.loads(json.dumps(build_catalog()))
    assert shipped == live, "regenerate with: python -m nntrain.config.keras_catalog"


def test_catalog_covers_the_names_the_notes_use() -> None:
    cat = json.loads(CATALOG_PATH.read_text())
    assert {"Dense", "Conv1D", "Conv2D", "Conv3D", "LSTM", "GRU", "SimpleRNN", "Bidirectional",
            "Embedding", "BatchNormalization", "Concatenate", "Add", "Multiply", "Dot", "Average",
            "Maximum", "Minimum", "Subtract"} <= set(cat["layers"])
    activations = set(cat["activations"]) | set(cat["activation_layers"])
    assert {"relu", "sigmoid", "softmax", "tanh", "elu", "selu", "softplus", "softsign",
            "exponential", "LeakyReLU", "PReLU"} <= activations
    assert {"SGD", "RMSprop", "Adagrad", "Adadelta", "Adam"} <= set(cat["optimizers"])
    assert {"he_normal", "glorot_uniform", "HeNormal"} <= set(cat["initializers"])


def test_advanced_activation_as_a_layer_argument_trains(tmp_path: Path) -> None:
    config = tmp_path / "leaky.yaml"
    config.write_text("""
data: {source: synthetic, name: or}
model:
  input_shape: [2]
  layers:
    - {type: Dense, units: 4, activation: {type: LeakyReLU, alpha: 0.1},
       kernel_initializer: {type: HeNormal, seed: 3}, kernel_regularizer: {type: L1L2, l1: 0.001},
       kernel_constraint: {type: MaxNorm, max_value: 2}}
    - {type: Dense, units: 1, activation: sigmoid}
compile:
  optimizer: {type: SGD, learning_rate: {type: ExponentialDecay, initial_learning_rate: 0.5,
                                         decay_steps: 1, decay_rate: 0.9}, momentum: 0.9, nesterov: true}
  loss: binary_crossentropy
train: {epochs: 3, batch_size: 4}
""")
    result = run_cli("fit", config, "--run-dir", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    import pandas as pd

    lr = pd.read_csv(tmp_path / "run" / "metrics.csv")["lr"].tolist()
    assert lr[0] > lr[1] > lr[2]  # the schedule's decay is visible per epoch
