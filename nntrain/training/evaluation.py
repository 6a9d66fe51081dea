"""Final metrics of a trained model on one split: what fit and eval report and write."""

from __future__ import annotations

from typing import Any

from nntrain.data.pipeline import to_dataset
from nntrain.data.types import Split


def evaluate(model: Any, split: Split, batch_size: int) -> dict[str, float]:
    results = model.evaluate(to_dataset(split, batch_size, cache=False), verbose=0,
                             return_dict=True)
    return {k: float(v) for k, v in results.items()}
