"""scikit-learn's bundled datasets (no download): iris, digits, wine, breast_cancer, diabetes."""

from __future__ import annotations

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.types import RawData, Split


def load(cfg: DataConfig) -> RawData:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{cfg.name}")()
    regression = cfg.name == "diabetes"
    y = bunch.target.astype("float32" if regression else np.int64)
    info = {"source": f"sklearn.datasets.load_{cfg.name}()",
            "feature_names": [str(n) for n in bunch.feature_names]}
    if not regression:
        info["class_names"] = [str(n) for n in bunch.target_names]
    return RawData(Split(bunch.data.astype("float32"), y), info=info)
