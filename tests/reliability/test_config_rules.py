"""`nntrain validate` refuses, naming the field, every config that `fit` refuses before training
for a reason the config alone shows; only the data or TensorFlow can tell the rest."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nntrain.cli.app import app
from nntrain.config.addresses import parse_host_port
from nntrain.config.schema import is_per_output
from tests.reliability.test_bad_configs import CORPUS, FILES, expectation

# Bad configs that `fit` refuses before training but `validate` cannot, and why.
FIT_ONLY = {
    "conv2d_on_flat_input.yaml": "a layer's output shape is known only once Keras builds it",
    "input_shape_does_not_fit_data.yaml": "the data's shape is known only once it is loaded",
    "softmax_units_do_not_fit_labels.yaml": "the labels' width is known only once they are loaded",
    "output_dir_is_a_file.yaml": "--run-dir makes output.dir unused, and validate has no "
                                 "--run-dir: fit refuses it only when the run goes there",
}

IRIS_CONFIG = """
data: {source: csv, path: {path}, target: species, preprocess: {one_hot: true}}
model:
  input_shape: [4]
  layers: [{type: Dense, units: 3, activation: softmax}]
compile: {optimizer: adam, loss: categorical_crossentropy}
"""


def _validate(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", *map(str, args)])
    text = " ".join(result.output.split())
    assert "Traceback" not in text, text
    return result.exit_code, text


def test_the_fit_only_list_is_exactly_the_corpus_files_marked_fit_only() -> None:
    marked = {p.name for p in FILES if expectation(p)[1]}
    assert marked == set(FIT_ONLY)


@pytest.mark.parametrize("path", [p for p in FILES if p.name not in FIT_ONLY], ids=lambda p: p.stem)
def test_validate_exits_2_naming_the_field_for_every_config_fit_refuses(
        path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, fragments = expectation(path)
    monkeypatch.chdir(tmp_path)
    exit_code, text = _validate(path)
    assert (exit_code, code) == (2, 2), text
    assert path.name in text and fragments[0] in text, text


@pytest.mark.parametrize("value", ["eight", "0", "-1", "2.5", "null", "[4]"])
def test_validate_names_units_when_it_is_not_a_positive_integer(value: str) -> None:
    exit_code, text = _validate(CORPUS / "units_zero.yaml",
                                "--set", f"model.layers[0].units={value}")
    assert exit_code == 2 and "model.layers[0].units" in text, text


@pytest.mark.parametrize("setting, field", [
    ("data.preprocess.rescale=.nan", "data.preprocess.rescale"),
    ("train.class_weight={0: .inf}", "train.class_weight[0]"),
    ("callbacks.early_stopping.baseline=-.inf", "callbacks.early_stopping.baseline"),
    ("model.layers[0].kernel_initializer={type: RandomNormal, stddev: .nan}",
     "model.layers[0].kernel_initializer.stddev")])
def test_validate_refuses_nan_and_infinity_anywhere_naming_the_field(setting: str,
                                                                     field: str) -> None:
    exit_code, text = _validate(CORPUS / "units_zero.yaml", "--set", "model.layers[0].units=4",
                                "--set", setting)
    assert exit_code == 2 and f"{field}: " in text and "not a finite number" in text, text


def test_an_infinite_learning_rate_is_one_problem_not_two() -> None:
    exit_code, text = _validate(CORPUS / "learning_rate_inf.yaml")
    assert exit_code == 2 and text.count("compile.optimizer.learning_rate") == 1, text


@pytest.mark.parametrize("stem", ["my-run.v2", "résumé run", "x" * 100],
                         ids=["dots", "space", "100"])
def test_the_config_file_stem_is_the_default_run_name(stem: str, tmp_path: Path) -> None:
    config = tmp_path / f"{stem}.yaml"
    config.write_text((CORPUS / "units_zero.yaml").read_text().replace("name: corpus\n", "")
                      .replace("units: 0", "units: 4"))
    exit_code, text = _validate(config)
    assert exit_code == 0 and f"model'{stem}'".replace(" ", "") in text.replace(" ", ""), text


def test_a_stem_too_long_for_a_run_name_is_shortened(tmp_path: Path) -> None:
    config = tmp_path / f"{'y' * 150}.yaml"
    config.write_text((CORPUS / "units_zero.yaml").read_text().replace("name: corpus\n", "")
                      .replace("units: 0", "units: 4"))
    exit_code, text = _validate(config)
    assert exit_code == 0 and f"model'{'y' * 100}'" in text.replace(" ", ""), text


def test_validate_reads_only_the_header_of_a_50_gb_csv(tmp_path: Path) -> None:
    data = tmp_path / "huge.csv"
    data.write_text("sepal_length,sepal_width,petal_length,petal_width,species\n")
    os.truncate(data, 50 * 2**30)  # a sparse file: reading it all would take minutes
    config = tmp_path / "huge.yaml"
    config.write_text(IRIS_CONFIG.replace("{path}", str(data)))
    started = time.monotonic()
    exit_code, text = _validate(config)
    assert time.monotonic() - started < 2
    assert exit_code == 0, text
    config.write_text(IRIS_CONFIG.replace("{path}", str(data)).replace("target: species",
                                                                        "target: specie"))
    exit_code, text = _validate(config)
    assert exit_code == 2 and "data.target" in text and "did you mean 'species'" in text, text


def test_a_csv_path_relative_to_the_config_folder_is_checked_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.csv").write_text("a,b,species\n1,2,x\n")
    config = tmp_path / "sub" / "c.yaml"
    config.write_text(IRIS_CONFIG.replace("{path}", "d.csv").replace("[4]", "[2]"))
    monkeypatch.chdir(tmp_path)
    assert _validate(config)[0] == 0
    config.write_text(IRIS_CONFIG.replace("{path}", "d.csv").replace("species", "c"))
    exit_code, text = _validate(config)
    assert exit_code == 2 and "column 'c' is not in d.csv" in text, text


@pytest.mark.parametrize("address, expected", [("host1:12345", ("host1", 12345)),
                                               ("10.0.0.2:80", ("10.0.0.2", 80)),
                                               ("[::1]:8470", ("::1", 8470))])
def test_parse_host_port_reads_host_and_port(address: str, expected: tuple[str, int]) -> None:
    assert parse_host_port(address) == expected


@pytest.mark.parametrize("address, says", [("host1", "no port"), (":80", "no port"),
                                           ("host:0", "1 to 65535"), ("host:http", "1 to 65535"),
                                           ("host:70000", "1 to 65535"), ("a b:80", "host")])
def test_parse_host_port_says_what_is_wrong(address: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_host_port(address)


def test_a_mapping_with_type_is_one_keras_object_and_without_is_per_output() -> None:
    assert is_per_output({"age": "mse", "income": "mse"})
    assert not is_per_output({"type": "Huber", "delta": 2.0})
    assert not is_per_output("mse")
