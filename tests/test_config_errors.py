"""Bad configs exit 2 with a message that names the field, the file and line, and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, run_cli

GOOD = """\
name: t
data:
  source: synthetic
  name: xor
model:
  input_shape: [2]
  layers:
    - {type: Dense, units: 4, activation: tanh}
    - {type: Dense, units: 1, activation: sigmoid}
compile:
  optimizer: adam
  loss: binary_crossentropy
  metrics: [accuracy]
train:
  epochs: 2
"""

CASES = {
    # name: (replace this, with this, expected fragments in the message)
    "malformed_yaml": ("  layers:\n", "  layers: [\n", ["malformed YAML", ":"]),
    "unknown_key": ("train:\n  epochs: 2", "train:\n  epochs: 2\n  epoks: 3",
                    ["train.epoks", ":16:", "did you mean 'epochs'"]),
    "unknown_layer": ("type: Dense, units: 4", "type: Dense2, units: 4",
                      ["model.layers[0].type", ":8:", "did you mean 'Dense'"]),
    "unknown_activation": ("activation: tanh", "activation: tanhh",
                           ["model.layers[0].activation", ":8:", "did you mean 'tanh'"]),
    "wrong_type": ("epochs: 2", "epochs: many", ["train.epochs", ":15:", "integer"]),
    "out_of_range": ("epochs: 2", "epochs: 0", ["train.epochs", ":15:", "greater than"]),
    "missing_data_file": ("  source: synthetic\n  name: xor",
                          "  source: csv\n  path: no/such/file.csv\n  target: y",
                          ["data.path", "file not found", ":4:"]),
    "unknown_optimizer": ("optimizer: adam", "optimizer: adamm",
                          ["compile.optimizer", "did you mean"]),
    "unknown_loss": ("loss: binary_crossentropy", "loss: binary_crossentropi",
                     ["compile.loss", "did you mean 'binary_crossentropy'"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["validate", "fit"])
def test_bad_config_exits_2_and_names_the_field(case: str, command: str, tmp_path: Path) -> None:
    old, new, fragments = CASES[case]
    assert old in GOOD
    config = tmp_path / "bad.yaml"
    config.write_text(GOOD.replace(old, new))
    args = ["--run-dir", tmp_path / "run"] if command == "fit" else []
    result = run_cli(command, config, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not (tmp_path / "run").exists() and not (tmp_path / "runs").exists()




def test_set_override_is_applied_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "good.yaml"
    config.write_text(GOOD)
    ok = run_cli("validate", config, "--set", "train.epochs=3", "--set", "model.layers[0].units=2")
    assert ok.returncode == 0, ok.stderr
    bad = run_cli("validate", config, "--set", "train.epochs=-1")
    assert bad.returncode == 2 and "train.epochs" in bad.stderr and "--set" in bad.stderr
