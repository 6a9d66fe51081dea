"""A run trained under mixed_bfloat16 (what `precision: auto` picks for convnets on a CPU with
AMX, forced here so that every CPU checks it, bfloat16 being emulated where it is absent):
its preprocessing stays exact, it exports to every format, and a hidden layer's predictions
are written as float32."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.in_process import fit_config, nntrain

CONFIG = {
    "name": "years", "seed": 3,
    "data": {"source": "csv", "target": "label", "preprocess": {"normalize": True},
             "test_split": 0.25},
    "model": {"input_shape": [2], "layers": [
        {"name": "hidden", "type": "Dense", "units": 16, "activation": "relu"},
        {"name": "label", "type": "Dense", "units": 2, "activation": "softmax"}]},
    "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.05},
                "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
    "train": {"epochs": 40, "batch_size": 32},
    "device": {"precision": "mixed_bfloat16"},
    "callbacks": {"tensorboard": False},
}


@pytest.fixture(scope="module")
def years_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Whether a year 1995..2005 is after 2000. In bfloat16 (8 significant bits) the years
    2001..2003 are all 2000, so a bfloat16 normalization could not tell them apart."""
    folder = tmp_path_factory.mktemp("years")
    rng = np.random.default_rng(0)
    year = rng.integers(1995, 2006, 400)
    frame = pd.DataFrame({"year": year, "noise": rng.normal(size=400).round(3),
                          "label": np.where(year > 2000, "after", "before")})
    frame.to_csv(folder / "years.csv", index=False)
    config = {**CONFIG, "data": {**CONFIG["data"], "path": str(folder / "years.csv")}}
    (folder / "years.yaml").write_text(yaml.safe_dump(config))
    return fit_config(folder / "years.yaml", folder / "run")


def test_the_preprocessing_inside_stays_float32_so_years_a_bfloat16_cannot_tell_apart_train(
        years_run: Path) -> None:
    assert json.loads((years_run / "eval.json").read_text())["accuracy"] >= 0.97
    layers = json.loads(zipfile.ZipFile(years_run / "model.keras").read(
        "config.json"))["config"]["layers"]
    policy = {lay["config"]["name"]: lay["config"].get("dtype") for lay in layers}
    assert policy["preprocess_normalize"] == "float32"
    assert policy["hidden"]["config"]["name"] == "mixed_bfloat16"


@pytest.mark.parametrize("fmt", ["saved_model", "tflite", "onnx"])
def test_a_bfloat16_model_exports_computing_in_float32(years_run: Path, fmt: str) -> None:
    result = nntrain("export", years_run, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert "model.keras computes in mixed_bfloat16" in result.output
    entry = next(e for e in json.loads(
        (years_run / "export" / "export.json").read_text())["exports"].values()
        if e["format"] == fmt)
    assert entry["trained_in"] == "mixed_bfloat16"
    assert entry["max_abs_diff"] <= 1e-4 and entry["class_agreement"] == 1.0


def test_a_hidden_layer_of_a_bfloat16_model_is_predicted_as_float32(years_run: Path,
                                                                    tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    pd.DataFrame({"year": [1996, 2004], "noise": [0.1, -0.2]}).to_csv(rows, index=False)
    result = nntrain("predict", years_run, "--input", rows, "--layer", "hidden",
                     "--output", tmp_path / "hidden.npy")
    assert result.exit_code == 0, result.output
    hidden = np.load(tmp_path / "hidden.npy")
    assert hidden.dtype == np.float32 and hidden.shape == (2, 16) and (hidden >= 0).all()
