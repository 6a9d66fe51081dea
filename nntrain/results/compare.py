"""`nntrain compare`: what differs between runs' configs, and how their metrics came out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from nntrain.config.suggest import did_you_mean
from nntrain.errors import NntrainError
from nntrain.results.run_info import RunInfo, is_number
from nntrain.results.runs_table import format_number
from nntrain.runs.run_dir import RunDir
from nntrain.training.monitor import higher_is_better

MISSING = object()


def load_runs(paths: list[Path]) -> list[tuple[str, RunInfo]]:
    """(label as the user typed it, run) for each path; every path must be a run."""
    if len(paths) < 2:
        raise NntrainError("give at least two runs to compare", path="RUN")
    runs = []
    for path in paths:
        if not RunDir(path).is_run():
            raise NntrainError(f"{path} is not a run directory (no config.yaml)", path="RUN")
        runs.append((str(path).rstrip("/"), RunInfo.load(path)))
    return runs


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': [1, {'c': 2}]}} → {'a.b[0]': 1, 'a.b[1].c': 2}."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def config_differences(configs: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """Only the dotted paths whose values differ (MISSING where a config lacks the path)."""
    flat = [flatten(c) for c in configs]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    rows = []
    for key in keys:
        values = [f.get(key, MISSING) for f in flat]
        if any(v != values[0] for v in values[1:]):
            rows.append((key, values))
    return rows


def _show(value: Any) -> str:
    if value is MISSING:
        return "—"
    return json.dumps(value) if isinstance(value, (dict, list, type(None), bool)) else str(value)


def _table(title: str, labels: list[str]) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("", no_wrap=True)  # dotted paths stay whole; values fold
    for label in labels:
        table.add_column(escape(label), justify="right", overflow="fold")
    return table


def config_table(runs: list[tuple[str, RunInfo]]) -> Table:
    table = _table("config differences", [label for label, _ in runs])
    for key, values in config_differences([info.config for _, info in runs]):
        table.add_row(escape(key), *(escape(_show(v)) for v in values))
    return table


def metric_rows(runs: list[tuple[str, RunInfo]]) -> list[tuple[str, list[Any]]]:
    """Epochs, the best epoch, each metric's best and final value, then the test metrics."""
    infos = [info for _, info in runs]
    rows: list[tuple[str, list[Any]]] = [
        ("epochs", [len(i.rows) or i.status.get("epochs_done") for i in infos]),
        ("best epoch", [f"{i.best_row.get('epoch')} ({i.monitor})" if i.monitor else None
                        for i in infos]),
    ]
    metrics = list(dict.fromkeys(m for i in infos for m in i.metric_names))
    for m in metrics:
        pick = max if higher_is_better(m) else min
        rows.append((f"{m} best", [pick((r[m] for r in i.rows if is_number(r.get(m))),
                                        default=None) for i in infos]))
        rows.append((f"{m} final", [i.final_row.get(m) for i in infos]))
    tests = list(dict.fromkeys(k for i in infos for k in i.test))
    rows += [(f"test {k}", [i.test.get(k) for i in infos]) for k in tests]
    rows.append(("status", [i.state for i in infos]))
    return rows


def metrics_table(runs: list[tuple[str, RunInfo]]) -> Table:
    table = _table("metrics", [label for label, _ in runs])
    for key, values in metric_rows(runs):
        table.add_row(escape(key), *(escape(format_number(v)) for v in values))
    return table


def check_metric(runs: list[tuple[str, RunInfo]], metric: str) -> None:
    names = {m for _, info in runs for m in info.metric_names}
    if metric not in names and f"val_{metric}" not in names:
        hint = did_you_mean(metric, names) or f"one of: {', '.join(sorted(names))}"
        raise NntrainError(f"no run has the metric '{metric}'", path="--metric", hint=hint)
