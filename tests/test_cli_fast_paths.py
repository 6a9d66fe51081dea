"""`nntrain --help` and `nntrain validate` answer without importing TensorFlow."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import sys
from typer.testing import CliRunner
from nntrain.cli.app import app
result = CliRunner().invoke(app, {args!r})
assert result.exit_code == 0, result.output
print("tensorflow" in sys.modules, "tf_keras" in sys.modules)
"""


def _imports_tensorflow(args: list[str]) -> str:
    code = PROBE.format(args=args)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_help_does_not_import_tensorflow() -> None:
    assert _imports_tensorflow(["--help"]) == "False False"


def test_validate_does_not_import_tensorflow() -> None:
    assert _imports_tensorflow(["validate", "configs/tiny/xor.yaml"]) == "False False"
