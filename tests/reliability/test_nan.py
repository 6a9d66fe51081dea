"""A diverging run (the notes' y = x with learning rate 10) stops at the first non-finite loss,
says where and what to do, and keeps its last good checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli

CONFIG = """\
name: diverge
seed: 1
data: {source: csv, path: line.csv, target: y}
model:
  input_shape: [1]
  layers: [{type: Dense, units: 1}]
compile: {optimizer: {type: SGD, learning_rate: 10}, loss: mse}
train: {batch_size: 3, epochs: 100}
callbacks: {checkpoint: {monitor: loss, every_seconds: 0}}
"""


@pytest.mark.parametrize("xla", [False, True], ids=["check-in-graph", "xla-per-batch-check"])
def test_divergence_stops_at_once_and_keeps_the_last_good_checkpoint(tmp_path: Path,
                                                                     xla: bool) -> None:
    """Without XLA the check is compiled into the step; XLA on CPU drops it, so a per-batch
    callback does it there. Both must stop at the same batch."""
    from nntrain.engine import keras

    (tmp_path / "line.csv").write_text("x,y\n1,1\n2,2\n3,3\n")
    (tmp_path / "diverge.yaml").write_text(CONFIG)
    run = tmp_path / "run"
    result = run_cli("fit", "diverge.yaml", "--run-dir", run,
                     "--set", f"device.jit_compile={str(xla).lower()}", cwd=tmp_path)
    message = " ".join(result.stderr.split())
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    metrics = pd.read_csv(run / "metrics.csv")
    epochs = len(metrics)
    assert 3 <= epochs < 100 and np.isfinite(metrics["loss"]).all()
    assert f"at epoch {epochs + 1}, batch 1" in message, message
    assert "learning_rate" in message
    assert json.loads((run / "status.json").read_text())["status"] == "failed"
    assert (run / "curves.png").stat().st_size > 0  # the epochs before it diverged, drawn
    assert not (run / "model.keras").exists()
    for name in ("last.keras", "best.keras"):
        weights = keras.models.load_model(run / "checkpoints" / name).get_weights()
        assert all(np.isfinite(w).all() for w in weights), name
