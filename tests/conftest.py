"""Shared helpers: run the real `nntrain` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str | Path, cwd: Path = REPO, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NNTRAIN_DEBUG": "", **(env or {})}
    return subprocess.run([sys.executable, "-m", "nntrain", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def float32_policy_after_each_test() -> Iterator[None]:
    """A fit run in-process sets Keras' process-wide dtype policy (`precision: auto` is
    mixed_bfloat16 on a CPU with AMX); put float32 back so the next test in this worker does
    not build its layers in bfloat16."""
    yield
    engine = sys.modules.get("nntrain.engine")
    if engine is not None:
        engine.keras.mixed_precision.set_global_policy("float32")
