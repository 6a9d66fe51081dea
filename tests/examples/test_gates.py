"""E1–E3: the perceptron on logic gates, its failure on XOR, and XOR with a hidden layer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.examples.conftest import evaluate, fit, metrics, nntrain


@pytest.mark.parametrize("gate", ["and", "or", "nand", "nor"])
def test_perceptron_learns_the_gate(gate: str, tmp_path: Path) -> None:
    """E1, full run (10 passes of the rule): accuracy 1.0 on the truth table."""
    run = fit(f"perceptron_{gate}.yaml", tmp_path / "run")
    assert evaluate(run)["accuracy"] == 1.0
    assert metrics(run)[-1]["lr"] == pytest.approx(0.05)  # η, shown in the lr column


def test_perceptron_predicts_the_truth_table_and_its_weighted_sum(tmp_path: Path) -> None:
    run = fit("perceptron_and.yaml", tmp_path / "run")
    table = REPO / "datasets/gates/and.csv"
    out = tmp_path / "pred.csv"
    assert nntrain("predict", run, "--input", table, "--output", out).exit_code == 0
    assert pd.read_csv(out)["prediction"].tolist() == pd.read_csv(table)["y"].tolist()
    assert nntrain("predict", run, "--input", table, "--output", out, "--layer", "net"
                   ).exit_code == 0
    net = pd.read_csv(out)["net_0"]
    assert ((net >= 0) == (pd.read_csv(table)["y"] == 1)).all()  # the step is at 0
    weights = nntrain("weights", run)  # any command that loads model.keras knows the class
    assert weights.exit_code == 0 and "bias" in weights.output, weights.output


def test_perceptron_config_takes_no_optimizer(tmp_path: Path) -> None:
    result = nntrain("validate", REPO / "configs/perceptron_and.yaml", "--set",
                     "compile={optimizer: sgd, loss: mse}")
    assert result.exit_code == 2
    assert "own rule" in result.output


def test_single_layer_cannot_learn_xor(tmp_path: Path) -> None:
    """E2, shortened from 50 to 20 passes; bar as in the full run: accuracy ≤ 0.75."""
    run = fit("xor_single_layer.yaml", tmp_path / "run", "train.epochs=20")
    assert evaluate(run)["accuracy"] <= 0.75
    assert max(row["accuracy"] for row in metrics(run)) <= 0.75


def test_xor_mlp_reaches_accuracy_one(tmp_path: Path) -> None:
    """E3, shortened from 500 to 100 epochs (this seed gets there at epoch 85): accuracy 1.0."""
    run = fit("xor_mlp.yaml", tmp_path / "run", "train.epochs=100")
    assert evaluate(run)["accuracy"] == 1.0


def test_xor_mlp_with_the_notes_settings_falls_short(tmp_path: Path) -> None:
    """E3 as written in the notes (lr 0.1, 100 epochs), full run: below the bar, which is
    why xor_mlp.yaml changes the learning rate."""
    run = fit("xor_mlp_notes.yaml", tmp_path / "run")
    assert evaluate(run)["accuracy"] < 1.0
