"""`nntrain eval`, `predict` and `summary`: commands that load or build a model."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.console import Console

from nntrain.cli.progress import metrics_table
from nntrain.errors import NntrainError


def eval_command(target: Path, config: Path | None, overrides: list[str], allow_unsafe: bool,
                 console: Console) -> None:
    from nntrain.workflows.evaluate import run_eval

    result = run_eval(target, config, overrides, allow_unsafe)
    console.print(f"evaluated on the {result.split} data")
    console.print(metrics_table(f"eval ({result.split})", result.metrics))
    if result.written_to:
        console.print(f"[green]written[/green] {escape(str(result.written_to))}")
    from nntrain.cli.results_commands import show_class_report

    show_class_report(target, console)


def predict_command(target: Path, input_path: Path, output: Path | None, layer: str | None,
                    allow_unsafe: bool, console: Console) -> None:
    if output is not None and output.resolve() == input_path.resolve():
        raise NntrainError(f"--output is the --input file {input_path}; predict would overwrite "
                           "it", path="--output", hint="name another file")
    from nntrain.workflows.predict import run_predict

    result, written = run_predict(target, input_path, output, layer, allow_unsafe)
    console.print(f"[green]{len(result)} prediction(s) written to[/green] {escape(str(written))}")


def summary_command(config: Path, overrides: list[str], allow_unsafe: bool, console: Console,
                    diagram: Path | None = None) -> None:
    """The summary, then (with --diagram) the graph; the drawing tools are checked before
    anything is built."""
    if diagram is not None:
        from nntrain.results.diagram import check_diagram_tools

        check_diagram_tools(diagram)
    from nntrain.config.load import load_config
    from nntrain.model.build import build_model
    from nntrain.model.summary import summary_text

    model = build_model(load_config(config, overrides, allow_unsafe=allow_unsafe).config.model)
    console.print(summary_text(model), markup=False)
    if diagram is not None:
        from nntrain.results.diagram import write_diagram

        write_diagram(model, diagram)
        console.print(f"[green]written[/green] {escape(str(diagram))}")
