"""E10–E14: Boston k-fold, Iris, the dosage bump, learning rates on y = x, conv shapes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.examples.conftest import CONFIGS, evaluate, fit, held_out_metrics, metrics, nntrain


def test_boston_kfold_reports_mean_and_spread_over_folds(tmp_path: Path) -> None:
    """E10, shortened from 80 to 15 epochs per fold; weaker bar: mean validation MAE ≤ 3.2
    (full run: ≤ 2.6). eval.json has mean_/std_ per metric, folds.csv one row per fold."""
    run = fit("boston_kfold.yaml", tmp_path / "run", "train.epochs=15")
    summary = held_out_metrics(run)
    assert set(summary) == {"mean_loss", "std_loss", "mean_mae", "std_mae"}
    assert summary["mean_mae"] <= 3.2
    folds = pd.read_csv(run / "folds.csv")
    assert folds["fold"].tolist() == [1, 2, 3, 4]
    assert folds["mae"].mean() == pytest.approx(summary["mean_mae"])


def test_iris(iris_run: Path) -> None:
    """E11, full run; bar: test accuracy ≥ 0.93."""
    assert held_out_metrics(iris_run)["accuracy"] >= 0.93


def test_dosage_network_fits_the_bump(tmp_path: Path) -> None:
    """E12, shortened from 40 to 20 epochs (500 Adam steps); weaker bar: mse ≤ 1e-2 (full run:
    ≤ 1e-3), and the medium dose is the one predicted to work."""
    run = fit("dosage.yaml", tmp_path / "run", "train.epochs=20")
    assert evaluate(run)["loss"] <= 1e-2
    out = tmp_path / "pred.csv"
    dosage = CONFIGS.parent / "datasets/dosage.csv"
    assert nntrain("predict", run, "--input", dosage, "--output", out).exit_code == 0
    assert pd.read_csv(out)["prediction"].round().tolist() == [0.0, 1.0, 0.0]


def test_small_learning_rate_converges_to_w_equals_one(tmp_path: Path) -> None:
    """E13 small, shortened from 100 to 60 steps; weaker bar: |W − 1| ≤ 1e-2 (full: ≤ 1e-3).
    The first loss is the notes' cost at W = 0, 4.67."""
    run = fit("lr_small.yaml", tmp_path / "run", "train.epochs=60")
    assert metrics(run)[0]["loss"] == pytest.approx(14 / 3)
    x = tmp_path / "x.csv"
    pd.DataFrame({"x": [1.0]}).to_csv(x, index=False)
    out = tmp_path / "w.csv"
    assert nntrain("predict", run, "--input", x, "--output", out).exit_code == 0
    assert abs(pd.read_csv(out)["prediction"][0] - 1.0) <= 1e-2


def test_large_learning_rate_diverges_and_says_so(tmp_path: Path) -> None:
    """E13 large, full run: the NaN guard ends it with exit status 1 and a message."""
    run = tmp_path / "run"
    result = nntrain("fit", CONFIGS / "lr_large.yaml", "--run-dir", run)
    assert result.exit_code == 1
    assert "diverged" in result.output and "learning_rate" in result.output
    assert len(metrics(run)) < 100  # stopped early, at the first non-finite loss


@pytest.mark.parametrize(("config", "shape", "params"), [
    ("conv_shapes_1d", "(None, 120, 100)", "1000"),
    ("conv_shapes_2d", "(None, 126, 126, 1)", "28"),
    ("conv_shapes_3d", "(None, 118, 118, 118, 100)", "8200"),
])
def test_conv_output_shapes_and_parameters(config: str, shape: str, params: str) -> None:
    """E14: `nntrain summary` shows the notes' output shape and parameter count."""
    result = nntrain("summary", CONFIGS / f"{config}.yaml")
    assert result.exit_code == 0, result.output
    assert shape in result.output
    assert f"Total params: {params} " in result.output
