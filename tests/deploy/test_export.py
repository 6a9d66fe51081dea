"""`nntrain export`: a CNN and a tabular classifier in each format, each export checked
against model.keras by the command itself and, here, loaded back as its users load it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from typer.testing import CliRunner, Result

from nntrain.cli.app import app
from tests.conftest import REPO

TABULAR = """
name: cancer
seed: 5
data:
  source: sklearn
  name: breast_cancer
  preprocess: {normalize: true}
  test_split: 0.2
  validation_split: 0.1
model:
  input_shape: [30]
  layers:
    - {type: Dense, units: 16, activation: relu}
    - {name: malignant, type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
train: {batch_size: 32, epochs: 12}
"""


def _nntrain(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _fit(config: Path, run: Path) -> Path:
    result = _nntrain("fit", config, "--run-dir", run, "--set", "callbacks.tensorboard=false")
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scikit-learn's 8×8 digits (359 test images), the reshape inside the model."""
    return _fit(REPO / "configs/tiny/small_cnn.yaml", tmp_path_factory.mktemp("cnn") / "run")


@pytest.fixture(scope="module")
def tabular_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Breast cancer (30 features, 114 test rows), the normalization inside the model."""
    folder = tmp_path_factory.mktemp("tabular")
    (folder / "cancer.yaml").write_text(TABULAR)
    return _fit(folder / "cancer.yaml", folder / "run")


def _output_names(run: Path) -> list[str]:
    """model.keras's output names (a model built after others in one process is 'dense_20',
    not 'dense')."""
    from nntrain.runs.saved_model import open_target

    return list(open_target(run).model.output_names)


def _export(run: Path, *args: str) -> dict:
    result = _nntrain("export", run, *args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    entries = json.loads((run / "export" / "export.json").read_text())["exports"]
    return entries


@pytest.mark.parametrize("fmt", ["saved_model", "tflite", "onnx"])
@pytest.mark.parametrize("which", ["cnn_run", "tabular_run"])
def test_each_format_predicts_what_model_keras_predicts(fmt: str, which: str,
                                                        request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(which)
    name = "small_cnn" if which == "cnn_run" else "cancer"
    entries = _export(run, "--format", fmt)
    key = {"saved_model": f"{name}/1", "tflite": f"{name}.tflite", "onnx": f"{name}.onnx"}[fmt]
    if fmt == "saved_model":  # a second export of the same run is a new version
        key = max((k for k in entries if k.startswith(f"{name}/")), key=lambda k: int(k[-1]))
    entry = entries[key]
    assert (run / "export" / key).exists()
    assert entry["passed"] and entry["format"] == fmt
    assert entry["examples"] == (359 if which == "cnn_run" else 114)  # 20 % test splits
    assert entry["split"] == "test"
    assert entry["max_abs_diff"] <= 1e-4
    assert entry["class_agreement"] == 1.0
    assert entry["bytes"] > 0 and entry["latency_ms_exported"] > 0
    assert entry["preprocessing_inside"]


@pytest.mark.parametrize("which", ["cnn_run", "tabular_run"])
def test_int8_tflite_keeps_the_test_accuracy_within_two_points(
        which: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(which)
    name = "small_cnn" if which == "cnn_run" else "cancer"
    entry = _export(run, "--format", "tflite", "--quantize", "int8")[f"{name}.int8.tflite"]
    assert entry["passed"]
    assert entry["accuracy_keras"] > 0.8
    assert entry["accuracy_keras"] - entry["accuracy_exported"] <= 0.02
    float_size = (run / "export" / f"{name}.tflite")
    if float_size.exists():
        assert entry["bytes"] < float_size.stat().st_size


def test_the_saved_model_has_tf_servings_layout_and_signature(cnn_run: Path) -> None:
    from nntrain.engine import tf

    _export(cnn_run, "--format", "saved_model")
    base = cnn_run / "export" / "small_cnn"
    versions = sorted(int(p.name) for p in base.iterdir())
    assert versions == list(range(1, len(versions) + 1))
    newest = base / str(versions[-1])
    assert (newest / "saved_model.pb").is_file() and (newest / "variables").is_dir()
    signature = tf.saved_model.load(str(newest)).signatures["serving_default"]
    inputs = signature.structured_input_signature[1]
    assert list(inputs) == ["input"] and inputs["input"].shape.as_list() == [None, 64]
    digits = load_digits()  # raw 0..16 pixels: the rescaling and reshape are in the model
    outputs = signature(input=tf.constant(digits.data[:50].astype("float32")))
    assert list(outputs) == _output_names(cnn_run)  # keyed by the output layers' names
    scores = outputs[_output_names(cnn_run)[0]]
    assert scores.shape == (50, 10)
    assert np.mean(scores.numpy().argmax(axis=1) == digits.target[:50]) >= 0.8


@pytest.mark.parametrize("args, field", [
    (["--format", "saved_model", "--quantize", "int8"], "--quantize"),
    (["--format", "onnx", "--quantize", "float16"], "--quantize"),
    (["--format", "coreml"], "--format"),
])
def test_a_wrong_format_or_quantization_is_named(args: list[str], field: str,
                                                 tmp_path: Path) -> None:
    result = _nntrain("export", tmp_path, *args)
    assert result.exit_code == 2
    assert field in result.output
