"""Every config under configs/tiny goes through fit → eval → predict, as CI promises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, run_cli

TINY = sorted((REPO / "configs" / "tiny").glob("*.yaml"))


def _predict_input(run: Path, tmp_path: Path) -> Path:
    """New inputs in the format the run was trained on: CSV rows or an array file."""
    state = json.loads((run / "preprocess.json").read_text())
    config = (run / "config.yaml").read_text()
    if "source: csv" in config:
        source = next(p for p in (REPO / "datasets").rglob("*.csv")
                      if f"path: {p}" in config)
        path = tmp_path / "input.csv"
        pd.read_csv(source).head(5).to_csv(path, index=False)
        return path
    names = state.get("info", {}).get("feature_names")
    width = len(names) if isinstance(names, list) else 64
    path = tmp_path / "input.npy"
    np.save(path, np.zeros((5, width), dtype="float32"))
    return path


@pytest.mark.parametrize("config", TINY, ids=[c.stem for c in TINY])
def test_tiny_config_fits_evaluates_and_predicts(config: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    fitted = run_cli("fit", config, "--run-dir", run)
    assert fitted.returncode == 0, fitted.stdout + fitted.stderr
    assert (run / "model.keras").is_file()

    evaluated = run_cli("eval", run)
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads((run / "eval.json").read_text())
    assert metrics and all(np.isfinite(v) for v in metrics.values())

    out = tmp_path / "pred.csv"
    predicted = run_cli("predict", run, "--input", _predict_input(run, tmp_path), "--output", out)
    assert predicted.returncode == 0, predicted.stderr
    assert len(pd.read_csv(out)) == 5


def test_iris_text_labels_come_back_as_species_names(tmp_path: Path) -> None:
    run = tmp_path / "iris"
    assert run_cli("fit", "configs/tiny/two_inputs.yaml", "--run-dir", run).returncode == 0
    out = tmp_path / "pred.csv"
    result = run_cli("predict", run, "--input", "datasets/iris.csv", "--output", out)
    assert result.returncode == 0, result.stderr
    pred = pd.read_csv(out)
    truth = pd.read_csv(REPO / "datasets/iris.csv")["species"]
    assert set(pred["class"]) <= {"setosa", "versicolor", "virginica"}
    assert (pred["class"] == truth).mean() >= 0.9
