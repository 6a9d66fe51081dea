"""Does the exported model predict what model.keras predicts? Differences, class agreement,
accuracy (quantized classifiers), size and latency, measured on held-out examples."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

Runner = Callable[[dict[str, np.ndarray]], list[np.ndarray]]

# Largest allowed |exported - keras|, times max(1, |keras|), per quantization. Quantized
# classifiers are judged by accuracy instead: at most ACCURACY_DROP below the Keras model's.
TOLERANCE = {None: 1e-4, "float16": 1e-2, "dynamic": 0.1, "int8": 0.1}
ACCURACY_DROP = 0.02
LATENCY_EXAMPLES = 50
BATCH = 256


@dataclass
class Head:
    """What is known of one output: its class kind ('softmax' / 'sigmoid' / None) and, when
    labels exist, each example's true class."""

    name: str
    kind: str | None
    labels: np.ndarray | None
    logits: bool = False


@dataclass
class ExportCheck:
    examples: int
    max_abs_diff: float
    tolerance: float
    class_agreement: float | None
    accuracy_keras: float | None
    accuracy_exported: float | None
    latency_ms_exported: float
    latency_ms_keras: float
    passed: bool
    failure: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def classes_of(values: np.ndarray, head: Head) -> np.ndarray | None:
    if head.kind == "softmax":
        return values.reshape(len(values), -1).argmax(axis=1)
    if head.kind == "sigmoid":  # a logit's threshold is 0, a probability's 0.5
        return (values.reshape(-1) >= (0.0 if head.logits else 0.5)).astype(int)
    return None


def _scaled_diff(reference: np.ndarray, exported: np.ndarray) -> float:
    ref = reference.astype("float64")
    return float(np.max(np.abs(exported.astype("float64") - ref) / np.maximum(1.0, np.abs(ref)),
                        initial=0.0))


def _median_ms(runner: Runner, inputs: dict[str, np.ndarray]) -> float:
    """Median wall time of one-example calls (after one warm-up call)."""
    count = min(LATENCY_EXAMPLES, len(next(iter(inputs.values()))))
    one = [{k: v[i:i + 1] for k, v in inputs.items()} for i in range(count)]
    runner(one[0])
    times = []
    for example in one:
        start = time.perf_counter()
        runner(example)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _in_batches(runner: Runner, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    """BATCH examples per call: a thousand large images at once would not fit everywhere."""
    count = len(next(iter(inputs.values())))
    parts = [runner({k: v[i:i + BATCH] for k, v in inputs.items()})
             for i in range(0, count, BATCH)]
    return [np.concatenate([part[j] for part in parts]) for j in range(len(parts[0]))]


def _accuracy(classes: np.ndarray | None, labels: np.ndarray | None) -> float | None:
    if classes is None or labels is None:
        return None
    return float(np.mean(classes == labels))


def check_export(keras_runner: Runner, exported: Runner, inputs: dict[str, np.ndarray],
                 heads: list[Head], quantize: str | None) -> ExportCheck:
    """Both models on the same examples; the first classifier head gives agreement and
    accuracy."""
    reference, got = _in_batches(keras_runner, inputs), _in_batches(exported, inputs)
    diff = max(_scaled_diff(r, g) for r, g in zip(reference, got))
    agreement = acc_keras = acc_exported = None
    for head, ref, out in zip(heads, reference, got):
        ref_classes, out_classes = classes_of(ref, head), classes_of(out, head)
        if ref_classes is not None and agreement is None:
            agreement = float(np.mean(ref_classes == out_classes))
            acc_keras = _accuracy(ref_classes, head.labels)
            acc_exported = _accuracy(out_classes, head.labels)
    tolerance = TOLERANCE[quantize]
    failure = _failure(diff, tolerance, quantize, acc_keras, acc_exported, agreement)
    return ExportCheck(len(next(iter(inputs.values()))), diff, tolerance, agreement, acc_keras,
                       acc_exported, _median_ms(exported, inputs),
                       _median_ms(keras_runner, inputs), failure is None, failure)


def _failure(diff: float, tolerance: float, quantize: str | None, acc_keras: float | None,
             acc_exported: float | None, agreement: float | None) -> str | None:
    if quantize and acc_keras is not None and acc_exported is not None:
        if acc_keras - acc_exported > ACCURACY_DROP:
            return (f"accuracy fell from {acc_keras:.4f} to {acc_exported:.4f}, more than the "
                    f"{ACCURACY_DROP:.2f} allowed for --quantize {quantize}")
        return None
    if quantize and agreement is not None:  # a classifier without labels: the classes agree?
        return None if agreement >= 1 - ACCURACY_DROP else (
            f"only {agreement:.1%} of predicted classes agree with model.keras")
    if not diff <= tolerance:
        return (f"predictions differ from model.keras by up to {diff:.3g} (allowed: "
                f"{tolerance:g}{' for --quantize ' + quantize if quantize else ''})")
    return None


def size_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
