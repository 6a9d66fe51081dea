"""E4, E5: a linear Dense unit is least squares; a deep MLP beats it on the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.examples.conftest import fit, metrics, nntrain

HOUSING = REPO / "datasets/housing5.csv"


@pytest.fixture(scope="module")
def linear_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """E4 without (the notes') and with an intercept, shortened from 200 to 80 exact
    gradient steps, which is enough to converge."""
    folder = tmp_path_factory.mktemp("linear")
    return {c: fit(f"{c}.yaml", folder / c, "train.epochs=80")
            for c in ("linear_regression_ols", "linear_regression_intercept")}


@pytest.mark.parametrize("config", ["linear_regression_ols", "linear_regression_intercept"])
def test_linear_unit_learns_the_least_squares_weights(config: str,
                                                      linear_runs: dict[str, Path]) -> None:
    """Bar as in the full run: |learned − least squares| ≤ 1e-2 for every weight."""
    table = pd.read_csv(linear_runs[config] / "ols.csv")
    assert list(table.columns) == ["feature", "learned", "least_squares", "difference"]
    assert table["feature"].tolist() == ["CRIM", "NOX", "RM", "PTRATIO", "LSTAT"] + (
        ["(bias)"] if "intercept" in config else [])
    assert (table["learned"] - table["least_squares"]).abs().max() <= 1e-2


def test_starting_from_the_ols_weights_gives_the_ols_predictions(
        linear_runs: dict[str, Path], tmp_path: Path) -> None:
    """The notes' set_weights: the OLS solution as initial weights. One more exact gradient
    step leaves it where it is (the gradient is 0 there), so predictions are X_std · w_ols."""
    weights = linear_runs["linear_regression_ols"] / "ols_weights.npz"
    run = fit("linear_regression_ols.yaml", tmp_path / "run", "train.epochs=1",
              f"model.initial_weights={weights}")
    out = tmp_path / "pred.csv"
    assert nntrain("predict", run, "--input", HOUSING, "--output", out).exit_code == 0
    stats = json.loads((run / "preprocess.json").read_text())["normalize"]
    x = pd.read_csv(HOUSING).drop(columns="MEDV").to_numpy("float64")
    x_std = (x - np.array(stats["mean"])) / np.array(stats["std"])
    with np.load(weights) as npz:
        ols = x_std @ npz["kernel"].reshape(-1)
    np.testing.assert_allclose(pd.read_csv(out)["prediction"], ols, atol=1e-3)


def test_deep_mlp_beats_the_linear_models(linear_runs: dict[str, Path], tmp_path: Path) -> None:
    """E5, shortened from 150 to 40 epochs; bar as in the full run: lower validation mse than
    both E4 models (same file, seed and split: the same validation rows)."""
    deep = metrics(fit("deep_regression.yaml", tmp_path / "deep", "train.epochs=40"))
    for run in linear_runs.values():
        assert deep[-1]["val_loss"] < metrics(run)[-1]["val_loss"]
