"""Regenerates the CSV files of this folder from their sources (see README.md).

Run from the repository root: python datasets/make_datasets.py
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
GATES = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xor": lambda a, b: a ^ b,
    "xnor": lambda a, b: 1 - (a ^ b),
}
HOUSING_COLUMNS = ["CRIM", "NOX", "RM", "PTRATIO", "LSTAT"]
BOSTON_FEATURES = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                   "PTRATIO", "B", "LSTAT"]


def truth_tables() -> None:
    rows = np.array(list(itertools.product([0, 1], repeat=2)))
    for name, gate in GATES.items():
        frame = pd.DataFrame({"x1": rows[:, 0], "x2": rows[:, 1],
                              "y": gate(rows[:, 0], rows[:, 1])})
        frame.to_csv(HERE / "gates" / f"{name}.csv", index=False)


def iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    bunch = load_iris()
    frame = pd.DataFrame(bunch.data, columns=["sepal_length", "sepal_width", "petal_length",
                                              "petal_width"])
    frame["species"] = bunch.target_names[bunch.target]
    frame.to_csv(HERE / "iris.csv", index=False)
    return frame


def housing() -> pd.DataFrame:
    from mlxtend.data import boston_housing_data

    x, y = boston_housing_data()
    frame = pd.DataFrame(x, columns=BOSTON_FEATURES)[HOUSING_COLUMNS]
    frame["MEDV"] = y
    frame.to_csv(HERE / "housing5.csv", index=False)
    return frame


def main() -> None:
    (HERE / "gates").mkdir(exist_ok=True)
    truth_tables()
    pd.DataFrame({"dosage": [0.0, 0.5, 1.0], "efficacy": [0.0, 1.0, 0.0]}).to_csv(
        HERE / "dosage.csv", index=False)
    flowers = iris()
    flowers[flowers.species != "setosa"].to_csv(HERE / "tiny_classification.csv", index=False)
    houses = housing()
    houses.sample(100, random_state=0).sort_index().to_csv(HERE / "tiny_regression.csv",
                                                           index=False)


if __name__ == "__main__":
    main()
