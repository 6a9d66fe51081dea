"""Two tiny real runs from the xor template, shared by the results tests (fits cost seconds)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli

# Stops after a few epochs: the training loss must fall by 0.05 per epoch, and soon does not.
EARLY_STOP = "callbacks.early_stopping={monitor: loss, min_delta: 0.05, patience: 1}"


@dataclass
class Runs:
    config: Path  # the xor template as `nntrain init` writes it
    folder: Path  # holds both runs
    full: Path  # 40 epochs, lr 0.05: reaches accuracy 1
    early: Path  # lr 0.01 with early stopping


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    base = tmp_path_factory.mktemp("results")
    config = base / "xor.yaml"
    made = run_cli("init", "--template", "xor", config)
    assert made.returncode == 0, made.stderr
    folder = base / "runs"
    full, early = folder / "full", folder / "early"
    slower = ["--set", "compile.optimizer.learning_rate=0.01", "--set", EARLY_STOP]
    jobs = [(full, []), (early, slower)]
    with ThreadPoolExecutor(len(jobs)) as pool:  # both start TensorFlow at once
        results = list(pool.map(lambda job: run_cli("fit", config, "--run-dir", job[0], "--set",
                                                    "train.epochs=40", *job[1]), jobs))
    for done in results:
        assert done.returncode == 0, done.stdout + done.stderr
    return Runs(config, folder, full, early)
