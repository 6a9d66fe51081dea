"""device: strategies, precision and their errors, on a CPU-only machine.

Mirrored runs over two logical CPUs and multi-worker over two processes on 127.0.0.1: the
same code paths GPUs and machines take, as far as one CPU can show them.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, assert_no_traceback, run_cli
from tests.reliability.test_nan import CONFIG as DIVERGING_CONFIG

XOR = REPO / "configs" / "tiny" / "xor.yaml"
WIDE = {"COLUMNS": "200"}  # one line per message, so the tests can read it


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def fit(*sets: str, run_dir: Path | None = None, env: dict[str, str] | None = None,
        cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    args = ["fit", XOR, *[a for s in sets for a in ("--set", s)]]
    if run_dir is not None:
        args += ["--run-dir", run_dir]
    return run_cli(*args, env={**WIDE, **(env or {})}, cwd=cwd, timeout=300)


def test_mirrored_over_two_logical_cpus_trains_with_two_replicas(tmp_path: Path) -> None:
    result = fit("train.epochs=2", "device.strategy=mirrored", "device.cpu_devices=2",
                 run_dir=tmp_path / "run")
    assert result.returncode == 0, result.stdout + result.stderr
    start = next(line for line in result.stdout.splitlines() if line.startswith("device:"))
    assert start.startswith("device: mirrored strategy, 2 replica(s) on CPU:0, CPU:1; "
                            "precision float32 (auto: "), start  # XOR: float32 on any CPU
    assert start.endswith("; XLA off; batch 4 global, 2 per replica"), start
    assert (tmp_path / "run" / "model.keras").is_file()


def fit_two_workers(config: Path | str, tmp_path: Path, *sets: str
                    ) -> list[tuple[subprocess.Popen[str], str, str]]:
    """`nntrain fit` as worker 0 and 1 of a multi-worker run on 127.0.0.1, run in tmp_path:
    each process with its stdout and stderr."""
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    env = {**os.environ, **WIDE, "NNTRAIN_DEBUG": "", "TF_CONFIG": ""}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "nntrain", "fit", str(config),
         *[a for s in sets for a in ("--set", s)],
         "--set", "device.strategy=multi_worker", "--set", f"device.workers=[{','.join(workers)}]",
         "--set", f"device.task_index={i}", "--set", "device.worker_timeout=120",
         "--set", f"output.dir={tmp_path / 'runs'}"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)]
    return [(p, *p.communicate(timeout=300)) for p in procs]


def test_multi_worker_two_processes_leave_one_run_directory(tmp_path: Path) -> None:
    started = time.monotonic()
    procs = fit_two_workers(XOR, tmp_path, "train.epochs=2")
    print(f"multi-worker fit, 2 processes: {time.monotonic() - started:.1f} s")
    for p, out, err in procs:
        assert p.returncode == 0, out + err
    chief, other = procs[0][1], procs[1][1]
    assert "(worker 0 of 2 tasks, the chief)" in chief
    assert "worker 1 of 2 tasks: the chief writes the run directory" in other
    runs = list((tmp_path / "runs" / "xor").iterdir())
    assert len(runs) == 1 and str(runs[0]) in chief
    assert {"model.keras", "metrics.csv", "config.yaml", "status.json"} <= {
        f.name for f in runs[0].iterdir()}
    assert (runs[0] / "checkpoints" / "last.keras").is_file()
    assert len((runs[0] / "metrics.csv").read_text().splitlines()) == 1 + 2
    assert not list(runs[0].rglob("workertemp*"))
    scratch = re.search(r"scratch here: (\S+)\)", other)
    assert scratch and not Path(scratch.group(1)).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_multi_worker_divergence_stops_every_worker_at_the_same_batch(tmp_path: Path) -> None:
    """Both workers stop, exit 1 and name the same epoch and batch; none is left waiting in
    an all-reduce for a worker that stopped alone."""
    (tmp_path / "line.csv").write_text("x,y\n1,1\n2,2\n3,3\n4,4\n")
    (tmp_path / "diverge.yaml").write_text(DIVERGING_CONFIG)
    where = set()
    for p, out, err in fit_two_workers("diverge.yaml", tmp_path, "train.batch_size=4"):
        assert p.returncode == 1, out + err
        found = re.search(r"training diverged: the loss became \S+ at (epoch \d+, batch \d+)", err)
        assert found, out + err
        where.add(found.group(1))
    assert len(where) == 1, where


def test_multi_worker_names_the_worker_that_never_came_up(tmp_path: Path) -> None:
    me, missing = (f"127.0.0.1:{p}" for p in free_ports(2))
    started = time.monotonic()
    result = fit("device.strategy=multi_worker", f"device.workers=[{me}, {missing}]",
                 "device.task_index=0", "device.worker_timeout=3",
                 f"output.dir={tmp_path / 'runs'}", env={"TF_CONFIG": ""})
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert f"never came up within 3 s: nothing answers at {missing}" in result.stderr
    assert result.stderr.count("\n") <= 3, result.stderr  # our message, not TensorFlow's logs
    assert not (tmp_path / "runs").exists()
    assert elapsed < 90, elapsed


@pytest.mark.parametrize("tf_config, says", [
    ("{not json", "not valid JSON"),
    ('{"cluster": {"worker": ["127.0.0.1"]}, "task": {"type": "worker", "index": 0}}',
     "list of host:port"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 1}}',
     "`task` must name"),
    ('{"cluster": {"ps": ["127.0.0.1:1"]}, "task": {"type": "ps", "index": 0}}',
     "`chief` and `worker` tasks only"),
])
def test_malformed_tf_config_is_a_config_error(tf_config: str, says: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked without TensorFlow, so these cost nothing."""
    from nntrain.config.schema import DeviceConfig
    from nntrain.device.cluster import cluster_config
    from nntrain.errors import NntrainError

    monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(NntrainError) as caught:
        cluster_config(DeviceConfig(strategy="multi_worker"))
    assert caught.value.exit_code == 2
    assert caught.value.render().startswith("TF_CONFIG: ") and says in caught.value.render()


def test_malformed_tf_config_exits_2_from_the_cli(tmp_path: Path) -> None:
    result = fit("device.strategy=multi_worker", env={"TF_CONFIG": "{not json"},
                 run_dir=tmp_path / "run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "TF_CONFIG: not valid JSON" in result.stderr
    assert not (tmp_path / "run").exists()


def test_tpu_without_a_tpu_fails_quickly_and_clearly(tmp_path: Path) -> None:
    started = time.monotonic()
    result = fit("device.strategy=tpu", run_dir=tmp_path / "run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "no TPU reachable on this machine" in result.stderr
    assert time.monotonic() - started < 60
    assert not (tmp_path / "run").exists()


def test_mirrored_on_a_device_that_does_not_exist(tmp_path: Path) -> None:
    result = fit("device.strategy=mirrored", "device.devices=[/gpu:0, /cpu:0]",
                 run_dir=tmp_path / "run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "device.devices: no such device: /gpu:0 (this machine has CPU:0)" in result.stderr


def test_unknown_precision_names_the_field(tmp_path: Path) -> None:
    """Checked with the config, before TensorFlow starts."""
    result = fit("device.precision=mixed_float17", run_dir=tmp_path / "run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "device.precision: Input should be 'auto'" in result.stderr
    assert "(received 'mixed_float17')" in result.stderr


def test_mixed_bfloat16_on_cpu_trains_xor_with_a_float32_output(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = fit("train.epochs=40", "device.precision=mixed_bfloat16", run_dir=run)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "precision mixed_bfloat16" in result.stdout
    with open(run / "metrics.csv", newline="") as fh:
        last = list(csv.DictReader(fh))[-1]
    assert float(last["accuracy"]) == 1.0, last
    with zipfile.ZipFile(run / "model.keras") as z:
        layers = json.loads(z.read("config.json"))["config"]["layers"]
    hidden, output = [layer["config"]["dtype"] for layer in layers
                      if layer["class_name"] == "Dense"]
    assert hidden["config"]["name"] == "mixed_bfloat16"
    assert output == "float32"
