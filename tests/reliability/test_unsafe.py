"""Nothing nntrain reads runs code unless --allow-unsafe says so: no Python YAML tags, no
Lambda layers in configs, no Lambda layers or foreign modules in .keras files."""

from __future__ import annotations

import json
from collections.abc import Callable
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.conftest import REPO

XOR = str(REPO / "configs" / "tiny" / "xor.yaml")


def _invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    text = " ".join(result.output.split())
    assert "Traceback" not in text
    return result.exit_code, text


def _xor_model(layer: object | None = None) -> object:
    from nntrain.engine import keras

    layers = [keras.Input((2,))] + ([layer] if layer is not None else [])
    model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def xor_keras_with_config(path: Path, change: Callable[[dict], object]) -> Path:
    """A real .keras file of the XOR model whose config.json went through `change`."""
    clean = path.with_name(f"clean-{path.name}")
    _xor_model().save(clean)
    with zipfile.ZipFile(clean) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "config.json":
                config = json.loads(data)
                change(config)
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    return path


def test_a_keras_file_with_a_lambda_is_refused_unless_allowed(tmp_path: Path) -> None:
    from nntrain.engine import keras

    path = tmp_path / "lambda.keras"
    _xor_model(keras.layers.Lambda(lambda x: x * 2.0)).save(path)
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.zeros((2, 2), dtype="float32"))
    for args in (["eval", path, "--config", XOR], ["predict", path, "--input", inputs]):
        code, text = _invoke(*args)
        assert code == 1 and "Lambda" in text and "--allow-unsafe" in text, text
    code, text = _invoke("eval", path, "--config", XOR, "--allow-unsafe")
    assert code == 0 and "accuracy" in text, text


def test_a_keras_file_naming_a_foreign_module_is_refused_before_importing_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "payload_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "foreign.keras"
    # Keras imports the module a config names
    xor_keras_with_config(path, lambda c: c.update(module="payload_mod", class_name="Payload"))
    code, text = _invoke("eval", path, "--config", XOR)
    assert code == 1 and "module 'payload_mod'" in text, text
    assert not marker.exists()


def test_lambda_layers_in_a_config_need_allow_unsafe(tmp_path: Path) -> None:
    config = tmp_path / "lambda.yaml"
    config.write_text(Path(XOR).read_text().replace(
        "    - {type: Dense, units: 1, activation: sigmoid}",
        "    - {type: Lambda, function: abs}\n    - {type: Dense, units: 1, activation: sigmoid}"))
    code, text = _invoke("validate", config)
    assert code == 2 and "model.layers[1].type" in text and "--allow-unsafe" in text, text
    code, text = _invoke("validate", config, "--allow-unsafe")
    assert code == 0, text


def test_python_yaml_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = tmp_path / "tag.yaml"
    config.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n"
                      + Path(XOR).read_text().split("\n", 2)[2].replace("name: xor\n", ""))
    for command in ("validate", "fit"):
        code, text = _invoke(command, config, *(["--run-dir", tmp_path / "run"]
                                                if command == "fit" else []))
        assert code == 2 and "tag" in text and "tag.yaml:1" in text, text
    assert not marker.exists() and not (tmp_path / "run").exists()
