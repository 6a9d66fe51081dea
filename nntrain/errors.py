"""The one error type that travels from any layer to the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

CONFIG_ERROR = 2
RUNTIME_ERROR = 1


@dataclass
class Location:
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def __str__(self) -> str:
        parts = [self.file or "<config>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass
class Problem:
    """One thing wrong with the input: what, where, and how to fix it."""

    message: str
    path: str | None = None  # dotted path of the config field, e.g. model.layers[2].activation
    location: Location | None = None
    hint: str | None = None

    def render(self) -> str:
        head = ""
        if self.location is not None and (self.location.file or self.location.line):
            head += f"{self.location}: "
        if self.path:
            head += f"{self.path}: "
        text = head + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class NntrainError(Exception):
    """A user-facing failure. exit_code 2: the config or command line; 1: run time."""

    def __init__(
        self,
        problems: list[Problem] | str,
        exit_code: int = CONFIG_ERROR,
        *,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, path=path, hint=hint)]
        self.problems: list[Problem] = problems
        self.exit_code = exit_code
        super().__init__(self.render())

    def render(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0].render()
        lines = [f"{len(self.problems)} problems:"]
        return "\n".join(lines + [f"  - {p.render()}" for p in self.problems])


def first_line(exc: BaseException) -> str:
    """An exception's first line (TensorFlow's and converters' run to pages); its type's name
    when it has no message."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def config_error(message: str, path: str | None = None, hint: str | None = None) -> NntrainError:
    return NntrainError(message, CONFIG_ERROR, path=path, hint=hint)


def runtime_error(message: str, hint: str | None = None) -> NntrainError:
    return NntrainError(message, RUNTIME_ERROR, hint=hint)


@dataclass
class Problems:
    """Collects every problem in one pass so the user sees all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, message: str, path: str | None = None, hint: str | None = None) -> None:
        self.items.append(Problem(message, path=path, hint=hint))

    def raise_if_any(self, exit_code: int = CONFIG_ERROR) -> None:
        if self.items:
            raise NntrainError(self.items, exit_code)
