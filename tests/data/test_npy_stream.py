"""A large .npy source is memory-mapped and streamed (forced here with data.cache: none, as
files over 256 MB are under `auto`): it trains, predicts, and resumes exactly after SIGKILL."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tests.in_process import fit_config, nntrain
from tests.reliability.helpers import killed_and_resumed_equals_uninterrupted


def _arrays(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 20)).astype("float32")
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", (x @ rng.normal(size=20) > 0).astype("int64"))


def _config(folder: Path, epochs: int, **data: object) -> Path:
    config = {
        "seed": 1,
        "data": {"source": "npy", "path": "x.npy", "target_path": "y.npy", "cache": "none",
                 "validation_split": 0.2, "preprocess": {"normalize": True}, **data},
        "model": {"input_shape": [20], "layers": [
            {"type": "Dense", "units": 16, "activation": "relu"},
            {"type": "Dense", "units": 2, "activation": "softmax"}]},
        "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.01},
                    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        "train": {"epochs": epochs, "batch_size": 64},
        "callbacks": {"checkpoint": {"monitor": "val_loss", "every_seconds": 0},
                      "tensorboard": False},
    }
    path = folder / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_streamed_npy_trains_and_its_model_predicts_new_rows(tmp_path: Path,
                                                               monkeypatch) -> None:
    _arrays(tmp_path, 3000)
    monkeypatch.chdir(tmp_path)
    run = fit_config(_config(tmp_path, 6, test_split=0.1), tmp_path / "run")
    info = json.loads((run / "preprocess.json").read_text())["info"]
    assert info["source"].endswith("x.npy (streamed)")
    assert json.loads((run / "eval.json").read_text())["accuracy"] >= 0.9
    np.save(tmp_path / "new.npy", np.load(tmp_path / "x.npy")[:200])
    result = nntrain("predict", run, "--input", tmp_path / "new.npy", "--output",
                     tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(tmp_path / "p.csv")["class"].to_numpy()
    assert (predicted == np.load(tmp_path / "y.npy")[:200]).mean() >= 0.9


def test_a_streamed_npy_of_objects_or_with_too_few_labels_is_refused(tmp_path: Path,
                                                                     monkeypatch) -> None:
    _arrays(tmp_path, 100)
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "y.npy", np.zeros(99, "int64"))
    result = nntrain("fit", _config(tmp_path, 1), "--run-dir", tmp_path / "run")
    assert result.exit_code == 2, result.output
    assert "y.npy has 99 labels for 100 examples" in result.output
    np.save(tmp_path / "x.npy", np.array([{"a": 1}] * 100, dtype=object), allow_pickle=True)
    result = nntrain("fit", _config(tmp_path, 1), "--run-dir", tmp_path / "run2")
    assert result.exit_code == 1, result.output
    assert "x.npy holds Python objects" in result.output


def test_sigkill_on_a_streamed_npy_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    _arrays(tmp_path, 1200)
    _config(tmp_path, 16)
    killed_and_resumed_equals_uninterrupted("c.yaml", tmp_path, rows=5)


def test_an_npz_written_by_savez_is_mapped_named_inputs_and_test_arrays_too(
        tmp_path: Path) -> None:
    from nntrain.config.data_schema import DataConfig
    from nntrain.data import load_raw
    from nntrain.data.files import materialize
    from nntrain.data.records import is_records

    rng = np.random.default_rng(1)
    arrays = {"story_train": rng.normal(size=(40, 5)), "question_train": rng.normal(size=(40, 2)),
              "answer_train": np.arange(40) % 3, "story_test": rng.normal(size=(10, 5)),
              "question_test": rng.normal(size=(10, 2)), "answer_test": np.arange(10) % 3}
    keys = {"x_key": {"text": "story", "q": "question"}, "y_key": "answer", "cache": "none"}
    np.savez(tmp_path / "d.npz", **arrays)
    raw = load_raw(DataConfig(source="npz", path=str(tmp_path / "d.npz"), **keys))
    assert raw.info["source"].endswith("d.npz (streamed)")
    assert is_records(raw.train.x["text"]) and raw.train.x["q"].shape == (40, 2)
    np.testing.assert_allclose(materialize(raw.test.x)["text"], arrays["story_test"], rtol=1e-6)
    assert materialize(raw.train.y).tolist() == arrays["answer_train"].tolist()
    np.savez_compressed(tmp_path / "c.npz", **arrays)  # compressed: read whole
    raw = load_raw(DataConfig(source="npz", path=str(tmp_path / "c.npz"), **keys))
    assert not is_records(raw.train.x["text"]) and len(raw.test) == 10
