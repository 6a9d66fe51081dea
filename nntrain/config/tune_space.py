"""Each `tune.space` entry checked against the config it searches, before any trial runs: its
dotted path exists, and every value it can take (each choice, both ends of a range) gives a
valid config when set there, as `--set` would set it."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from nntrain.config.load import apply_overrides, format_path, parse_dotted, validate_data
from nntrain.config.schema import Config
from nntrain.config.suggest import did_you_mean
from nntrain.config.tune_schema import SpaceEntry
from nntrain.config.yaml_source import PathKey, SourceMap
from nntrain.errors import NntrainError, Problem


def yaml_text(value: Any) -> str:
    """A value as one line of YAML, the way `--set KEY=VALUE` reads it back."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def overrides(values: dict[str, Any]) -> list[str]:
    """Searched values as `--set` items."""
    return [f"{key}={yaml_text(value)}" for key, value in values.items()]


def missing_part(resolved: Any, path: PathKey) -> tuple[str, str | None] | None:
    """Why `path` is not in the resolved config (and a hint), or None when it is."""
    node = resolved
    for depth, part in enumerate(path):
        here = format_path(path[:depth]) or "the config"
        if isinstance(part, int):
            if not isinstance(node, list):
                return f"{here} is not a list", None
            if part >= len(node):
                return f"{here} has {len(node)} entries (0 to {len(node) - 1})", None
            node = node[part]
        elif not isinstance(node, dict):
            hint = (f"write {here} as a mapping, {{type: ..., {part}: ...}}"
                    if isinstance(node, str) else None)
            return f"{here} is {node!r}, which has no '{part}'", hint
        elif part not in node:
            return (f"{here} has no '{part}'", did_you_mean(str(part), map(str, node)) or
                    "give it a value in the config: the search starts from the config's own")
        else:
            node = node[part]
    return None


def edge_values(entry: SpaceEntry) -> list[tuple[int, Any]]:
    """(index in the YAML list, value) of what is checked: each choice, or a range's ends."""
    return list(enumerate(entry.choice if entry.choice is not None else entry.bounds or ()))


def value_problems(data: dict[str, Any], key: str, value: Any, smap: SourceMap,
                   allow_unsafe: bool, base: Any) -> list[Problem]:
    """What is wrong with the config once `key` is set to `value` (none: fine)."""
    trial = copy.deepcopy(data)
    trial.pop("tune", None)
    apply_overrides(trial, overrides({key: value}), SourceMap(smap.file))
    try:
        validate_data(trial, smap, allow_unsafe=allow_unsafe, base=base, default_name="run")
    except NntrainError as exc:
        return exc.problems
    return []


def space_problems(config: Config, data: dict[str, Any], smap: SourceMap,
                   allow_unsafe: bool = False, base: Any = None) -> list[Problem]:
    """Every problem of the space, each at its `tune.space.<path>` entry."""
    assert config.tune is not None
    resolved = config.model_dump(mode="json")
    problems = []
    if config.data.kfold:
        problems.append(Problem("a search does not take data.kfold: a trial's metric would be "
                                "its last fold's alone", "data.kfold",
                                smap.locate(("data", "kfold")), "tune on data.validation_split"))
    for key, entry in config.tune.space.items():
        where, field = ("tune", "space", key), f"tune.space.{key}"
        try:
            missing = missing_part(resolved, parse_dotted(key))
        except NntrainError as exc:
            missing = exc.problems[0].message, exc.problems[0].hint
        if missing:
            problems.append(Problem(f"{missing[0]}, so the search cannot set {key}", field,
                                    smap.locate(where, prefer_key=True), missing[1]))
            continue
        for index, value in edge_values(entry):
            for inner in value_problems(data, key, value, smap, allow_unsafe, base):
                said = "" if inner.path in (None, key) else f"{inner.path}: "
                problems.append(Problem(f"{entry.kind} value {yaml_text(value)}: {said}"
                                        f"{inner.message}", field,
                                        smap.locate(where + (entry.kind, index)), inner.hint))
    return problems
