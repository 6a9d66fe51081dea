"""A run's config.yaml names its data files as they were written, relative to the run's own
folder when they were relative: a project folder moved (or copied to another machine) with
its runs and data still evaluates, from any current folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.conftest import REPO, assert_no_traceback, run_cli


def test_a_moved_project_folder_still_evaluates_its_run(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copy(REPO / "datasets/tiny_classification.csv", project / "data/flowers.csv")
    config = yaml.safe_load((REPO / "configs/tiny/csv_classifier.yaml").read_text())
    config["data"]["path"] = "data/flowers.csv"  # relative to the config's folder
    config["train"]["epochs"] = 2
    (project / "flowers.yaml").write_text(yaml.safe_dump(config))
    fit = run_cli("fit", "flowers.yaml", "--run-dir", "runs/first", cwd=project)
    assert fit.returncode == 0, fit.stdout + fit.stderr
    stored = yaml.safe_load((project / "runs/first/config.yaml").read_text())
    assert stored["data"]["path"] == "../../data/flowers.csv"
    printed = run_cli("fit", "--print-config", "flowers.yaml", cwd=project)
    assert "path: data/flowers.csv" in printed.stdout, printed.stdout

    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    project.rename(moved)
    result = run_cli("eval", moved / "runs/first", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "evaluated on the test data" in result.stdout
    assert (moved / "runs/first/per_class.csv").is_file()


def test_an_absolute_data_path_stays_absolute(tmp_path: Path) -> None:
    data = tmp_path / "flowers.csv"
    shutil.copy(REPO / "datasets/tiny_classification.csv", data)
    printed = run_cli("fit", "--print-config", "configs/tiny/csv_classifier.yaml",
                      "--set", f"data.path={data}")
    assert printed.returncode == 0, printed.stderr
    assert yaml.safe_load(printed.stdout)["data"]["path"] == str(data.resolve())
