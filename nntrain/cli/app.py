"""The `nntrain` command. TensorFlow is imported only inside the commands that need it."""

from __future__ import annotations

import inspect
import os
import signal
import sys
import traceback
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from typer.core import TyperCommand
from typer.models import ArgumentInfo
from rich.markup import escape
from rich.console import Console

from nntrain.errors import NntrainError

app = typer.Typer(
    name="nntrain",
    help="Train, evaluate and serve tf.keras models described entirely in YAML.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: Rich's help renderer alone costs ~0.15 s
)
EXAMPLES = {  # one per command, shown at the end of its --help
    "validate": "nntrain validate configs/iris.yaml",
    "fit": "nntrain fit configs/iris.yaml --set train.epochs=3",
    "tune": "nntrain tune configs/iris_tune.yaml --trials 12 --jobs 2",
    "eval": "nntrain eval runs/iris/20261123-104848",
    "predict": "nntrain predict runs/iris/20261123-104848 --input datasets/iris.csv",
    "summary": "nntrain summary configs/iris.yaml",
    "schema": "nntrain schema > nntrain.schema.json",
    "runs": "nntrain runs runs --sort val_accuracy --columns run,epochs,best,status",
    "compare": "nntrain compare runs/iris/20261123-104848 runs/iris/20261123-111246",
    "weights": "nntrain weights runs/iris/20261123-104848 --layer dense",
    "init": "nntrain init --template tabular_classifier my_model.yaml",
    "export": "nntrain export runs/iris/20261123-104848 --format tflite --quantize int8",
    "serve": "nntrain serve runs/iris/20261123-104848 --port 8501",
    "generate": "nntrain generate runs/vae_fashion/20261202-071500 --count 16 --output new.png",
}
out = Console(highlight=False)
out.soft_wrap = not out.is_terminal  # into a file or a pipe: each line whole, never wrapped
err = Console(stderr=True, highlight=False)

T = TypeVar("T")
SIGINTS: list[int] = []  # Ctrl-C seen by this process (main's handler notes each)
INTERRUPTED = "[yellow]interrupted[/yellow] (Ctrl-C)"

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="override a config value by dotted path, e.g. --set train.epochs=3")]
UnsafeOption = Annotated[bool, typer.Option(
    "--allow-unsafe", help="allow layers and model files that run arbitrary code (Lambda)")]


class HelpCommand(TyperCommand):
    """Typer's plain help, mended: arguments keep their help (click 8.2+ drops what Typer
    sets), `[default: ...]` / `[required]` lose the backslash Rich escaping adds, and the
    command list shows whole first sentences (wrapped, not cut)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        function = inspect.unwrap(self.callback) if self.callback else None
        hints = typing.get_type_hints(function, include_extras=True) if function else {}
        for param in self.params:
            meta = getattr(hints.get(param.name or ""), "__metadata__", ())
            helps = [m.help for m in meta if isinstance(m, ArgumentInfo)]
            if helps and param.help is None:
                param.help = helps[0]

    def invoke(self, ctx: click.Context) -> Any:
        """A Ctrl-C anywhere in a command (outside `_guard` too) exits 130, saying so."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err.print(INTERRUPTED)
            raise typer.Exit(130) from None

    def get_short_help_str(self, limit: int = 45) -> str:
        return super().get_short_help_str(limit=10_000)

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click 8.5+ would list the arguments a second time; format_options lists them."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"argument": [], "option": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and param.param_type_name in sections:
                name, text = record
                sections[param.param_type_name].append((name, text.replace("\\[", "[")))
        for title, rows in (("Arguments", sections["argument"]), ("Options", sections["option"])):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _guard(fn: Callable[[], T]) -> T:
    """Our errors → message + exit code; anything else → one paragraph, exit 1."""
    try:
        return fn()
    except NntrainError as exc:
        label = {2: "config error"}.get(exc.exit_code, "error")
        style = "bold red"
        if exc.exit_code >= 128:  # stopped by a signal the user sent: not a failure
            label, style = "stopped", "bold yellow"
        err.print(f"[{style}]{label}:[/{style}] {escape(exc.render())}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print(INTERRUPTED)
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if caused_by_ctrl_c(exc):
            err.print(INTERRUPTED)
            raise typer.Exit(130) from None
        if os.environ.get("NNTRAIN_DEBUG"):
            traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        err.print(f"[bold red]error:[/bold red] {type(exc).__name__}: {escape(first)}\n"
                  "Set NNTRAIN_DEBUG=1 to see the traceback.", soft_wrap=True)
        raise typer.Exit(1) from None


def caused_by_ctrl_c(exc: BaseException) -> bool:
    """Whether a Ctrl-C led to `exc`: one during the import of a compiled module (TensorFlow's)
    comes back as "ImportError: initialization failed", its KeyboardInterrupt as the cause."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return bool(SIGINTS)


def _note_sigint(signum: int, frame: Any) -> None:
    SIGINTS.append(signum)
    signal.default_int_handler(signum, frame)


def _print_version(value: bool) -> None:
    """--version: from the installed package's metadata, so it costs no TensorFlow import."""
    if value:
        from importlib.metadata import version

        print(f"nntrain {version('nntrain')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="print nntrain's version and exit")] = False,
) -> None:
    """Train, evaluate and serve tf.keras models described entirely in YAML."""


def _load(config: Path, overrides: list[str] | None, allow_unsafe: bool) -> Any:
    from nntrain.config.load import load_config

    return load_config(config, overrides or [], allow_unsafe=allow_unsafe)


@app.command()
def validate(
    config: Annotated[Path, typer.Argument(help="YAML config file")],
    set_: SetOption = None,
    allow_unsafe: UnsafeOption = False,
) -> None:
    """Check a config (no TensorFlow): exit 0, or every problem with file:line:column."""
    loaded = _guard(lambda: _load(config, set_, allow_unsafe))
    out.print(f"[green]ok[/green] {escape(str(config))}: model '{escape(str(loaded.config.name))}', "
              f"{loaded.config.model.layer_count} layer(s), data source "
              f"'{escape(str(loaded.config.data.source))}'")


@app.command()
def fit(
    config: Annotated[Path | None, typer.Argument(
        help="YAML file describing data, model, compile and train (start one with `nntrain "
             "init`, or copy one of configs/); left out with --resume")] = None,
    set_: SetOption = None,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="write the run here")] = None,
    resume: Annotated[Path | None, typer.Option("--resume", help="continue this run")] = None,
    allow_unsafe: UnsafeOption = False,
    print_config: Annotated[bool, typer.Option(
        "--print-config", help="print the resolved config (YAML) and exit, no training")] = False,
) -> None:
    """Train a model; writes a run directory and prints where."""
    if print_config:
        from nntrain.cli.results_commands import print_config_command

        return _guard(lambda: print_config_command(config, set_ or [], allow_unsafe))
    from nntrain.cli.fit_command import run_fit_command

    _guard(lambda: run_fit_command(config, set_ or [], run_dir, resume, allow_unsafe, out))


@app.command()
def tune(
    config: Annotated[Path | None, typer.Argument(
        help="YAML config with a `tune:` section (see configs/iris_tune.yaml); left out with "
             "--resume")] = None,
    set_: SetOption = None,
    trials: Annotated[int | None, typer.Option(
        "--trials", min=1, help="trials in all (default: tune.trials)")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", min=1, help="trials at once, in processes sharing the cores")] = 1,
    storage: Annotated[str | None, typer.Option(
        "--storage", help="Optuna database URL that processes on several machines share "
                          "(default: study.db in the study directory)")] = None,
    study_name: Annotated[str | None, typer.Option(
        "--study-name", help="the study's name in the storage (default: the config's name)")
    ] = None,
    study_dir: Annotated[Path | None, typer.Option(
        "--study-dir", help="write the study here (default: <output.dir>/<name>/tune-<time>)")
    ] = None,
    resume: Annotated[Path | None, typer.Option(
        "--resume", help="continue this study directory")] = None,
    worker: Annotated[int | None, typer.Option("--worker", hidden=True)] = None,
    allow_unsafe: UnsafeOption = False,
) -> None:
    """Search hyperparameters with Optuna: each trial is an ordinary run in the study folder."""
    from nntrain.cli.tune_command import TuneArgs, run_tune_command

    args = TuneArgs(config, set_ or [], trials, jobs, storage, study_name, study_dir, resume,
                    worker, allow_unsafe)
    _guard(lambda: run_tune_command(args, out))


@app.command("eval")
def eval_(
    target: Annotated[Path, typer.Argument(help="run directory or .keras file")],
    config: Annotated[Path | None, typer.Option("--config", help="config for the data")] = None,
    set_: SetOption = None,
    allow_unsafe: UnsafeOption = False,
) -> None:
    """Evaluate a trained model on the config's test data (else validation, else training)."""
    from nntrain.cli.model_commands import eval_command

    _guard(lambda: eval_command(target, config, set_ or [], allow_unsafe, out))


@app.command()
def predict(
    target: Annotated[Path, typer.Argument(help="run directory or .keras file")],
    input: Annotated[Path, typer.Option(
        "--input", help="CSV, NPY, NPZ or TXT file; an image or a folder of images")],
    output: Annotated[Path | None, typer.Option(
        "--output", help=".csv or .npy; - for standard output; default "
        "<input stem>.predictions.csv here")] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="return this layer's output")] = None,
    allow_unsafe: UnsafeOption = False,
) -> None:
    """Predictions for new inputs, preprocessed exactly as in training."""
    from nntrain.cli.model_commands import predict_command

    _guard(lambda: predict_command(target, input, output, layer, allow_unsafe, out, err))


@app.command()
def summary(
    config: Annotated[Path, typer.Argument(help="YAML config file")],
    set_: SetOption = None,
    allow_unsafe: UnsafeOption = False,
    diagram: Annotated[Path | None, typer.Option(
        "--diagram", help="also draw the model graph (.png .svg .pdf; pydot + graphviz)")] = None,
) -> None:
    """Build the model and print layers, output shapes and parameter counts (no training)."""
    from nntrain.cli.model_commands import summary_command

    _guard(lambda: summary_command(config, set_ or [], allow_unsafe, out, diagram))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the config format (for editor completion)."""
    from nntrain.config.json_schema import config_json_schema

    import json

    print(json.dumps(_guard(config_json_schema), indent=2))


@app.command()
def runs(
    folder: Annotated[Path, typer.Argument(
        metavar="[DIR]", help="folder to search, at any depth")] = Path("runs"),
    sort: Annotated[str | None, typer.Option(
        "--sort", help="sort by a metric, best first (val_accuracy, test_loss, ...)")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="also write the table as CSV")] = None,
    columns: Annotated[str | None, typer.Option(
        "--columns", help="these columns, in this order: run, date, epochs, best_epoch, best, "
                          "time, status or any metric (val_accuracy, test_loss, ...)")] = None,
    metric: Annotated[str | None, typer.Option(
        "--metric", help="show this metric (val_ and test_ values) instead of every test "
                         "metric, e.g. accuracy")] = None,
) -> None:
    """Every run under DIR: name, date, epochs, best validation metric, test metrics, status."""
    from nntrain.cli.results_commands import runs_command

    _guard(lambda: runs_command(folder, sort, csv, columns, metric, out))


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="two or more run directories")],
    plot: Annotated[Path | None, typer.Option("--plot", help="overlay the curves in a PNG")] = None,
    metric: Annotated[str | None, typer.Option(
        "--metric", help="plot this metric beside the loss, e.g. accuracy")] = None,
) -> None:
    """Config differences (dotted paths) and metrics of several runs, side by side."""
    from nntrain.cli.results_commands import compare_command

    _guard(lambda: compare_command(runs, plot, metric, out))


@app.command()
def weights(
    target: Annotated[Path, typer.Argument(help="run directory or .keras file")],
    layer: Annotated[str | None, typer.Option(
        "--layer", help="layer name (default: the first layer with weights)")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="write the whole table as CSV")] = None,
    allow_unsafe: UnsafeOption = False,
) -> None:
    """A layer's weights and biases: rows = inputs (+ bias), columns = units."""
    from nntrain.cli.results_commands import weights_command

    _guard(lambda: weights_command(target, layer, csv, allow_unsafe, out))


@app.command()
def export(
    target: Annotated[Path, typer.Argument(help="run directory (or a .keras file inside one)")],
    format: Annotated[str, typer.Option(
        "--format", help="saved_model (TF Serving's NAME/VERSION layout) | tflite | onnx")
    ] = "saved_model",
    quantize: Annotated[str | None, typer.Option(
        "--quantize", help="tflite: float16 | dynamic | int8; onnx: dynamic | int8")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="file (tflite, onnx) or model folder (saved_model); default "
                         "RUN/export/")] = None,
    allow_unsafe: UnsafeOption = False,
) -> None:
    """Write the model for deployment and check it predicts what model.keras predicts."""
    from nntrain.cli.deploy_commands import export_command

    _guard(lambda: export_command(target, format, quantize, output, allow_unsafe, out))


@app.command()
def serve(
    target: Annotated[Path, typer.Argument(help="run directory or .keras file")],
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (TF Serving's REST port)")
                    ] = 8501,
    workers: Annotated[int, typer.Option(
        "--workers", help="server processes, each with its own copy of the model")] = 1,
    batching: Annotated[bool, typer.Option(
        "--batching/--no-batching",
        help="merge requests that arrive together into one model call")] = True,
    allow_unsafe: UnsafeOption = False,
) -> None:
    """Serve predictions over HTTP with TensorFlow Serving's REST API."""
    from nntrain.cli.deploy_commands import serve_command

    _guard(lambda: serve_command(target, host, port, workers, batching, allow_unsafe, out))


@app.command()
def generate(
    target: Annotated[Path, typer.Argument(
        help="run directory of a vae or gan (or its decoder.keras / generator.keras)")],
    count: Annotated[int, typer.Option("--count", min=1, help="how many examples")] = 64,
    seed: Annotated[int, typer.Option("--seed", help="seed of the latent points")] = 0,
    output: Annotated[Path, typer.Option(
        "--output", help=".png (a grid) or .npy (the examples, as the model outputs them)")
    ] = Path("generated.png"),
    allow_unsafe: UnsafeOption = False,
) -> None:
    """Draw new examples from a VAE's decoder or a GAN's generator."""
    from nntrain.workflows.generate import run_generate

    def go() -> None:
        done = run_generate(target, count, seed, output, allow_unsafe)
        out.print(f"{done.count} examples of shape {list(done.shape)} from {done.source} "
                  f"written to {done.output}")

    _guard(go)


@app.command()
def init(
    file: Annotated[Path, typer.Argument(help="config file to write")],
    template: Annotated[str, typer.Option(
        "--template",
        help="mnist_cnn | tabular_classifier | tabular_regressor | text_lstm | xor")] = "xor",
    force: Annotated[bool, typer.Option("--force", help="replace FILE if it exists")] = False,
) -> None:
    """Write a commented starting config from a template."""
    from nntrain.cli.results_commands import init_command

    _guard(lambda: init_command(template, file, force, out))


for _info in app.registered_commands:
    _info.cls = HelpCommand
    _info.epilog = "\b\nExample:\n  " + EXAMPLES[_info.name or _info.callback.__name__]


def main() -> None:
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when ignored
        signal.signal(signal.SIGINT, _note_sigint)  # Python's own handler, noting that it ran
    app(prog_name="nntrain")


if __name__ == "__main__":
    sys.exit(main())
