"""The end of `nntrain fit` says what happened: that early stopping ended training and when,
which epoch was best and whether its weights were restored, and which data the final metrics
are on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import assert_no_traceback, run_cli


def _words(text: str) -> str:
    return " ".join(text.split())


def test_early_stop_best_epoch_restored_weights_and_test_data_are_said(tmp_path: Path) -> None:
    run = tmp_path / "run"
    # min_delta 10: no epoch after the first improves, so patience 1 stops after epoch 2
    result = run_cli("fit", "configs/tiny/csv_classifier.yaml", "--run-dir", run,
                     "--set", "callbacks.early_stopping={monitor: val_loss, patience: 1, "
                              "min_delta: 10, restore_best_weights: true}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    out = _words(result.stdout)
    assert len(pd.read_csv(run / "metrics.csv")) == 2
    assert ("early stopping: val_loss did not improve for 1 epoch(s), so training stopped "
            "after epoch 2 of 30") in out, out
    assert "best epoch: 1 by val_loss (" in out, out
    assert "its weights were restored into model.keras (restore_best_weights)" in out, out
    assert "final metrics, on the test data" in out, out


def test_a_run_without_early_stopping_names_its_best_checkpoint_and_validation_data(
        tmp_path: Path) -> None:
    result = run_cli("fit", "configs/tiny/csv_classifier.yaml", "--run-dir", tmp_path / "run",
                     "--set", "data.test_split=null", "--set", "train.epochs=3")
    assert result.returncode == 0, result.stdout + result.stderr
    out = _words(result.stdout)
    assert "early stopping" not in out
    assert "saved as checkpoints/best.keras; model.keras holds the last epoch's weights" in out
    assert "final metrics, on the validation data" in out, out
