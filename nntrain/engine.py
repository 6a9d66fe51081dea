"""The one place TensorFlow is imported: tf.keras backed by tf-keras 2.x, never Keras 3.

Keras 3 cannot train under MultiWorkerMirroredStrategy on TensorFlow 2.21 (see DESIGN.md), so
TF_USE_LEGACY_KERAS must be set before TensorFlow is first imported. Every other module gets
`tf` and `keras` from here.
"""

import contextlib
import os
from collections.abc import Iterator

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """TensorFlow's C++ start-up chatter ("could not find cuda drivers") bypasses its own log
    level; hide it unless NNTRAIN_DEBUG is set."""
    if os.environ.get("NNTRAIN_DEBUG"):
        yield
        return
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with quiet_stderr():
    import tensorflow as tf

    tf.config.list_physical_devices()  # device discovery prints its own warnings once, here

keras = tf.keras

if not keras.__name__.startswith("tf_keras"):
    raise ImportError(
        "nntrain needs tf.keras backed by tf-keras (pip install tf-keras); "
        f"got {keras.__name__}. Set TF_USE_LEGACY_KERAS=1 before importing TensorFlow."
    )

__all__ = ["tf", "keras", "quiet_stderr"]
