"""`nntrain tune` killed by SIGKILL mid-trial, then `nntrain tune --resume` (with `--jobs 2`):
the finished trials are kept as they were, the trial that was running is marked failed and its
values tried again under a new number, no number repeats, and every trial directory is a valid
run. The grid holds a value that cannot train (5 output units for 3 classes): those trials are
failed with the message, and the study goes on."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.reliability.helpers import metrics_rows, start_cli, wait_for
from tests.tune.helpers import trials, write_study_config

SPACE = {"compile.optimizer.learning_rate": {"choice": [0.01, 0.05]},
         "model.layers[1].units": {"choice": [3, 5]}}
GRID = {(lr, units) for lr in (0.01, 0.05) for units in (3, 5)}


def _training(study: Path) -> bool:
    """After one trial finished, another is in the middle of its 10 epochs."""
    if not (study / "trials.csv").exists():
        return False
    for run in study.glob("trial_*"):
        try:
            running = json.loads((run / "status.json").read_text())["status"] == "running"
        except (OSError, ValueError, KeyError):
            continue
        if running and 1 <= metrics_rows(run) <= 7:
            return True
    return False


def _values(row: object) -> tuple[float, int]:
    return (getattr(row, "_3"), getattr(row, "_4"))  # the two searched values, in order


def test_sigkill_then_resume_keeps_the_finished_and_reruns_the_killed_trial(
        tmp_path: Path) -> None:
    config = write_study_config(tmp_path, SPACE, epochs=10, trials=4, sampler="grid",
                                pruner="none")
    study = tmp_path / "study"
    proc = start_cli("tune", config, "--study-dir", study, cwd=tmp_path)
    wait_for(lambda: _training(study), proc, timeout=300, poll=0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    before = trials(study)

    resumed = start_cli("tune", "--resume", study, "--jobs", "2", cwd=tmp_path)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out + err
    assert "Traceback" not in out + err, out + err
    assert "interrupted before: trial(s)" in out
    after = trials(study)
    assert after.number.is_unique and sorted(after.number) == list(range(len(after)))
    for row in before[before.state != "running"].itertuples():  # what had finished is kept
        kept = after.set_index("number").loc[row.number]
        assert (kept.state, kept.val_loss) == (row.state, row.val_loss)

    killed = after[after.error.str.startswith("interrupted")]
    assert len(killed) == 1 and killed.state.iloc[0] == "failed"
    counted = after[~after.error.str.startswith("interrupted")]
    assert {_values(r) for r in counted.itertuples()} == GRID  # each grid point once
    rerun = counted[counted.number > killed.number.iloc[0]]
    assert _values(next(killed.itertuples())) in {_values(r) for r in rerun.itertuples()}

    wrong = counted[counted["model.layers[1].units"] == 5]
    assert set(wrong.state) == {"failed"}
    assert all("5 units but the labels have 3" in e for e in wrong.error)
    assert set(counted[counted["model.layers[1].units"] == 3].state) == {"complete"}

    for run in study.glob("trial_*"):  # each a run `nntrain runs` and `eval` know
        status = json.loads((run / "status.json").read_text())["status"]
        assert (run / "config.yaml").exists(), run
        if int(run.name[6:]) in set(killed.number):
            assert status == "interrupted", run
        else:
            assert status == "finished" and (run / "model.keras").exists(), run
    assert (study / "worker_1.log").exists()  # the second --jobs process ran
