"""`nntrain export` and `nntrain serve`: a trained run put where it is used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nntrain.cli.model_commands import check_target
from nntrain.errors import NntrainError


def _size(count: int) -> str:
    return f"{count / 2**20:.2f} MiB" if count >= 2**20 else f"{count / 2**10:.1f} KiB"


def export_table(result: Any) -> Table:
    check = result.check
    table = Table(title=f"export ({result.format}"
                        f"{', ' + result.quantize if result.quantize else ''})",
                  show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("written", escape(str(result.path)))
    table.add_row("size", f"{_size(result.bytes)} (model.keras {_size(result.keras_bytes)})")
    table.add_row("checked on", f"{check.examples} {result.split} examples")
    table.add_row("largest difference", f"{check.max_abs_diff:.3g} (allowed {check.tolerance:g})")
    if check.class_agreement is not None:
        table.add_row("same class", f"{check.class_agreement:.2%} of examples")
    if check.accuracy_keras is not None:
        table.add_row("accuracy", f"{check.accuracy_keras:.4f} → {check.accuracy_exported:.4f}")
    table.add_row("latency / example", f"{check.latency_ms_exported:.3f} ms "
                                       f"(model.keras {check.latency_ms_keras:.3f} ms)")
    return table


def export_command(target: Path, fmt: str, quantize: str | None, output: Path | None,
                   allow_unsafe: bool, console: Console) -> None:
    from nntrain.workflows.export import check_request

    check_request(fmt, quantize)
    check_target(target)
    from nntrain.workflows.export import run_export

    result = run_export(target, fmt, quantize, output, allow_unsafe)
    console.print(export_table(result))
    if result.trained_in:
        console.print(f"note: model.keras computes in {result.trained_in} (device.precision); "
                      "the export, and model.keras it was checked against, compute in float32 "
                      "with the same weights", highlight=False)
    if not result.preprocessing_inside:
        console.print("note: this model was trained without its preprocessing inside it: the "
                      "export takes preprocessed inputs, as model.keras does", highlight=False)
    console.print(f"[green]written[/green] {escape(str(result.report))}")
    if not result.check.passed:
        raise NntrainError(f"the export does not predict what model.keras predicts: "
                           f"{result.check.failure} (files kept for inspection)", 1)


def serve_command(target: Path, host: str, port: int, workers: int, batching: bool,
                  allow_unsafe: bool, console: Console) -> None:
    if not 0 < port < 65536:
        raise NntrainError(f"port {port} is outside 1..65535", path="--port")
    if workers < 1:
        raise NntrainError(f"--workers {workers}: at least 1", path="--workers")
    check_target(target)
    from nntrain.workflows.serve import ServeSettings, check_installed, model_name, run_server

    check_installed()
    name = model_name(target)
    url = f"http://{host}:{port}/v1/models/{name}"

    def started() -> None:
        console.print(f"serving [bold]{escape(name)}[/bold] at {escape(url)} "
                      f"(POST {escape(url)}:predict; {workers} worker(s), batching "
                      f"{'on' if batching else 'off'}); Ctrl-C stops", soft_wrap=True)

    run_server(ServeSettings(str(target), host, port, workers, batching, allow_unsafe), started)
    console.print("stopped")
