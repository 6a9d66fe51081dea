"""`nntrain predict --input FILE`: raw inputs read the way the training data was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nntrain.config.data_schema import DataConfig
from nntrain.data import prepare
from nntrain.data.inputs import read_inputs
from nntrain.errors import NntrainError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def iris_pre():
    (fold,) = prepare(DataConfig(source="csv", path=str(REPO / "datasets/iris.csv"),
                                 target="species", preprocess={"normalize": True}), seed=0)
    return fold.preprocessor


def test_csv_uses_the_training_columns_and_ignores_the_target(iris_pre, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("species,petal_width,petal_length,sepal_width,sepal_length\n"
                    "?,0.2,1.4,3.5,5.1\n")
    x = read_inputs(path, iris_pre)
    assert np.allclose(x, [[5.1, 3.5, 1.4, 0.2]])
    assert iris_pre.transform_x(x).shape == (1, 4)


def test_csv_missing_column_is_named(iris_pre, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("sepal_length,sepal_width,petal_lenght\n5.1,3.5,1.4\n")
    with pytest.raises(NntrainError) as err:
        read_inputs(path, iris_pre)
    assert err.value.exit_code == 2
    assert "petal_length" in str(err.value) and "did you mean 'petal_lenght'" in str(err.value)


def test_csv_missing_value_names_the_line(iris_pre, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n"
                    "5.1,,1.4,0.2\n")
    with pytest.raises(NntrainError, match="line\\(s\\) 3"):
        read_inputs(path, iris_pre)


@pytest.fixture(scope="module")
def digits_pre():
    (fold,) = prepare(DataConfig(source="sklearn", name="digits",
                                 preprocess={"reshape": [8, 8, 1]}), seed=0)
    return fold.preprocessor


def test_npy_batches_single_examples_and_refuses_wrong_shapes(digits_pre, tmp_path):
    np.save(tmp_path / "many.npy", np.zeros((3, 64)))
    np.save(tmp_path / "one.npy", np.zeros(64))
    np.save(tmp_path / "square.npy", np.zeros((2, 8, 8)))
    np.save(tmp_path / "bad.npy", np.zeros((2, 10)))
    assert read_inputs(tmp_path / "many.npy", digits_pre).shape == (3, 64)
    assert read_inputs(tmp_path / "one.npy", digits_pre).shape == (1, 64)
    x = read_inputs(tmp_path / "square.npy", digits_pre)
    assert digits_pre.transform_x(x).shape == (2, 8, 8, 1)
    with pytest.raises(NntrainError, match=r"shape \[10\].*\[64\]"):
        read_inputs(tmp_path / "bad.npy", digits_pre)


def test_npz_single_and_named_inputs(digits_pre, tmp_path):
    np.savez(tmp_path / "x.npz", x_test=np.zeros((2, 64)), y_test=np.zeros(2))
    assert read_inputs(tmp_path / "x.npz", digits_pre).shape == (2, 64)
    train = tmp_path / "train.npz"
    np.savez(train, story=np.zeros((6, 5)), question=np.ones((6, 2)), answer=np.arange(6))
    (fold,) = prepare(DataConfig(source="npz", path=str(train), y_key="answer",
                                 x_key={"text": "story", "q": "question"}), seed=0)
    np.savez(tmp_path / "new.npz", story=np.zeros((1, 5)), q=np.ones((1, 2)))
    x = read_inputs(tmp_path / "new.npz", fold.preprocessor)
    assert x["text"].shape == (1, 5) and x["q"].shape == (1, 2)
    np.savez(tmp_path / "short.npz", story=np.zeros((1, 5)))
    with pytest.raises(NntrainError, match="no array 'q'"):
        read_inputs(tmp_path / "short.npz", fold.preprocessor)


@pytest.mark.skipif(not Path("/usr/share/games/fortunes/people").exists(),
                    reason="apt-get install fortunes")
def test_text_inputs_from_txt_and_csv(tmp_path):
    (fold,) = prepare(DataConfig(source="fortunes", sequence_length=20), seed=0)
    pre = fold.preprocessor
    (tmp_path / "in.txt").write_text("The program has a bug.\n\nLincoln said so.\n")
    x = read_inputs(tmp_path / "in.txt", pre)
    assert x.tolist() == ["The program has a bug.", "Lincoln said so."]
    assert pre.transform_x(x).shape == (2, 20)
    (tmp_path / "in.csv").write_text('text\n"Unix, again"\n')
    assert read_inputs(tmp_path / "in.csv", pre).tolist() == ["Unix, again"]


def test_unknown_input_format(digits_pre, tmp_path):
    (tmp_path / "in.json").write_text("[]")
    with pytest.raises(NntrainError, match=r"\.csv, \.npy, \.npz, \.txt"):
        read_inputs(tmp_path / "in.json", digits_pre)
