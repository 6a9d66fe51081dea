"""Model files from elsewhere: only the zip .keras format loads without --allow-unsafe, judged
by content, never by name. HDF5 files and SavedModel folders load through Keras' legacy paths,
which ignore safe mode and run a Lambda layer's bytecode (the CVE-2024-3660 family)."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
from tests.reliability.test_unsafe import XOR, _invoke, _xor_model, xor_keras_with_config

COMMANDS = ("eval", "predict", "weights")


def _payload_lambda(marker: Path) -> object:
    """A Lambda whose bytecode touches `marker` each time it runs."""
    from nntrain.engine import keras

    function = eval(f"lambda x: (__import__('os').system('touch {marker}'), x)[1]")
    return keras.layers.Lambda(function)


def _fake_run(folder: Path) -> Path:
    """A run directory whose model.keras is put there by the test."""
    folder.mkdir()
    shutil.copy(XOR, folder / "config.yaml")
    return folder


def _run_commands(target: Path, tmp_path: Path) -> list[tuple[int, str]]:
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.zeros((2, 2), dtype="float32"))
    args = {"eval": ["eval", target, "--config", XOR],
            "predict": ["predict", target, "--input", inputs, "--output", tmp_path / "p.csv"],
            "weights": ["weights", target]}
    return [_invoke(*args[command]) for command in COMMANDS]


@pytest.mark.parametrize("as_run", [False, True], ids=["bare_file", "in_a_run"])
def test_an_hdf5_model_renamed_keras_is_refused_and_its_lambda_never_runs(
        tmp_path: Path, as_run: bool) -> None:
    marker = tmp_path / "PWNED"
    h5 = tmp_path / "x.h5"
    _xor_model(_payload_lambda(marker)).save(h5)
    marker.unlink(missing_ok=True)  # building the model ran it once, in this test
    target = (_fake_run(tmp_path / "run") / "model.keras") if as_run else tmp_path / "m.keras"
    h5.rename(target)
    for code, text in _run_commands(target.parent if as_run else target, tmp_path):
        assert code == 1, text
        assert "HDF5" in text and "not a zip .keras file" in text and "--allow-unsafe" in text
    assert not marker.exists()
    assert not (tmp_path / "p.csv").exists()


def test_a_saved_model_folder_in_place_of_model_keras_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    run = _fake_run(tmp_path / "run")
    _xor_model(_payload_lambda(marker)).save(tmp_path / "saved", save_format="tf")
    (tmp_path / "saved").rename(run / "model.keras")
    assert (run / "model.keras" / "saved_model.pb").exists()
    marker.unlink(missing_ok=True)
    for code, text in _run_commands(run, tmp_path):
        assert code == 1 and "SavedModel folder" in text and "--allow-unsafe" in text, text
    assert not marker.exists()


def test_an_hdf5_model_without_code_loads_with_allow_unsafe(tmp_path: Path) -> None:
    target = tmp_path / "plain.keras"
    h5 = tmp_path / "plain.h5"
    _xor_model().save(h5)
    h5.rename(target)
    code, text = _invoke("eval", target, "--config", XOR, "--allow-unsafe")
    assert code == 0 and "accuracy" in text, text


def test_a_file_that_is_no_model_says_so(tmp_path: Path) -> None:
    target = tmp_path / "notes.keras"
    target.write_text("these are not weights\n")
    for code, text in _run_commands(target, tmp_path):
        assert code == 1 and "not a Keras model file" in text, text
    empty_zip = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    code, text = _invoke("weights", empty_zip)
    assert code == 1 and "not a Keras model (no config.json inside)" in text, text


def test_a_keras_file_whose_config_inflates_to_gigabytes_is_refused_before_reading_it(
        tmp_path: Path) -> None:
    clean, bomb = tmp_path / "clean.keras", tmp_path / "bomb.keras"
    _xor_model().save(clean)
    with zipfile.ZipFile(clean) as src, \
            zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename == "config.json":
                with dst.open("config.json", "w") as out:  # 1 GiB of spaces, ~1 MB on disk
                    chunk = b" " * 2**20
                    for _ in range(1024):
                        out.write(chunk)
            else:
                dst.writestr(item, src.read(item))
    assert bomb.stat().st_size < 5 * 2**20
    started = time.monotonic()
    code, text = _invoke("weights", bomb)
    assert code == 1 and "config.json would inflate to 1024 MiB" in text, text
    assert time.monotonic() - started < 30


def test_the_shipped_checkpoints_still_load(tmp_path: Path) -> None:
    run = tmp_path / "run"
    code, text = _invoke("fit", REPO / "configs" / "tiny" / "xor.yaml", "--run-dir", run,
                         "--set", "train.epochs=2")
    assert code == 0, text
    for target in (run, run / "checkpoints" / "last.keras"):
        code, text = _invoke("weights", target)
        assert code == 0 and "layer" in text, text


def test_a_keras_file_with_a_broken_layer_config_says_which_layer_without_dumping_it(
        tmp_path: Path) -> None:
    def break_units(config: dict) -> None:
        config["config"]["layers"][-1]["config"]["units"] = "QUFBQUFB" * 50

    broken = xor_keras_with_config(tmp_path / "broken.keras", break_units)
    code, text = _invoke("weights", broken)
    assert code == 1 and "Keras cannot rebuild its Dense layer" in text, text
    assert "config=" not in text and len(text) < 500, text  # no 400-character dump
