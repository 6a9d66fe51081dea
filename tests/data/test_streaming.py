"""An image folder is listed, not read: tf.data decodes it batch by batch while training, with
the pixels image_dataset_from_directory would give, and a killed run resumes exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from nntrain.cli.app import app
from nntrain.config.data_schema import DataConfig
from nntrain.data import load_raw, prepare
from nntrain.data.files import ImageFiles, materialize
from tests.reliability.helpers import killed_and_resumed_equals_uninterrupted


def _stripes(folder: Path, per_class: int = 24, size: tuple[int, int] = (20, 24)) -> Path:
    """Two classes of noisy RGB JPEGs: horizontal and vertical stripes."""
    from PIL import Image

    rng = np.random.default_rng(0)
    h, w = size
    for name, axis in (("horizontal", 0), ("vertical", 1)):
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            line = (np.arange(h if axis == 0 else w) // 2 % 2) * 200
            base = np.repeat(line[:, None] if axis == 0 else line[None, :],
                             w if axis == 0 else h, axis=1 if axis == 0 else 0)
            pixels = np.clip(base[..., None] + rng.normal(0, 25, (h, w, 3)), 0, 255)
            Image.fromarray(pixels.astype("uint8")).save(folder / name / f"{i}.jpg")
    return folder


def _config(folder: Path, images: Path, **train: object) -> Path:
    config = {
        "name": "stripes", "seed": 2,
        "data": {"source": "image_dir", "path": str(images), "image_size": [16, 16],
                 "color_mode": "rgb", "validation_split": 0.25,
                 "preprocess": {"rescale": 1 / 255, "normalize": True}},
        "model": {"input_shape": [16, 16, 3], "layers": [
            {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
            {"type": "GlobalAveragePooling2D"},
            {"type": "Dense", "units": 2, "activation": "softmax"}]},
        "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.05},
                    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        "train": {"batch_size": 8, "epochs": 12, **train},
        "callbacks": {"checkpoint": {"monitor": "val_loss", "every_seconds": 0}},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_an_image_folder_is_listed_and_decodes_like_keras(tmp_path: Path) -> None:
    from nntrain.engine import keras

    images = _stripes(tmp_path / "images", per_class=5)
    raw = load_raw(DataConfig(source="image_dir", path=str(images), image_size=[16, 16]))
    assert isinstance(raw.train.x, ImageFiles) and raw.train.x.shape == (10, 16, 16, 3)
    ours = dict(zip(raw.train.x.paths, materialize(raw.train.x)))
    theirs = keras.utils.image_dataset_from_directory(images, image_size=(16, 16),
                                                      shuffle=False, batch_size=4)
    pixels = np.concatenate([x for x, _ in theirs.as_numpy_iterator()])
    assert len(theirs.file_paths) == len(ours) == 10
    assert max(float(np.abs(ours[p] - x).max()) for p, x in zip(theirs.file_paths, pixels)) < 1e-4


def test_normalization_is_fitted_by_streaming_the_training_files(tmp_path: Path) -> None:
    images = _stripes(tmp_path / "images", per_class=5)
    cfg = DataConfig(source="image_dir", path=str(images), image_size=[16, 16],
                     preprocess={"rescale": 1 / 255, "normalize": True})
    (fold,) = prepare(cfg, seed=0)
    assert isinstance(fold.train.x, ImageFiles)
    x = materialize(fold.train.x)
    assert abs(float(x.mean())) < 1e-4 and abs(float(x.std(axis=0).mean()) - 1) < 0.05


def test_an_image_folder_trains_evaluates_and_predicts(tmp_path: Path) -> None:
    images = _stripes(tmp_path / "images")
    config = _config(tmp_path, images)
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["fit", str(config), "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    metrics = pd.read_csv(run / "metrics.csv")
    assert metrics["val_accuracy"].iloc[-1] >= 0.9, metrics
    result = CliRunner().invoke(app, ["eval", str(run)])
    assert result.exit_code == 0 and "per class" in result.output, result.output
    assert (run / "confusion_matrix.png").exists()


def test_sigkill_on_an_image_folder_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    images = _stripes(tmp_path / "images")
    config = _config(tmp_path, images, epochs=16)
    killed_and_resumed_equals_uninterrupted(config, tmp_path, rows=5)
