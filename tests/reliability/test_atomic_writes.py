"""Every file nntrain itself writes into a run goes through a temporary file that is renamed
into place (runs/atomic.py), so a kill never leaves a half-written file under its real name.

An audit hook sees every Python-level open() for writing during `fit` and `eval`. TensorFlow's
own files (TensorBoard events, the backup checkpoint) are written in C++ and do not show here:
TensorBoard appends records, and the backup is committed by an atomic rename of its index.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.conftest import REPO
from tests.reliability.helpers import is_temp

WATCHED: dict[str, list[Path]] = {}


def _hook(event: str, args: tuple) -> None:
    root = WATCHED.get("root")
    if event != "open" or not root or not isinstance(args[0], (str, os.PathLike)):
        return
    path, mode, flags = Path(os.fsdecode(args[0])), args[1], args[2]
    writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(
        flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
    if writes and root[0] in path.parents:
        WATCHED["opened"].append(path)


sys.addaudithook(_hook)  # audit hooks cannot be removed; it is idle unless a test sets a root


def test_fit_and_eval_write_every_file_through_a_temporary_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    WATCHED.update(root=[run], opened=[])
    try:
        for args in (["fit", REPO / "configs" / "tiny" / "xor.yaml", "--run-dir", run,
                      "--set", "train.epochs=3", "--set", "callbacks.checkpoint.every_seconds=0"],
                     ["eval", run]):
            result = CliRunner().invoke(app, [str(a) for a in args])
            assert result.exit_code == 0, result.output
    finally:
        WATCHED["root"] = []
    opened = WATCHED["opened"]
    assert any(p.name.endswith(".tmp.keras") for p in opened)  # the hook does see the writes
    written_directly = sorted({str(p.relative_to(run)) for p in opened if not is_temp(p)})
    assert written_directly == []
    assert not [p for p in run.rglob("*") if is_temp(p)]
