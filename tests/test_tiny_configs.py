"""Every config under configs/tiny goes through fit → eval → predict, as CI promises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nntrain.cli.app import app
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


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each tiny config trained once by a real `nntrain fit` process."""
    return {}


def _fit(config: Path, fitted: dict[str, Path], folder: Path) -> Path:
    if config.stem not in fitted:
        run = folder / config.stem
        result = run_cli("fit", config, "--run-dir", run)
        assert result.returncode == 0, result.stdout + result.stderr
        fitted[config.stem] = run
    return fitted[config.stem]


@pytest.mark.parametrize("config", TINY, ids=[c.stem for c in TINY])
def test_tiny_config_fits_evaluates_and_predicts(config: Path, fitted: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """fit as its own process; eval and predict in this one (TensorFlow already loaded)."""
    run = _fit(config, fitted, tmp_path)
    assert (run / "model.keras").is_file()

    evaluated = CliRunner().invoke(app, ["eval", str(run)])
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads((run / "eval.json").read_text())
    assert metrics and all(np.isfinite(v) for v in metrics.values())

    out = tmp_path / "pred.csv"
    predicted = CliRunner().invoke(app, ["predict", str(run), "--input",
                                         str(_predict_input(run, tmp_path)), "--output", str(out)])
    assert predicted.exit_code == 0, predicted.output
    assert len(pd.read_csv(out)) == 5


def test_iris_text_labels_come_back_as_species_names(fitted: dict[str, Path],
                                                     tmp_path: Path) -> None:
    run = _fit(REPO / "configs/tiny/two_inputs.yaml", fitted, tmp_path)
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(app, ["predict", str(run), "--input",
                                      str(REPO / "datasets/iris.csv"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    truth = pd.read_csv(REPO / "datasets/iris.csv")["species"]
    assert set(pred["class"]) <= {"setosa", "versicolor", "virginica"}
    assert (pred["class"] == truth).mean() >= 0.9
