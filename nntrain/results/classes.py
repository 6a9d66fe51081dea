"""Per-class precision / recall / F1 and the confusion matrix, written by `nntrain eval`.

A model counts as a single-label classifier when its one output is a classifier head
(nntrain.model.heads, logits included) and the labels are class indices (or one-hot); anything
else gets no report, and a model trained as a classifier is told why. eval.json stays a flat {"metric": value}; the table goes to per_class.csv.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from nntrain.data.files import materialize
from nntrain.data.pipeline import to_dataset
from nntrain.data.types import Split
from nntrain.model.heads import classifier_head, loss_takes_logits, probabilities
from nntrain.results.curves import DPI
MAX_ANNOTATED = 20  # write counts into the cells up to this many classes


@dataclass
class ClassReport:
    names: list[str]
    matrix: np.ndarray  # rows: true class, columns: predicted class

    def rows(self) -> list[dict[str, Any]]:
        """One row per class, then the macro average (each class counts the same)."""
        m = self.matrix.astype(float)
        hits, predicted, actual = np.diag(m), m.sum(axis=0), m.sum(axis=1)
        precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
        recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
        both = precision + recall
        f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
        out = [{"class": n, "precision": float(p), "recall": float(r), "f1": float(f),
                "support": int(s)}
               for n, p, r, f, s in zip(self.names, precision, recall, f1, actual)]
        out.append({"class": "macro avg", "precision": float(precision.mean()),
                    "recall": float(recall.mean()), "f1": float(f1.mean()),
                    "support": int(actual.sum())})
        return out


def _true_classes(y: Any, k: int) -> np.ndarray | None:
    """Class indices from one-hot or integer labels; None when they are neither."""
    if not isinstance(y, np.ndarray) or len(y) == 0 or y.dtype.kind not in "iuf":
        return None
    y = y.reshape(len(y), -1)
    if y.shape[1] == k and k > 1:
        return y.argmax(axis=1)
    if y.shape[1] != 1:
        return None
    labels = y[:, 0]
    if not np.all(np.mod(labels, 1) == 0) or labels.min() < 0 or labels.max() >= k:
        return None
    return labels.astype(int)


def _skipped(model: Any, why: str) -> str | None:
    """Why there is no per-class table, said for a model trained as a classifier (its loss
    a cross-entropy or hinge); a regressor's needs no word."""
    loss = model.loss if not isinstance(model.loss, Mapping) else list(model.loss.values())
    names = " ".join(str(getattr(x, "name", x)) for x in (loss if isinstance(loss, list)
                                                         else [loss]))
    return f"no per-class table or confusion matrix: {why}" \
        if "crossentropy" in names or "hinge" in names else None


def class_report(model: Any, split: Split, class_names: Any,
                 batch_size: int) -> ClassReport | str | None:
    """The confusion matrix of the model's predicted classes on `split` (logits through their
    softmax / sigmoid); when it is no single-label classification, why not (None: a regressor)."""
    if model.outputs is None:  # a model of its own class (a VAE, a GAN): no classifier
        return None
    if len(model.outputs) != 1:
        return _skipped(model, f"the model has {len(model.outputs)} outputs")
    name = model.output_names[0]
    logits = loss_takes_logits(model, name)
    kind = classifier_head(model.get_layer(name), logits)
    if kind is None:
        return _skipped(model, f"its output '{name}' is neither a softmax over several units, "
                               "a one-unit sigmoid, nor logits of a from_logits loss")
    if split.y is None:
        return _skipped(model, "the data has no labels")
    k = 2 if kind == "sigmoid" else int(model.outputs[0].shape[-1])
    truth = _true_classes(materialize(split.y), k)  # a record stream's: one pass
    if truth is None:
        return _skipped(model, f"the labels are not class numbers below {k} or one-hot")
    scores = probabilities(np.asarray(model.predict(to_dataset(
        split, batch_size, with_labels=False, cache=False), verbose=0)), kind, logits)
    pred = scores.argmax(axis=1) if kind == "softmax" else (scores[:, 0] >= 0.5).astype(int)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (truth, pred), 1)
    names = class_names if isinstance(class_names, list) and len(class_names) == k else range(k)
    return ClassReport([str(n) for n in names], matrix)


def confusion_figure(report: ClassReport, title: str) -> Figure:
    k = len(report.names)
    side = 4 + 0.4 * min(k, 40)  # inches; the pixel size is side * DPI
    fig = Figure(figsize=(side, side), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(report.matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ticks = range(k)
    tilt = k > 4
    ax.set_xticks(ticks, report.names, rotation=45 if tilt else 0, ha="right" if tilt else "center")
    ax.set_yticks(ticks, report.names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if k <= MAX_ANNOTATED:
        threshold = report.matrix.max() / 2
        for (i, j), count in np.ndenumerate(report.matrix):
            ax.text(j, i, str(count), ha="center", va="center",
                    color="white" if count > threshold else "black")
    return fig
