"""`nntrain tune`: resolve the study (a new one, or one to resume), start its `--jobs`
processes, show its trials as they finish. What can be checked is checked before TensorFlow
or Optuna start."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape

from nntrain.cli.progress import FittedTable
from nntrain.config.load import LoadedConfig, load_config
from nntrain.errors import NntrainError, config_error
from nntrain.results.runs_table import Column, format_number
from nntrain.runs.study_dir import StudyDir

POLL_SECONDS = 1.0
INSTALL = 'pip install -e ".[tune]"'


@dataclass
class TuneArgs:
    config: Path | None
    overrides: list[str] = field(default_factory=list)
    trials: int | None = None
    jobs: int = 1
    storage: str | None = None
    study_name: str | None = None
    study_dir: Path | None = None
    resume: Path | None = None
    worker: int | None = None  # a --jobs process: its index
    allow_unsafe: bool = False


def need_optuna() -> None:
    """Optuna is an optional extra: without it, say how to install it."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise NntrainError("nntrain tune runs on Optuna, which is not installed", 1,
                           hint=f"install it with: {INSTALL} (in nntrain's folder), or pip "
                                "install optuna") from None


def absolute_sqlite(url: str) -> str:
    """A relative SQLite path made absolute, so that --resume finds it from anywhere."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix:
        return prefix + str(Path(url[len(prefix):]).resolve())
    return url


def check_storage(url: str) -> None:
    """A --storage URL SQLAlchemy cannot read is refused before any folder is made."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise config_error(f"{url} is not a database URL Optuna can open ({exc})", "--storage",
                           "e.g. sqlite:///study.db or postgresql://host/db") from None


def new_study(args: TuneArgs) -> tuple[StudyDir, LoadedConfig]:
    """study.yaml (the config searched, --set applied) and study.json (where its trials are
    stored) in a new study directory."""
    assert args.config is not None
    given = args.overrides + ([f"tune.trials={args.trials}"] if args.trials else [])
    loaded = load_config(args.config, given, allow_unsafe=args.allow_unsafe)
    if loaded.config.tune is None:
        raise config_error(f"{args.config} has no `tune:` section, so there is nothing to "
                           "search", "tune", "add one: tune: {space: {compile.optimizer."
                           "learning_rate: {loguniform: [1.0e-4, 1.0e-1]}}}")
    if args.storage:
        check_storage(args.storage)
    if args.study_dir is not None:
        there = StudyDir(args.study_dir)
        if there.is_study():
            raise config_error(f"{args.study_dir} holds a study already", "--study-dir",
                               f"continue it with: nntrain tune --resume {args.study_dir}")
        if args.study_dir.is_dir() and any(args.study_dir.iterdir()):
            raise config_error(f"{args.study_dir} exists, is not empty and holds no study",
                               "--study-dir", "choose a new or empty folder")
    folder = StudyDir.create(loaded.config, args.study_dir)
    folder.write_config(folder.study_yaml, loaded.config, loaded.relative,
                        "# The config this study searches (`nntrain tune --resume` reads it); "
                        "each trial is it with the trial's values set.\n")
    folder.write_meta({"study_name": args.study_name or loaded.config.name,
                       "storage": absolute_sqlite(args.storage) if args.storage else None,
                       "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return folder, load_config(folder.study_yaml, allow_unsafe=args.allow_unsafe)


def resumed_study(args: TuneArgs) -> tuple[StudyDir, LoadedConfig]:
    assert args.resume is not None
    if args.config is not None or args.study_dir is not None or args.storage or args.study_name:
        raise config_error("--resume continues a study with the config and storage stored in "
                           "it; give no CONFIG, --study-dir, --storage or --study-name with it",
                           "--resume")
    if args.overrides:
        raise config_error("--set would change what a study searches halfway", "--set",
                           "start a new study with the change (more trials: --trials N)")
    folder = StudyDir(args.resume)
    if not folder.is_study():
        raise config_error(f"{args.resume} is not a study directory (no study.json and "
                           "study.yaml)", "--resume")
    loaded = load_config(folder.study_yaml, allow_unsafe=args.allow_unsafe)
    if args.trials and loaded.config.tune is not None:
        loaded.config.tune.trials = args.trials
    return folder, loaded


def core_share(jobs: int) -> dict[str, str]:
    """Each of `jobs` processes gets its share of this machine's cores for TensorFlow."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    share = str(max(1, (cores or 1) // jobs))
    return {"TF_NUM_INTRAOP_THREADS": share, "TF_NUM_INTEROP_THREADS": share,
            "OMP_NUM_THREADS": share}


def start_workers(folder: StudyDir, args: TuneArgs) -> list[subprocess.Popen[bytes]]:
    """`--jobs` - 1 more processes on the same study (this one is the first); each writes
    what it says to worker_N.log."""
    workers = []
    for index in range(1, args.jobs):
        command = [sys.executable, "-m", "nntrain", "tune", "--resume", str(folder.root),
                   "--worker", str(index)]
        command += (["--trials", str(args.trials)] if args.trials else []) + (
            ["--allow-unsafe"] if args.allow_unsafe else [])
        with open(folder.worker_log(index), "ab") as log:
            workers.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL))
    return workers


def end_workers(workers: list[subprocess.Popen[bytes]], stop: bool) -> list[str]:
    """Wait for the other processes (stopping them first when this one stops early); what
    each one that failed left in its log is named."""
    for worker in workers:
        if stop and worker.poll() is None:
            worker.terminate()
    notes = []
    for index, worker in enumerate(workers, start=1):
        code = worker.wait()
        if code and not stop:
            notes.append(f"--jobs process {index} exited with code {code}: see "
                         f"worker_{index}.log in the study directory")
    return notes


def run_tune_command(args: TuneArgs, console: Console) -> None:
    need_optuna()
    folder, loaded = resumed_study(args) if args.resume is not None else new_study(args)
    if loaded.config.tune is None:
        raise config_error(f"{folder.study_yaml} has no `tune:` section", "tune")
    if args.jobs > 1:
        os.environ.update(core_share(args.jobs))  # before TensorFlow starts, here and there
    from nntrain.workflows.tune import Tuner  # TensorFlow and Optuna: only now

    if args.worker is not None:
        Tuner(folder, loaded, job=args.worker, parent=os.getppid()).run()
        return
    tuner = Tuner(folder, loaded)
    notes = tuner.rerun_interrupted() if args.resume else []
    said = tuner.try_base_first() if not args.resume else None
    view = TrialsView(console, tuner)
    view.begin(folder, notes, said, resumed=args.resume is not None)
    stopped = coordinate(tuner, folder, args, view)
    view.end(folder, stopped)


def coordinate(tuner: Any, folder: StudyDir, args: TuneArgs, view: "TrialsView") -> \
        NntrainError | None:
    """This process's trials and the other `--jobs` processes', the study's files rewritten
    as trials finish. A signal stops them all: returned, to be said at the end."""
    workers = start_workers(folder, args) if tuner.left() > 0 else []
    stopped: NntrainError | None = None
    try:
        with view.showing():
            try:
                tuner.run()
            except BaseException:
                view.notes += end_workers(workers, stop=True)
                raise
            view.notes += end_workers(workers, stop=False)
    except NntrainError as exc:
        if exc.exit_code < 128:
            raise
        stopped = exc
    except KeyboardInterrupt:
        stopped = NntrainError("Ctrl-C (SIGINT)", 130)
    finally:
        view.notes += tuner.write_files(plots=True)
    return stopped


UNFINISHED = ("running", "waiting")


class TrialsView:
    """The trials as they finish: a live table on a terminal, a line each into a file or a
    pipe; at the end the whole table, the best trial, its values and its run."""

    def __init__(self, console: Console, tuner: Any) -> None:
        self.console, self.tuner = console, tuner
        self.metric = tuner.tune.metric
        self.shown: set[int] = set()
        self.notes: list[str] = []

    def begin(self, folder: StudyDir, queued: list[int], said: str | None,
              resumed: bool) -> None:
        t, tuner = self.tuner.tune, self.tuner
        storage = folder.read_meta().get("storage") or "study.db"
        self.console.print(f"{'resuming' if resumed else 'study'} '{escape(tuner.name)}' in "
                           f"{escape(str(folder.root))}: {t.trials} trials, sampler {t.sampler}"
                           f", pruner {t.pruner}, {tuner.direction} {escape(t.metric)}; "
                           f"storage {escape(storage)}")
        if queued:
            self.console.print(f"interrupted before: trial(s) {', '.join(map(str, queued))}; "
                               "their values are tried again")
        if said:
            self.console.print(f"[dim]{escape(said)}[/dim]")
        if tuner.left() <= 0:
            self.console.print(f"the study has its {t.trials} trials already (more: --trials N)")
        self.shown = {r["number"] for r in tuner.rows() if r["state"] not in UNFINISHED}

    @contextlib.contextmanager
    def showing(self) -> Iterator[None]:
        live = (Live(console=self.console, auto_refresh=False, transient=True)
                if self.console.is_terminal else None)
        done = threading.Event()
        thread = threading.Thread(target=self.poll, args=(done, live), name="nntrain-trials",
                                  daemon=True)
        with live if live is not None else contextlib.nullcontext():
            thread.start()
            try:
                yield
            finally:
                done.set()
                thread.join()
                self.update(live)

    def poll(self, done: threading.Event, live: Live | None) -> None:
        while not done.wait(POLL_SECONDS):
            with contextlib.suppress(Exception):  # a busy storage: the next poll shows it
                self.update(live)

    def update(self, live: Live | None) -> None:
        """New finished trials: trials.csv and best.yaml rewritten, and shown."""
        rows = self.tuner.rows()
        new = [r for r in rows if r["state"] not in UNFINISHED and r["number"] not in self.shown]
        if new:
            self.tuner.write_files()
            self.shown.update(r["number"] for r in new)
        if live is not None:
            live.update(self.table(rows[-max(3, self.console.height - 8):]), refresh=True)
        for row in new if live is None else []:
            self.console.print(escape(self.line(row)), highlight=False)

    def line(self, row: dict[str, Any]) -> str:
        if row["state"] == "failed":
            return f"trial {row['number']} failed after {row['seconds']} s: {row['error']}"
        values = ", ".join(f"{key}={format_number(row[key])}" for key in self.tuner.tune.space)
        return (f"trial {row['number']} {row['state']}: {self.metric} "
                f"{format_number(row[self.metric])} after {row['epochs']} epoch(s), "
                f"{row['seconds']} s; {values}")

    def table(self, rows: list[dict[str, Any]]) -> FittedTable:
        keys = ["number", "state", self.metric, *self.tuner.tune.space, "epochs", "seconds", "run"]
        columns = [Column(key, escape("trial" if key == "number" else key),
                          [escape(format_number(r.get(key))) for r in rows],
                          "left" if key in ("state", "run") else "right", rank)
                   for rank, key in enumerate(keys)]
        return FittedTable("trials", columns, "trials.csv has every column")

    def end(self, folder: StudyDir, stopped: NntrainError | None) -> None:
        rows = self.tuner.rows()
        self.console.print(self.table(rows))
        for row in rows:
            if row["state"] == "failed":
                self.console.print(escape(self.line(row)), highlight=False)
        best = self.tuner.best()
        if best is not None:
            self.show_best(folder, best, rows)
        for note in self.notes:
            self.console.print(f"[dim]{escape(note)}[/dim]")
        made = [p.name for p in (folder.trials_csv, folder.best_yaml, folder.history_png,
                                 folder.importance_png) if p.exists()]
        self.console.print(f"[green]study written to[/green] {escape(str(folder.root))}: "
                           f"{', '.join(made)}")
        if stopped is not None:
            raise self.stopped(folder, stopped)
        if best is None:
            raise NntrainError("no trial completed; see the errors above and in trials.csv", 1)

    def show_best(self, folder: StudyDir, best: Any, rows: list[dict[str, Any]]) -> None:
        base = next((r for r in rows if r["number"] == 0 and r["state"] == "complete"), None)
        than = (f" (trial 0, the config's own values: {format_number(base[self.metric])})"
                if base is not None and self.tuner.trials()[0].user_attrs.get("base") else "")
        self.console.print(f"[green]best:[/green] trial {best.number}, {escape(self.metric)} "
                           f"{format_number(best.value)}{escape(than)}")
        for key, value in best.params.items():
            self.console.print(f"  {escape(key)} = {escape(format_number(value))}",
                               highlight=False)
        self.console.print(f"  run: {escape(self.tuner.run_label(best))}; train it again: "
                           f"nntrain fit {escape(str(folder.best_yaml))}", highlight=False)

    def stopped(self, folder: StudyDir, stopped: NntrainError) -> NntrainError:
        said = stopped.problems[0].message.split(";")[0]
        return NntrainError(f"{said}: {self.tuner.counted()} of {self.tuner.tune.trials} trials "
                            f"done; the study is kept in {folder.root}", stopped.exit_code,
                            hint=f"continue it with: nntrain tune --resume {folder.root}; the "
                                 "trial that was running is tried again")
