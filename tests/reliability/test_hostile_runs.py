"""Faults around a run and hostile text in it: brackets that rich would read as markup, two
processes on one run directory, a run deleted while it trains, a corrupt run among good ones,
predict told to overwrite its input, labels that do not fit their loss."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.conftest import REPO
from tests.reliability.helpers import start_cli, write_problem

XOR = REPO / "configs" / "tiny" / "xor.yaml"


def _invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    text = " ".join(result.output.split())
    assert "Traceback" not in text, text
    return result.exit_code, text


def _csv_problem(folder: Path, labels: list[object]) -> Path:
    """A tiny CSV classifier whose label column holds `labels` (repeated)."""
    rng = np.random.default_rng(0)
    n = 4 * len(labels)
    frame = pd.DataFrame(rng.normal(size=(n, 2)).round(3), columns=["a", "b"])
    frame["label"] = labels * 4
    frame.to_csv(folder / "data.csv", index=False)
    config = folder / "config.yaml"
    config.write_text(f"""\
name: brackets
seed: 1
data: {{source: csv, path: '{folder / 'data.csv'}', target: label}}
model:
  input_shape: [2]
  layers:
    - {{type: Dense, units: {len(set(map(str, labels)))}, activation: softmax}}
compile: {{optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}}
train: {{batch_size: 4, epochs: 2}}
output: {{dir: '{folder / 'runs'}'}}
""")
    return config


def test_brackets_in_a_layer_type_are_shown_not_read_as_markup(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(XOR.read_text().replace("{type: Dense, units: 8",
                                              "{type: '[/x]Dense[/bold]', units: 8"))
    code, text = _invoke("validate", config)
    assert code == 2 and "[/x]Dense[/bold]" in text and "model.layers[0].type" in text, text


def test_bracketed_labels_and_run_folders_train_and_list(tmp_path: Path) -> None:
    folder = tmp_path / "[bold]data[red]"
    folder.mkdir()
    config = _csv_problem(folder, ["[/bold]", "[red]b", "c"])
    code, text = _invoke("fit", config)
    assert code == 0 and "[bold]data[red]" in text, text
    run = next((folder / "runs" / "brackets").iterdir())
    code, text = _invoke("eval", run)
    assert code == 0 and "[/bold]" in text and "[red]b" in text, text
    code, text = _invoke("runs", folder / "runs")
    assert code == 0 and "1 run(s)" in text and "finished" in text, text


def test_a_second_fit_on_the_same_run_directory_exits_1_naming_the_first(tmp_path: Path) -> None:
    config = write_problem(tmp_path)
    first = start_cli("fit", config, "--run-dir", "run", "--set", "train.epochs=400",
                      "--set", "callbacks.early_stopping=null", cwd=tmp_path)
    try:
        status = tmp_path / "run" / "status.json"
        deadline = time.monotonic() + 120
        while not (status.exists() and '"running"' in status.read_text()):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        second = subprocess.run([*first.args[:3], "fit", "--resume", "run"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 1, second.stdout + second.stderr
        assert f"process {first.pid}" in " ".join((second.stdout + second.stderr).split())
    finally:
        first.kill()
        first.wait()


def test_a_run_directory_deleted_while_training_is_reported_as_lost(tmp_path: Path) -> None:
    config = write_problem(tmp_path)
    run = tmp_path / "run"

    def delete_when_training() -> None:
        deadline = time.monotonic() + 120
        while not (run / "metrics.csv").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(run, ignore_errors=True)

    deleter = threading.Thread(target=delete_when_training)
    deleter.start()
    code, text = _invoke("fit", config, "--run-dir", run, "--set", "train.epochs=60",
                         "--set", "callbacks.early_stopping=null")
    deleter.join()
    assert code == 1 and "was deleted while training" in text, text
    assert "run written to" not in text


def test_one_corrupt_run_does_not_hide_the_others(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for name in ("good", "bad"):
        code, text = _invoke("fit", XOR, "--run-dir", runs / name, "--set", "train.epochs=2")
        assert code == 0, text
    (runs / "bad" / "metrics.csv").write_bytes(bytes(range(256)) * 4)
    code, text = _invoke("runs", runs)
    assert code == 0 and "1 run(s)" in text and "good" in text, text
    assert "left out" in text and "bad/metrics.csv" in text, text


def test_predict_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    inputs = tmp_path / "x.csv"
    inputs.write_text("x1,x2\n0,1\n")
    before = inputs.read_text()
    started = time.monotonic()
    code, text = _invoke("predict", tmp_path / "no_run_needed", "--input", inputs,
                         "--output", tmp_path / "." / "x.csv")
    assert code == 2 and "--output" in text and "overwrite" in text, text
    assert inputs.read_text() == before
    assert time.monotonic() - started < 5  # refused before TensorFlow loads


def test_fractional_class_labels_are_refused_for_sparse_crossentropy(tmp_path: Path) -> None:
    config = _csv_problem(tmp_path, [0, 1.5, 2])
    code, text = _invoke("fit", config, "--run-dir", tmp_path / "run")
    assert code == 2 and "whole class numbers" in text and "1.5" in text, text
    assert not (tmp_path / "run").exists()


def test_infinite_values_in_a_csv_name_the_column_and_line(tmp_path: Path) -> None:
    config = _csv_problem(tmp_path, [0, 1, 2])
    frame = pd.read_csv(tmp_path / "data.csv")
    frame.loc[4, "b"] = np.inf
    frame.to_csv(tmp_path / "data.csv", index=False)
    code, text = _invoke("fit", config, "--run-dir", tmp_path / "run")
    assert code == 2 and "infinite values in column(s) b at line(s) 6" in text, text
    assert "diverged" not in text


def _killed_after_epochs(folder: Path, epochs: int) -> Path:
    """The resumable problem, SIGKILLed once its backup holds at least `epochs` epochs."""
    config = write_problem(folder)
    run = folder / "run"
    proc = start_cli("fit", config, "--run-dir", run, "--set", "train.epochs=400",
                     "--set", "callbacks.early_stopping=null", cwd=folder)
    state = run / "checkpoints" / "backup" / "state.json"
    try:
        deadline = time.monotonic() + 180
        while not (state.exists() and max(map(int, json.loads(state.read_text()) or [0]))
                   >= epochs):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    return run


def test_resume_refuses_a_run_whose_metrics_or_backup_state_were_damaged(tmp_path: Path) -> None:
    run = _killed_after_epochs(tmp_path, 4)
    metrics, state = run / "metrics.csv", run / "checkpoints" / "backup" / "state.json"
    kept = metrics.read_text()
    metrics.write_text(kept.splitlines()[0] + "\n")  # every row gone
    code, text = _invoke("fit", "--resume", run)
    assert code == 1 and "metrics.csv lacks epoch(s) 1.." in text and "--run-dir" in text, text
    metrics.write_text(kept)
    state.write_text("garbage{")
    code, text = _invoke("fit", "--resume", run)
    assert code == 1 and "no readable callback state" in text, text
    for index in (run / "checkpoints" / "backup" / "chief").glob("*.index"):
        index.write_bytes(b"\0" * 64)
    code, text = _invoke("fit", "--resume", run)
    assert code == 1 and "is damaged and cannot be resumed" in text, text


def _csv_config_at(folder: Path, data_path: Path) -> Path:
    config = folder / "config.yaml"
    config.write_text(XOR.read_text().replace(
        "  source: synthetic\n  name: xor",
        f"  source: csv\n  path: '{data_path}'\n  target: y"))
    return config


def test_a_fifo_or_a_device_as_data_path_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        started = time.monotonic()
        code, text = _invoke("fit", _csv_config_at(tmp_path, path), "--run-dir", tmp_path / "r")
        assert code == 2 and "not a data file" in text and "data.path" in text, text
        assert time.monotonic() - started < 60
    assert not (tmp_path / "r").exists()


def test_a_huge_sparse_file_as_csv_is_refused_without_reading_it(tmp_path: Path) -> None:
    sparse = tmp_path / "data.csv"
    with open(sparse, "wb") as fh:
        fh.truncate(2 * 2**30)  # 2 GiB of NUL bytes, no disk used
    code, text = _invoke("fit", _csv_config_at(tmp_path, sparse), "--run-dir", tmp_path / "r")
    assert code == 2 and "not a text CSV file" in text, text


def test_a_file_that_is_no_image_in_an_image_folder_is_named(tmp_path: Path) -> None:
    from PIL import Image

    for name in ("a", "b"):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(tmp_path / "images" / name / f"{i}.png")
    fake = tmp_path / "images" / "b" / "notes.jpg"
    fake.write_text("not a picture")
    config = tmp_path / "config.yaml"
    config.write_text(f"""\
data: {{source: image_dir, path: '{tmp_path / "images"}', image_size: [8, 8]}}
model:
  input_shape: [8, 8, 3]
  layers: [{{type: Flatten}}, {{type: Dense, units: 2, activation: softmax}}]
compile: {{optimizer: adam, loss: sparse_categorical_crossentropy}}
train: {{batch_size: 2, epochs: 1}}
""")
    code, text = _invoke("fit", config, "--run-dir", tmp_path / "run")
    assert code == 2 and "notes.jpg is not a JPEG, PNG, GIF or BMP image" in text, text


def test_a_class_label_of_a_hundred_million_is_refused_for_one_hot(tmp_path: Path) -> None:
    config = _csv_problem(tmp_path, [0, 1, 100_000_000])
    config.write_text(config.read_text().replace(
        "target: label}", "target: label, preprocess: {one_hot: true}}").replace(
        "sparse_categorical_crossentropy", "categorical_crossentropy"))
    code, text = _invoke("fit", config, "--run-dir", tmp_path / "run")
    assert code == 2 and "one_hot would make 100,000,001 columns" in text, text
    assert "MemoryError" not in text


def test_eval_on_a_wrong_target_answers_before_tensorflow_loads(tmp_path: Path) -> None:
    code, text = _invoke("fit", XOR, "--run-dir", tmp_path / "runs" / "xor" / "one",
                         "--set", "train.epochs=1")
    assert code == 0, text
    for target, expected in ((tmp_path / "nothing", "does not exist"),
                             (tmp_path / "runs", "holds 1 run(s), e.g.")):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "nntrain", "eval", str(target)],
                              capture_output=True, text=True, timeout=60)
        text = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 2 and expected in text and "TARGET" in text, text
        assert time.monotonic() - started < 4  # TensorFlow alone takes longer to import


def test_an_npz_whose_arrays_inflate_past_memory_is_refused_before_reading(tmp_path: Path) -> None:
    import struct

    from nntrain.data.sources import available_memory

    members = int((available_memory() or 2**36) // 0xFFFFFFF0) + 2  # more than the machine has
    path = tmp_path / "data.npz"
    np.savez(path, x=np.zeros((4, 2), "float32"), y=np.zeros(4, "float32"),
             **{f"pad{i}": np.zeros(1) for i in range(members)})
    blob = bytearray(path.read_bytes())
    at = blob.find(b"PK\x01\x02")
    while at != -1:  # each central-directory entry now claims an array of almost 4 GiB
        blob[at + 24:at + 28] = struct.pack("<I", 0xFFFFFFF0)
        at = blob.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(blob))
    config = tmp_path / "config.yaml"
    config.write_text(XOR.read_text().replace(
        "  source: synthetic\n  name: xor", f"  source: npz\n  path: '{path}'"))
    code, text = _invoke("fit", config, "--run-dir", tmp_path / "run")
    assert code == 1 and "GiB in memory, more than the" in text, text
