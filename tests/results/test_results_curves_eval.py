"""curves.png after fit; confusion matrix and per-class table after eval of a classifier."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from PIL import Image
from typer.testing import CliRunner

from nntrain.cli.app import app
from nntrain.results.curves import DPI, PANEL_H, PANEL_W
from nntrain.results.run_info import RunInfo
from tests.results.conftest import Runs

RED, GREEN = (214, 39, 40), (44, 160, 44)  # matplotlib's tab:red (early stop), tab:green (best)


def _has_colour(png: Image.Image, rgb: tuple[int, int, int]) -> bool:
    pixels = np.asarray(png.convert("RGB")).reshape(-1, 3).astype(int)
    return bool((np.abs(pixels - rgb).sum(axis=1) < 30).any())


def test_fit_writes_curves_with_one_panel_per_metric(runs: Runs) -> None:
    with Image.open(runs.full / "curves.png") as png:
        assert png.size == (2 * PANEL_W * DPI, PANEL_H * DPI)  # loss and accuracy
        assert _has_colour(png, GREEN)  # the best epoch
        assert not _has_colour(png, RED)  # ran all its epochs: no early stop


def test_curves_mark_the_early_stop(runs: Runs) -> None:
    info = RunInfo.load(runs.early)
    assert info.early_stopped and len(info.rows) < 40
    with Image.open(runs.early / "curves.png") as png:
        assert _has_colour(png, RED)


def test_best_epoch_is_the_lowest_monitored_loss(runs: Runs) -> None:
    metrics = pd.read_csv(runs.full / "metrics.csv")
    info = RunInfo.load(runs.full)
    assert info.monitor == "loss"
    assert info.best_row["epoch"] == metrics.loc[metrics["loss"].idxmin(), "epoch"]


def test_eval_of_a_classifier_writes_confusion_matrix_and_per_class_table(runs: Runs) -> None:
    result = CliRunner().invoke(app, ["eval", str(runs.full)])  # in-process: TensorFlow once
    assert result.exit_code == 0, result.output
    assert "per class" in result.output and "macro avg" in result.output
    metrics = json.loads((runs.full / "eval.json").read_text())
    assert all(isinstance(v, float) for v in metrics.values())  # eval.json stays flat
    table = pd.read_csv(runs.full / "per_class.csv")
    assert table["class"].tolist() == ["0", "1", "macro avg"]
    assert table["support"].tolist() == [2, 2, 4]  # the xor truth table: two rows of each class
    assert (table["recall"] == 1.0).all()  # 40 epochs at lr 0.05 learn xor
    with Image.open(runs.full / "confusion_matrix.png") as png:
        assert png.size == (480, 480)  # 4 + 0.4 per class inches, at 100 dpi
