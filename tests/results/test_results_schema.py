"""The JSON Schema knows Keras' vocabulary, accepts every shipped config, rejects misspellings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nntrain.config.json_schema import config_json_schema
from nntrain.config.keras_catalog import catalog
from nntrain.config.yaml_source import read_yaml_file
from tests.conftest import REPO, run_cli

SHIPPED = sorted(REPO.glob("configs/**/*.yaml")) + sorted(REPO.glob("nntrain/templates/*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = config_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator.iter_errors(data)]


def test_committed_schema_file_is_what_nntrain_schema_prints() -> None:
    result = run_cli("schema")
    assert result.returncode == 0, result.stderr
    assert (REPO / "nntrain.schema.json").read_text() == result.stdout, \
        "regenerate it: nntrain schema > nntrain.schema.json"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_config_validates(validator: jsonschema.Draft202012Validator,
                                        path: Path) -> None:
    data, _ = read_yaml_file(path)
    assert _errors(validator, data) == []


@pytest.mark.parametrize("path", [p for p in SHIPPED if p.parts[-2] != "templates"],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_config_points_its_editor_at_the_schema(path: Path) -> None:
    """The first line is the YAML language server's, and its relative path resolves."""
    first = path.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), first
    assert (path.parent / first[len(prefix):]).resolve() == REPO / "nntrain.schema.json"


def _xor() -> dict[str, Any]:
    data, _ = read_yaml_file(REPO / "configs/tiny/xor.yaml")
    return data


@pytest.mark.parametrize("where, wrong", [
    ((), "trian"),                             # a section
    (("train",), "epoch"),                     # a setting
    (("model", "layers", 0), "unit"),          # a layer's constructor argument
    (("compile", "optimizer"), "learnin_rate"),  # an optimizer's argument
])
def test_misspelled_key_is_rejected(validator: jsonschema.Draft202012Validator,
                                    where: tuple[Any, ...], wrong: str) -> None:
    data = _xor()
    target = data
    for part in where:
        target = target[part]
    target[wrong] = 1
    errors = _errors(validator, data)
    assert errors and any(wrong in e for e in errors), errors


@pytest.mark.parametrize("path, value", [
    (("model", "layers", 0, "type"), "Dence"),
    (("model", "layers", 0, "activation"), "tanhh"),
    (("model", "layers", 0, "kernel_initializer"), "glorot_unifrom"),
    (("compile", "loss"), "binary_crosentropy"),
    (("compile", "metrics", 0), "acuracy"),
    (("compile", "optimizer", "type"), "Adamm"),
])
def test_misspelled_keras_name_is_rejected(validator: jsonschema.Draft202012Validator,
                                           path: tuple[Any, ...], value: str) -> None:
    data = _xor()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert _errors(validator, data)


def test_keras_spellings_validate_accepts_are_accepted(
        validator: jsonschema.Draft202012Validator) -> None:
    data = _xor()
    data["compile"]["optimizer"] = {"type": "rmsprop", "learning_rate": {
        "type": "ExponentialDecay", "initial_learning_rate": 0.1, "decay_steps": 10,
        "decay_rate": 0.9}}
    data["compile"]["loss"] = {"type": "BinaryCrossentropy", "from_logits": False}
    data["compile"]["metrics"] = ["accuracy", {"type": "AUC", "name": "auc"}]
    data["model"]["layers"][0].update(activation="LeakyReLU", kernel_regularizer=0.01)
    data["callbacks"]["early_stopping"] = True
    assert _errors(validator, data) == []
    data["compile"]["optimizer"] = "RMSProp"  # optimizer names are case-insensitive
    assert _errors(validator, data) == []


def test_enums_come_from_the_keras_catalog() -> None:
    defs = config_json_schema()["$defs"]
    cat = catalog()
    assert defs["LayerType"]["enum"] == sorted(cat["layers"])
    assert set(defs["ActivationName"]["enum"]) == set(cat["activations"] + cat["activation_layers"])
    assert defs["LossName"]["enum"] == sorted(cat["losses"])
    assert defs["MetricName"]["enum"] == sorted(cat["metrics"])
    assert defs["InitializerName"]["enum"] == sorted(cat["initializers"])
    assert json.dumps(config_json_schema())  # plain JSON, nothing Python-only
