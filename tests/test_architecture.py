"""The folders are the architecture: each layer imports only the layers below it (README,
"Development"). Every import in the package counts, the lazy ones inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "nntrain"

# Lowest first. A module may import its own package and any lower layer; packages that share a
# layer do not import each other.
LAYERS = [
    {"errors", "engine", "compat"},
    {"config"},
    {"data", "device", "model"},
    {"runs"},
    {"training"},
    {"results", "export", "serve"},
    {"workflows"},
    {"cli"},
    {"__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _part(module: str) -> str | None:
    """'nntrain.config.load' → 'config'; None for imports from outside nntrain."""
    parts = module.split(".")
    if parts[0] != "nntrain":
        return None
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "nntrain":  # from nntrain import config
                found += [(node.lineno, f"nntrain.{alias.name}") for alias in node.names]
    return found


def _layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_module_belongs_to_a_layer() -> None:
    names = {_layer_of(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert names <= set(RANK), f"add {sorted(names - set(RANK))} to LAYERS"


def test_each_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _layer_of(path)
        if here == "__init__":
            continue
        for line, module in _imports(path):
            there = _part(module)
            if there is None or there in ("", here):
                continue
            if not (RANK[there] < RANK[here] or (here, there) == ("compat", "engine")):
                wrong.append(f"{path.relative_to(REPO)}:{line} ({here}) imports {module}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_tensorflow_is_imported_only_by_the_engine_and_compat() -> None:
    wrong = [f"{path.relative_to(REPO)}:{line}"
             for path in PACKAGE.rglob("*.py") if path.name not in ("engine.py", "compat.py")
             for line, module in _imports(path)
             if module.split(".")[0] in ("tensorflow", "tf_keras", "keras")]
    assert not wrong, "import TensorFlow through nntrain.engine:\n" + "\n".join(wrong)


def test_every_function_is_shorter_than_50_lines() -> None:
    long = [f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)"
            for path in PACKAGE.rglob("*.py")
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and (length := node.end_lineno - node.lineno + 1) >= 50]
    assert not long, "split these:\n" + "\n".join(long)
