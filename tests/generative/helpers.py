"""What the generative tests share: fitting a tiny config in this process, the pictures a
run must show, and a run killed with SIGKILL, resumed, and compared with an uninterrupted one."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.conftest import REPO
from tests.in_process import fit_config, nntrain
from tests.reliability.helpers import (metrics_rows, same_metrics, same_weights, start_cli,
                                       wait_for)

TINY = REPO / "configs" / "tiny" / "generative"
EPOCHS = 3  # the tiny configs' train.epochs


def fit(config: str, run: Path, *settings: str) -> Path:
    return fit_config(TINY / config, run, *settings)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def assert_sample_grids(run: Path) -> None:
    """samples.png and one grid per epoch in samples/."""
    assert png_size(run / "samples.png")[0] >= 256
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        f"epoch_{e:03d}.png" for e in range(1, EPOCHS + 1)]


def killed_and_resumed_matches(config: str, reference: Path, folder: Path) -> None:
    """`nntrain fit` in its own process, SIGKILLed once two epochs are in metrics.csv and before
    the last; `fit --resume` (here) then ends with the metrics and weights of `reference`,
    the same config trained without interruption."""
    proc = start_cli("fit", TINY / config, "--run-dir", "run", cwd=folder)
    run = folder / "run"
    wait_for(lambda: metrics_rows(run) >= 2, proc)  # epoch 1 is backed up by then
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert json.loads((run / "status.json").read_text())["status"] == "running"
    assert metrics_rows(run) < EPOCHS, "the kill came after the last epoch"
    resumed = nntrain("fit", "--resume", run)
    assert resumed.exit_code == 0, resumed.output
    assert "resuming after epoch" in resumed.output, resumed.output
    assert same_metrics(run, reference) <= 1e-5
    assert same_weights(run / "model.keras", reference / "model.keras") <= 1e-5
