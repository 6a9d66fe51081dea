"""`nntrain fit --resume RUN --set train.epochs=N` extends a finished run: it continues from
the last epoch with the optimizer's and the callbacks' state, so the extended run equals one
trained for N epochs at once, and metrics.csv and TensorBoard go on without a gap or a
repeated epoch. Only train.epochs and callbacks.* may change on a resume."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from tests.reliability.helpers import same_metrics, same_weights, start_cli, write_problem


def _fit(*args: str | Path, cwd: Path) -> tuple[int, str, str]:
    proc = start_cli("fit", *args, cwd=cwd)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, " ".join(out.split()), " ".join(err.split())


def _tensorboard_steps(run: Path) -> list[int]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tensorboard" / "train"), size_guidance={"tensors": 0})
    acc.Reload()
    events = acc.Tensors("epoch_loss") if "epoch_loss" in acc.Tags()["tensors"] \
        else acc.Scalars("epoch_loss")
    return sorted(e.step for e in events)


def test_a_finished_run_extended_to_seven_epochs_equals_one_trained_for_seven(
        tmp_path: Path) -> None:
    write_problem(tmp_path)
    run, reference = tmp_path / "run", tmp_path / "reference"
    code, out, err = _fit("config.yaml", "--run-dir", reference, "--set", "train.epochs=7",
                          cwd=tmp_path)
    assert code == 0, out + err
    code, out, err = _fit("config.yaml", "--run-dir", run, "--set", "train.epochs=4",
                          cwd=tmp_path)
    assert code == 0, out + err
    code, out, err = _fit("--resume", run, "--set", "train.epochs=7", cwd=tmp_path)
    assert code == 0, out + err
    assert f"extending {run} (finished after 4 epochs)" in out and "resuming after epoch 4" in out
    assert pd.read_csv(run / "metrics.csv")["epoch"].tolist() == list(range(1, 8))
    assert same_metrics(run, reference) <= 1e-6
    assert same_weights(run / "model.keras", reference / "model.keras") <= 1e-6
    assert _tensorboard_steps(run) == list(range(7))
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["epochs"] == 7
    code, out, err = _fit("--resume", run, "--set", "train.epochs=7", cwd=tmp_path)
    assert code == 2 and "--set train.epochs: the run has trained 7 epochs already" in err, err


def test_a_resume_refuses_a_set_other_than_epochs_and_callbacks_naming_the_key(
        tmp_path: Path) -> None:
    write_problem(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text((tmp_path / "config.yaml").read_text())
    code, out, err = _fit("--resume", tmp_path / "run", "--set", "train.epochs=9",
                          "--set", "compile.optimizer.learning_rate=0.5", cwd=tmp_path)
    assert code == 2, out + err
    assert ("--set compile.optimizer.learning_rate: compile.optimizer.learning_rate cannot "
            "change on a resume") in err, err
    assert "Traceback" not in out + err
