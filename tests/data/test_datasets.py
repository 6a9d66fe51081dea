"""The files in datasets/ are what README.md says they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nntrain.config.data_schema import DataConfig
from nntrain.data import load_raw

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


@pytest.mark.parametrize("gate,outputs", [
    ("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0]),
    ("nor", [1, 0, 0, 0]), ("xor", [0, 1, 1, 0]), ("xnor", [1, 0, 0, 1]),
])
def test_truth_tables(gate, outputs):
    frame = pd.read_csv(DATASETS / "gates" / f"{gate}.csv")
    assert frame[["x1", "x2"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert frame["y"].tolist() == outputs


def test_iris_is_sklearns_copy_with_species_names():
    from sklearn.datasets import load_iris

    frame = pd.read_csv(DATASETS / "iris.csv")
    bunch = load_iris()
    assert frame.shape == (150, 5)
    assert np.allclose(frame.iloc[:, :4].to_numpy(), bunch.data)
    assert frame["species"].tolist() == bunch.target_names[bunch.target].tolist()


def test_dosage_points_from_the_notes():
    frame = pd.read_csv(DATASETS / "dosage.csv")
    assert frame.values.tolist() == [[0.0, 0.0], [0.5, 1.0], [1.0, 0.0]]


def test_housing5_is_five_columns_of_the_boston_table():
    raw = load_raw(DataConfig(source="mlxtend", name="boston_housing"))
    frame = pd.read_csv(DATASETS / "housing5.csv")
    cols = ["CRIM", "NOX", "RM", "PTRATIO", "LSTAT"]
    idx = [raw.info["feature_names"].index(c) for c in cols]
    assert frame.shape == (506, 6)
    assert np.allclose(frame[cols].to_numpy(), raw.train.x[:, idx], rtol=1e-6)
    assert np.allclose(frame["MEDV"], raw.train.y)


def test_tiny_sets_are_subsets():
    tiny = pd.read_csv(DATASETS / "tiny_regression.csv")
    full = pd.read_csv(DATASETS / "housing5.csv")
    assert len(tiny) == 100 and len(tiny.merge(full)) == 100
    cls = pd.read_csv(DATASETS / "tiny_classification.csv")
    assert len(cls) == 100 and sorted(cls["species"].unique()) == ["versicolor", "virginica"]
