"""What `nntrain --help`, each command's `--help` and `nntrain --version` show a user."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version

import pytest

from nntrain.cli.app import app
from tests.conftest import REPO, run_cli

# every registered command: one added without help text or an example fails here
COMMANDS = [info.name or info.callback.__name__ for info in app.registered_commands]


def test_top_level_help_lists_every_command_with_whole_sentences() -> None:
    result = run_cli("--help", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    commands = result.stdout.split("Commands:")[1]
    assert "..." not in commands  # click cuts a description with "..."
    for name in COMMANDS:
        assert re.search(rf"^  {name} ", commands, re.M), name
    # the description of `validate` goes on to its end on a continuation line
    assert "file:line:column." in commands
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_no_escapes_and_an_example(command: str) -> None:
    result = run_cli(command, "--help", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert "\\[" not in result.stdout, result.stdout
    assert re.search(rf"Example:\n  +nntrain {command}\b", result.stdout), result.stdout


def test_required_and_default_are_shown_plainly() -> None:
    validate = run_cli("validate", "--help").stdout
    assert re.search(r"CONFIG +YAML config file +\[required\]", validate), validate
    init = run_cli("init", "--help").stdout
    assert "[default: xor]" in init


def test_runs_dir_is_optional_with_its_default() -> None:
    help_text = run_cli("runs", "--help").stdout
    assert "Usage: nntrain runs [OPTIONS] [DIR]" in help_text
    assert re.search(r"\[DIR\] +folder to search.*\[default: runs\]", help_text), help_text
    assert "required" not in help_text


def test_fit_help_describes_config() -> None:
    help_text = run_cli("fit", "--help").stdout
    assert re.search(r"\[CONFIG\] +YAML file describing data, model", help_text), help_text
    assert "--resume" in help_text


def test_version_prints_the_installed_version_without_tensorflow() -> None:
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom nntrain.cli.app import app\n"
            "r = CliRunner().invoke(app, ['--version'])\n"
            "print(r.exit_code, repr(r.output), 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == f"0 'nntrain {version('nntrain')}\\n' False", done.stderr
    assert run_cli("--version").stdout == f"nntrain {version('nntrain')}\n"
