"""A classifier whose last Dense outputs logits (`from_logits: true`, as TensorFlow's
tutorials write it) gets its per-class table, confusion matrix and predicted probabilities;
a classifier that gets no report is told why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import assert_no_traceback, run_cli

LOGITS = ["--set", "model.layers[1]={type: Dense, units: 2}",
          "--set", "compile.loss={type: SparseCategoricalCrossentropy, from_logits: true}",
          "--set", "train.epochs=3"]


def test_logits_output_gets_per_class_table_confusion_matrix_and_probabilities(
        tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit = run_cli("fit", "configs/tiny/csv_classifier.yaml", "--run-dir", run, *LOGITS)
    assert fit.returncode == 0, fit.stdout + fit.stderr
    result = run_cli("eval", run)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "per class" in result.stdout and "no per-class table" not in result.stdout
    table = pd.read_csv(run / "per_class.csv")
    assert table["class"].tolist() == ["versicolor", "virginica", "macro avg"]
    assert (run / "confusion_matrix.png").stat().st_size > 0
    out = tmp_path / "p.csv"
    result = run_cli("predict", run, "--input", "datasets/tiny_classification.csv",
                     "--output", out)
    assert result.returncode == 0, result.stdout + result.stderr
    frame = pd.read_csv(out)
    probs = frame[["prob_versicolor", "prob_virginica"]].to_numpy()
    assert ((probs >= 0) & (probs <= 1)).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert set(frame["class"]) <= {"versicolor", "virginica"}


def test_a_classifier_without_a_classifier_head_is_told_why_it_has_no_table(
        tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit = run_cli("fit", "configs/tiny/csv_classifier.yaml", "--run-dir", run,
                  "--set", "model.layers[1]={type: Dense, units: 2, activation: relu}",
                  *LOGITS[2:])
    assert fit.returncode == 0, fit.stdout + fit.stderr
    result = run_cli("eval", run)
    assert result.returncode == 0, result.stdout + result.stderr
    said = " ".join(result.stdout.split())
    assert ("note: no per-class table or confusion matrix: its output 'dense_1' is neither a "
            "softmax over several units, a one-unit sigmoid, nor logits of a from_logits loss"
            ) in said, said
    assert not (run / "per_class.csv").exists()
