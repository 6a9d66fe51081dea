"""The SavedModel TensorFlow Serving loads: `BASE/VERSION/` with a `serving_default`
signature whose inputs and outputs carry the Keras model's input and output names."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.model.signature import serving_function

SIGNATURE = "serving_default"


def next_version(base: Path) -> int:
    """One more than the highest version folder: TF Serving serves the newest."""
    versions = [int(p.name) for p in base.glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0) + 1


def write_saved_model(model: Any, base: Path) -> Path:
    """A new version folder under `base`, written beside it and renamed into place whole."""
    from nntrain.engine import tf

    base.mkdir(parents=True, exist_ok=True)
    target = base / str(next_version(base))
    partial = base / f".{target.name}.tmp"
    shutil.rmtree(partial, ignore_errors=True)
    module = tf.Module()
    module.model = model
    serve = serving_function(model)
    tf.saved_model.save(module, str(partial), signatures={SIGNATURE: serve})
    os.replace(partial, target)
    return target


class SavedModelRunner:
    """The exported signature, called as TF Serving calls it."""

    def __init__(self, folder: Path, output_names: list[str]) -> None:
        from nntrain.engine import tf

        self._tf = tf
        self.signature = tf.saved_model.load(str(folder)).signatures[SIGNATURE]
        self.output_names = output_names

    def __call__(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        outputs = self.signature(**{k: self._tf.constant(v) for k, v in inputs.items()})
        return [outputs[name].numpy() for name in self.output_names]
