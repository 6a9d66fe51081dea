"""`nntrain init` writes configs that validate; `fit --print-config` shows the resolved config.

Commands that start no TensorFlow run in-process (CliRunner) where a subprocess adds nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from nntrain.cli.app import app
from nntrain.cli.results_commands import template_names
from tests.conftest import REPO, assert_no_traceback, run_cli
from tests.results.conftest import Runs

TEMPLATES = ["mnist_cnn", "tabular_classifier", "tabular_regressor", "text_lstm", "xor"]


def test_the_promised_templates_ship() -> None:
    assert template_names() == TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_is_a_valid_commented_config(template: str, tmp_path: Path) -> None:
    config = tmp_path / "sub" / f"my_{template}.yaml"
    made = CliRunner().invoke(app, ["init", "--template", template, str(config)])
    assert made.exit_code == 0, made.output
    assert config.read_text().startswith("#")
    checked = CliRunner().invoke(app, ["validate", str(config)])
    assert checked.exit_code == 0, checked.output
    assert f"model 'my_{template}'" in checked.output  # the run is named after the file


def test_xor_template_trains(runs: Runs) -> None:
    assert pd.read_csv(runs.full / "metrics.csv")["accuracy"].iloc[-1] == 1.0


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("mine\n")
    refused = run_cli("init", config)
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert config.read_text() == "mine\n"
    assert run_cli("init", config, "--force").returncode == 0
    assert "synthetic" in config.read_text()


def test_unknown_template_suggests_one(tmp_path: Path) -> None:
    result = run_cli("init", "--template", "tabular_clasifier", tmp_path / "x.yaml")
    assert result.returncode == 2 and "did you mean 'tabular_classifier'" in result.stderr
    assert_no_traceback(result)


def test_print_config_shows_set_values_without_training(runs: Runs, tmp_path: Path) -> None:
    result = run_cli("fit", "--print-config", runs.config, "--set", "train.epochs=3",
                     "--set", "compile.optimizer.learning_rate=0.5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert config["train"]["epochs"] == 3
    assert config["compile"]["optimizer"]["learning_rate"] == 0.5
    assert config["name"] == "xor" and config["train"]["batch_size"] == 4  # defaults resolved
    assert not (tmp_path / "runs").exists()


PROBE = """
import sys
from typer.testing import CliRunner
from nntrain.cli.app import app
for args in {commands!r}:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
print("tensorflow" in sys.modules, "tf_keras" in sys.modules)
"""


def test_results_commands_do_not_import_tensorflow(runs: Runs, tmp_path: Path) -> None:
    commands = [["runs", str(runs.folder)], ["compare", str(runs.full), str(runs.early)],
                ["init", str(tmp_path / "new.yaml")], ["schema"],
                ["fit", "--print-config", str(runs.config)]]
    done = subprocess.run([sys.executable, "-c", PROBE.format(commands=commands)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False False"
