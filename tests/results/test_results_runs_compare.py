"""`nntrain runs` lists runs with their real numbers; `nntrain compare` shows what differs."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from nntrain.results.compare import config_differences, flatten
from nntrain.results.runs_table import format_seconds
from tests.conftest import assert_no_traceback, run_cli
from tests.results.conftest import Runs

WIDE = {"COLUMNS": "200"}


def test_runs_table_lists_every_run_with_its_values(runs: Runs, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    shutil.copytree(runs.folder, folder)
    status = json.loads((runs.full / "status.json").read_text())
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id that no longer runs
    for name, state in (("stopped", {"status": "interrupted"}),  # Ctrl-C before epoch 1 ended
                        ("vanished", {"status": "running", "pid": gone.pid,
                                      "host": socket.gethostname()})):
        (folder / name).mkdir()
        shutil.copy(runs.full / "config.yaml", folder / name)
        (folder / name / "status.json").write_text(json.dumps({**status, **state}))
    out = tmp_path / "runs.csv"
    result = run_cli("runs", folder, "--sort", "loss", "--csv", out, env=WIDE)
    assert result.returncode == 0, result.stderr
    for name in ("full", "early", "stopped", "vanished", "finished", "interrupted", "killed"):
        assert name in result.stdout
    table = pd.read_csv(out).set_index("run")
    assert set(table.index) == {"full", "early", "stopped", "vanished"}
    assert table.loc["vanished", "status"] == "killed"  # its process is gone: nobody said so
    assert set(table.index[-2:]) == {"stopped", "vanished"}  # no loss at all: sorted last
    for run in ("full", "early"):
        metrics = pd.read_csv(folder / run / "metrics.csv")
        best = metrics.loc[metrics["loss"].idxmin()]
        row = table.loc[run]
        assert row["status"] == "finished" and row["monitor"] == "loss"
        assert row["epochs"] == len(metrics) and row["best_epoch"] == best["epoch"]
        assert row["loss"] == pytest.approx(best["loss"])
        assert row["accuracy"] == pytest.approx(best["accuracy"])
    assert list(table.index[:2]) == sorted(["full", "early"], key=lambda r: table.loc[r, "loss"])


def test_runs_sort_by_unknown_metric_suggests_one(runs: Runs) -> None:
    result = run_cli("runs", runs.folder, "--sort", "acuracy")
    assert result.returncode == 2
    assert "did you mean 'accuracy'" in result.stderr
    assert_no_traceback(result)


def test_compare_shows_only_differing_config_keys_and_plots(runs: Runs, tmp_path: Path) -> None:
    plot = tmp_path / "both.png"
    result = run_cli("compare", runs.full, runs.early, "--plot", plot, "--metric", "accuracy",
                     env=WIDE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    lr = next(line for line in lines if "compile.optimizer.learning_rate" in line)
    assert "0.05" in lr and "0.01" in lr
    assert any("callbacks.early_stopping.patience" in line for line in lines)
    assert not any(line.strip().startswith(("seed", "data.source")) for line in lines)
    assert "loss best" in result.stdout and "accuracy final" in result.stdout
    with Image.open(plot) as png:
        assert png.size == (1000, 400)  # loss and accuracy panels


def test_compare_needs_two_runs_and_a_known_metric(runs: Runs) -> None:
    one = run_cli("compare", runs.full)
    assert one.returncode == 2 and "at least two runs" in one.stderr
    bad = run_cli("compare", runs.full, runs.early, "--metric", "acuracy")
    assert bad.returncode == 2 and "did you mean 'accuracy'" in bad.stderr


def test_config_differences_use_dotted_paths() -> None:
    a = {"seed": 1, "model": {"layers": [{"units": 8}, {"units": 1}]}, "train": {"epochs": 3}}
    b = {"seed": 1, "model": {"layers": [{"units": 16}, {"units": 1}]}}
    assert flatten(a)["model.layers[0].units"] == 8
    diffs = dict(config_differences([a, b]))
    assert set(diffs) == {"model.layers[0].units", "train.epochs"}
    assert diffs["model.layers[0].units"] == [8, 16]


def test_durations_read_like_a_clock() -> None:
    assert [format_seconds(s) for s in (3.21, 42, 184, 7320)] == ["3.2s", "42s", "3m04s", "2h02m"]
