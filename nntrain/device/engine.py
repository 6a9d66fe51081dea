"""The one place TensorFlow is imported: tf.keras backed by tf-keras 2.x, never Keras 3.

Keras 3 cannot train under MultiWorkerMirroredStrategy on TensorFlow 2.21 (see DESIGN.md), so
TF_USE_LEGACY_KERAS must be set before TensorFlow is first imported. Every other module gets
`tf` and `keras` from here.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

keras = tf.keras

if not keras.__name__.startswith("tf_keras"):
    raise ImportError(
        "nntrain needs tf.keras backed by tf-keras (pip install tf-keras); "
        f"got {keras.__name__}. Set TF_USE_LEGACY_KERAS=1 before importing TensorFlow."
    )

__all__ = ["tf", "keras"]
