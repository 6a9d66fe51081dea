"""The `tune:` section is checked like the rest of a config, before TensorFlow or any trial
starts: a bad space entry exits 2 naming `tune.space.<path>` at its file:line:column, a value
a choice or a range can take is checked as if `--set` had set it; `nntrain tune` says what is
missing (a `tune:` section, Optuna itself)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO, assert_no_traceback, run_cli

BASE = """\
name: bad
seed: 1
data: {source: sklearn, name: iris, validation_split: 0.2, preprocess: {one_hot: true}}
model:
  input_shape: [4]
  layers:
    - {type: Dense, units: 8, activation: tanh}
    - {type: Dense, units: 3, activation: softmax}
compile: {optimizer: {type: Adam, learning_rate: 0.01}, loss: categorical_crossentropy}
tune:
  space:
"""


def _write(folder: Path, space: str) -> Path:
    path = folder / "bad.yaml"
    path.write_text(BASE + textwrap.indent(textwrap.dedent(space), "    "))
    return path


def test_malformed_space_entries_exit_2_each_at_its_line(tmp_path: Path) -> None:
    bad = _write(tmp_path, """\
        compile.optimizer.learning_rate: {loguniform: [0.0, 0.1]}
        model.layers[0].units: {int: [64, 8]}
        model.layers[0].activation: {choice: []}
        train.batch_size: {int: [8, 64], uniform: [8, 64]}
        train.epochs: {int: [1, 9], step: 0.5}
    """)
    done = run_cli("validate", bad)
    assert done.returncode == 2, done.stdout + done.stderr
    assert_no_traceback(done)
    for line in ("bad.yaml:12:38: tune.space.compile.optimizer.learning_rate: [0.0, 0.1]: a "
                 "log scale needs a low end above 0",
                 "bad.yaml:13:28: tune.space.model.layers[0].units: [64, 8]: the low end must "
                 "be below the high end",
                 "bad.yaml:14:42: tune.space.model.layers[0].activation.choice: List should "
                 "have at least 1 item",
                 "bad.yaml:15:23: tune.space.train.batch_size: give exactly one of "
                 "loguniform, uniform, int, choice (got uniform, int)",
                 "bad.yaml:16:19: tune.space.train.epochs: an int range takes a whole `step`"):
        assert line in done.stderr, done.stderr


def test_paths_and_values_are_checked_as_set_before_any_trial(tmp_path: Path) -> None:
    bad = _write(tmp_path, """\
        compile.optimizer.learning_rat: {loguniform: [1.0e-4, 1.0e-1]}
        model.layers[0].activation: {choice: [relu, tanhh]}
        model.layers[2].units: {int: [4, 8]}
        model.layers[0].units: {int: [0, 64]}
    """)
    validated = run_cli("validate", bad)
    study = tmp_path / "study"
    tuned = run_cli("tune", bad, "--study-dir", study)
    for done in (validated, tuned):
        assert done.returncode == 2, done.stdout + done.stderr
        assert_no_traceback(done)
        for line in ("bad.yaml:12:5: tune.space.compile.optimizer.learning_rat: compile."
                     "optimizer has no 'learning_rat', so the search cannot set compile."
                     "optimizer.learning_rat (did you mean 'learning_rate'?)",
                     "bad.yaml:13:49: tune.space.model.layers[0].activation: choice value "
                     "tanhh: unknown activation 'tanhh' (did you mean 'tanh'?)",
                     "bad.yaml:14:5: tune.space.model.layers[2].units: model.layers has 2 "
                     "entries (0 to 1)",
                     "bad.yaml:15:35: tune.space.model.layers[0].units: int value 0: Dense "
                     "units must be positive"):
            assert line in done.stderr, done.stderr
    assert not study.exists()


def test_tune_needs_a_tune_section_and_resume_needs_a_study(tmp_path: Path) -> None:
    assert run_cli("validate", REPO / "configs" / "iris_tune.yaml").returncode == 0
    done = run_cli("tune", REPO / "configs" / "iris.yaml", "--study-dir", tmp_path / "s")
    assert done.returncode == 2
    assert "config error: tune: " in done.stderr and "iris.yaml has no `tune:` section" in \
        done.stderr
    assert not (tmp_path / "s").exists()
    done = run_cli("tune", "--resume", tmp_path)
    assert done.returncode == 2
    assert f"--resume: {tmp_path} is not a study directory" in done.stderr


def test_without_optuna_tune_names_the_extra_to_install() -> None:
    code = ("import sys\nsys.modules['optuna'] = None  # as if it were not installed\n"
            "from typer.testing import CliRunner\nfrom nntrain.cli.app import app\n"
            "r = CliRunner().invoke(app, ['tune', 'configs/iris_tune.yaml'])\n"
            "print(r.exit_code, r.output)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.startswith("1 "), done.stdout + done.stderr
    assert 'pip install -e ".[tune]"' in done.stdout


def test_tune_help_shows_its_options_and_an_example() -> None:
    done = run_cli("tune", "--help", env={"COLUMNS": "80"})
    assert done.returncode == 0 and "\\[" not in done.stdout
    for option in ("--trials", "--jobs", "--storage", "--resume", "--set"):
        assert option in done.stdout
    assert re.search(r"Example:\n +nntrain tune configs/iris_tune.yaml", done.stdout)


def test_timeout_metric_and_grid_rules_are_said_with_the_fix(tmp_path: Path) -> None:
    fields = tmp_path / "fields"
    fields.mkdir()
    bad = _write(fields, "train.epochs: {int: [1, 9]}\n")
    bad.write_text(bad.read_text().replace("tune:\n", "tune:\n  timeout: 2 hours\n"
                                           "  metric: test_accuracy\n"))
    done = run_cli("validate", bad)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "bad.yaml:11:12: tune.timeout: '2 hours' is not a duration: write it like 90s, " \
           "30m, 2h or 1h30m" in done.stderr, done.stderr
    assert "bad.yaml:12:11: tune.metric: a search picks by the validation data" in done.stderr
    grid = _write(tmp_path, "train.epochs: {int: [1, 9]}\n"
                            "compile.optimizer.learning_rate: {loguniform: [1.0e-3, 1.0e-1]}\n")
    grid.write_text(grid.read_text().replace("tune:\n", "tune:\n  sampler: grid\n"))
    done = run_cli("validate", grid)
    assert done.returncode == 2
    assert "tune: sampler grid tries listed values: give compile.optimizer.learning_rate as " \
           "{choice: [...]} or {int: [low, high], step: n}" in done.stderr, done.stderr
