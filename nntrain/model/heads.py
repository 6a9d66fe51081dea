"""Which output layers are classifier heads: one idea for predict's class columns and eval's
confusion matrix. A head may output logits (a last Dense without activation, trained with
`from_logits: true`, as TensorFlow's tutorials write it): its scores become probabilities
through `probabilities` before anything is reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def loss_takes_logits(model: Any, output_name: str) -> bool:
    """Whether the model was compiled with a loss of `from_logits: true` for this output."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, Mapping):
        loss = loss.get(output_name)
    elif isinstance(loss, Sequence) and not isinstance(loss, str):
        names = list(getattr(model, "output_names", []))
        loss = loss[names.index(output_name)] if output_name in names else None
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    return bool(isinstance(config, dict) and config.get("from_logits"))


def classifier_head(layer: Any, logits: bool = False) -> str | None:
    """'softmax' for a softmax over several units, 'sigmoid' for one sigmoid unit, else None;
    with `logits`, a linear layer counts as the one its loss applies."""
    activation = getattr(getattr(layer, "activation", None), "__name__", "")
    units = int(layer.output.shape[-1] or 0)
    if logits and activation == "linear":
        activation = "softmax" if units > 1 else "sigmoid"
    if activation == "softmax" and units > 1:
        return "softmax"
    return "sigmoid" if activation == "sigmoid" and units == 1 else None


def probabilities(scores: np.ndarray, kind: str | None, logits: bool) -> np.ndarray:
    """A head's scores as probabilities: logits through the softmax / sigmoid the loss
    applied in training; anything else as it is."""
    if not logits or kind is None:
        return scores
    scores = np.asarray(scores, dtype=np.float64)
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-scores))
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
