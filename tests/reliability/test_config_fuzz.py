"""Property: whatever data or text reaches the config entry points, the only exception that
comes out is NntrainError (which the CLI turns into a message and exit 2)."""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nntrain.config.load import format_path, validate_data
from nntrain.config.yaml_source import SourceMap, parse_yaml
from nntrain.errors import NntrainError

VALID: dict[str, Any] = {
    "name": "fuzz", "seed": 1,
    "data": {"source": "csv", "path": "data.csv", "target": "y", "validation_split": 0.2,
             "preprocess": {"normalize": True}},
    "model": {"input_shape": [2], "layers": [
        {"type": "Dense", "units": 4, "activation": "relu", "kernel_initializer": "he_normal"},
        {"type": "Dense", "units": 1, "activation": "sigmoid"}]},
    "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.01},
                "loss": "binary_crossentropy", "metrics": ["accuracy"]},
    "train": {"batch_size": 4, "epochs": 2},
    "callbacks": {"early_stopping": {"patience": 2}, "checkpoint": {"monitor": "loss"}},
    "device": {"strategy": "cpu"},
    "output": {"dir": "runs"},
}

scalars = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=20) | st.sampled_from(["Dense", "relu", "adam", "mse", "val_loss",
                                                     "type", "layers", "\x00", "a" * 300]))
keys = st.text(max_size=12) | st.integers(-3, 3) | st.sampled_from(list(VALID) + ["type", "units"])
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(keys, inner, max_size=4), max_leaves=20)


def _accepts_or_refuses(data: Any) -> None:
    try:
        validate_data(data, SourceMap("fuzz.yaml"))
    except NntrainError:
        pass


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_configs(draw: st.DrawFn) -> Any:
    """The valid config with a few places replaced, removed or given an extra key."""
    config = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(config)[1:]))
        parent = config
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "remove", "extra"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(keys)] = draw(values)
        if not isinstance(config, dict) or not _paths(config)[1:]:
            break
    return config


# NNTRAIN_FUZZ_EXAMPLES=5000 for a longer hunt than the suite's default.
FUZZ = settings(max_examples=int(os.environ.get("NNTRAIN_FUZZ_EXAMPLES", 300)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(values)
def test_random_data_only_raises_nntrain_error(data: Any) -> None:
    _accepts_or_refuses(data)


@FUZZ
@given(mutated_configs())
def test_mutated_valid_config_only_raises_nntrain_error(data: Any) -> None:
    _accepts_or_refuses(data)


@FUZZ
@given(st.text(max_size=200) | mutated_configs().map(
    lambda d: yaml.safe_dump(d, default_flow_style=None)),
    st.integers(0, 400), st.sampled_from(["", ":", "[", "{", "&a", "*a", "!!", "\t", "- ", "\n  "]))
def test_yaml_text_only_raises_nntrain_error(text: str, at: int, insert: str) -> None:
    text = text[:at] + insert + text[at:]
    try:
        data, smap = parse_yaml(text, "fuzz.yaml")
    except NntrainError:
        return
    try:
        validate_data(data, smap)
    except NntrainError:
        pass


@pytest.mark.parametrize("path", ["\x00", "a" * 300, "a/" * 3000, "~no_such_user_x/data.csv"])
def test_unusable_file_paths_are_a_config_error(path: str) -> None:
    data = copy.deepcopy(VALID)
    data["data"]["path"] = path
    with pytest.raises(NntrainError, match="data.path"):
        validate_data(data, SourceMap("fuzz.yaml"))


@FUZZ
@given(st.sampled_from(_paths(VALID)[1:]), st.sampled_from([math.nan, math.inf, -math.inf]))
def test_nan_or_infinity_anywhere_is_refused_naming_its_field(path: tuple, value: float) -> None:
    data = copy.deepcopy(VALID)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    with pytest.raises(NntrainError) as refused:
        validate_data(data, SourceMap("fuzz.yaml"))
    assert f"{format_path(path)}: {value} is not a finite number" in str(refused.value)
