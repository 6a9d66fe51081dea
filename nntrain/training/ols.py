"""A linear model's learned weights next to the least-squares solution of the same data.

The notes (000, "Regression vs Neural Network") show that Dense(1, linear) trained by gradient
descent is linear regression: its weights approach the OLS coefficients, and starting from
those coefficients (set_weights; here model.initial_weights) gives the OLS predictions. With
`model.compare_with_ols: true` the run writes ols.csv (feature, learned, least_squares,
difference) and ols_weights.npz (the OLS solution in get_weights() order, to start from).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nntrain.data import Fold


@dataclass
class OlsComparison:
    rows: list[dict[str, Any]]
    weights: dict[str, np.ndarray]  # kernel (and bias), shaped like the Dense layer's


def compare_with_ols(model: Any, fold: Fold) -> OlsComparison:
    """Least squares on the training split exactly as the model saw it (preprocessed, e.g.
    standardized), with an intercept only when the Dense layer has a bias."""
    dense = model.layers[-1]
    seen = fold.preprocessor.transform_x(fold.train.x, layers=True)  # past the model's front
    x = np.asarray(seen, dtype="float64").reshape(len(fold.train), -1)
    y = np.asarray(fold.train.y, dtype="float64").reshape(-1)
    design = np.hstack([x, np.ones((len(x), 1))]) if dense.use_bias else x
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    learned = np.concatenate([w.reshape(-1) for w in dense.get_weights()])
    names = fold.preprocessor.state.get("info", {}).get("feature_names")
    names = list(names) if isinstance(names, list) and len(names) == x.shape[1] else [
        f"x{i}" for i in range(x.shape[1])]
    names += ["(bias)"] if dense.use_bias else []
    rows = [{"feature": n, "learned": float(a), "least_squares": float(b),
             "difference": float(a - b)} for n, a, b in zip(names, learned, solution)]
    weights = {"kernel": solution[:x.shape[1]].reshape(-1, 1).astype("float32")}
    if dense.use_bias:
        weights["bias"] = solution[x.shape[1]:].astype("float32")
    return OlsComparison(rows, weights)
