"""`nntrain eval`, `predict` and `summary`: commands that load or build a model."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.console import Console

from nntrain.cli.progress import metrics_table
from nntrain.errors import NntrainError


def check_target(target: Path) -> None:
    """A run directory or a .keras file, checked before TensorFlow loads (seconds saved on
    every typo); a folder of runs points at the runs inside."""
    from nntrain.results.run_info import find_runs
    from nntrain.runs.run_dir import RunDir

    if not target.exists():
        raise NntrainError(f"{target} does not exist", path="TARGET")
    if target.is_dir() and not RunDir(target).is_run():
        inside = find_runs(target)
        hint = (f"it holds {len(inside)} run(s), e.g. {inside[-1]}" if inside else
                "give a run directory (it holds config.yaml) or a .keras file")
        raise NntrainError(f"{target} is not a run directory (no config.yaml)", path="TARGET",
                           hint=hint)
    if target.is_file() and target.suffix != ".keras":
        raise NntrainError(f"{target}: expected a run directory or a .keras file", path="TARGET")


def eval_command(target: Path, config: Path | None, overrides: list[str], allow_unsafe: bool,
                 console: Console) -> None:
    check_target(target)
    from nntrain.workflows.evaluate import run_eval

    result = run_eval(target, config, overrides, allow_unsafe)
    console.print(f"evaluated on the {result.split} data")
    console.print(metrics_table(f"eval ({result.split})", result.metrics))
    if result.written_to:
        console.print(f"[green]written[/green] {escape(str(result.written_to))}")
    if result.skipped:
        console.print(f"note: {escape(result.skipped)}", highlight=False)
    from nntrain.cli.results_commands import show_class_report

    show_class_report(target, console)


def predict_command(target: Path, input_path: Path, output: Path | None, layer: str | None,
                    allow_unsafe: bool, console: Console, notes: Console) -> None:
    """Everything checkable from the run's files (input columns, image files, --layer) is
    checked before TensorFlow loads; notes go to stderr, so `--output -` stays a clean CSV."""
    if not input_path.exists():
        raise NntrainError(f"{input_path} does not exist", path="--input")
    if output is not None and output.resolve() == input_path.resolve():
        raise NntrainError(f"--output is the --input file {input_path}; predict would overwrite "
                           "it", path="--output", hint="name another file")
    if output is not None and output.exists() and not output.is_file() and str(output) != "-":
        # the CSV is written beside and renamed over it: that would replace /dev/null itself
        raise NntrainError(f"{output} is not a regular file", path="--output",
                           hint="--output - writes to standard output")
    check_target(target)
    from nntrain.workflows.predict import STDOUT, check_predict, run_predict

    request = check_predict(target, input_path, layer,
                            lambda text: notes.print(f"note: {escape(text)}", soft_wrap=True))
    result, written = run_predict(request, output, allow_unsafe)
    if written != STDOUT:
        console.print(f"[green]{len(result)} prediction(s) written to[/green] "
                      f"{escape(str(written))}")


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
