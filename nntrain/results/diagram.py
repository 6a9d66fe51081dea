"""`nntrain summary --diagram`: the model graph through keras.utils.plot_model.

plot_model needs the pydot package and Graphviz' `dot` program; both are checked before the
model is built, so a missing one costs no time and says exactly what to install.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

from nntrain.errors import runtime_error
from nntrain.runs.atomic import atomic_path

FORMATS = (".png", ".svg", ".pdf", ".dot")


def check_diagram_tools(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise runtime_error(f"cannot draw {path}: the diagram's file ends in one of "
                            f"{', '.join(FORMATS)}")
    missing = []
    if importlib.util.find_spec("pydot") is None:
        missing.append("the Python package pydot: pip install pydot")
    if shutil.which("dot") is None:
        missing.append("Graphviz' dot program: apt-get install graphviz on Debian/Ubuntu, "
                       "brew install graphviz on macOS")
    if missing:
        raise runtime_error("drawing the model needs " + "; and ".join(missing),
                            "or leave out --diagram")


def write_diagram(model: Any, path: Path) -> Path:
    """Every layer with its output shape; several inputs and outputs draw as a graph."""
    from nntrain.engine import keras

    with atomic_path(path) as tmp:
        keras.utils.plot_model(model, to_file=str(tmp), show_shapes=True, show_layer_names=True,
                               show_layer_activations=True, expand_nested=True, dpi=96)
    return path
