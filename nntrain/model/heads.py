"""Which output layers are classifier heads: one idea for predict's class columns and eval's
confusion matrix."""

from __future__ import annotations

from typing import Any


def classifier_head(layer: Any) -> str | None:
    """'softmax' for a softmax over several units, 'sigmoid' for one sigmoid unit, else None."""
    activation = getattr(getattr(layer, "activation", None), "__name__", "")
    units = int(layer.output.shape[-1] or 0)
    if activation == "softmax" and units > 1:
        return "softmax"
    return "sigmoid" if activation == "sigmoid" and units == 1 else None
