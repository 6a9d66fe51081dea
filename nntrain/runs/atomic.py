"""Atomic file writes: a kill at any instant leaves the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# mkstemp creates 0600 files; a run's files get the usual umask-based mode instead.
_UMASK = os.umask(0)
os.umask(_UMASK)
TEMP_GLOB = ".*.tmp*"  # what a kill in the middle of a write can leave behind


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path, durable: bool = True) -> Iterator[Path]:
    """A temporary path in the same folder (same suffix) that replaces `target` on success.

    The rename alone makes the write atomic for a killed process; `durable` also syncs it to
    disk, against a power cut (milliseconds per write: too much for a file rewritten every
    epoch of a fast model, whose rows a resumed run redoes anyway)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)
    try:
        yield tmp_path
        if durable:
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp_path, target)
        if durable:
            _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_text(target: Path, text: str, durable: bool = True) -> None:
    with atomic_path(target, durable) as tmp:
        tmp.write_text(text)


def remove_leftovers(folder: Path) -> None:
    """Delete temporary files that a killed process left half-written under `folder`."""
    for leftover in Path(folder).rglob(TEMP_GLOB):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)


def write_with(target: Path, writer: Callable[[Path], None]) -> None:
    """Let `writer` fill a temporary path (e.g. model.save), then move it into place."""
    with atomic_path(target) as tmp:
        writer(tmp)


def write_figure(figure: Any, target: Path) -> Path:
    """A matplotlib figure as PNG (saved through Agg: no display needed)."""
    write_with(target, lambda tmp: figure.savefig(tmp, format="png"))
    return target
