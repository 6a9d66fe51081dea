"""`train.deterministic: true` turns on TensorFlow's op determinism with the seed: the same
config trained twice on the CPU gives the same metrics.csv, bit for bit (but the timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from tests.conftest import REPO, run_cli

CONFIG = REPO / "configs" / "tiny" / "csv_classifier.yaml"
SETTINGS = ["--set", "train.deterministic=true", "--set", "train.epochs=4",
            "--set", "callbacks.tensorboard=false"]
# The same fit in-process, then what TensorFlow says of its own determinism.
PROBE = """
import sys
from typer.testing import CliRunner
from nntrain.cli.app import app
from tensorflow.python.framework.config import is_op_determinism_enabled
result = CliRunner().invoke(app, sys.argv[1:])
assert result.exit_code == 0, result.output
print(is_op_determinism_enabled())
"""


def test_deterministic_runs_give_identical_metrics(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    args = ["fit", str(CONFIG), "--run-dir", str(first), *SETTINGS]
    probe = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True,
                           text=True, timeout=600)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert probe.stdout.strip().splitlines()[-1] == "True"
    done = run_cli("fit", CONFIG, "--run-dir", second, *SETTINGS)
    assert done.returncode == 0, done.stdout + done.stderr
    a, b = (pd.read_csv(run / "metrics.csv").drop(columns="seconds") for run in (first, second))
    assert len(a) == 4
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (first / "model.keras").exists() and (second / "model.keras").exists()
    for run in (first, second):  # recorded in the run, twice over
        assert yaml.safe_load((run / "config.yaml").read_text())["train"]["deterministic"]
        status = json.loads((run / "status.json").read_text())
        assert status["provenance"][-1]["deterministic"] is True


def test_deterministic_must_be_a_boolean() -> None:
    result = run_cli("validate", CONFIG, "--set", "train.deterministic=sometimes")
    assert result.returncode == 2
    assert "train.deterministic" in result.stderr and "Traceback" not in result.stderr
