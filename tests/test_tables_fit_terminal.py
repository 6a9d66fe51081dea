"""Tables fit the terminal they are shown on, never cut a number, and are not wrapped when the
output goes to a file or a pipe: `nntrain runs` over runs with different metrics, and the
tables at the end of `nntrain fit`."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nntrain.results.runs_table import format_number
from tests.conftest import REPO, assert_no_traceback, run_cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal(columns: int) -> dict[str, str]:
    """What rich sees on a terminal of that width (TTY_COMPATIBLE is rich's own switch)."""
    return {"COLUMNS": str(columns), "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}


PIPED = {"COLUMNS": "80", "TTY_COMPATIBLE": "0"}  # COLUMNS as an inherited environment has it

CLASSIFIER = {"accuracy": 0.6912345, "precision": 0.06912345, "recall": 0.7123456,
              "auc": 0.8123456}
REGRESSOR = {"mae": 2.3456789, "mape": 12.345678, "root_mean_squared_error": 3.4567891}


def make_run(root: Path, name: str, metrics: dict[str, float], epochs: int = 3) -> Path:
    """The files `nntrain runs` reads, as fit writes them."""
    root.mkdir(parents=True)
    (root / "config.yaml").write_text(yaml.safe_dump(
        {"name": name, "train": {"epochs": epochs},
         "callbacks": {"early_stopping": {"monitor": "val_loss"}}}))
    (root / "status.json").write_text(json.dumps(
        {"status": "finished", "started": "2026-11-23T10:48:48+00:00", "seconds": 12.5,
         "epochs_done": epochs}))
    rows = [{"epoch": e, "loss": 1 / e, **{k: v / e for k, v in metrics.items()},
             "val_loss": 1.1 / e, **{f"val_{k}": v * 1.01 / e for k, v in metrics.items()},
             "lr": 0.001, "seconds": 0.5} for e in range(1, epochs + 1)]
    pd.DataFrame(rows).to_csv(root / "metrics.csv", index=False)
    (root / "eval.json").write_text(json.dumps({"loss": 0.4321987, **metrics}))
    return root


@pytest.fixture(scope="module")
def mixed_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mixed") / "runs"
    make_run(folder / "iris_classifier_with_a_long_name" / "20261123-104848", "iris_classifier_"
             "with_a_long_name", CLASSIFIER)
    make_run(folder / "housing_regressor" / "20261123-111246", "housing_regressor", REGRESSOR)
    make_run(folder / "xor" / "20261123-111300", "xor", {"accuracy": 0.75})
    return folder


def cut(text: str) -> bool:
    return "…" in text or "..." in text


@pytest.mark.parametrize("columns", [80, 130])
def test_runs_of_different_metrics_fit_the_terminal(mixed_runs: Path, columns: int) -> None:
    result = run_cli("runs", mixed_runs, env=terminal(columns))
    assert result.returncode == 0, result.stderr
    text = ANSI.sub("", result.stdout)
    assert not cut(text), text
    assert max(len(line) for line in text.splitlines()) <= columns, text
    for run in ("iris_classifier_", "housing_regressor", "xor/"):
        assert run in text
    assert "finished" in text and "not shown, for want of width:" in text
    # the monitored value at the best epoch is there, whole
    assert format_number(1.1 / 3) in text


def test_runs_piped_shows_every_column_on_one_line_per_run(mixed_runs: Path) -> None:
    result = run_cli("runs", mixed_runs, env=PIPED)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert not cut(result.stdout)
    header = next(line for line in lines if line.lstrip().startswith("run "))
    for title in ("test precision", "test root_mean_squared_error", "test mape", "best epoch"):
        assert title in header
    row = next(line for line in lines if "iris_classifier_with_a_long_name/20261123-104848" in line)
    assert "finished" in row and format_number(0.06912345) in row and "0.0691" in row
    assert "not shown" not in result.stdout


def test_runs_metric_and_columns_choose_what_is_shown(mixed_runs: Path) -> None:
    piped = run_cli("runs", mixed_runs, "--metric", "precision", env=PIPED).stdout
    header = next(line for line in piped.splitlines() if line.lstrip().startswith("run "))
    assert "val_precision" in header and "test precision" in header
    assert "test mae" not in header and "test accuracy" not in header
    on_80 = ANSI.sub("", run_cli("runs", mixed_runs, "--metric", "precision",
                                 env=terminal(80)).stdout)
    assert format_number(0.06912345) in on_80 and format_number(0.06912345 * 1.01 / 3) in on_80
    assert not cut(on_80)
    chosen = run_cli("runs", mixed_runs, "--columns", "test_accuracy,run,status", env=PIPED)
    assert chosen.returncode == 0, chosen.stderr
    header = next(line for line in chosen.stdout.splitlines() if "test accuracy" in line)
    assert header.split() == ["test", "accuracy", "run", "status"]


@pytest.mark.parametrize("args, field, hint", [
    (["--columns", "run,staus"], "--columns", "did you mean 'status'?"),
    (["--metric", "presicion"], "--metric", "did you mean 'precision'?"),
    (["--metric", "mae", "--columns", "run"], "--metric", "give one of them"),
])
def test_runs_refuses_unknown_columns_naming_the_option(mixed_runs: Path, args: list[str],
                                                         field: str, hint: str) -> None:
    result = run_cli("runs", mixed_runs, *args)
    assert result.returncode == 2
    assert field in result.stderr and hint in result.stderr
    assert_no_traceback(result)


METRICS = "compile.metrics=[mae, mape, RootMeanSquaredError]"


@pytest.fixture(scope="module")
def fits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    """The tiny regressor with three metrics, once on an 80-column terminal, once piped."""
    base = tmp_path_factory.mktemp("fits")
    jobs = {"terminal": terminal(80), "piped": PIPED}

    def fit(kind: str) -> tuple[str, Path]:
        run = base / kind
        done = run_cli("fit", REPO / "configs/tiny/csv_regressor.yaml", "--run-dir", run,
                       "--set", "train.epochs=3", "--set", METRICS, env=jobs[kind])
        assert done.returncode == 0, done.stdout + done.stderr
        return ANSI.sub("", done.stdout), run

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(jobs, pool.map(fit, jobs)))


def test_fit_epoch_lines_are_not_wrapped_when_piped(fits: dict[str, tuple[str, Path]]) -> None:
    out, run = fits["piped"]
    metrics = pd.read_csv(run / "metrics.csv")
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 3
    for line, (_, row) in zip(epoch_lines, metrics.iterrows()):
        assert "val_root_mean_squared_error" in line and re.search(r"seconds [\d.e-]+$", line)
        assert f"val_mape {format_number(row['val_mape'])}" in line
    table = out[out.index("training"):]
    assert not cut(table)
    header = next(line for line in table.splitlines() if "epoch" in line)
    assert "val_root_mean_squared_error" in header and "seconds" in header


def test_fit_end_table_fits_80_columns_without_cutting(fits: dict[str, tuple[str, Path]]) -> None:
    out, run = fits["terminal"]
    table = out[out.index("training"):]
    assert not cut(table), table
    assert max(len(line) for line in table.splitlines()) <= 80, table
    metrics = pd.read_csv(run / "metrics.csv")
    last = next(line for line in table.splitlines() if line.startswith("│     3 "))
    for key in ("loss", "val_loss", "mae", "val_mae"):
        assert f" {format_number(metrics[key].iloc[-1])} " in last, (key, last)
    note = " ".join(out[out.index("not shown, for want of width:"):].split())
    assert "(metrics.csv has every column)" in note
