"""per_class.csv and the per-class table after `nntrain eval` write supports (counts) as whole
numbers: 10000, never 1e+04."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from rich.console import Console

from nntrain.cli.results_commands import show_class_report
from nntrain.results.classes import ClassReport
from nntrain.runs.run_dir import RunDir


def test_macro_support_of_ten_thousand_is_written_and_shown_whole(tmp_path: Path) -> None:
    matrix = np.array([[4000, 1234], [766, 4000]])  # 10,000 test examples
    run = RunDir(tmp_path)
    (tmp_path / "config.yaml").write_text("name: big\n")
    run.write_table(run.per_class_csv, ClassReport(["cat", "dog"], matrix).rows())
    lines = run.per_class_csv.read_text().splitlines()
    assert lines[0] == "class,precision,recall,f1,support"
    assert lines[-1].startswith("macro avg,") and lines[-1].endswith(",10000")
    assert lines[1].endswith(",5234") and lines[2].endswith(",4766")
    screen = Console(file=io.StringIO(), width=100)
    show_class_report(tmp_path, screen)
    shown = screen.file.getvalue()
    macro = next(line for line in shown.splitlines() if "macro avg" in line)
    assert "10000" in macro and "e+" not in shown
    assert "5234" in shown and f"{4000 / 4766:.4g}" in shown  # cat: precision 4000 / 4766
