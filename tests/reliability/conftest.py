"""Fixtures shared by the reliability tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.helpers import start_cli, write_problem


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The resumable problem trained without interruption."""
    folder = tmp_path_factory.mktemp("reference")
    write_problem(folder)
    proc = start_cli("fit", "config.yaml", "--run-dir", "run", cwd=folder)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    return folder / "run"
