"""`nntrain generate`: new examples from a generative run's decoder (VAE) or generator (GAN),
at latent points drawn from the standard normal prior both were trained against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nntrain.errors import NntrainError
from nntrain.results.generative import latent_points, write_grid
from nntrain.runs.run_dir import RunDir
from nntrain.runs.saved_model import load_keras_model

PARTS = ("decoder.keras", "generator.keras")
FORMATS = (".png", ".npy")


@dataclass
class Generated:
    source: Path  # the decoder / generator file used
    output: Path
    count: int
    shape: tuple[int, ...]  # one example's


def part_file(target: Path) -> Path:
    """The decoder / generator of a run directory, or the .keras file given."""
    if target.is_file() and target.suffix == ".keras":
        return target
    if not RunDir(target).is_run():
        raise NntrainError(f"{target} is not a run directory (no config.yaml) or a .keras file",
                           2, path="TARGET")
    found = [target / name for name in PARTS if (target / name).exists()]
    if not found:
        raise NntrainError(f"{target} holds no {' or '.join(PARTS)}: generate draws from a "
                           "finished run of `model.kind: vae` or `model.kind: gan`", 2,
                           path="TARGET")
    return found[0]


def run_generate(target: Path, count: int, seed: int, output: Path,
                 allow_unsafe: bool = False) -> Generated:
    """`count` examples; .npy holds them as the model outputs them (the data's preprocessed
    space, e.g. pixels in [0, 1]), .png shows them as a grid."""
    if output.suffix.lower() not in FORMATS:
        raise NntrainError(f"cannot write {output}: the output is a .png (a grid of the "
                           "examples) or a .npy file (the examples themselves)", 2,
                           path="--output")
    source = part_file(target)
    model = load_keras_model(source, allow_unsafe)
    points = latent_points(count, int(model.input_shape[-1]), seed)
    examples = np.asarray(model.predict(points, batch_size=256, verbose=0))
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".npy":
        np.save(output, examples)
    else:
        write_grid(examples, output)
    return Generated(source, output, count, tuple(examples.shape[1:]))
