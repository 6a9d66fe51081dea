"""The core promise: a YAML file trains, and the run it leaves can be evaluated and served."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, assert_no_traceback, run_cli

RUN_FILES = ["config.yaml", "model.keras", "checkpoints/best.keras", "checkpoints/last.keras",
             "metrics.csv", "summary.txt", "preprocess.json"]


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("xor") / "run"
    result = run_cli("fit", "configs/tiny/xor.yaml", "--run-dir", run)
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(run) in result.stdout
    return run


def test_xor_reaches_accuracy_one_and_leaves_every_run_file(xor_run: Path) -> None:
    for name in RUN_FILES:
        assert (xor_run / name).is_file(), name
    metrics = pd.read_csv(xor_run / "metrics.csv")
    assert list(metrics.columns) == ["epoch", "loss", "accuracy", "lr", "seconds"]
    assert metrics["epoch"].tolist() == list(range(1, len(metrics) + 1))
    assert metrics["accuracy"].iloc[-1] == 1.0
    events = list((xor_run / "tensorboard").rglob("events.out.tfevents.*"))
    assert events and all(e.stat().st_size > 0 for e in events)
    assert "dense" in (xor_run / "summary.txt").read_text()


def test_tensorboard_events_hold_the_training_scalars(xor_run: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(xor_run / "tensorboard" / "train"))
    acc.Reload()
    tags = set(acc.Tags()["tensors"]) | set(acc.Tags()["scalars"])
    assert {"epoch_loss", "epoch_accuracy"} <= tags


def test_resolved_config_reproduces_the_run(xor_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = run_cli("fit", xor_run / "config.yaml", "--run-dir", again)
    assert result.returncode == 0, result.stderr
    first = pd.read_csv(xor_run / "metrics.csv").drop(columns="seconds")
    second = pd.read_csv(again / "metrics.csv").drop(columns="seconds")
    pd.testing.assert_frame_equal(first, second)


def test_eval_writes_eval_json(xor_run: Path) -> None:
    result = run_cli("eval", xor_run)
    assert result.returncode == 0, result.stderr
    assert "training data" in result.stdout  # xor has no test split, and eval says so
    metrics = json.loads((xor_run / "eval.json").read_text())
    assert metrics["accuracy"] == 1.0
    assert all(isinstance(v, float) for v in metrics.values())


def test_predict_gives_classes_and_probabilities(xor_run: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "gates.csv"
    pd.DataFrame({"a": [0, 0, 1, 1], "b": [0, 1, 0, 1]}).to_csv(inputs, index=False)
    out = tmp_path / "pred.csv"
    result = run_cli("predict", xor_run, "--input", inputs, "--output", out)
    assert result.returncode == 0, result.stderr
    pred = pd.read_csv(out)
    assert pred["class"].tolist() == [0, 1, 1, 0]
    assert ((pred["prob_1"] >= 0) & (pred["prob_1"] <= 1)).all()


def test_predict_layer_returns_hidden_activations(xor_run: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.array([[0, 0], [1, 1]], dtype="float32"))
    out = tmp_path / "hidden.npy"
    result = run_cli("predict", xor_run, "--input", inputs, "--output", out, "--layer", "dense")
    assert result.returncode == 0, result.stderr
    hidden = np.load(out)
    assert hidden.shape == (2, 8)
    assert np.all(np.abs(hidden) <= 1)  # tanh units


def test_predict_unknown_layer_suggests_a_name(xor_run: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.zeros((1, 2), dtype="float32"))
    result = run_cli("predict", xor_run, "--input", inputs, "--layer", "dense_9")
    assert result.returncode == 2
    assert "dense_9" in result.stderr and "did you mean" in result.stderr
    assert_no_traceback(result)


def test_reloaded_model_predicts_exactly_as_before_saving(tmp_path: Path) -> None:
    from nntrain.config.load import load_config
    from nntrain.engine import keras
    from nntrain.model.build import build_model
    from nntrain.model.compile import compile_model

    config = load_config(REPO / "configs/tiny/xor.yaml").config
    keras.utils.set_random_seed(1)
    model = build_model(config.model)
    compile_model(model, config.compile)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    model.fit(x, np.array([0, 1, 1, 0], dtype="float32"), epochs=3, verbose=0)
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    after = keras.models.load_model(tmp_path / "m.keras", safe_mode=True).predict(x, verbose=0)
    np.testing.assert_array_equal(before, after)
