"""Safe YAML loading that remembers where every value came from (file, line, column)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nntrain.errors import Location, NntrainError, Problem

# Bounds that stop YAML bombs (billion laughs) and absurd nesting before anything expands them.
MAX_NODES = 20_000
MAX_DEPTH = 40
MAX_BYTES = 1_000_000

PathKey = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Where each dotted path was written: the value's mark and, for mapping keys, the key's."""

    file: str | None
    values: dict[PathKey, Location] = field(default_factory=dict)
    keys: dict[PathKey, Location] = field(default_factory=dict)

    def locate(self, path: PathKey, prefer_key: bool = False) -> Location:
        lookups = (self.keys, self.values) if prefer_key else (self.values, self.keys)
        probe = tuple(path)
        while True:
            for table in lookups:
                if probe in table:
                    return table[probe]
            if not probe:
                return Location(self.file)
            probe = probe[:-1]


def _loc(file: str | None, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file)
    return Location(file, mark.line + 1, mark.column + 1)


def _fail(message: str, location: Location, hint: str | None = None) -> NntrainError:
    return NntrainError([Problem(message, location=location, hint=hint)])


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader; nothing else can construct Python objects from a config."""


def _walk(node: yaml.Node, path: PathKey, smap: SourceMap, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _fail(
            f"the YAML expands to more than {MAX_NODES} values (are aliases used to blow it up?)",
            _loc(smap.file, node.start_mark),
            "a config is a few hundred values; write it out without alias tricks",
        )
    if len(path) > MAX_DEPTH:
        raise _fail(f"the YAML is nested deeper than {MAX_DEPTH} levels",
                    _loc(smap.file, node.start_mark))
    smap.values.setdefault(path, _loc(smap.file, node.start_mark))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, yaml.Mark] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key in seen and key != "<<":
                raise _fail(
                    f"key '{key}' appears twice in the same mapping "
                    f"(first at line {seen[key].line + 1})",
                    _loc(smap.file, key_node.start_mark),
                )
            seen[key] = key_node.start_mark
            smap.keys.setdefault(path + (key,), _loc(smap.file, key_node.start_mark))
            _walk(value_node, path + (key,), smap, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), smap, budget)


def parse_yaml(text: str, file: str | None = None) -> tuple[Any, SourceMap]:
    """YAML text → plain Python data plus a SourceMap; errors carry file:line:column."""
    smap = SourceMap(file)
    try:
        loader = _SafeLoader(text)  # reads the stream: control characters fail here
    except yaml.YAMLError as exc:
        raise _fail(f"not readable as YAML: {exc}", Location(file)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, smap
        _walk(node, (), smap, [MAX_NODES])
        data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        raise _fail(
            f"unsafe or unknown YAML tag: {exc.problem}",
            _loc(file, exc.problem_mark),
            "configs are plain YAML; tags such as !!python/object are refused",
        ) from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}: {problem}"
        raise _fail(f"malformed YAML: {problem}", _loc(file, exc.problem_mark)) from None
    except yaml.YAMLError as exc:
        raise _fail(f"malformed YAML: {exc}", Location(file)) from None
    except RecursionError:
        raise _fail(f"the YAML is nested deeper than {MAX_DEPTH} levels", Location(file)) from None
    finally:
        loader.dispose()
    return data, smap


def read_yaml_file(path: Path) -> tuple[Any, SourceMap]:
    """Read a config file with every failure turned into a clear exit-2 error."""
    name = str(path)
    if not path.exists():
        raise _fail("config file not found", Location(name), "check the path")
    if path.is_dir():
        raise _fail("is a folder, not a config file", Location(name))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read the config file: {exc.strerror}", Location(name)) from None
    if len(raw) > MAX_BYTES:
        raise _fail(f"config file is {len(raw)} bytes; the limit is {MAX_BYTES}", Location(name))
    if b"\x00" in raw:
        raise _fail("this is a binary file, not a YAML config", Location(name))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(f"not UTF-8 text (byte {exc.start})", Location(name)) from None
    return parse_yaml(text, name)
