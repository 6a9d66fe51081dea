"""Problems found before training (labels vs outputs, output folder, disk space) exit 1 or 2
with a message naming the cause, and leave no run directory behind. Runs `nntrain fit`
in-process so TensorFlow is imported once for all cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nntrain.cli.app import app

BASE = """\
seed: 1
data: {{source: csv, path: data.csv, target: label{data}}}
model:
  input_shape: [2]
  layers: [{{type: Dense, units: {units}, activation: {activation}}}]
compile: {{optimizer: adam, loss: {loss}}}
train: {{epochs: 1}}
"""

CASES = {
    # name: (labels, data extra, units, activation, loss, exit code, fragments of the message)
    "ten_softmax_units_for_three_one_hot_classes": (
        [0, 1, 2], ", preprocess: {one_hot: true}", 10, "softmax", "categorical_crossentropy",
        2, ["compile.loss", "10 units", "3 column"]),
    "sparse_labels_1_to_10_for_10_units": (
        list(range(1, 11)), "", 10, "softmax", "sparse_categorical_crossentropy",
        2, ["compile.loss", "labels go from 1 to 10", "0..9"]),
    "binary_crossentropy_with_labels_0_to_2": (
        [0, 1, 2], "", 1, "sigmoid", "binary_crossentropy",
        2, ["compile.loss", "between 0 and 1"]),
    "one_hot_labels_with_sparse_loss": (
        [0, 1, 2], ", preprocess: {one_hot: true}", 3, "softmax",
        "sparse_categorical_crossentropy", 2, ["compile.loss", "one-hot"]),
    "regression_target_width": (
        [0.5, 1.5], "", 4, "linear", "mse", 2, ["compile.loss", "shape [4]"]),
}


def _write(folder: Path, labels: list, data: str, units: int, activation: str,
           loss: str) -> Path:
    rng = np.random.default_rng(0)
    rows = 24
    frame = pd.DataFrame(rng.normal(size=(rows, 2)), columns=["a", "b"])
    frame["label"] = [labels[i % len(labels)] for i in range(rows)]
    frame.to_csv(folder / "data.csv", index=False)
    config = folder / "bad.yaml"
    config.write_text(BASE.format(data=data, units=units, activation=activation, loss=loss))
    return config


def _fit(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fit", *args])
    text = " ".join(result.output.split())
    assert "Traceback" not in text
    return result.exit_code, text


def _nothing_created(folder: Path, before: set[str]) -> None:
    assert {p.name for p in folder.iterdir()} == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_labels_that_do_not_fit_the_output_are_refused(case: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    *spec, code, fragments = CASES[case]
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, *spec)
    before = {p.name for p in tmp_path.iterdir()}
    exit_code, text = _fit("bad.yaml", "--run-dir", "run")
    assert exit_code == code, text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    _nothing_created(tmp_path, before)
    exit_code, text = _fit("bad.yaml")  # the default output.dir: runs/ is not created either
    assert exit_code == code, text
    _nothing_created(tmp_path, before)


@pytest.mark.parametrize("where, code, fragment", [
    ("data.csv/run", 2, "is a file, not a folder"),
    ("/sys/nntrain-run", 1, "cannot write in /sys"),
])
def test_an_output_folder_that_cannot_be_written_is_refused(
        where: str, code: int, fragment: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if where.startswith("/sys") and not Path("/sys").is_dir():
        pytest.skip("no /sys here")
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, [0, 1], "", 1, "sigmoid", "binary_crossentropy")
    before = {p.name for p in tmp_path.iterdir()}
    exit_code, text = _fit("bad.yaml", "--run-dir", where)
    assert exit_code == code and fragment in text, text
    _nothing_created(tmp_path, before)


def test_too_little_disk_space_for_the_checkpoints_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from nntrain.training import preflight

    monkeypatch.chdir(tmp_path)
    _write(tmp_path, [0, 1], "", 1, "sigmoid", "binary_crossentropy")
    before = {p.name for p in tmp_path.iterdir()}
    full = shutil.disk_usage(tmp_path)._replace(free=100_000)
    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda path: full)
    exit_code, text = _fit("bad.yaml", "--run-dir", "run")
    assert exit_code == 1 and "not enough disk space" in text and "98 KB free" in text, text
    _nothing_created(tmp_path, before)
