"""`nntrain weights` prints a layer's real weights; `nntrain summary --diagram` draws the graph.

Commands that need TensorFlow run in-process (CliRunner), so the suite starts it once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from nntrain.cli.app import app
from nntrain.errors import NntrainError
from nntrain.results import diagram
from tests.conftest import assert_no_traceback, run_cli
from tests.results.conftest import Runs

TWO_INPUTS_TWO_OUTPUTS = """
data: {source: synthetic, name: xor}
model:
  inputs: [{name: left, shape: [2]}, {name: right, shape: [3]}]
  layers:
    - {name: l1, type: Dense, units: 4, activation: relu, inputs: left}
    - {name: r1, type: Dense, units: 4, activation: relu, inputs: right}
    - {name: both, type: Concatenate, inputs: [l1, r1]}
    - {name: kind, type: Dense, units: 3, activation: softmax, inputs: both}
    - {name: size, type: Dense, units: 1, inputs: both}
  outputs: [kind, size]
compile:
  loss: {kind: sparse_categorical_crossentropy, size: mse}
"""


def test_weights_table_holds_the_first_dense_layer(runs: Runs, tmp_path: Path) -> None:
    from nntrain.engine import keras
    from nntrain.results.weights import layer_weights

    out = tmp_path / "w.csv"
    result = CliRunner().invoke(app, ["weights", str(runs.full), "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "layer dense: 2 input(s) × 8 unit(s)" in result.output
    table = pd.read_csv(out, index_col="input")
    assert list(table.index) == ["x1", "x2", "bias"]  # the xor features, by name
    model = keras.models.load_model(runs.full / "model.keras")
    kernel, bias = model.get_layer("dense").get_weights()
    assert table.loc[["x1", "x2"]].to_numpy() == pytest.approx(kernel)
    assert table.loc["bias"].to_numpy() == pytest.approx(bias)
    with pytest.raises(NntrainError, match="did you mean 'dense'"):
        layer_weights(model, "dens", {})


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz' dot is not installed "
                    "(apt-get install graphviz; pip install pydot)")
def test_summary_diagram_draws_a_multi_input_multi_output_model(tmp_path: Path) -> None:
    config = tmp_path / "two.yaml"
    config.write_text(TWO_INPUTS_TWO_OUTPUTS)
    png = tmp_path / "model.png"
    result = CliRunner().invoke(app, ["summary", str(config), "--diagram", str(png)])
    assert result.exit_code == 0, result.output
    assert "concatenate" in result.output.lower() and "written" in result.output
    with Image.open(png) as image:
        width, height = image.size
    assert width > 600 and height > 300  # two input columns side by side, four rows of boxes


def test_missing_drawing_tools_name_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    with pytest.raises(NntrainError) as caught:
        diagram.check_diagram_tools(Path("model.png"))
    assert caught.value.exit_code == 1
    assert "pip install pydot" in str(caught.value)
    assert "apt-get install graphviz" in str(caught.value)


def test_summary_without_dot_exits_1_with_the_package_names(tmp_path: Path) -> None:
    config = tmp_path / "two.yaml"
    config.write_text(TWO_INPUTS_TWO_OUTPUTS)
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_cli("summary", config, "--diagram", tmp_path / "m.png", env={"PATH": str(empty)})
    assert result.returncode == 1
    assert "apt-get install graphviz" in result.stderr
    assert not (tmp_path / "m.png").exists()
    assert_no_traceback(result)
