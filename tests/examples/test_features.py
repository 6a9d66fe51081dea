"""E18–E23: layer outputs, reloading, callbacks, optimizers and decay, the layer catalogue,
device and precision, each through configs and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nntrain.engine import keras
from tests.conftest import REPO
from tests.examples.conftest import (CONFIGS, evaluate, fit, held_out_metrics, metrics,
                                     nntrain)

IRIS = REPO / "datasets/iris.csv"


def _predict(run: Path, out: Path, *extra: str) -> pd.DataFrame:
    result = nntrain("predict", run, "--input", IRIS, "--output", out, *extra)
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)


def _inputs(run: Path) -> np.ndarray:
    """Iris features as they are in the file: the model standardizes them itself (its
    preprocess_normalize layer holds the training statistics)."""
    assert "normalize" in pd.read_json(run / "preprocess.json", typ="series")
    return pd.read_csv(IRIS).drop(columns="species").to_numpy("float32")


def test_layer_output_is_the_notes_sub_model(iris_run: Path, tmp_path: Path) -> None:
    """E18: `predict --layer hidden` = Model(model.input, layer.output).predict."""
    got = _predict(iris_run, tmp_path / "hidden.csv", "--layer", "hidden")
    assert list(got.columns) == [f"hidden_{i}" for i in range(8)]
    model = keras.models.load_model(iris_run / "model.keras")
    sub = keras.Model(model.inputs, model.get_layer("hidden").output)
    np.testing.assert_allclose(got.to_numpy(), sub.predict(_inputs(iris_run), verbose=0),
                               atol=1e-5)


def test_reloaded_model_gives_identical_results(iris_run: Path, tmp_path: Path) -> None:
    """E19: fit's in-memory test metrics = `nntrain eval` on the saved model.keras; a fresh
    load_model predicts what `nntrain predict` does."""
    in_memory = held_out_metrics(iris_run)
    assert evaluate(iris_run) == in_memory
    model = keras.models.load_model(iris_run / "model.keras")
    probs = _predict(iris_run, tmp_path / "pred.csv").filter(like="prob_").to_numpy()
    np.testing.assert_allclose(probs, model.predict(_inputs(iris_run), verbose=0), atol=1e-6)


def test_weights_saved_and_loaded_into_a_new_model(iris_run: Path, tmp_path: Path) -> None:
    """E19, save_weights / load_weights: the trained weights as an .npz, loaded into a newly
    built model by model.initial_weights (learning rate 1e-12: one epoch keeps them)."""
    weights = tmp_path / "weights.npz"
    np.savez(weights, *keras.models.load_model(iris_run / "model.keras").get_weights())
    copy = fit("iris.yaml", tmp_path / "copy", f"model.initial_weights={weights}",
               "compile.optimizer.learning_rate=1.0e-12", "train.epochs=1")
    assert held_out_metrics(copy) == pytest.approx(held_out_metrics(iris_run))


def test_early_stopping_and_tensorboard_histograms(tmp_path: Path) -> None:
    """E20, full run: patience 0 ends it far before its 1,000 epochs (metrics.csv shows
    where), and TensorBoard reads a histogram of each weight."""
    from tensorboard.backend.event_processing.event_accumulator import (TENSORS,
                                                                        EventAccumulator)

    run = fit("early_stopping_tensorboard.yaml", tmp_path / "run")
    rows = metrics(run)
    assert len(rows) < 1000
    assert rows[-1]["val_loss"] >= min(r["val_loss"] for r in rows)  # no improvement: stop
    events = EventAccumulator(str(run / "tensorboard" / "train"), size_guidance={TENSORS: 0})
    events.Reload()
    histograms = [t for t in events.Tags()["tensors"] if t.endswith("/histogram")]
    assert {"hidden/kernel_0/histogram", "species/kernel_0/histogram"} <= set(histograms)
    assert len(events.Tensors("hidden/kernel_0/histogram")) == len(rows)  # one per epoch


@pytest.mark.parametrize("optimizer", [
    "{type: SGD, learning_rate: 0.1}",
    "{type: SGD, momentum: 0.9}",
    "{type: SGD, learning_rate: 0.01, momentum: 0.9, nesterov: true}",
    "{type: Adagrad, learning_rate: 0.01}",
    "{type: Adadelta, learning_rate: 1.0}",
    "{type: RMSprop, learning_rate: 0.01}",
    "{type: Adam, learning_rate: 0.01}",
])
def test_each_optimizer_of_the_notes_trains(optimizer: str, tmp_path: Path) -> None:
    """E21: the notes' optimizers from YAML, a few steps each on y = x; the loss falls."""
    run = fit("lr_small.yaml", tmp_path / "run", f"compile.optimizer={optimizer}",
              "train.epochs=5")
    rows = metrics(run)
    assert rows[-1]["loss"] < rows[0]["loss"]


def test_learning_rate_decay_shows_in_the_lr_column(tmp_path: Path) -> None:
    """E21, shortened from 60 to 30 epochs: the lr column falls epoch by epoch to below half
    its start (full run: and test accuracy ≥ 0.93)."""
    lrs = [row["lr"] for row in metrics(fit("lr_decay.yaml", tmp_path / "run",
                                            "train.epochs=30"))]
    assert all(b < a for a, b in zip(lrs, lrs[1:]))
    assert lrs[-1] < 0.5 * lrs[0]


def test_initializers_regularizers_constraints_and_layers(tmp_path: Path) -> None:
    """E22, shortened from 100 to 25 epochs; weaker bar: test accuracy ≥ 0.85 (full: ≥ 0.90)."""
    run = fit("regularized_iris.yaml", tmp_path / "run", "train.epochs=25")
    assert held_out_metrics(run)["accuracy"] >= 0.85


@pytest.mark.parametrize("setting", [
    "model.layers[2].kernel_initializer={type: RandomNormal, stddev: 0.05}",
    "model.layers[2].kernel_initializer=orthogonal",
    "model.layers[2].kernel_regularizer={type: L1, l1: 0.01}",
    "model.layers[2].kernel_constraint={type: UnitNorm}",
    "model.layers[2].kernel_constraint={type: MinMaxNorm, min_value: 0.5, max_value: 2.0}",
    "model.layers[0]={name: rescale, type: Normalization, mean: 3.5, variance: 4.0}",
])
def test_other_catalogue_entries_build(setting: str) -> None:
    """E22: any other Keras initializer, regularizer, constraint or preprocessing layer."""
    result = nntrain("summary", CONFIGS / "regularized_iris.yaml", "--set", setting)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_precision_is_chosen_by_the_config(precision: str, tmp_path: Path) -> None:
    """E23, 3 epochs: each of the notes' number formats trains (16-bit ones emulated on the
    CPU) and the run says which it used."""
    run = tmp_path / "run"
    result = nntrain("fit", CONFIGS / "device_precision.yaml", "--run-dir", run, "--set",
                     f"device.precision={precision}", "--set", "train.epochs=3")
    assert result.exit_code == 0, result.output
    assert f"precision {precision}" in result.output
    assert np.isfinite(held_out_metrics(run)["loss"])
