"""`device.gpu_devices` (two logical GPUs from one, for benchmarks/gpu_check.sh) as far as a
CPU-only machine can show it: without a GPU it is a config error that says what to use."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import REPO, assert_no_traceback, run_cli


def test_gpu_devices_without_a_gpu_is_a_config_error(tmp_path: Path) -> None:
    result = run_cli("fit", REPO / "configs" / "tiny" / "xor.yaml", "--set",
                     "device.gpu_devices=2", "--run-dir", tmp_path / "run",
                     env={"COLUMNS": "200"}, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert ("device.gpu_devices: splits a GPU into logical GPUs, and this machine has no GPU"
            in result.stderr)
    assert "device.cpu_devices" in result.stderr
    assert not (tmp_path / "run").exists()


def test_gpu_check_script_is_valid_bash() -> None:
    done = subprocess.run(["bash", "-n", REPO / "benchmarks" / "gpu_check.sh"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
