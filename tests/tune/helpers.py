"""Study configs for the tune tests: configs/iris_tune.yaml, shortened, with a space of each
test's own; and a look at a study directory as a user would take it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from tests.conftest import REPO

SEARCH = {  # learning rate, units and activation, around the config's own 0.01, 8, tanh
    "compile.optimizer.learning_rate": {"loguniform": [1.0e-4, 3.0e-1]},  # slow ones: pruned
    "model.layers[0].units": {"int": [4, 64], "log": True},
    "model.layers[0].activation": {"choice": ["tanh", "relu", "gelu"]},
}


def write_study_config(folder: Path, space: dict[str, Any], epochs: int, **tune: Any) -> Path:
    config = yaml.safe_load((REPO / "configs" / "iris_tune.yaml").read_text())
    config["data"]["path"] = str(REPO / "datasets" / "iris.csv")
    config["train"]["epochs"] = epochs
    config["callbacks"]["tensorboard"] = False  # seconds per trial that these tests need not
    config["tune"] = {"metric": "val_loss", **tune, "space": space}
    path = folder / "study_config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def trials(study: Path) -> pd.DataFrame:
    return pd.read_csv(study / "trials.csv", keep_default_na=False)


def epochs_in(run: Path) -> int:
    return len(pd.read_csv(run / "metrics.csv"))
