"""Multi-worker training launched by Slurm: two local `nntrain fit` processes given the
variables srun gives its tasks (and no TF_CONFIG) form one cluster: one run directory, two
replicas, the same weights on both workers."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

XOR = REPO / "configs" / "tiny" / "xor.yaml"


def _two_free_ports_in_a_row() -> int:
    """A port p with p and p + 1 free: a node's tasks take consecutive ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        try:
            with socket.socket() as second:
                second.bind(("127.0.0.1", base + 1))
            return base
        except OSError:
            continue
    raise AssertionError("no two consecutive free ports")


def _srun(tmp_path: Path, *sets: str) -> list[tuple[int, str, str]]:
    port = _two_free_ports_in_a_row()
    procs = []
    for rank in range(2):
        env = {**os.environ, "COLUMNS": "200", "NNTRAIN_DEBUG": "", "TF_CONFIG": "",
               "SLURM_PROCID": str(rank), "SLURM_NTASKS": "2", "SLURM_JOB_ID": "4242",
               "SLURM_STEP_NODELIST": "localhost", "SLURM_STEP_TASKS_PER_NODE": "2"}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "nntrain", "fit", str(XOR), "--set",
             "device.strategy=multi_worker", "--set", f"device.port={port}",
             "--set", f"output.dir={tmp_path / 'runs'}", "--set", "device.worker_timeout=120",
             *[a for s in sets for a in ("--set", s)]],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    finished = [(p, *p.communicate(timeout=300)) for p in procs]
    return [(p.returncode, out, err) for p, out, err in finished]


def test_two_slurm_tasks_train_one_run_with_identical_weights(tmp_path: Path) -> None:
    (chief_code, chief, chief_err), (other_code, other, other_err) = _srun(
        tmp_path, "train.epochs=3")
    assert chief_code == 0 and other_code == 0, chief + chief_err + other + other_err
    assert "(worker 0 of 2 tasks, the chief)" in chief
    assert "worker 1 of 2 tasks" in other
    assert "2 replica(s)" in chief, chief
    runs = list((tmp_path / "runs" / "xor").iterdir())
    assert len(runs) == 1 and (runs[0] / "model.keras").is_file()
    # every epoch's loss, as each worker computed it: one model, kept in step by all-reduce
    losses = [re.findall(r"epoch \d+/3 +loss (\S+)", out) for out in (chief, other)]
    assert len(losses[0]) == 3 and losses[0] == losses[1], losses


def test_slurm_cluster_without_slurm_says_what_it_needs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    result = subprocess.run(
        [sys.executable, "-m", "nntrain", "fit", str(XOR), "--set",
         "device.strategy=multi_worker", "--set", "device.cluster=slurm"],
        cwd=tmp_path, env={**env, "TF_CONFIG": ""}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "device.cluster" in result.stderr and "SLURM_PROCID" in result.stderr
    assert "srun" in result.stderr and "Traceback" not in result.stderr
