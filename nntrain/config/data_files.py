"""What validate can tell about the data files without loading them: whether each is a file
or a folder as its source needs, and a CSV's columns, from its header line alone (a CSV may
be 50 GB)."""

from __future__ import annotations

import csv
import stat
from pathlib import Path
from typing import Any

from nntrain.config.data_schema import DataConfig
from nntrain.config.suggest import did_you_mean
from nntrain.errors import Problem

# Sources whose `path` is a folder (the others read one file).
FOLDER_SOURCES = ("idx", "image_dir", "text_dir", "fortunes")
# Sources whose paths may be globs of several files.
GLOB_SOURCES = ("tfrecord",)
# A header line longer than this, after more blank lines than 1/1024 of it, or one that
# cannot be parsed alone is left to `fit` to read.
HEADER_LIMIT = 1 << 20


def kind_problem(path: str, folder: bool) -> str | None:
    """Why `path` (which exists) is not what the source reads: a folder, or a regular file
    (a FIFO would block forever and /dev/zero never ends)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return None  # the not-found check reports it
    if folder:
        return None if stat.S_ISDIR(mode) else f"cannot read {path}: it is a file, not a folder"
    if stat.S_ISREG(mode):
        return None
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if
            stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a folder" if stat.S_ISDIR(mode)
            else "not a regular file")
    return f"cannot read {path}: it is {kind}, not a data file"


def _mangled(names: list[str]) -> list[str]:
    """Duplicate column names as pandas names them: a, a.1, a.2."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}.{count}")
    return out


def csv_header(path: str) -> list[str] | None:
    """The column names of a CSV file from its first non-blank line; None when that line
    cannot be read on its own (fit then reads the file and says what is wrong)."""
    try:
        with open(path, "rb") as fh:
            lines = (fh.readline(HEADER_LIMIT) for _ in range(HEADER_LIMIT // 1024))
            line = next((ln for ln in lines if ln.strip() or not ln), b"")
        text = line.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.strip() or len(line) >= HEADER_LIMIT or "\0" in text:
        return None
    if text.count('"') % 2:  # a quoted name running on to the next line
        return None
    return _mangled(next(csv.reader([text])))


def _columns(value: Any) -> list[str]:
    """The column names in a target / features value: a name, a list, or a mapping of them."""
    if isinstance(value, dict):
        return [c for v in value.values() for c in _columns(v)]
    if isinstance(value, list):
        return [str(c) for c in value]
    return [str(value)] if value is not None else []


def csv_column_problems(data: DataConfig) -> list[Problem]:
    """`data.target` and `data.features` name columns of every CSV file the run reads."""
    if data.source != "csv":
        return []
    problems: list[Problem] = []
    reported: set[str] = set()
    for key in ("path", "validation_path", "test_path"):
        path = getattr(data, key)
        header = csv_header(path) if path and kind_problem(path, folder=False) is None else None
        if header is None:
            continue
        for field in ("target", "features"):
            for column in _columns(getattr(data, field)):
                if column not in header and column not in reported:
                    reported.add(column)
                    problems.append(Problem(
                        f"column '{column}' is not in {Path(path).name} (columns: "
                        f"{', '.join(header)})", f"data.{field}",
                        hint=did_you_mean(column, header)))
    return problems
