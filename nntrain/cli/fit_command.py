"""`nntrain fit`: resolve what to train, run it, show where it went."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from nntrain.cli.progress import RichReporter, history_table, metrics_table
from nntrain.config.load import LoadedConfig, load_config
from nntrain.errors import NntrainError
from nntrain.runs.run_dir import RunDir


def run_fit_command(config: Path | None, overrides: list[str], run_dir: Path | None,
                    resume: Path | None, allow_unsafe: bool, console: Console) -> None:
    resume_run: RunDir | None = None
    if resume is not None:
        resume_run = RunDir(resume)
        if not resume_run.is_run():
            raise NntrainError(f"{resume} is not a run directory (no config.yaml)",
                               path="--resume")
        loaded = LoadedConfig(resume_run.read_config(allow_unsafe), None, resume_run.config_yaml)  # type: ignore[arg-type]
    elif config is None:
        raise NntrainError("give a CONFIG file, or --resume RUN_DIR", path="fit")
    else:
        loaded = load_config(config, overrides, allow_unsafe=allow_unsafe)
    from nntrain.runs.fit_run import run_fit  # TensorFlow only once the config is known good

    reporter = RichReporter(console)
    result = run_fit(loaded, reporter, run_dir=run_dir, resume=resume_run)
    console.print(history_table(result.rows))
    if result.eval:
        console.print(metrics_table("final metrics", result.eval))
    console.print(f"[green]run written to[/green] {result.run.root}")
