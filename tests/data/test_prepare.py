"""Splits, class selection and preprocessing: fitted on the training split, replayed exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nntrain.config.data_schema import DataConfig
from nntrain.data import Preprocessor, prepare
from nntrain.errors import NntrainError

REPO = Path(__file__).resolve().parents[2]
IRIS = str(REPO / "datasets/iris.csv")
HOUSING = str(REPO / "datasets/housing5.csv")


def cfg(**kw) -> DataConfig:
    return DataConfig(**kw)


def test_fashion_two_classes_keep_12000_training_images():
    (fold,) = prepare(cfg(source="fashion_mnist", classes=[0, 1], validation_size=5000,
                          preprocess={"rescale": 1 / 255, "flatten": True}), seed=0)
    assert len(fold.train) + len(fold.validation) == 12000
    assert len(fold.validation) == 5000 and len(fold.test) == 2000
    assert fold.train.x.shape[1:] == (784,) and fold.train.x.max() <= 1.0
    assert set(np.unique(fold.train.y)) == {0, 1}
    assert fold.preprocessor.class_names == ["T-shirt/top", "Trouser"]


def test_classes_by_name_are_remapped_in_the_order_given():
    (fold,) = prepare(cfg(source="csv", path=IRIS, target="species",
                          classes=["virginica", "setosa"]), seed=0)
    assert fold.preprocessor.class_names == ["virginica", "setosa"]
    assert np.bincount(fold.train.y.ravel()).tolist() == [50, 50]


def test_classes_not_in_the_labels_is_a_config_error():
    with pytest.raises(NntrainError) as err:
        prepare(cfg(source="sklearn", name="iris", classes=[0, 7]), seed=0)
    assert err.value.exit_code == 2 and "7" in str(err.value)


def test_normalize_uses_training_statistics_and_predict_replays_them():
    (fold,) = prepare(cfg(source="csv", path=HOUSING, target="MEDV", validation_split=0.25,
                          preprocess={"normalize": True}), seed=3)
    pre = fold.preprocessor
    assert np.allclose(fold.train.x.mean(axis=0), 0, atol=1e-4)
    assert np.allclose(fold.train.x.std(axis=0), 1, atol=1e-3)
    assert not np.allclose(fold.validation.x.mean(axis=0), 0, atol=1e-3)
    # The same state, through JSON, transforms raw rows identically.
    rebuilt = Preprocessor(json.loads(json.dumps(pre.state)))
    import pandas as pd

    frame = pd.read_csv(HOUSING)
    raw = frame[["CRIM", "NOX", "RM", "PTRATIO", "LSTAT"]].to_numpy("float32")
    mean, std = np.array(pre.state["normalize"]["mean"]), np.array(pre.state["normalize"]["std"])
    assert np.allclose(rebuilt.transform_x(raw[:3]), (raw[:3] - mean) / std, atol=1e-5)


def test_kfold_partitions_the_training_data():
    folds = prepare(cfg(source="mlxtend", name="boston_housing", kfold=4,
                        preprocess={"normalize": True}), seed=1)
    assert [f.index for f in folds] == [0, 1, 2, 3]
    sizes = [len(f.validation) for f in folds]
    assert sum(sizes) == 506 and all(len(f.train) + len(f.validation) == 506 for f in folds)
    targets = np.sort(np.concatenate([f.validation.y for f in folds]))
    assert np.allclose(targets, np.sort(folds[0].train.y.tolist() + folds[0].validation.y.tolist()))
    means = [f.preprocessor.state["normalize"]["mean"] for f in folds]
    assert means[0] != means[1]  # each fold fits on its own training part


def test_test_split_when_the_source_has_none():
    (fold,) = prepare(cfg(source="sklearn", name="iris", test_split=0.2, validation_split=0.25),
                      seed=0)
    assert (len(fold.train), len(fold.validation), len(fold.test)) == (90, 30, 30)


def test_one_hot_labels():
    (fold,) = prepare(cfg(source="sklearn", name="wine", preprocess={"one_hot": True}), seed=0)
    assert fold.train.y.shape == (178, 3) and np.all(fold.train.y.sum(axis=1) == 1)


def test_one_hot_on_a_regression_target_is_refused():
    with pytest.raises(NntrainError) as err:
        prepare(cfg(source="csv", path=HOUSING, target="MEDV", preprocess={"one_hot": True}),
                seed=0)
    assert err.value.exit_code == 2 and "integer class labels" in str(err.value)


def test_validation_file_with_other_columns_shapes_is_refused(tmp_path):
    np.savez(tmp_path / "t.npz", x=np.zeros((4, 3)), y=np.zeros(4))
    np.savez(tmp_path / "v.npz", x=np.zeros((2, 5)), y=np.zeros(2))
    with pytest.raises(NntrainError, match="validation inputs have shape"):
        prepare(cfg(source="npz", path=str(tmp_path / "t.npz"),
                    validation_path=str(tmp_path / "v.npz")), seed=0)


def test_reshape_that_does_not_fit_names_the_field():
    with pytest.raises(NntrainError) as err:
        prepare(cfg(source="sklearn", name="digits", preprocess={"reshape": [9, 9, 1]}), seed=0)
    assert "data.preprocess.reshape" in str(err.value)


def test_text_vocabulary_is_fitted_on_train_and_stored():
    (fold,) = prepare(cfg(source="fortunes", validation_split=0.2, max_tokens=500,
                          sequence_length=30), seed=0)
    state = fold.preprocessor.state
    assert fold.train.x.shape[1:] == (30,) and fold.train.x.dtype == np.int32
    assert state["text"]["vocab_size"] <= 500 and state["text"]["vocabulary"][:2] == ["", "[UNK]"]
    assert fold.train.x.max() < 500
    rebuilt = Preprocessor(json.loads(json.dumps(state)))
    ids = rebuilt.transform_x(np.array(["The computer crashed again."], dtype=object))
    assert ids.shape == (1, 30) and ids[0, 0] > 1


def test_one_hot_for_named_outputs_only(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("a,b,age,income\n1,2,31.5,low\n3,4,40.0,high\n5,6,22.0,mid\n")
    (fold,) = prepare(cfg(source="csv", path=str(path), features={"x": ["a", "b"]},
                          target={"age": "age", "income": "income"},
                          preprocess={"one_hot": ["income"]}), seed=0)
    assert fold.train.y["income"].shape == (3, 3) and fold.train.y["age"].shape == (3, 1)
    assert fold.preprocessor.class_names == {"income": ["high", "low", "mid"]}
    with pytest.raises(NntrainError, match="output 'wage'"):
        prepare(cfg(source="csv", path=str(path), target={"age": "age", "income": "income"},
                    features=["a", "b"], preprocess={"one_hot": ["wage"]}), seed=0)
