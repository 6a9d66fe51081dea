"""A folder of text files (source: text_dir) is listed, not read: tf.data reads the files while
training, the vocabulary is adapted by streaming them, and the model takes raw strings."""

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
from nntrain.data.files import is_files
from nntrain.data.sources.fortunes import entries
from tests.in_process import predict_table

FORTUNES = Path("/usr/share/games/fortunes")
needs_fortunes = pytest.mark.skipif(not (FORTUNES / "people").exists(),
                                    reason="apt-get install fortunes")


def _folder(root: Path) -> Path:
    """Real sentences, one file each: fortunes' `computers` and `people` (≈ 2,300 files)."""
    for category in ("computers", "people"):
        (root / category).mkdir(parents=True)
        for i, text in enumerate(entries(FORTUNES / category)):
            (root / category / f"{i:04d}.txt").write_text(text + "\n")
    return root


@needs_fortunes
def test_the_vocabulary_streamed_from_the_files_is_the_one_adapted_in_memory(
        tmp_path: Path) -> None:
    from nntrain.engine import keras

    data = DataConfig(source="text_dir", path=str(_folder(tmp_path / "texts")), max_tokens=500,
                      sequence_length=20, validation_split=0.2)
    (fold,) = prepare(data, seed=0, in_model=True)
    assert is_files(fold.train.x) and not is_files(fold.train.y)
    texts = [Path(p).read_text().strip() for p in fold.train.x.paths]
    layer = keras.layers.TextVectorization(max_tokens=500)
    layer.adapt(np.array(texts))
    assert fold.preprocessor.state["text"]["vocabulary"] == layer.get_vocabulary()


@needs_fortunes
def test_a_text_folder_trains_and_model_keras_predicts_raw_strings_like_predict(
        tmp_path: Path) -> None:
    """E15 on a folder of files instead of the fortunes source; bar as its shortened test:
    test accuracy ≥ 0.62 (always answering the larger class gets 0.54)."""
    from nntrain.engine import keras, tf

    config = yaml.safe_load((Path(__file__).parents[2] / "configs/text_lstm.yaml").read_text())
    config["data"] = {**config["data"], "source": "text_dir",
                      "path": str(_folder(tmp_path / "texts"))}
    del config["data"]["categories"]
    config["train"]["epochs"] = 7
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "c.yaml"), "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    assert json.loads((run / "eval.json").read_text())["accuracy"] >= 0.62

    sentences = ["Computers are useless. They can only give you answers.",
                 "She is the kind of person who never forgets a face."]
    predicted = predict_table(run, pd.DataFrame({"text": sentences}),
                              tmp_path)["prob_people"].to_numpy()
    alone = keras.models.load_model(run / "model.keras")
    raw = alone.predict(tf.constant(sentences), verbose=0).reshape(-1)
    assert np.abs(raw - predicted).max() <= 1e-5
