"""`nntrain predict RUN --input IMAGE|FOLDER` on a model trained from an image folder: each
file decoded and preprocessed as training did, streamed in batches, one CSV row per file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

from nntrain.cli.app import app

SIZE = (12, 10)  # files are 12×10 pixels; the model sees them resized to 8×8


def _nntrain(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _draw(path: Path, rng: np.random.Generator, bright: bool) -> None:
    from PIL import Image

    base = 190 if bright else 50
    pixels = np.clip(base + rng.normal(0, 30, (*SIZE, 3)), 0, 255).astype("uint8")
    Image.fromarray(pixels).save(path)


def _training_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for name, bright in (("dark", False), ("light", True)):
        (root / name).mkdir(parents=True)
        for i in range(8):
            _draw(root / name / f"{i}.{'png' if i % 2 else 'jpg'}", rng, bright)
    return root


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("images")
    config = {
        "name": "light_dark", "seed": 1,
        "data": {"source": "image_dir", "path": str(_training_folder(tmp / "train")),
                 "image_size": [8, 8], "color_mode": "rgb",
                 "preprocess": {"rescale": 1 / 255, "normalize": True}},
        "model": {"input_shape": [8, 8, 3], "layers": [
            {"type": "Conv2D", "filters": 2, "kernel_size": 3, "activation": "relu"},
            {"type": "GlobalAveragePooling2D"},
            {"type": "Dense", "units": 2, "activation": "softmax"}]},
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
        "train": {"batch_size": 8, "epochs": 2},
        "callbacks": {"tensorboard": False},
    }
    (tmp / "config.yaml").write_text(yaml.safe_dump(config))
    result = _nntrain("fit", tmp / "config.yaml", "--run-dir", tmp / "run")
    assert result.exit_code == 0, result.output
    return tmp / "run"


@pytest.fixture(scope="module")
def new_images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More images than one predict batch (256), in nested folders, PNG and JPEG."""
    root = tmp_path_factory.mktemp("new") / "photos"
    rng = np.random.default_rng(1)
    for i in range(300):
        folder = root / ("a" if i % 3 else "b/deeper")
        folder.mkdir(parents=True, exist_ok=True)
        _draw(folder / f"{i:03d}.{'jpeg' if i % 2 else 'png'}", rng, bool(i % 2))
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden files are left out
    return root


def _decoded_like_training(run: Path, paths: list[str]) -> np.ndarray:
    """The model's probabilities for the files, decoded by the training data pipeline."""
    from nntrain.data.files import ImageFiles, materialize
    from nntrain.data.preprocess import Preprocessor
    from nntrain.engine import keras

    pre = Preprocessor(json.loads((run / "preprocess.json").read_text()))
    files = ImageFiles(np.array(paths, dtype=object), (8, 8), "rgb")
    x = materialize(pre.transform_x(files))
    return keras.models.load_model(run / "model.keras").predict(x, verbose=0)


def test_a_folder_gives_one_row_per_image_named_by_its_file(
        image_run: Path, new_images: Path, tmp_path: Path) -> None:
    out = tmp_path / "folder.csv"
    result = _nntrain("predict", image_run, "--input", new_images, "--output", out)
    assert result.exit_code == 0, result.output
    assert "300 prediction(s) written to" in result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["file", "class", "prob_dark", "prob_light"]
    expected = sorted(p for p in new_images.rglob("*") if p.suffix in (".png", ".jpeg"))
    assert frame["file"].tolist() == [str(p) for p in expected]
    want = _decoded_like_training(image_run, frame["file"].tolist())
    np.testing.assert_allclose(frame[["prob_dark", "prob_light"]].to_numpy(), want, atol=1e-5)
    assert (frame["class"] == np.where(want[:, 1] > want[:, 0], "light", "dark")).all()


def test_one_image_predicts_what_its_row_of_the_folder_says(
        image_run: Path, new_images: Path, tmp_path: Path) -> None:
    one = new_images / "b" / "deeper" / "003.jpeg"
    folder_out, one_out = tmp_path / "folder.csv", tmp_path / "one.csv"
    assert _nntrain("predict", image_run, "--input", new_images, "--output", folder_out
                    ).exit_code == 0
    result = _nntrain("predict", image_run, "--input", one, "--output", one_out)
    assert result.exit_code == 0, result.output
    row = pd.read_csv(one_out)
    assert row["file"].tolist() == [str(one)]
    folder = pd.read_csv(folder_out).set_index("file")
    np.testing.assert_allclose(row[["prob_dark", "prob_light"]].to_numpy()[0],
                               folder.loc[str(one), ["prob_dark", "prob_light"]].to_numpy(),
                               atol=1e-6)
    assert row["class"][0] == folder.loc[str(one), "class"]


def test_a_file_that_is_no_image_in_the_folder_is_named(image_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    _draw(folder / "ok.png", np.random.default_rng(2), True)
    (folder / "notes.txt").write_text("not a picture")
    result = _nntrain("predict", image_run, "--input", folder)
    assert result.exit_code == 2, result.output
    assert "--input" in result.output and "notes.txt is not an image" in result.output
    (folder / "notes.txt").unlink()
    (folder / "fake.png").write_text("a text file with an image's name")
    result = _nntrain("predict", image_run, "--input", folder)
    assert result.exit_code == 2 and "fake.png is not a JPEG, PNG" in result.output, result.output
    assert "Traceback" not in result.output


def test_a_bare_keras_file_takes_images_resized_to_its_input(
        image_run: Path, new_images: Path, tmp_path: Path) -> None:
    """model.keras copied out of its run: its (8, 8, 3) input says how to decode the files
    (12×10 here, resized as image_dir does), so it predicts what the run predicts."""
    import shutil

    bare = shutil.copy(image_run / "model.keras", tmp_path / "alone.keras")
    run_out, bare_out = tmp_path / "run.csv", tmp_path / "bare.csv"
    assert _nntrain("predict", image_run, "--input", new_images, "--output", run_out
                    ).exit_code == 0
    result = _nntrain("predict", bare, "--input", new_images, "--output", bare_out)
    assert result.exit_code == 0, result.output
    theirs, ours = pd.read_csv(run_out), pd.read_csv(bare_out)
    assert ours["file"].tolist() == theirs["file"].tolist()
    np.testing.assert_allclose(ours[["prob_0", "prob_1"]].to_numpy(),
                               theirs[["prob_dark", "prob_light"]].to_numpy(), atol=1e-6)
