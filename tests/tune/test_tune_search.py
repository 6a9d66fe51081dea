"""A search over learning rate, units and activation (12 trials, median pruner) by two
`nntrain tune` processes sharing one SQLite storage, as two machines would share a database:
one study, no trial number twice, every trial an ordinary run; the best trial is at least as
good as the config's own values (trial 0), pruned trials stopped early, and `nntrain fit
best.yaml` trains the best trial again to the same metric."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.conftest import assert_no_traceback, run_cli
from tests.reliability.helpers import start_cli
from tests.tune.helpers import SEARCH, epochs_in, trials, write_study_config

EPOCHS, TRIALS = 6, 12


def test_two_processes_search_one_study_and_best_yaml_trains_the_best_again(
        tmp_path: Path) -> None:
    config = write_study_config(tmp_path, SEARCH, EPOCHS, trials=TRIALS, pruner="median")
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    studies = [tmp_path / "machine_a", tmp_path / "machine_b"]
    procs = [start_cli("tune", config, "--storage", storage, "--study-dir", study, cwd=tmp_path)
             for study in studies]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
        assert "Traceback" not in out + err, out + err
        assert "best: trial" in out
    # the process that ended last saw every trial finished
    last = max(studies, key=lambda s: (trials(s).state != "running").sum())
    table = trials(last)
    assert table.number.is_unique and sorted(table.number) == list(range(len(table)))
    assert TRIALS <= len(table) <= TRIALS + 1  # two processes may both start the 12th
    assert set(table.state) <= {"complete", "pruned"}, table[["number", "state", "error"]]

    runs = {t: s / f"trial_{t:03d}" for s in studies for t in table.number
            if (s / f"trial_{t:03d}").is_dir()}
    assert sorted(runs) == sorted(table.number)  # each trial ran once, in one of the two
    assert all(any(r.parent == s for r in runs.values()) for s in studies)  # both worked
    for trial, run in runs.items():
        status = json.loads((run / "status.json").read_text())
        assert status["status"] == "finished" and (run / "model.keras").exists(), run
        assert epochs_in(run) == table.set_index("number").epochs[trial]

    pruned = table[table.state == "pruned"]
    assert len(pruned) >= 1, table[["number", "state", "val_loss"]]
    assert all(epochs_in(runs[t]) < EPOCHS for t in pruned.number)

    base = table[(table["compile.optimizer.learning_rate"] == 0.01)
                 & (table["model.layers[0].units"] == 8)
                 & (table["model.layers[0].activation"] == "tanh")]
    assert len(base) == 1 and base.state.iloc[0] == "complete"  # trial 0: the config's own
    best = table[table.state == "complete"].sort_values("val_loss").iloc[0]
    assert best.val_loss <= base.val_loss.iloc[0]

    best_yaml = last / "best.yaml"
    again = tmp_path / "again"
    done = run_cli("fit", best_yaml, "--run-dir", again, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_no_traceback(done)
    assert pd.read_csv(again / "metrics.csv").val_loss.min() == best.val_loss
