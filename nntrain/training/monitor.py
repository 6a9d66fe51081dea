"""Which way a monitored metric improves: one answer for best.keras, the runs table and compare."""

from __future__ import annotations

# Name parts of metrics that are better when higher (what Keras' `mode: auto` infers, widened
# to the metrics Keras names that way: F-beta, IoU, R², true positives / negatives).
_RISING = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "true_")


def higher_is_better(metric: str) -> bool:
    base = metric.lower().removeprefix("val_").removeprefix("test_")
    return any(part in base for part in _RISING)
