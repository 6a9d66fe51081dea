"""`nntrain predict` answers a wrong --input column or --layer name before TensorFlow loads,
takes a truth table's x1, x2 (or any two columns, in order), and writes its CSV in the
current folder, or to standard output with `--output -`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from nntrain.cli.app import app
from tests.conftest import REPO

PROBE = """
import json, sys, time
from typer.testing import CliRunner
from nntrain.cli.app import app
start = time.perf_counter()
result = CliRunner().invoke(app, {args!r})
print(json.dumps({{"code": result.exit_code, "output": result.output,
                   "seconds": time.perf_counter() - start,
                   "tensorflow": "tensorflow" in sys.modules or "tf_keras" in sys.modules}}))
"""


def _nntrain(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _without_tensorflow(*args: str | Path) -> dict:
    """The command in a fresh interpreter: its exit code, output, and whether it imported
    TensorFlow."""
    code = PROBE.format(args=[str(a) for a in args])
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fit(config: str, run: Path, *settings: str) -> Path:
    sets = [a for s in ("callbacks.tensorboard=false", *settings) for a in ("--set", s)]
    result = _nntrain("fit", REPO / "configs" / config, "--run-dir", run, *sets)
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fit("tiny/csv_classifier.yaml", tmp_path_factory.mktemp("iris") / "run",
                "train.epochs=1")


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fit("tiny/xor.yaml", tmp_path_factory.mktemp("xor") / "run")


def test_a_missing_column_is_named_before_tensorflow_loads(iris_run: Path,
                                                           tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("sepal_length,sepal_width,petal_length\n7.0,3.2,4.7\n")
    got = _without_tensorflow("predict", iris_run, "--input", rows)
    assert got["code"] == 2, got
    assert "--input" in got["output"] and "lacks column(s) petal_width" in got["output"]
    assert "the file has sepal_length, sepal_width, petal_length" in got["output"]
    assert "did you mean" not in got["output"]  # every column of the file is already used
    assert not got["tensorflow"], got


def test_a_misspelt_column_is_suggested_among_the_unused_ones(iris_run: Path,
                                                              tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("sepal_length,sepal_width,petal_length,petal_widht\n7.0,3.2,4.7,1.4\n")
    got = _without_tensorflow("predict", iris_run, "--input", rows)
    assert got["code"] == 2 and "did you mean 'petal_widht'?" in got["output"], got
    assert not got["tensorflow"], got


def test_an_unknown_layer_is_named_before_tensorflow_loads(iris_run: Path) -> None:
    from nntrain.engine import keras

    got = _without_tensorflow("predict", iris_run, "--input", "datasets/tiny_classification.csv",
                              "--layer", "dense_9")
    assert got["code"] == 2, got
    assert "--layer" in got["output"] and "no layer 'dense_9'" in got["output"]
    names = [layer.name for layer in keras.models.load_model(iris_run / "model.keras").layers]
    assert f"(layers: {', '.join(names)})" in got["output"] and "did you mean" in got["output"]
    assert not got["tensorflow"], got


def test_an_image_for_a_table_model_is_refused_before_tensorflow_loads(
        iris_run: Path, tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    got = _without_tensorflow("predict", iris_run, "--input", tmp_path / "photo.png")
    assert got["code"] == 2 and "which holds no images" in got["output"], got
    assert not got["tensorflow"], got


def test_truth_table_inputs_are_x1_x2_like_the_gate_files(xor_run: Path, tmp_path: Path) -> None:
    info = json.loads((xor_run / "preprocess.json").read_text())["info"]
    assert info["feature_names"] == ["x1", "x2"]
    table = REPO / "datasets/gates/xor.csv"  # x1, x2, y: y is left out by name
    out = tmp_path / "pred.csv"
    result = _nntrain("predict", xor_run, "--input", table, "--output", out)
    assert result.exit_code == 0, result.output
    assert "taken in order" not in result.output
    assert pd.read_csv(out)["class"].tolist() == pd.read_csv(table)["y"].tolist()


def test_two_unnamed_columns_are_taken_in_order_with_a_note(xor_run: Path,
                                                            tmp_path: Path) -> None:
    rows = tmp_path / "ab.csv"
    rows.write_text("a,b\n0,0\n0,1\n1,0\n1,1\n")
    result = _nntrain("predict", xor_run, "--input", rows, "--output", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert "note:" in result.stderr and "columns a, b taken in order" in result.stderr
    assert pd.read_csv(tmp_path / "p.csv")["class"].tolist() == [0, 1, 1, 0]
    rows.write_text("a,b,c\n0,0,1\n")
    got = _without_tensorflow("predict", xor_run, "--input", rows)
    assert got["code"] == 2 and "lacks column(s) x1, x2" in got["output"], got
    assert "give exactly 2 columns" in got["output"] and not got["tensorflow"]


def test_predictions_go_to_the_current_folder_or_standard_output(
        xor_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    table = REPO / "datasets/gates/xor.csv"
    result = _nntrain("predict", xor_run, "--input", table)
    assert result.exit_code == 0, result.output
    assert "4 prediction(s) written to xor.predictions.csv" in result.stdout
    assert (here / "xor.predictions.csv").is_file()
    assert not (table.parent / "xor.predictions.csv").exists()
    result = _nntrain("predict", xor_run, "--input", table, "--output", "-")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "class,prob_1" and [r.split(",")[0] for r in lines[1:]] == list("0110")


def test_an_output_that_is_no_regular_file_is_refused(xor_run: Path, tmp_path: Path) -> None:
    """The CSV is renamed over its target: over a device or a pipe (/dev/null) that would
    replace the device itself."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    result = _nntrain("predict", xor_run, "--input", REPO / "datasets/gates/xor.csv",
                      "--output", pipe)
    assert result.exit_code == 2 and "--output" in result.output, result.output
    assert "not a regular file" in result.output and "--output -" in result.output
    assert not pipe.is_file()
