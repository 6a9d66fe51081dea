"""YAML file + --set overrides → a validated `Config`, with every problem reported at once."""

from __future__ import annotations

import glob
import math
import os
import random
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from nntrain.config.data_files import (FOLDER_SOURCES, GLOB_SOURCES, csv_column_problems,
                                      kind_problem)
from nntrain.config.keras_check import KerasNameChecker
from nntrain.config.schema import MAX_NAME_LENGTH, Config, run_name_problem
from nntrain.config.suggest import did_you_mean
from nntrain.config.yaml_source import PathKey, SourceMap, parse_yaml, read_yaml_file
from nntrain.errors import Location, NntrainError, Problem

# Config fields that name files; resolved against the working directory, then the config's folder.
PATH_FIELDS = (("data", "path"), ("data", "target_path"), ("data", "validation_path"),
               ("data", "test_path"), ("data", "data_dir"), ("model", "initial_weights"))


@dataclass
class LoadedConfig:
    config: Config
    source: SourceMap
    file: Path | None
    relative: tuple[str, ...] = ()  # the path fields written as relative paths ("data.path")


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_dotted(path: str) -> PathKey:
    """'model.layers[0].units' or 'model.layers.0.units' → ('model', 'layers', 0, 'units')."""
    parts: list[str | int] = []
    for piece in path.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[[0-9]+\])*)", piece)
        if not m or (not m.group(1) and not m.group(2)):
            raise NntrainError(f"cannot read the dotted path '{path}'", path="--set",
                               hint="write it like train.epochs or model.layers[0].units")
        if m.group(1):
            index = m.group(1).isascii() and m.group(1).isdigit()  # not '²'
            parts.append(int(m.group(1)) if index else m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[([0-9]+)\]", m.group(2)))
    return tuple(parts)


def apply_overrides(data: dict[str, Any], overrides: list[str], smap: SourceMap) -> None:
    """--set a.b=v: v is read as a YAML scalar (or flow list / mapping)."""
    for item in overrides:
        if "=" not in item:
            raise NntrainError(f"'{item}' is not KEY=VALUE", path="--set",
                               hint="e.g. --set train.epochs=3")
        key, raw = item.split("=", 1)
        path = parse_dotted(key.strip())
        value, _ = parse_yaml(raw, f"--set {item}")
        target: Any = data
        for depth, part in enumerate(path[:-1]):
            nxt = path[depth + 1]
            if isinstance(target, dict):
                if not isinstance(target.get(part), (dict, list)):
                    target[part] = [] if isinstance(nxt, int) else {}
                target = target[part]
            elif isinstance(target, list) and isinstance(part, int) and part < len(target):
                target = target[part]
            else:
                raise NntrainError(f"'{format_path(path[: depth + 1])}' does not exist in the config",
                                   path="--set")
        last = path[-1]
        if isinstance(target, list):
            if not isinstance(last, int) or last >= len(target):
                raise NntrainError(f"index {last} is out of range for '{format_path(path[:-1])}'",
                                   path="--set")
        elif not isinstance(target, dict):
            raise NntrainError(f"'{format_path(path[:-1])}' is not a mapping", path="--set")
        target[last] = value
        smap.values[path] = Location(f"--set {item}")


# -- pydantic errors → our problems ---------------------------------------------------------

def _unwrap(annotation: Any) -> list[Any]:
    """The BaseModel / container types inside Optional, Union, list, dict annotations."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Valid keys of the model that sits at `loc` (for 'did you mean' on unknown keys)."""
    current: list[Any] = [Config]
    for part in loc:
        nxt: list[Any] = []
        for ann in current:
            origin = typing.get_origin(ann)
            if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(part, str):
                field = ann.model_fields.get(part)
                if field is not None:
                    nxt += _unwrap(field.annotation)
            elif origin in (list, dict) and typing.get_args(ann):
                nxt += _unwrap(typing.get_args(ann)[-1])
        current = nxt
    return [name for ann in current if isinstance(ann, type) and issubclass(ann, BaseModel)
            for name in ann.model_fields]


def _clean_loc(loc: tuple[Any, ...]) -> PathKey:
    """Drop pydantic's union-member tags (e.g. 'str', 'dict[str,any]') from an error location."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part in {"str", "int", "float", "bool", "list", "dict"}
                                      or re.fullmatch(r"[a-z][a-z0-9_-]*\[.*\]", part)):
            continue
        out.append(part)
    return tuple(out)


def _received(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def pydantic_problems(err: ValidationError, smap: SourceMap) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[PathKey, str]] = set()
    for e in err.errors(include_url=False):
        path = _clean_loc(e["loc"])
        kind = e["type"]
        hint = None
        if kind == "extra_forbidden":
            key = str(path[-1]) if path else "?"
            message = f"unknown key '{key}'"
            hint = did_you_mean(key, _fields_at(path[:-1]))
            location = smap.locate(path, prefer_key=True)
        elif kind == "missing":
            message = "this field is required"
            location = smap.locate(path[:-1])
        else:
            message = e["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, "):]
            if "input" in e and not isinstance(e["input"], (dict, list)):
                message += f" (received {_received(e['input'])})"
            location = smap.locate(path)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(Problem(message, format_path(path) or None, location, hint))
    return problems


def _problem_locations(problems: list[Problem], smap: SourceMap) -> list[Problem]:
    for p in problems:
        if p.location is None and p.path and p.path != "--set":
            p.location = smap.locate(parse_dotted(p.path), prefer_key=p.message.startswith(
                ("unknown key", "has no argument")) or " has no argument " in p.message)
    return problems


def _by_line(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location and p.location.line) or 0)


def _resolve_paths(data: dict[str, Any], base: Path | None) -> list[str]:
    """Each path field made absolute (the current folder first, then `base`); returned: the
    fields written as relative paths, which a run's config.yaml keeps relative."""
    relative = []
    for section, key in PATH_FIELDS:
        value = (data.get(section) or {}).get(key) if isinstance(data.get(section), dict) else None
        if not isinstance(value, str) or not value:
            continue
        try:
            p = Path(value).expanduser()
            if not p.is_absolute():
                candidates = [Path.cwd() / p] + ([base / p] if base else [])
                p = next((c for c in candidates if c.exists() or glob_matches(str(c))),
                         candidates[0])
                relative.append(f"{section}.{key}")
            data[section][key] = str(p.resolve())
        except (OSError, ValueError, RuntimeError):
            continue  # left as written; _check_paths says what is wrong with it
    return relative


def glob_matches(pattern: str) -> bool:
    return glob.has_magic(pattern) and next(glob.iglob(pattern), None) is not None


def _path_problem(value: str) -> str | None:
    try:
        return None if Path(value).exists() else f"file not found: {value}"
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long, ...
        return f"not a usable path: {value[:80]!r} ({getattr(exc, 'strerror', None) or exc})"


def _check_paths(config: Config, smap: SourceMap) -> list[Problem]:
    problems = []
    for section, key in PATH_FIELDS:
        value = getattr(getattr(config, section), key)
        if key == "data_dir":
            continue  # TFDS downloads into it when the dataset is not prepared there
        if value and glob.has_magic(value) and config.data.source in GLOB_SOURCES:
            if not glob_matches(value):
                problems.append(Problem(f"no file matches {value}", f"{section}.{key}",
                                        smap.locate((section, key))))
            continue
        folder = key == "path" and config.data.source in FOLDER_SOURCES
        problem = (_path_problem(value) or kind_problem(value, folder)) if value else None
        if problem:
            problems.append(Problem(problem, f"{section}.{key}", smap.locate((section, key))))
    return problems


def non_finite(data: Any, path: PathKey = ()) -> list[tuple[PathKey, float]]:
    """Every NaN / inf number (value or mapping key) with its path: no config field wants one,
    and the run's config.yaml could not write it back."""
    if isinstance(data, float):
        return [] if math.isfinite(data) else [(path, data)]
    found: list[tuple[PathKey, float]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, float) and not math.isfinite(key):
                found.append((path + (str(key),), key))
            found += non_finite(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += non_finite(value, path + (i,))
    return found


def _non_finite_problems(data: Any, smap: SourceMap) -> list[Problem]:
    return [Problem(f"{value} is not a finite number", format_path(path), smap.locate(path),
                    "NaN and infinity are not usable config values")
            for path, value in non_finite(data)]


def _default_name(stem: str | None) -> str:
    """The config file's stem, when it can be a run's folder name."""
    name = (stem or "")[:MAX_NAME_LENGTH]
    return name if name and run_name_problem(name) is None else "run"


def _without_repeats(found: list[Problem], earlier: list[Problem]) -> list[Problem]:
    """`found` less the problems at fields that already have one (a NaN is also 'not a
    positive number')."""
    taken = {p.path for p in earlier}
    return [p for p in found if p.path not in taken]


def validate_data(data: Any, smap: SourceMap, *, allow_unsafe: bool = False,
                  base: Path | None = None, default_name: str | None = None,
                  relative: list[str] | None = None) -> Config:
    """Plain data → Config, or one NntrainError listing every problem found; `relative`
    gains the path fields that were written relative (see _resolve_paths)."""
    if data is None:
        raise NntrainError([Problem("the config is empty", location=Location(smap.file),
                                    hint="see CONFIG.md or run `nntrain init`")])
    if not isinstance(data, dict):
        raise NntrainError([Problem(f"a config is a mapping of sections, got {type(data).__name__}",
                                    location=smap.locate(()))])
    (relative if relative is not None else []).extend(_resolve_paths(data, base))
    problems = _non_finite_problems(data, smap)
    problems += _without_repeats(KerasNameChecker(allow_unsafe).check(data).items, problems)
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        raise NntrainError(_by_line(_without_repeats(pydantic_problems(err, smap), problems)
                                    + _problem_locations(problems, smap))) from None
    problems += _check_paths(config, smap)
    problems += [] if problems else csv_column_problems(config.data)
    if config.tune is not None and not problems:  # each searched value, set in this config
        from nntrain.config.tune_space import space_problems  # it validates through here

        problems += space_problems(config, data, smap, allow_unsafe, base)
    if problems:
        raise NntrainError(_by_line(_problem_locations(problems, smap)))
    if config.name is None:
        config.name = _default_name(default_name)
    if config.seed is None:
        config.seed = random.SystemRandom().randrange(2**31)
    return config


def load_config(path: Path | str, overrides: list[str] | None = None, *,
                allow_unsafe: bool = False) -> LoadedConfig:
    path = Path(path)
    data, smap = read_yaml_file(path)
    if overrides:
        if data is None:
            data = {}
        if isinstance(data, dict):
            apply_overrides(data, overrides, smap)
    relative: list[str] = []
    config = validate_data(data, smap, allow_unsafe=allow_unsafe, base=path.parent,
                           default_name=path.stem, relative=relative)
    return LoadedConfig(config, smap, path, tuple(relative))


def relative_to(value: str, folder: Path) -> str:
    """`value` (absolute) as seen from `folder`, or as it is when the two share no folder
    but the root (`../../../..` leads nowhere once either is moved)."""
    common = os.path.commonpath([value, str(folder)])
    return os.path.relpath(value, folder) if common != os.path.dirname(common) else value


def dump_config(config: Config, folder: Path | None = None, relative: tuple[str, ...] = ()) -> str:
    """The fully resolved config as YAML (what config.yaml in a run holds); the path fields
    in `relative` written relative to `folder` (the run's), so that the run and its data can
    move together and load_config finds them again from that folder."""
    data = config.model_dump(mode="json")
    for field in relative if folder is not None else ():
        section, key = field.split(".")
        if data.get(section, {}).get(key):
            data[section][key] = relative_to(data[section][key], folder.resolve())
    if data.get("tune") is None:
        data.pop("tune", None)
    for layer in data["model"]["layers"]:
        for key in ("name", "inputs"):
            if layer.get(key) is None:
                layer.pop(key, None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
