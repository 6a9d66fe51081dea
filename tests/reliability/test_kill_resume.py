"""A run killed at any moment resumes to exactly the run it would have been, and no file it
leaves is ever half-written; signals stop it cleanly with exit 130 / 143."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.helpers import (assert_intact, is_temp, metrics_rows, same_metrics,
                                       same_weights, start_cli, wait_for, write_problem)


def _writing_checkpoint(run: Path) -> bool:
    """A last.keras / best.keras write is under way (its temporary file exists)."""
    folder = run / "checkpoints"
    return folder.is_dir() and any(is_temp(p) for p in folder.glob("*.keras"))


def _status(run: Path) -> dict:
    return json.loads((run / "status.json").read_text())


def _tensorboard_epochs(run: Path) -> set[int]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tensorboard" / "train"), size_guidance={"tensors": 0})
    acc.Reload()
    tag = "epoch_loss"
    events = acc.Tensors(tag) if tag in acc.Tags()["tensors"] else acc.Scalars(tag)
    return {e.step for e in events}


def _assert_matches_reference(run: Path, reference: Path) -> None:
    assert same_metrics(run, reference) <= 1e-6
    for name in ("model.keras", "checkpoints/best.keras", "checkpoints/last.keras"):
        assert same_weights(run / name, reference / name) <= 1e-6, name
    assert _tensorboard_epochs(run) == _tensorboard_epochs(reference)
    assert not any(is_temp(p) for p in run.rglob("*"))
    assert (run / "checkpoints" / "backup").is_dir()  # kept: the run can be extended


def test_sigkill_at_three_moments_then_resume_matches_uninterrupted(
        reference_run: Path, tmp_path: Path) -> None:
    write_problem(tmp_path)
    run = tmp_path / "run"
    rng = random.Random(6)
    first, second, third = rng.randint(3, 5), rng.randint(8, 10), rng.randint(13, 16)

    def mid_epoch() -> None:
        wait_for(lambda: metrics_rows(run) >= first, proc)
        time.sleep(rng.uniform(0, 0.05))

    def during_checkpoint_write() -> None:
        wait_for(lambda: metrics_rows(run) >= second, proc)
        wait_for(lambda: _writing_checkpoint(run), proc, poll=0.0005)

    def right_after_metrics_row() -> None:
        wait_for(lambda: metrics_rows(run) >= third, proc)
        rows = metrics_rows(run)
        wait_for(lambda: metrics_rows(run) > rows, proc, poll=0.0005)

    for i, moment in enumerate((mid_epoch, during_checkpoint_write, right_after_metrics_row)):
        args = ("config.yaml", "--run-dir", run) if i == 0 else ("--resume", run)
        proc = start_cli("fit", *args, cwd=tmp_path)
        moment()
        proc.kill()
        proc.wait()
        assert _status(run)["status"] == "running", moment.__name__
        assert_intact(run)
    proc = start_cli("fit", "--resume", run, cwd=tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    assert "resuming" in out
    assert _status(run)["status"] == "finished"
    assert_intact(run)
    _assert_matches_reference(run, reference_run)


def test_sigint_and_sigterm_stop_cleanly_and_the_run_resumes(
        reference_run: Path, tmp_path: Path) -> None:
    write_problem(tmp_path)
    run = tmp_path / "run"
    for args, sig, code, rows in ((("config.yaml", "--run-dir", run), signal.SIGINT, 130, 4),
                                  (("--resume", run), signal.SIGTERM, 143, 9)):
        proc = start_cli("fit", *args, cwd=tmp_path)
        wait_for(lambda: metrics_rows(run) >= rows, proc)
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert time.monotonic() - sent < 10
        assert proc.returncode == code, out + err
        assert f"nntrain fit --resume {run}" in " ".join(err.split()), err
        assert "Traceback" not in out + err
        status = _status(run)
        assert status["status"] == "interrupted" and status["signal"] == sig.name
        assert (run / "checkpoints" / "last.keras").is_file()
        assert (run / "curves.png").stat().st_size > 0  # the epochs so far, drawn
        assert_intact(run)
    # Giving the same config and --run-dir again continues the interrupted run.
    proc = start_cli("fit", "config.yaml", "--run-dir", run, cwd=tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    assert f"resuming {run}" in " ".join(out.split())
    _assert_matches_reference(run, reference_run)
    # A finished run is left alone, quickly (no TensorFlow needed to say so).
    started = time.monotonic()
    proc = start_cli("fit", "--resume", run, cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "already finished" in " ".join(out.split()), out + err
    assert time.monotonic() - started < 5


def test_run_dir_with_another_config_or_foreign_files_is_refused(
        reference_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from nntrain.cli.app import app

    write_problem(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["fit", "config.yaml", "--run-dir", str(reference_run),
                                 "--set", "train.epochs=7"])
    assert result.exit_code == 2 and "train.epochs" in result.stderr, result.output
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["fit", "config.yaml", "--run-dir", "busy"])
    assert result.exit_code == 2 and "not empty" in result.stderr, result.output
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]
