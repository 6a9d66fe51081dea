"""What the data layer hands to training, eval and predict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# One array, or one per named model input / output (functional models).
Arrays = np.ndarray | dict[str, np.ndarray]


def num_examples(arrays: Arrays) -> int:
    if isinstance(arrays, dict):
        return len(next(iter(arrays.values())))
    return len(arrays)


def take(arrays: Arrays | None, index: np.ndarray | slice) -> Arrays | None:
    """The same rows of one array or of every array in a mapping."""
    if arrays is None:
        return None
    if isinstance(arrays, dict):
        return {k: v[index] for k, v in arrays.items()}
    return arrays[index]


@dataclass
class Split:
    """Examples of one split: inputs and (when known) labels."""

    x: Arrays
    y: Arrays | None = None

    def __len__(self) -> int:
        return num_examples(self.x)

    def subset(self, index: np.ndarray | slice) -> "Split":
        return Split(take(self.x, index), take(self.y, index))


@dataclass
class RawData:
    """What a source loads, before splitting and preprocessing.

    `info` is JSON-serializable and travels into preprocess.json: feature column names,
    `class_names` (original label values, so predict can answer with them), the source's
    provenance, a text vocabulary, ...
    """

    train: Split
    validation: Split | None = None
    test: Split | None = None
    info: dict[str, Any] = field(default_factory=dict)
