"""`nntrain fit`: resolve what to train (a new run, or an interrupted one to resume), run it,
show where it went. Decided here, without TensorFlow, so these answers come fast."""

from __future__ import annotations

import os
from typing import Any
from fnmatch import fnmatch
from pathlib import Path

from rich.markup import escape
from rich.console import Console

from nntrain.cli.progress import RichReporter, history_table, metrics_table
from nntrain.config.load import LoadedConfig, load_config
from nntrain.errors import NntrainError
from nntrain.runs.atomic import TEMP_GLOB
from nntrain.results.compare import config_differences
from nntrain.runs.run_dir import STATUS_FINISHED, STATUS_RUNNING, RunDir, writer_alive


def _existing_run(run_dir: Path, loaded: LoadedConfig, allow_unsafe: bool) -> RunDir | None:
    """`--run-dir` on a run of the same config continues it; anything else there is refused."""
    run = RunDir(run_dir)
    if not run.is_run():
        if run_dir.is_dir() and any(not fnmatch(p.name, TEMP_GLOB) for p in run_dir.iterdir()):
            raise NntrainError(f"{run_dir} exists, is not empty and holds no nntrain run",
                               path="--run-dir", hint="choose a new or empty folder")
        return None
    theirs = run.read_config(allow_unsafe)
    if ("seed",) not in loaded.source.values:  # a drawn seed: adopt the run's
        loaded.config.seed = theirs.seed
    differ = [path for path, _ in config_differences(
        [loaded.config.model_dump(mode="json"), theirs.model_dump(mode="json")])]
    if differ:
        raise NntrainError(f"{run_dir} holds a run of a different config (it differs in "
                           f"{', '.join(differ[:3])})", path="--run-dir",
                           hint=f"continue that run with `nntrain fit --resume {run_dir}`, or "
                                "choose another --run-dir")
    return run


# where the workers are and which one this is: the machines a run resumes on, not the run
MACHINE_KEYS = ("device.workers", "device.task_index", "device.port", "device.worker_timeout")


def _resume_config(run: RunDir, overrides: list[str], allow_unsafe: bool) -> LoadedConfig:
    """The run's config, with the --set a resume may give: more epochs, other callbacks
    settings (early stopping's patience, ...), this machine's place in a multi-worker cluster
    (each worker resumes the chief's run with its own task index), and values it already has;
    anything else would make another run."""
    loaded = load_config(run.config_yaml, overrides, allow_unsafe=allow_unsafe)
    given = loaded.config.model_dump(mode="json")
    stored = run.read_config(allow_unsafe).model_dump(mode="json")
    for key in map(_set_key, overrides):
        if key in ("train.epochs", *MACHINE_KEYS) or key.startswith("callbacks."):
            continue
        if _value_at(given, key) != _value_at(stored, key):
            raise NntrainError(f"{key} cannot change on a resume: only train.epochs, "
                               "callbacks.* (such as callbacks.early_stopping.patience) and "
                               f"{', '.join(MACHINE_KEYS)} can", path=f"--set {key}",
                               hint="start a new run with the change")
    done = run.read_status().get("epochs_done")
    if "train.epochs" in map(_set_key, overrides):
        if loaded.config.data.kfold:
            raise NntrainError("a k-fold run cannot change its epochs on a resume (its folds "
                               "would differ)", path="--set train.epochs")
        if isinstance(done, int) and loaded.config.train.epochs <= done:
            raise NntrainError(f"the run has trained {done} epochs already; give more to "
                               "extend it", path="--set train.epochs")
    return loaded


def _set_key(item: str) -> str:
    """The dotted key of a `--set KEY=VALUE`."""
    return item.split("=", 1)[0].strip()


def _value_at(config: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        config = config.get(part) if isinstance(config, dict) else None  # type: ignore[assignment]
    return config


def _should_continue(run: RunDir, console: Console, extend: bool = False) -> bool:
    status = run.read_status()
    if status.get("status") == STATUS_FINISHED and extend:
        console.print(f"extending {escape(str(run.root))} (finished after "
                      f"{status.get('epochs_done', '?')} epochs)")
        return True
    if status.get("status") == STATUS_FINISHED:
        console.print(f"[green]{escape(str(run.root))} is already finished[/green] "
                      f"({status.get('epochs_done', '?')} epochs); nothing to do (more "
                      "epochs: --set train.epochs=N)")
        return False
    if (status.get("status") == STATUS_RUNNING and writer_alive(status)
            and status["pid"] != os.getpid()):
        raise NntrainError(f"{run.root} is being trained right now by process "
                           f"{status['pid']}", 1, hint="wait for it, or stop it first")
    console.print(f"resuming {escape(str(run.root))} "
                  f"({escape(str(status.get('status', 'not started')))})")
    return True


def run_fit_command(config: Path | None, overrides: list[str], run_dir: Path | None,
                    resume: Path | None, allow_unsafe: bool, console: Console) -> None:
    run: RunDir | None = None
    if resume is not None:
        if config is not None or run_dir is not None:
            raise NntrainError("--resume continues a run with the config stored in it; give no "
                               "CONFIG or --run-dir with it", path="--resume")
        run = RunDir(resume)
        if not run.is_run():
            raise NntrainError(f"{resume} is not a run directory (no config.yaml)",
                               path="--resume")
        loaded = _resume_config(run, overrides, allow_unsafe)
    elif config is None:
        raise NntrainError("give a CONFIG file, or --resume RUN_DIR", path="fit")
    else:
        loaded = load_config(config, overrides, allow_unsafe=allow_unsafe)
        if run_dir is not None:
            run = _existing_run(run_dir, loaded, allow_unsafe)
    changed = resume is not None and any(_set_key(i) not in MACHINE_KEYS for i in overrides)
    if run is not None and not _should_continue(run, console, changed):
        return
    from nntrain.workflows.fit import run_fit  # TensorFlow only once the config is known good

    reporter = RichReporter(console)
    result = run_fit(loaded, reporter, run_dir=run_dir, resume=run, changed=changed)
    console.print(history_table(result.rows))
    for line in result.story:
        console.print(escape(line), highlight=False)
    if result.eval:
        console.print(metrics_table(f"final metrics, on the {result.split} data", result.eval))
    elif result.chief:
        console.print("no test or validation data, so no final metrics: the table above is on "
                      "the training data")
    if not result.chief:
        console.print("done; the chief worker wrote the run directory")
        return
    console.print(f"[green]run written to[/green] {escape(str(result.run.root))}")
