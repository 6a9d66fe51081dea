"""Helpers for the reliability tests: a tiny resumable training problem, running `nntrain` in
a subprocess we can kill, and a check that no file a run leaves behind is half-written."""

from __future__ import annotations

import fnmatch
import signal
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

TEMP_GLOB = ".*.tmp*"  # nntrain.runs.atomic.TEMP_GLOB, without importing nntrain here

# 96 rows, 3 classes, validation_split 0.25: 9 steps per epoch, ~0.1 s per epoch. Early
# stopping (restoring the best weights), LR plateaus and per-epoch checkpoints all carry
# state that a resumed run must get back for its numbers to match.
RESUMABLE = """\
name: resumable
seed: 3
data: {source: csv, path: data.csv, target: label, validation_split: 0.25}
model:
  input_shape: [4]
  layers:
    - {type: Dense, units: 16, activation: relu}
    - {type: Dense, units: 3, activation: softmax}
compile:
  optimizer: {type: Adam, learning_rate: 0.02}
  loss: sparse_categorical_crossentropy
  metrics: [accuracy]
train: {batch_size: 8, epochs: 40}
callbacks:
  early_stopping: {monitor: val_loss, patience: 6, restore_best_weights: true}
  reduce_lr_on_plateau: {monitor: val_loss, factor: 0.5, patience: 2}
  checkpoint: {monitor: val_loss, every_seconds: 0}
"""


def write_problem(folder: Path) -> Path:
    """data.csv and config.yaml of the resumable problem in `folder`; returns the config."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).round(4)
    frame = pd.DataFrame(x, columns=list("abcd"))
    frame["label"] = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5).astype(int)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "config.yaml").write_text(RESUMABLE)
    return folder / "config.yaml"


def as_in_a_terminal() -> None:
    """Ctrl-C reaches a command run in a terminal; a test suite started in the background of
    a non-interactive shell ignores SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_cli(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NNTRAIN_DEBUG": ""}
    return subprocess.Popen([sys.executable, "-m", "nntrain", *map(str, args)], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=as_in_a_terminal)


def metrics_rows(run: Path) -> int:
    try:
        return max(0, len((run / "metrics.csv").read_text().splitlines()) - 1)
    except OSError:
        return 0


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str],
             timeout: float = 120, poll: float = 0.002) -> None:
    """Poll until `condition` holds; fail if the process ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"nntrain ended (rc {proc.returncode}) before the moment came:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("timed out waiting")
        time.sleep(poll)


def is_temp(path: Path) -> bool:
    return fnmatch.fnmatch(path.name, TEMP_GLOB)


def assert_intact(run: Path) -> None:
    """Every file of the run that is not a temporary leftover reads completely: .keras files
    load, CSV / JSON / YAML / NPZ parse. TensorFlow's own backup and event files are skipped
    (TensorFlow writes them; the backup is checked by resuming from it)."""
    from nntrain.engine import keras

    for path in sorted(run.rglob("*")):
        rel = path.relative_to(run)
        if not path.is_file() or is_temp(path) or rel.parts[0] == "tensorboard" \
                or "chief" in rel.parts:
            continue
        suffix = path.suffix
        if suffix == ".keras":
            keras.models.load_model(path, safe_mode=True)
        elif suffix == ".csv":
            assert len(pd.read_csv(path).columns) > 1, rel
        elif suffix == ".json":
            json.loads(path.read_text())
        elif suffix == ".yaml":
            assert isinstance(yaml.safe_load(path.read_text()), dict), rel
        elif suffix == ".npz":
            with np.load(path) as npz:
                [npz[k] for k in npz.files]


def same_metrics(a: Path, b: Path) -> float:
    """Largest difference between two runs' metrics.csv (seconds excluded); shapes must match."""
    first = pd.read_csv(a / "metrics.csv").drop(columns="seconds")
    second = pd.read_csv(b / "metrics.csv").drop(columns="seconds")
    assert list(first.columns) == list(second.columns)
    assert first.shape == second.shape, (first.shape, second.shape)
    return float((first - second).abs().to_numpy().max())


def same_weights(a: Path, b: Path) -> float:
    from nntrain.engine import keras

    wa = keras.models.load_model(a, safe_mode=True).get_weights()
    wb = keras.models.load_model(b, safe_mode=True).get_weights()
    assert [w.shape for w in wa] == [w.shape for w in wb]
    return max(float(np.abs(x - y).max()) for x, y in zip(wa, wb))


def killed_and_resumed_equals_uninterrupted(config: str | Path, cwd: Path, rows: int) -> Path:
    """Fit `config` into cwd/reference; fit it again into cwd/run, SIGKILL it once `rows`
    epochs are in metrics.csv, resume; the resumed run equals the reference (1e-5)."""
    reference = start_cli("fit", config, "--run-dir", "reference", cwd=cwd)
    out, err = reference.communicate(timeout=300)
    assert reference.returncode == 0, out + err
    proc = start_cli("fit", config, "--run-dir", "run", cwd=cwd)
    run = cwd / "run"
    wait_for(lambda: metrics_rows(run) >= rows, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.1)
    resumed = start_cli("fit", "--resume", "run", cwd=cwd)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out + err
    assert same_metrics(run, cwd / "reference") <= 1e-5
    assert same_weights(run / "model.keras", cwd / "reference" / "model.keras") <= 1e-5
    return run
