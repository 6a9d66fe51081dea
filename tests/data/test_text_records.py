"""Text features of a TFRecord source: a string feature without `decode` is one text per
example, streamed; its vocabulary is adapted by streaming, and the model takes raw strings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.in_process import predict_table

GOOD, BAD = ["good", "great", "fine", "nice", "lovely"], ["bad", "awful", "poor", "sad", "dull"]


def _shards(folder: Path, n: int = 400, files: int = 2) -> list[str]:
    from nntrain.engine import tf

    rng = np.random.default_rng(0)
    folder.mkdir()
    texts = []
    for f in range(files):
        with tf.io.TFRecordWriter(str(folder / f"reviews-{f}.tfrecord")) as writer:
            for _ in range(n // files):
                label = int(rng.integers(0, 2))
                words = rng.choice(GOOD if label else BAD, 3).tolist() + \
                    rng.choice(["the", "film", "was", "very"], 2).tolist()
                text = " ".join(rng.permutation(words))
                texts.append(text)
                example = tf.train.Example(features=tf.train.Features(feature={
                    "review": tf.train.Feature(bytes_list=tf.train.BytesList(
                        value=[text.encode()])),
                    "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label]))}))
                writer.write(example.SerializeToString())
    return texts


def _config(tmp_path: Path, shape: list[int]) -> Path:
    config = {
        "name": "reviews", "seed": 3,
        "data": {"source": "tfrecord", "path": str(tmp_path / "data" / "reviews-*.tfrecord"),
                 "features": {"review": {"dtype": "string", "shape": shape},
                              "label": {"dtype": "int64", "shape": []}},
                 "target": "label", "validation_split": 0.25, "max_tokens": 50,
                 "sequence_length": 5},
        "model": {"input_shape": [5], "layers": [
            {"type": "Embedding", "input_dim": 50, "output_dim": 8},
            {"type": "GlobalAveragePooling1D"},
            {"type": "Dense", "units": 2, "activation": "softmax"}]},
        "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.05},
                    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        "train": {"batch_size": 32, "epochs": 6},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_string_feature_trains_as_text_and_model_keras_takes_raw_strings(
        tmp_path: Path) -> None:
    from nntrain.engine import keras, tf

    _shards(tmp_path / "data")
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["fit", str(_config(tmp_path, [])), "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    last = pd.read_csv(run / "metrics.csv").iloc[-1]
    assert last["val_accuracy"] >= 0.9, result.output
    state = json.loads((run / "preprocess.json").read_text())
    assert {"good", "awful", "film"} <= set(state["text"]["vocabulary"])

    reviews = ["a great and lovely film", "dull awful film"]
    predicted = predict_table(run, pd.DataFrame({"review": reviews}), tmp_path)
    assert predicted["class"].tolist() == [1, 0]
    alone = keras.models.load_model(run / "model.keras")
    raw = alone.predict(tf.constant(reviews), verbose=0)
    assert np.abs(raw - predicted[["prob_0", "prob_1"]].to_numpy()).max() <= 1e-5


def test_a_text_feature_of_several_strings_is_refused_naming_its_shape(tmp_path: Path) -> None:
    _shards(tmp_path / "data", n=20)
    result = CliRunner().invoke(app, ["fit", str(_config(tmp_path, [2])), "--run-dir",
                                      str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "data.features.review.shape" in result.output and "shape []" in result.output


def test_a_streamed_csv_with_a_text_column_beside_numbers_trains_on_both(tmp_path: Path) -> None:
    """A CSV read as a stream (data.cache: none) with a text input and a numeric one: the text
    column's values reach the model as strings, the numbers as numbers."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 600)
    frame = pd.DataFrame({
        "review": [" ".join(rng.choice(GOOD if y else BAD, 3)) for y in labels],
        "stars": labels * 2.0 + rng.normal(0, 2.0, 600),
        "sentiment": np.where(labels, "pos", "neg")})
    frame.to_csv(tmp_path / "reviews.csv", index=False)
    config = yaml.safe_load(_config(tmp_path, []).read_text())
    config["data"] = {"source": "csv", "path": str(tmp_path / "reviews.csv"), "cache": "none",
                      "features": {"words": ["review"], "numbers": ["stars"]},
                      "target": "sentiment", "validation_split": 0.25, "max_tokens": 50,
                      "sequence_length": 3}
    config["model"] = {"inputs": [{"name": "words", "shape": [3], "dtype": "int32"},
                                  {"name": "numbers", "shape": [1]}], "layers": [
        {"type": "Embedding", "input_dim": 50, "output_dim": 8, "name": "embed",
         "inputs": "words"},
        {"type": "GlobalAveragePooling1D", "name": "pool", "inputs": "embed"},
        {"type": "Concatenate", "name": "both", "inputs": ["pool", "numbers"]},
        {"type": "Dense", "units": 2, "activation": "softmax", "name": "out", "inputs": "both"}],
        "outputs": ["out"]}
    (tmp_path / "csv.yaml").write_text(yaml.safe_dump(config))
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "csv.yaml"), "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    assert "(streamed)" in json.loads((run / "preprocess.json").read_text())["info"]["source"]
    assert pd.read_csv(run / "metrics.csv").iloc[-1]["val_accuracy"] >= 0.9, result.output
    predicted = predict_table(run, frame.head(8).drop(columns="sentiment"), tmp_path)
    assert (predicted["class"] == frame.head(8)["sentiment"]).mean() >= 0.75


def test_a_tfds_text_feature_trains_as_text(tmp_path: Path, monkeypatch) -> None:
    """A prepared TFDS dataset whose input is a tfds.features.Text (as imdb_reviews' is),
    built from memory: what an offline machine holds."""
    import tensorflow_datasets as tfds

    from nntrain.engine import tf

    def split(count: int, seed: int) -> object:
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, 2, count)
        texts = [" ".join(rng.choice(GOOD if y else BAD, 3)) + " film" for y in labels]
        return tf.data.Dataset.from_tensor_slices({"text": texts, "label": labels})

    tfds.dataset_builders.store_as_tfds_dataset(
        name="tiny_reviews", version="1.0.0", data_dir=str(tmp_path / "tfds"),
        features=tfds.features.FeaturesDict({
            "text": tfds.features.Text(),
            "label": tfds.features.ClassLabel(names=["neg", "pos"])}),
        split_datasets={"train": split(300, 0), "test": split(100, 1)})
    config = yaml.safe_load(_config(tmp_path, []).read_text())
    config["data"] = {"source": "tfds", "name": "tiny_reviews", "data_dir": str(tmp_path / "tfds"),
                      "target": "label", "features": ["text"], "validation_split": 0.25,
                      "max_tokens": 50, "sequence_length": 4}
    config["model"]["input_shape"] = [4]
    (tmp_path / "tfds.yaml").write_text(yaml.safe_dump(config))
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "tfds.yaml"), "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    assert json.loads((run / "eval.json").read_text())["accuracy"] >= 0.9
