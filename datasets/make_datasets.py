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


FORTUNES = Path("/usr/share/games/fortunes")
FORTUNE_CATEGORIES = ["computers", "people", "politics", "science"]


def fortunes_multi() -> None:
    """Real texts with two inputs and three targets (E16, E17), from Debian's `fortunes`:
    entries of 2+ lines and ≤ 400 characters filed under exactly one of four categories."""
    import sys

    sys.path.insert(0, str(HERE.parent))
    from nntrain.data.sources.fortunes import entries

    rows = []
    for category in FORTUNE_CATEGORIES:
        for entry in entries(FORTUNES / category):
            lines = [line.strip() for line in entry.splitlines()]
            if len(lines) < 2 or len(entry) > 400:
                continue
            rows.append({"opening": lines[0], "rest": " ".join(lines[1:]),
                         "text": " ".join(lines), "category": category,
                         "words": len(entry.split()), "attributed": int(lines[-1].startswith("--"))})
    frame = pd.DataFrame(rows).drop_duplicates("text", keep=False)  # filed twice: no one label
    frame.to_csv(HERE / "fortunes_multi.csv", index=False)


def main() -> None:
    (HERE / "gates").mkdir(exist_ok=True)
    truth_tables()
    pd.DataFrame({"dosage": [0.0, 0.5, 1.0], "efficacy": [0.0, 1.0, 0.0]}).to_csv(
        HERE / "dosage.csv", index=False)
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0]}).to_csv(
        HERE / "y_equals_x.csv", index=False)
    flowers = iris()
    flowers[flowers.species != "setosa"].to_csv(HERE / "tiny_classification.csv", index=False)
    houses = housing()
    houses.sample(100, random_state=0).sort_index().to_csv(HERE / "tiny_regression.csv",
                                                           index=False)
    fortunes_multi()


if __name__ == "__main__":
    main()
