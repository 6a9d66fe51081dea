"""Property: any string (rich markup brackets, control characters, NUL, very long) in any field
of a good config makes `nntrain validate` exit 0 or 2 with a message, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.conftest import REPO

BASE = yaml.safe_load((REPO / "configs" / "tiny" / "csv_classifier.yaml").read_text())


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


LEAVES = _leaves(BASE)
hostile = st.sampled_from(["[/x]", "[/bold]", "[bold]x[/bold]", "[red]", "\x00", "\x1b[31m",
                           "\u202e", "a" * 400, "[", "]", "\\", "{}", "$(touch x)", ""]) \
    | st.text(max_size=30)


def _set(config: dict, path: tuple, value: str) -> dict:
    node: Any = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(LEAVES), value=hostile)
def test_any_string_in_any_field_exits_0_or_2_without_a_traceback(
        tmp_path_factory: Any, path: tuple, value: str) -> None:
    folder: Path = tmp_path_factory.mktemp("any")
    config = _set(yaml.safe_load(yaml.safe_dump(BASE)), path, value)
    file = folder / "config.yaml"
    file.write_text(yaml.safe_dump(config, allow_unicode=False))
    result = CliRunner().invoke(app, ["validate", str(file)])
    assert result.exit_code in (0, 2), (path, value, result.output)
    assert "Traceback" not in result.output
    assert result.output.strip(), "exit without a word"
