"""The `tune:` section: what to search, how and for how long. The shape of each space entry is
checked here; whether its path exists and its values make a valid config, in tune_space."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_serializer, model_validator

from nntrain.config.data_schema import Strict

KINDS = ("loguniform", "uniform", "int", "choice")
GRID_LIMIT = 10_000  # the most points a grid search enumerates
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: str | float) -> float:
    """'90s', '30m', '2h', '1h30m', '1d' or a number of seconds → seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip().lower()
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"{value!r} is not a duration: write it like 90s, 30m, 2h or 1h30m")
    return sum(float(n) * _SECONDS[unit] for n, unit in parts)


class SpaceEntry(Strict):
    """One searched value: exactly one of loguniform, uniform, int, choice."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    loguniform: tuple[float, float] | None = Field(None, description="[low, high], low > 0")
    uniform: tuple[float, float] | None = Field(None, description="[low, high]")
    int_: tuple[int, int] | None = Field(None, alias="int", description="[low, high], inclusive")
    choice: list[Any] | None = Field(None, description="the values to try", min_length=1)
    log: bool = Field(False, description="int: sample on a log scale")
    step: float | None = Field(None, gt=0, description="int or uniform: the spacing of values")

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, "int_" if k == "int" else k) is not None)

    @property
    def bounds(self) -> tuple[float, float] | None:
        return self.loguniform or self.uniform or self.int_

    @model_validator(mode="after")
    def _one_kind_sane_range(self) -> "SpaceEntry":
        given = [k for k in KINDS if getattr(self, "int_" if k == "int" else k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (got "
                             f"{', '.join(given) or 'none'})")
        kind, bounds = given[0], self.bounds
        if self.log and kind != "int":
            raise ValueError(f"`log` is for int ranges; {kind} is "
                             f"{'always' if kind == 'loguniform' else 'never'} on a log scale")
        if self.step is not None and kind not in ("int", "uniform"):
            raise ValueError(f"`step` is for int and uniform ranges, not {kind}")
        if bounds is not None:
            low, high = bounds
            if not low < high:
                raise ValueError(f"[{low}, {high}]: the low end must be below the high end")
            if (kind == "loguniform" or self.log) and low <= 0:
                raise ValueError(f"[{low}, {high}]: a log scale needs a low end above 0")
        if kind == "int" and self.step is not None and not float(self.step).is_integer():
            raise ValueError(f"an int range takes a whole `step`, not {self.step}")
        if kind == "int" and self.log and self.step not in (None, 1):
            raise ValueError("an int range on a log scale takes no `step` (Optuna's rule)")
        if self.choice is not None and len(set(map(repr, self.choice))) != len(self.choice):
            raise ValueError("a choice lists each value once")
        return self

    @model_serializer
    def _as_written(self) -> dict[str, Any]:
        """Only the keys given (config.yaml and best.yaml read like the file the user wrote)."""
        out: dict[str, Any] = {self.kind: list(self.bounds) if self.bounds else self.choice}
        if self.log:
            out["log"] = True
        if self.step is not None:
            out["step"] = int(self.step) if self.kind == "int" else self.step
        return out

    def grid(self) -> list[Any] | None:
        """Every value of a grid search, or None for a continuous range."""
        if self.choice is not None:
            return list(self.choice)
        if self.int_ is not None:
            return list(range(self.int_[0], self.int_[1] + 1, int(self.step or 1)))
        return None


class TuneConfig(Strict):
    metric: str = Field("val_loss", description="a metrics.csv column: val_loss, val_accuracy, ...")
    direction: Literal["maximize", "minimize"] | None = Field(
        None, description="default: from the metric's name (accuracy up, loss down)")
    trials: int = Field(20, ge=1, description="trials the study runs, over every process")
    timeout: str | float | None = Field(
        None, description="stop starting trials after this long: 90s, 30m, 2h (per process)")
    sampler: Literal["tpe", "random", "grid", "cmaes"] = "tpe"
    pruner: Literal["median", "hyperband", "none"] = Field(
        "median", description="stop poor trials early, by their metric at each epoch")
    space: dict[str, SpaceEntry] = Field(
        ..., min_length=1, description="dotted path (the --set vocabulary) → values to search")

    @field_validator("metric")
    @classmethod
    def _not_the_test_split(cls, metric: str) -> str:
        if metric.startswith("test_"):
            raise ValueError("a search picks by the validation data (val_...); the test split "
                             "stays unseen until the end")
        return metric

    @field_validator("timeout")
    @classmethod
    def _a_duration(cls, value: str | float | None) -> str | float | None:
        if value is not None and not (duration_seconds(value) > 0 and
                                      math.isfinite(duration_seconds(value))):
            raise ValueError("a timeout is a positive duration")
        return value

    @model_validator(mode="after")
    def _grid_needs_values(self) -> "TuneConfig":
        if self.sampler != "grid":
            return self
        ranges = [key for key, entry in self.space.items() if entry.grid() is None]
        if ranges:
            raise ValueError(f"sampler grid tries listed values: give {', '.join(ranges)} as "
                             "{choice: [...]} or {int: [low, high], step: n}")
        size = math.prod(len(entry.grid() or []) for entry in self.space.values())
        if size > GRID_LIMIT:
            raise ValueError(f"the grid has {size} points (at most {GRID_LIMIT}); use sampler "
                             "tpe or random, or fewer values")
        return self

    @property
    def timeout_seconds(self) -> float | None:
        return None if self.timeout is None else duration_seconds(self.timeout)
