"""Several workers on a folder read one file per example: each worker reads only its share of
the files, and a resumed run continues every worker's stream where it stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nntrain.data.pipeline import consumed_examples
from tests.data.test_streaming import _config, _stripes
from tests.device.test_devices import WIDE, free_ports


@pytest.mark.parametrize(("batch", "workers", "replicas"), [(8, 2, 1), (7, 2, 2), (5, 3, 1),
                                                             (32, 4, 2)])
def test_a_workers_examples_per_step_are_those_tf_distribute_hands_it(
        batch: int, workers: int, replicas: int) -> None:
    """tf.distribute cuts each batch of a worker's own stream into workers × replicas parts
    (batch_sizes_for_worker) and a step takes `replicas` of them."""
    from tensorflow.python.data.experimental.ops.distribute import batch_sizes_for_worker

    for k in range(workers):
        sizes = batch_sizes_for_worker(batch, workers, replicas, k).numpy().tolist()
        taken = [sum((sizes * 10)[: s * replicas]) for s in range(12)]
        assert [consumed_examples(s, batch, (k, workers), replicas) for s in range(12)] == taken


def _fit_workers(tmp_path: Path, *args: str) -> list[str]:
    """`nntrain fit ARGS` as the two workers of one run on 127.0.0.1; their stdouts."""
    workers = ",".join(f"127.0.0.1:{p}" for p in free_ports(2))
    env = {**os.environ, **WIDE, "NNTRAIN_DEBUG": "", "TF_CONFIG": ""}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "nntrain", "fit", *args, "--set", "device.strategy=multi_worker",
         "--set", f"device.workers=[{workers}]", "--set", f"device.task_index={i}",
         "--set", "device.worker_timeout=120"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out + err
    return [out for out, _ in outs]


def test_two_workers_read_half_an_image_folder_each_and_resume_exactly(tmp_path: Path) -> None:
    config = _config(tmp_path, _stripes(tmp_path / "images"), epochs=3)
    outs = _fit_workers(tmp_path, str(config), "--run-dir", "whole")
    shares = [next(ln for ln in out.splitlines() if "training files" in ln) for out in outs]
    assert "reads 18 of the 36 training files (files 1, 3, 5, ..." in shares[0]
    assert "reads 18 of the 36 training files (files 2, 4, 6, ..." in shares[1]

    _fit_workers(tmp_path, str(config), "--run-dir", "parts", "--set", "train.epochs=2")
    outs = _fit_workers(tmp_path, "--resume", "parts", "--set", "train.epochs=3")
    assert all("resuming after epoch 2" in out for out in outs)
    whole, parts = (pd.read_csv(tmp_path / run / "metrics.csv") for run in ("whole", "parts"))
    assert len(parts) == 3
    for column in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert parts[column].tolist() == pytest.approx(whole[column].tolist(), abs=1e-5)
