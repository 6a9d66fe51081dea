"""Helpers for the course-notes examples: the real `nntrain` commands, run in this process.

In-process because TensorFlow then starts once for the whole folder instead of once per
command (about 9 s each on CI's two cores), which keeps the folder within its time budget.
Each test trains a config from configs/ as a user would, shortened with --set where the full
run is too slow for CI, and asserts the experiment's bar or a weaker one stated in the test.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.in_process import fit_config, nntrain

CONFIGS = REPO / "configs"


def fit(config: str, run: Path, *settings: str) -> Path:
    """`nntrain fit configs/<config> --run-dir run --set ...`, which must succeed."""
    return fit_config(CONFIGS / config, run, *settings)


def held_out_metrics(run: Path) -> dict[str, float]:
    """What fit wrote to eval.json for a config with a test split (no second data load)."""
    return json.loads((run / "eval.json").read_text())


def evaluate(run: Path) -> dict[str, float]:
    """`nntrain eval run` (test split, else validation, else training data) → eval.json."""
    result = nntrain("eval", run)
    assert result.exit_code == 0, result.output
    return json.loads((run / "eval.json").read_text())


def metrics(run: Path) -> list[dict[str, Any]]:
    with open(run / "metrics.csv", newline="") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


@pytest.fixture(scope="session")
def iris_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """configs/iris.yaml trained in full (E11), shared by the tests of features E18, E19."""
    return fit("iris.yaml", tmp_path_factory.mktemp("iris") / "run")
