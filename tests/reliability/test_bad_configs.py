"""Every config in tests/bad_configs/ is refused by `nntrain validate` and `nntrain fit` with its
exit code and a clear message, quickly, without a traceback and without a run directory.

Each file's first line says what to expect: `# expect: CODE [fit-only] | fragment | ...`
(`fit-only`: a problem only building the model or the preflight shows, so `validate` accepts
the file). Files
that cannot hold a comment are described in NO_HEADER. The commands run in-process (one
TensorFlow import for the lot); a few run as real processes to time them as a user would.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.conftest import REPO, assert_no_traceback, run_cli

CORPUS = REPO / "tests" / "bad_configs"
FILES = sorted(CORPUS.glob("*.yaml"))
NO_HEADER = {"empty.yaml": "2 | empty", "binary_garbage.yaml": "2 | binary",
             "not_utf8.yaml": "2 | UTF-8"}
AS_PROCESSES = ["billion_laughs.yaml", "deeply_nested.yaml", "binary_garbage.yaml",
                "batch_size_10_to_the_20.yaml", "python_object_apply.yaml"]


def expectation(path: Path) -> tuple[int, bool, list[str]]:
    header = NO_HEADER.get(path.name) or path.read_text().splitlines()[0]
    head, *fragments = [part.strip() for part in header.removeprefix("# expect:").split("|")]
    code, *flags = head.split()
    return int(code), "fit-only" in flags, fragments


def _invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = " ".join(result.output.split())
    assert "Traceback" not in text, text
    return result.exit_code, text


def test_the_corpus_has_at_least_40_configs() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bad_config_is_refused_cleanly(path: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    code, fit_only, fragments = expectation(path)
    monkeypatch.chdir(tmp_path)  # a relative output.dir would land here
    started = time.monotonic()
    exit_code, text = _invoke("validate", path)
    assert time.monotonic() - started < 5
    if fit_only:
        assert exit_code == 0, text
    else:
        assert exit_code == code, text
        assert path.name in text, text
        for fragment in fragments:
            assert fragment in text, (fragment, text)
    # Problems found before training are tried with the config's own output.dir, the others
    # with --run-dir: neither may be created.
    where = [] if fit_only else ["--run-dir", tmp_path / "run"]
    exit_code, text = _invoke("fit", path, *where)
    assert exit_code == code, text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert list(tmp_path.iterdir()) == []  # neither the run directory nor output.dir


@pytest.mark.parametrize("name", AS_PROCESSES)
def test_bad_config_as_a_process_answers_within_5_seconds(name: str, tmp_path: Path) -> None:
    code, _, fragments = expectation(CORPUS / name)
    started = time.monotonic()
    result = run_cli("validate", CORPUS / name, cwd=tmp_path, timeout=30)
    assert time.monotonic() - started < 5
    assert result.returncode == code, result.stderr
    assert_no_traceback(result)
    assert fragments[0] in " ".join(result.stderr.split())
