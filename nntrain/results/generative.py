"""What a generative run shows (model.kind: vae | gan): sample grids from fixed latent points
every epoch (samples.png, each epoch kept in samples/), a VAE's reconstructions.png (originals
over reconstructions) and, for a 2-D latent space, latent.png (test points by class).

Grids are written as plain PNG images (matplotlib.image.imsave, no figure), so a picture per
epoch costs milliseconds; matplotlib is imported only when one is drawn.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.data.types import Split
from nntrain.engine import keras
from nntrain.errors import NntrainError
from nntrain.runs.atomic import write_with
from nntrain.runs.run_dir import RunDir

SAMPLES = 64  # fixed latent points drawn each epoch: an 8 × 8 grid
RECONSTRUCTED = 10  # examples in reconstructions.png
MIN_PIXELS = 256  # grids are enlarged (whole pixels) to at least this wide


def samples_png(run: RunDir) -> Path:
    return run.root / "samples.png"


def epoch_png(run: RunDir, epoch: int) -> Path:
    return run.root / "samples" / f"epoch_{epoch:03d}.png"


def as_images(examples: np.ndarray) -> np.ndarray:
    """Examples as (N, height, width, channels) with 1 or 3 channels, values in [0, 1] (or
    scaled from their own range when they leave it); an error for data that is no image."""
    x = np.asarray(examples, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim == 2 and math.isqrt(x.shape[1]) ** 2 == x.shape[1]:  # flattened square images
        side = math.isqrt(x.shape[1])
        x = x.reshape(len(x), side, side, 1)
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise NntrainError(f"examples of shape {list(x.shape[1:])} are no images (height, "
                           "width and 1 or 3 channels); write them as .npy instead", 2,
                           path="--output")
    low, high = min(0.0, float(x.min())), max(1.0, float(x.max()))
    return (x - low) / (high - low)


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    """One image of the examples in rows of `columns`, a 1-pixel gap between them, enlarged
    to at least MIN_PIXELS wide."""
    n, h, w, c = images.shape
    rows = math.ceil(n / columns)
    grid = np.ones((rows * (h + 1) - 1, columns * (w + 1) - 1, c), dtype=np.float32)
    for i, image in enumerate(images):
        r, k = divmod(i, columns)
        grid[r * (h + 1):r * (h + 1) + h, k * (w + 1):k * (w + 1) + w] = image
    scale = max(1, math.ceil(MIN_PIXELS / grid.shape[1]))
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return grid[..., 0] if c == 1 else grid


def write_grid(examples: np.ndarray, path: Path, columns: int | None = None) -> Path:
    """The examples as a grid PNG (written atomically)."""
    from matplotlib.image import imsave

    images = as_images(examples)
    columns = columns or math.ceil(math.sqrt(len(images)))
    grid = tile(images, columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_with(path, lambda tmp: imsave(tmp, grid, cmap="gray", vmin=0, vmax=1, format="png"))
    return path


def latent_points(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """Points of the standard normal prior both kinds sample from."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)


class SampleGrids(keras.callbacks.Callback):
    """samples/epoch_NNN.png and samples.png each epoch, from the same latent points all run
    long (drawn from the run's seed, so a resumed run draws the same), to watch progress."""

    def __init__(self, run: RunDir, seed: int) -> None:
        super().__init__()
        self.run, self.seed = run, seed
        self.points: np.ndarray | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.points = latent_points(SAMPLES, self.model.latent_dim(), self.seed)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        examples = self.model.sampler()(self.points, training=False).numpy()
        write_grid(examples, epoch_png(self.run, epoch + 1), columns=8)
        write_grid(examples, samples_png(self.run), columns=8)


def _shown_split(fold: Any) -> Split:
    return next(s for s in (fold.test, fold.validation, fold.train) if s is not None)


def write_reconstructions(model: Any, split: Split, path: Path) -> None:
    """The first examples of the split over their reconstructions (from z_mean)."""
    x = np.asarray(split.x[:RECONSTRUCTED])
    rebuilt = model(x, training=False).numpy()
    write_grid(np.concatenate([x, rebuilt.reshape(x.shape)]), path, columns=len(x))


def latent_figure(z: np.ndarray, labels: np.ndarray | None, title: str) -> Any:
    """The Keras VAE example's plot: test points at their z_mean, coloured by class."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 5), dpi=100, layout="constrained")
    ax = fig.subplots()
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=4)
    if labels is not None:
        fig.colorbar(points, ax=ax, label="class")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title)
    return fig


def _class_labels(y: Any) -> np.ndarray | None:
    """One class number per example (one-hot rows decoded), else None (no colours)."""
    if y is None or isinstance(y, dict):
        return None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(len(y)) if y.dtype.kind in "iu" or y.ndim <= 2 else None


def finish_generative(model: Any, fold: Any, run: RunDir, batch_size: int) -> None:
    """decoder.keras / generator.keras beside model.keras; for a VAE reconstructions.png and,
    with a 2-D latent space, latent.png."""
    run.save_model(model.sampler(), run.root / f"{model.part_name}.keras")
    if model.part_name != "decoder":
        return
    split = _shown_split(fold)
    write_reconstructions(model, split, run.root / "reconstructions.png")
    if model.latent_dim() == 2:
        z_mean = model.encoder.predict(np.asarray(split.x), batch_size=batch_size,
                                       verbose=0)[0]
        which = "test" if split is fold.test else "validation" if split is fold.validation \
            else "training"
        run.save_figure(latent_figure(z_mean, _class_labels(split.y),
                                      f"latent space: z_mean of the {which} data"),
                        run.root / "latent.png")
