"""Every run records in status.json what it was trained with: the Python, TensorFlow, tf-keras
and nntrain versions, the devices, the seed and a fingerprint of its data files."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import version
from pathlib import Path

from nntrain.runs.provenance import END_BYTES, fingerprint
from tests.conftest import REPO, run_cli

DATA = REPO / "datasets" / "tiny_classification.csv"


def test_fit_records_versions_devices_seed_and_data_fingerprint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = run_cli("fit", REPO / "configs/tiny/csv_classifier.yaml", "--run-dir", run,
                   "--set", "train.epochs=2", "--set", "seed=11")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads((run / "status.json").read_text())
    [record] = status["provenance"]  # one process trained it
    assert record["versions"] == {
        "python": platform.python_version(), "tensorflow": version("tensorflow"),
        "tf_keras": version("tf-keras"), "nntrain": version("nntrain"),
        "numpy": version("numpy")}
    assert record["seed"] == 11 and record["deterministic"] is False
    assert record["devices"]["used"] == ["CPU:0"]
    assert {"name": "CPU:0", "type": "CPU"} in record["devices"]["physical"]
    data = record["data"]["files"]["data.path"]
    content = DATA.read_bytes()
    assert Path(data["path"]).resolve() == DATA and data["bytes"] == len(content)
    assert data["sha256_ends"] == hashlib.sha256(str(len(content)).encode() + content).hexdigest()


def test_fingerprint_reads_only_the_ends_of_a_big_file(tmp_path: Path) -> None:
    big = tmp_path / "big.npy"
    with open(big, "wb") as fh:
        fh.write(b"a" * END_BYTES)
        fh.seek(50 * END_BYTES)  # 50 MiB, mostly a hole nobody reads
        fh.write(b"z" * END_BYTES)
    first = fingerprint(str(big))
    assert first["bytes"] == 51 * END_BYTES
    with open(big, "r+b") as fh:  # the middle is not read: the same fingerprint
        fh.seek(25 * END_BYTES)
        fh.write(b"m")
    assert fingerprint(str(big))["sha256_ends"] == first["sha256_ends"]
    with open(big, "r+b") as fh:
        fh.seek(51 * END_BYTES - 1)
        fh.write(b"!")
    assert fingerprint(str(big))["sha256_ends"] != first["sha256_ends"]


def test_fingerprint_of_a_folder_lists_it_and_of_a_missing_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "1.png").write_bytes(b"x" * 10)
    (tmp_path / "dogs").mkdir()
    (tmp_path / "dogs" / "2.png").write_bytes(b"y" * 5)
    folder = fingerprint(str(tmp_path))
    assert folder["files"] == 2 and folder["bytes"] == 15
    (tmp_path / "dogs" / "3.png").write_bytes(b"")
    assert fingerprint(str(tmp_path))["sha256_listing"] != folder["sha256_listing"]
    assert fingerprint(str(tmp_path / "*" / "*.png"))["files"] == 3
    assert "missing" in fingerprint(str(tmp_path / "gone.csv"))
