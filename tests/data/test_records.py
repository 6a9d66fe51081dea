"""TFRecord shards and TensorFlow Datasets train as streams, offline, from files built here;
a config written from CONFIG.md's examples trains without edits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from nntrain.cli.app import app
from nntrain.config.data_schema import DataConfig
from nntrain.data import prepare
from nntrain.data.records import RecordField
from tests.reliability.helpers import killed_and_resumed_equals_uninterrupted

SIZE = 12


def _images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes told apart by which third of the image is bright, with noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    pixels = rng.normal(40, 20, (n, SIZE, SIZE, 1))
    for i, c in enumerate(labels):
        pixels[i, :, c * 4:(c + 1) * 4] += 160
    return np.clip(pixels, 0, 255).astype("uint8"), labels


def write_shards(folder: Path, n: int = 240, shards: int = 4, seed: int = 0) -> Path:
    from nntrain.engine import tf

    folder.mkdir(parents=True, exist_ok=True)
    images, labels = _images(n, seed)
    for s in range(shards):
        with tf.io.TFRecordWriter(str(folder / f"train-{s:05d}-of-{shards:05d}.tfrecord")) as w:
            for image, label in zip(images[s::shards], labels[s::shards]):
                feature = {
                    "image": tf.train.Feature(bytes_list=tf.train.BytesList(
                        value=[tf.io.encode_png(image).numpy()])),
                    "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
                }
                w.write(tf.train.Example(features=tf.train.Features(feature=feature))
                        .SerializeToString())
    return folder


# The data section exactly as CONFIG.md writes it ("Data bigger than memory"), size adapted.
CONFIG_MD_TFRECORD = """
data:
  source: tfrecord                 # TFRecord shards (tf.train.Example)
  path: data/train-*.tfrecord      # a glob; validation_path / test_path likewise
  features:                        # name → how to parse it
    image: {dtype: string, decode: image, shape: [12, 12, 1]}
    label: {dtype: int64}
  target: label
  validation_split: 0.25
  preprocess: {rescale: 0.00392156862745098}
model:
  input_shape: [12, 12, 1]
  layers:
    - {type: Flatten}
    - {type: Dense, units: 16, activation: relu}
    - {type: Dense, units: 3, activation: softmax}
compile:
  optimizer: {type: Adam, learning_rate: 0.01}
  loss: sparse_categorical_crossentropy
  metrics: [accuracy]
train: {batch_size: 16, epochs: 8}
seed: 3
"""


def test_the_config_md_tfrecord_example_trains_without_edits(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    write_shards(tmp_path / "data")
    (tmp_path / "tfrecord.yaml").write_text(CONFIG_MD_TFRECORD)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["fit", "tfrecord.yaml", "--run-dir", "run"])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(tmp_path / "run" / "metrics.csv")
    assert len(rows) == 8
    assert rows["val_accuracy"].iloc[-1] >= 0.9
    assert (tmp_path / "run" / "model.keras").is_file()


def test_a_tfrecord_split_is_a_stream_cut_from_its_end(tmp_path: Path) -> None:
    data = write_shards(tmp_path / "data", n=40)
    cfg = DataConfig.model_validate(yaml.safe_load(CONFIG_MD_TFRECORD)["data"] | {
        "path": str(data / "train-*.tfrecord")})
    fold = prepare(cfg, seed=0)[0]
    assert isinstance(fold.train.x, RecordField)
    assert len(fold.train) == 30 and len(fold.validation) == 10
    assert fold.train.x.ranges == ((0, 30),) and fold.validation.x.ranges == ((30, 40),)
    batch = np.concatenate(list(fold.validation.x.batches()))
    assert batch.shape == (10, SIZE, SIZE, 1) and batch.dtype == np.float32
    assert 0.0 <= batch.min() and batch.max() <= 1.0  # rescaled while reading


def test_a_wrong_feature_spec_is_named_before_training(tmp_path: Path) -> None:
    data = write_shards(tmp_path / "data", n=8)
    config = yaml.safe_load(CONFIG_MD_TFRECORD)
    config["data"]["path"] = str(data / "train-*.tfrecord")
    config["data"]["features"]["label"] = {"dtype": "float32"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "c.yaml"), "--run-dir",
                                      str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    assert "data.features" in result.output and "label" in result.output
    assert not (tmp_path / "run").exists()


def test_a_glob_that_matches_nothing_fails_validate(tmp_path: Path) -> None:
    config = yaml.safe_load(CONFIG_MD_TFRECORD)
    config["data"]["path"] = str(tmp_path / "none-*.tfrecord")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "c.yaml")])
    assert result.exit_code == 2
    assert "data.path" in result.output and "no file matches" in result.output


CONFIG_MD_TFDS = """
data:
  source: tfds                     # a TensorFlow Datasets name, read from data_dir
  name: mnist
  data_dir: ~/tensorflow_datasets  # offline: a prepared copy; online: downloaded once
  split: {train: "train[:90%]", validation: "train[90%:]", test: test}
  preprocess: {rescale: 0.00392156862745098}
model:
  input_shape: [28, 28, 1]
  layers:
    - {type: Conv2D, filters: 4, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 4}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
compile:
  optimizer: {type: Adam, learning_rate: 0.01}
  loss: sparse_categorical_crossentropy
  metrics: [accuracy]
train: {batch_size: 32, epochs: 6}
seed: 1
"""


def prepare_tiny_mnist(data_dir: Path, n: int = 300) -> None:
    """A prepared copy of TFDS' mnist (same name, version, features) with a few examples of
    learnable digits-by-brightness, built from memory: what an offline machine holds."""
    import tensorflow_datasets as tfds

    from nntrain.engine import tf

    def split(count: int, seed: int) -> object:
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, 10, count)
        images = rng.integers(0, 30, (count, 28, 28, 1))
        for i, c in enumerate(labels):
            images[i, c * 2:c * 2 + 8] += 200
        return tf.data.Dataset.from_tensor_slices(
            {"image": images.astype("uint8"), "label": labels.astype("int64")})

    tfds.dataset_builders.store_as_tfds_dataset(
        name="mnist", version="3.0.1", data_dir=str(data_dir),
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(28, 28, 1)),
            "label": tfds.features.ClassLabel(num_classes=10)}),
        split_datasets={"train": split(n, 0), "test": split(n // 3, 1)})


def test_the_config_md_tfds_example_trains_offline_without_edits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    prepare_tiny_mnist(tmp_path / "tensorflow_datasets")
    (tmp_path / "tfds.yaml").write_text(CONFIG_MD_TFDS)
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "tfds.yaml"), "--run-dir",
                                      str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(tmp_path / "run" / "metrics.csv")
    assert len(rows) == 6 and rows["val_accuracy"].iloc[-1] >= 0.8
    evaluated = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert evaluated["accuracy"] >= 0.8  # the test split, 100 examples


def test_a_tfds_dataset_that_is_not_there_says_how_to_get_it_offline(tmp_path: Path) -> None:
    config = yaml.safe_load(CONFIG_MD_TFDS)
    config["data"]["data_dir"] = str(tmp_path / "empty")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "c.yaml"), "--run-dir",
                                      str(tmp_path / "run")])
    assert result.exit_code == 1, result.output
    assert "tfds build mnist" in result.output and "not prepared" in result.output
    assert "Traceback" not in result.output


def test_sigkill_on_a_tfrecord_source_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    """Uncached: each pass reads the files in its own seeded order through a seeded buffer."""
    write_shards(tmp_path / "data", n=120)
    config = yaml.safe_load(CONFIG_MD_TFRECORD)
    config["data"]["cache"] = "none"
    config["train"]["epochs"] = 16
    config["callbacks"] = {"checkpoint": {"monitor": "val_loss", "every_seconds": 0}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    killed_and_resumed_equals_uninterrupted("c.yaml", tmp_path, rows=5)


def test_a_disk_cache_trains_as_the_memory_cache_and_is_removed_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_shards(tmp_path / "data", n=80)
    (tmp_path / "c.yaml").write_text(CONFIG_MD_TFRECORD.replace("epochs: 8", "epochs: 3"))
    monkeypatch.chdir(tmp_path)
    outputs = {}
    for cache in ("memory", "disk"):
        result = CliRunner().invoke(app, ["fit", "c.yaml", "--run-dir", cache, "--set",
                                          f"data.cache={cache}"])
        assert result.exit_code == 0, result.output
        assert f"data cache: {'in memory' if cache == 'memory' else 'disk/cache'}" in \
            result.output.replace("\n", " ")
        outputs[cache] = pd.read_csv(tmp_path / cache / "metrics.csv").drop(columns="seconds")
    pd.testing.assert_frame_equal(outputs["memory"], outputs["disk"])
    assert not (tmp_path / "disk" / "cache").exists()


def test_two_workers_on_four_tfrecord_files_read_two_files_each(tmp_path: Path) -> None:
    from tests.device.test_devices import fit_two_workers

    write_shards(tmp_path / "data", n=120)
    config = yaml.safe_load(CONFIG_MD_TFRECORD)
    config["data"].pop("validation_split")
    config["data"]["validation_path"] = "data/train-00000-of-00004.tfrecord"
    config["name"] = "shards"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    procs = fit_two_workers(tmp_path / "c.yaml", tmp_path, "train.epochs=2")
    shares = []
    for p, out, err in procs:
        assert p.returncode == 0, out + err
        line = next(ln for ln in out.splitlines() if "training file(s):" in ln)
        shares.append(set(line.split("training file(s):")[1].replace(",", " ").split()))
    assert [len(s) for s in shares] == [2, 2]
    assert shares[0] | shares[1] == {f"train-{i:05d}-of-00004.tfrecord" for i in range(4)}
    runs = list((tmp_path / "runs" / "shards").iterdir())
    assert len((runs[0] / "metrics.csv").read_text().splitlines()) == 1 + 2
