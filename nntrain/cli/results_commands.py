"""`runs`, `compare`, `weights`, `init`, `fit --print-config`, `summary --diagram` and the
per-class table after `eval`: thin CLI glue over nntrain.results.

Only `weights`, `summary --diagram` and the eval table's caller load TensorFlow, inside the
functions that need it.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from rich.markup import escape
from rich import box
from rich.console import Console
from rich.table import Table

from nntrain.config.suggest import did_you_mean
from nntrain.errors import NntrainError, runtime_error
from nntrain.results.runs_table import format_number

SHOWN_ROWS = 30  # of the weights table on screen (columns: as many as fit); --csv has all


def runs_command(folder: Path, sort: str | None, csv_path: Path | None, columns: str | None,
                 metric: str | None, console: Console) -> None:
    from nntrain.cli.progress import Unwrapped
    from nntrain.results.runs_table import (PLAIN_COLUMNS, collect, runs_columns, runs_table,
                                            sort_records, write_csv)

    if columns is not None and metric is not None:
        raise NntrainError("--columns names every column; --metric chooses the metric of the "
                           "default ones: give one of them", path="--metric")
    records, unreadable = collect(folder)
    for reason in unreadable:
        console.print(f"[yellow]left out:[/yellow] {escape(reason)}", soft_wrap=True)
    if sort:
        records = sort_records(records, sort)
    extra = sort if sort and sort not in PLAIN_COLUMNS and sort != "monitor" else None
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns is not None else None
    if not records:
        console.print(f"no runs under {escape(str(folder))} (folders with config.yaml and "
                      "status.json)", soft_wrap=True)
    else:
        keys = runs_columns(records, chosen, metric, extra)
        title = f"{len(records)} run(s) under {escape(str(folder))}"
        width = console.width if console.is_terminal else None
        table, left_out = runs_table(console, records, title, keys, width)
        console.print(Unwrapped(table))
        if left_out:
            console.print(f"[dim]not shown, for want of width: {escape(', '.join(left_out))} "
                          "(--columns chooses; --csv writes every column)[/dim]")
    if csv_path is not None:
        write_csv(records, csv_path)
        console.print(f"[green]written[/green] {escape(str(csv_path))}", soft_wrap=True)


def compare_command(paths: list[Path], plot: Path | None, metric: str | None,
                    console: Console) -> None:
    from nntrain.results.compare import check_metric, config_table, load_runs, metrics_table

    runs = load_runs(paths)
    if metric:
        check_metric(runs, metric)
    table = config_table(runs)
    console.print(table if table.row_count else "[dim]the configs are identical[/dim]")
    console.print(metrics_table(runs))
    if plot is not None:
        from nntrain.results.curves import compare_figure
        from nntrain.runs.atomic import write_figure

        write_figure(compare_figure(runs, metric), plot)
        console.print(f"[green]written[/green] {escape(str(plot))}")


def weights_command(target: Path, layer: str | None, csv_path: Path | None, allow_unsafe: bool,
                    console: Console) -> None:
    from nntrain.cli.model_commands import check_target

    check_target(target)
    from nntrain.results.weights import layer_weights
    from nntrain.runs.atomic import write_with
    from nntrain.runs.saved_model import open_target

    saved = open_target(target, allow_unsafe)
    info = saved.preprocessor.state.get("info", {}) if saved.preprocessor else {}
    result = layer_weights(saved.model, layer, info)
    frame = result.table
    rows, cols = frame.shape
    table = Table(title=f"layer {escape(result.layer)}: {rows - ('bias' in frame.index)} input(s) × "
                        f"{cols} unit(s)", header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("input", overflow="fold")
    shown_cols = list(frame.columns[:max(1, (console.width - 16) // 11)])
    for c in shown_cols:
        table.add_column(escape(str(c)), justify="right")
    index = list(frame.index)
    shown_rows = index if rows <= SHOWN_ROWS else index[:SHOWN_ROWS - 5] + [None] + index[-4:]
    for name in shown_rows:
        if name is None:
            table.add_row("…", *["…"] * len(shown_cols))
        else:
            table.add_row(escape(str(name)), *(format_number(float(frame.at[name, c])) for c in shown_cols),
                          style="bold" if name == "bias" else None)
    console.print(table)
    if (rows, cols) != (len(shown_rows), len(shown_cols)):
        console.print(f"[dim]{rows} × {cols} values; --csv FILE writes them all[/dim]")
    if result.others:
        console.print(f"[dim]the layer also has: {escape(', '.join(result.others))}[/dim]")
    if csv_path is not None:
        write_with(csv_path, lambda tmp: frame.to_csv(tmp, index_label="input"))
        console.print(f"[green]written[/green] {escape(str(csv_path))}")


def show_class_report(target: Path, console: Console) -> None:
    """The per-class table `eval` wrote into the run (nothing for a non-classifier)."""
    from nntrain.runs.run_dir import RunDir

    candidates = [target] if target.is_dir() else list(target.resolve().parents)
    run = next((RunDir(p) for p in candidates if RunDir(p).is_run()), None)
    rows = run.read_table(run.per_class_csv) if run is not None else []
    if not rows:
        return
    table = Table(title="per class", header_style="bold")
    for column in rows[0]:
        table.add_column(escape(column), justify="left" if column == "class" else "right")
    for row in rows:
        table.add_row(*(format_number(float(v)) if k != "class" else escape(v) for k, v in row.items()),
                      style="bold" if row["class"] == "macro avg" else None)
    console.print(table)
    console.print(f"[green]written[/green] {escape(str(run.confusion_png))}")


def template_names() -> list[str]:
    folder = resources.files("nntrain") / "templates"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def init_command(template: str, file: Path, force: bool, console: Console) -> None:
    names = template_names()
    if template not in names:
        raise NntrainError(f"no template '{template}' (templates: {', '.join(names)})",
                           path="--template", hint=did_you_mean(template, names))
    if file.exists() and not force:
        raise runtime_error(f"{file} exists and was left as it is", "pass --force to replace it")
    text = (resources.files("nntrain") / "templates" / f"{template}.yaml").read_text()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)
    console.print(escape(f"written {file} (template {template}); next: "
                         f"nntrain validate {file}, nntrain fit {file}"), style="green")


def print_config_command(config: Path | None, overrides: list[str], allow_unsafe: bool) -> None:
    """The config exactly as the run's config.yaml would hold it, as plain YAML on stdout."""
    from nntrain.config.load import dump_config, load_config

    if config is None:
        raise NntrainError("--print-config needs a CONFIG file", path="fit")
    loaded = load_config(config, overrides, allow_unsafe=allow_unsafe)
    sys.stdout.write(dump_config(loaded.config, Path.cwd(), loaded.relative))  # as from here
