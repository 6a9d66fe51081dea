"""`nntrain` run inside the test process (typer's CliRunner), for tests that need no signal or
exit of a real process: faster than a subprocess, and what they check is the same."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner, Result

from nntrain.cli.app import app


def nntrain(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def fit_config(config: Path, run: Path, *settings: str) -> Path:
    """`nntrain fit CONFIG --run-dir RUN --set ...`, which must succeed."""
    sets = [a for s in settings for a in ("--set", s)]
    result = nntrain("fit", config, "--run-dir", run, *sets)
    assert result.exit_code == 0, result.output
    return run


def predict_table(run: Path, rows: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """`nntrain predict RUN` on `rows` written to a CSV in `folder`, which must succeed; the
    predictions it wrote."""
    given, out = folder / "rows.csv", folder / "predictions.csv"
    rows.to_csv(given, index=False)
    result = nntrain("predict", run, "--input", given, "--output", out)
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)
