"""A large CSV (or `data.cache: none`) is streamed: checked row by row in one chunked pass,
read line by line by tf.data while training, and trains as the in-memory path does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from nntrain.cli.app import app
from nntrain.config.data_schema import DataConfig
from nntrain.data import prepare
from nntrain.data.records import RecordField
from nntrain.data.sources import csv_stream
from tests.in_process import predict_table


def _table(path: Path, n: int = 2000, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)).round(4), columns=["a", "b", "c", "d"])
    frame["label"] = np.where(frame["a"] + frame["b"] > 0, "yes", "no")
    frame.to_csv(path, index=False)
    return path


def _config(tmp_path: Path, csv: Path, **data: object) -> Path:
    config = {
        "seed": 1,
        "data": {"source": "csv", "path": str(csv), "target": "label", "cache": "none",
                 "validation_split": 0.2, "preprocess": {"normalize": True}, **data},
        "model": {"input_shape": [4], "layers": [
            {"type": "Dense", "units": 8, "activation": "relu"},
            {"type": "Dense", "units": 2, "activation": "softmax"}]},
        "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.05},
                    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        "train": {"epochs": 8, "batch_size": 32},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_streamed_csv_trains_and_predicts_by_its_text_labels(tmp_path: Path) -> None:
    csv = _table(tmp_path / "t.csv")
    result = CliRunner().invoke(app, ["fit", str(_config(tmp_path, csv)), "--run-dir",
                                      str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(tmp_path / "run" / "metrics.csv")
    assert rows["val_accuracy"].iloc[-1] >= 0.95
    info = json.loads((tmp_path / "run" / "preprocess.json").read_text())["info"]
    assert info["class_names"] == ["no", "yes"] and "streamed" in info["source"]
    new = pd.read_csv(csv).drop(columns="label").head(50)
    predicted = predict_table(tmp_path / "run", new, tmp_path)
    assert (predicted["class"] == pd.read_csv(csv)["label"].head(50)).mean() >= 0.9


def test_a_streamed_csv_is_a_stream_of_lines_held_out_from_its_end(tmp_path: Path) -> None:
    csv = _table(tmp_path / "t.csv", n=100)
    cfg = DataConfig.model_validate(yaml.safe_load(_config(tmp_path, csv).read_text())["data"])
    fold = prepare(cfg, seed=0)[0]
    assert isinstance(fold.train.x, RecordField) and fold.validation.x.ranges == ((80, 100),)
    labels = np.concatenate(list(fold.validation.y.batches())).reshape(-1)
    expected = (pd.read_csv(csv)["label"].iloc[80:] == "yes").astype(int).to_numpy()
    assert (labels == expected).all()


def test_csv_auto_keeps_small_files_in_memory_and_streams_large_ones(tmp_path: Path) -> None:
    csv = _table(tmp_path / "t.csv", n=50)
    small = DataConfig(source="csv", path=str(csv), target="label")
    assert not csv_stream.streams(small)
    assert csv_stream.streams(small.model_copy(update={"cache": "none"}))
    size = csv.stat().st_size
    original, csv_stream.STREAM_BYTES = csv_stream.STREAM_BYTES, size - 1
    try:
        assert csv_stream.streams(small)
    finally:
        csv_stream.STREAM_BYTES = original


def test_a_missing_value_deep_in_a_streamed_csv_is_named_by_line(tmp_path: Path) -> None:
    csv = _table(tmp_path / "t.csv", n=500_000 // 1000 * 1000)
    lines = csv.read_text().splitlines()
    lines[450_001] = "0.1,,0.3,0.4,yes"  # line 450,002 of the file
    csv.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(app, ["fit", str(_config(tmp_path, csv)), "--run-dir",
                                      str(tmp_path / "run")])
    assert result.exit_code != 0
    assert "450002" in result.output and "'b'" not in result.output and "b" in result.output
    assert not (tmp_path / "run").exists()
