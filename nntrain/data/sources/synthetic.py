"""Truth tables of the logic gates the notes start from (perceptron, XOR)."""

from __future__ import annotations

import itertools

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error

GATES = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xor": lambda a, b: a ^ b,
    "xnor": lambda a, b: 1 - (a ^ b),
}


def load(cfg: DataConfig) -> RawData:
    gate = (cfg.name or "").lower()
    if gate not in GATES:
        raise config_error(f"unknown truth table '{cfg.name}'", "data.name",
                           f"one of {', '.join(GATES)}")
    rows = np.array(list(itertools.product([0, 1], repeat=2)), dtype=np.int64)
    y = GATES[gate](rows[:, 0], rows[:, 1]).astype("float32").reshape(-1, 1)
    # x1, x2 as in datasets/gates/*.csv and the notes; names of our making, so predict also
    # takes any two-column table by position
    return RawData(Split(rows.astype("float32"), y),
                   info={"source": f"synthetic {gate} truth table", "feature_names": ["x1", "x2"],
                         "positional_features": True})
