"""`nntrain fit`: data → device → model → training, with everything written to the run directory."""

from __future__ import annotations

import atexit
import importlib
import io
import os
import shutil
import signal
import socket
import statistics
import tempfile
import threading
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.load import LoadedConfig
from nntrain.config.schema import Config
from nntrain.data import Fold, prepare
from nntrain.engine import keras
from nntrain.device.setup import DeviceSetup, setup_device
from nntrain.errors import NntrainError
from nntrain.runs.run_dir import (STATUS_FAILED, STATUS_FINISHED, STATUS_INTERRUPTED,
                                  STATUS_RUNNING, RunDir)
from nntrain.runs.atomic import remove_leftovers, write_with
from nntrain.training.callbacks import Interrupted, StopOnSignal, backed_up_epochs
from nntrain.training.fit import FoldOutputs, build_and_compile, evaluate, train
from nntrain.training.ols import compare_with_ols
from nntrain.training.preflight import check_disk_space, check_output
from nntrain.training.report import Reporter


@dataclass
class FitResult:
    run: RunDir
    rows: list[dict[str, Any]]
    eval: dict[str, Any] | None
    chief: bool = True  # False: a multi-worker non-chief, whose `run` is a removed scratch copy


def model_summary(model: Any) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        model.summary(line_length=100)
    return buf.getvalue()


def _outputs(run: RunDir) -> FoldOutputs:
    def save_checkpoint(model: Any, which: str) -> None:
        run.save_model(model, run.best_path if which == "best" else run.last_path)

    return FoldOutputs(str(run.tensorboard), str(run.backup_dir), save_checkpoint,
                       run.write_metrics, run.read_metrics())


def _save_if_finite(model: Any, path: Path, run: RunDir) -> None:
    if all(np.isfinite(w).all() for w in model.get_weights()):
        run.save_model(model, path)


def _fit_fold(config: Config, fold: Fold, model: Any, run: RunDir, reporter: Reporter,
              stop: StopOnSignal) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    status = run.read_status()
    if status.get("status") == STATUS_FINISHED:  # a k-fold fold done before a resume
        return run.read_metrics(), status.get("eval")
    run.write_preprocess(fold.preprocessor.state)
    run.write_summary(model_summary(model))
    out = _outputs(run)
    try:
        train(model, config, fold, out, reporter, int(config.seed or 0), stop)
    except (Interrupted, KeyboardInterrupt):
        _save_if_finite(model, run.last_path, run)  # the weights as they were when stopped
        raise
    run.save_model(model)
    if config.model.compare_with_ols:
        ols = compare_with_ols(model, fold)
        run.write_table(run.root / "ols.csv", ols.rows)
        write_with(run.root / "ols_weights.npz", ols.save_weights)
    results: dict[str, Any] | None = None
    if fold.test is not None:
        results = evaluate(model, fold.test, config.train.batch_size)
        run.write_eval(results)
    elif fold.validation is not None:
        results = evaluate(model, fold.validation, config.train.batch_size)
    if fold.index is not None:
        run.set_status(STATUS_FINISHED, epochs_done=len(out.rows), eval=results)
    return out.rows, results


def _kfold_summary(per_fold: list[dict[str, Any]]) -> dict[str, float]:
    """Mean and spread over folds of each validation metric (the table itself is folds.csv)."""
    keys = [k for k in per_fold[0] if isinstance(per_fold[0][k], float)]
    summary: dict[str, float] = {}
    for k in keys:
        values = [f[k] for f in per_fold]
        summary[f"mean_{k}"] = statistics.fmean(values)
        summary[f"std_{k}"] = statistics.pstdev(values)
    return summary


def _fit_all(config: Config, device: DeviceSetup, folds: list[Fold], first_model: Any,
             run: RunDir, reporter: Reporter, stop: StopOnSignal
             ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    seed = int(config.seed or 0)
    if len(folds) == 1:
        return _fit_fold(config, folds[0], first_model, run, reporter, stop)
    per_fold = []
    for fold in folds:
        keras.utils.set_random_seed(seed + (fold.index or 0))
        model = first_model if fold.index == 0 else build_and_compile(config, device, fold)
        rows, results = _fit_fold(config, fold, model, run.fold(fold.index or 0), reporter, stop)
        per_fold.append({"fold": (fold.index or 0) + 1, "epochs": len(rows), **(results or {})})
    summary = _kfold_summary(per_fold)
    run.write_eval(summary)
    run.write_table(run.root / "folds.csv", per_fold)
    return rows, summary


def _write_curves(run: RunDir) -> None:
    """The epochs a run has, drawn: when it finishes, and when a signal or a divergence ends it."""
    from nntrain.results.curves import write_curves  # imported by a thread while training ran

    write_curves(run.root)


def _interrupted(run: RunDir, signum: int) -> NntrainError:
    name = signal.Signals(signum).name
    # What a resume continues from; None: k-fold (a backup per fold) or no epoch backed up yet
    done = backed_up_epochs(str(run.backup_dir)) if run.backup_dir.is_dir() else None
    run.set_status(STATUS_INTERRUPTED, signal=name, epochs_done=done)
    _write_curves(run)
    after = f" after {done} completed epoch(s)" if done else ""
    return NntrainError(f"stopped by {name}{after}; the run is kept in {run.root}", 128 + signum,
                        hint=f"continue it with: nntrain fit --resume {run.root}")


def _run_dir(config: Config, device: DeviceSetup, run_dir: Path | None,
             resume: RunDir | None) -> RunDir:
    """Only the chief writes the run directory. The other workers of a multi-worker run must
    still save whenever the chief does (every worker takes part in saving under
    MultiWorkerMirroredStrategy), so each writes the same files to a scratch directory of its
    own (a copy of the run when resuming, for the backup), removed when the process exits."""
    if device.is_chief:
        return resume or RunDir.create(config, run_dir)
    scratch = Path(tempfile.mkdtemp(prefix="nntrain-worker-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    if resume is not None:
        shutil.copytree(resume.root, scratch, dirs_exist_ok=True)
    return RunDir(scratch)


def run_fit(loaded: LoadedConfig, reporter: Reporter, run_dir: Path | None = None,
            resume: RunDir | None = None) -> FitResult:
    """Everything that can fail on bad input fails before the run directory exists; after that,
    a signal or an error leaves a run that `nntrain fit --resume` continues."""
    config = loaded.config
    seed = int(config.seed or 0)
    where = resume.root if resume else run_dir or Path(config.output.dir)
    folder = check_output(where, "--run-dir" if resume or run_dir else "output.dir")
    keras.utils.set_random_seed(seed)
    device = setup_device(config.device)
    reporter.note(device.describe(config.train.batch_size))
    folds = prepare(config.data, seed)
    first_model = build_and_compile(config, device, folds[0])
    check_disk_space(folder, first_model)
    run = _run_dir(config, device, run_dir, resume)
    if resume is None:
        run.write_config(config)
    remove_leftovers(run.root)
    run.set_status(STATUS_RUNNING, name=config.name, epochs=config.train.epochs,
                   pid=os.getpid(), host=socket.gethostname())
    reporter.note(f"run directory: {run.root}" if device.is_chief else
                  f"{device.role}: the chief writes the run directory (scratch here: {run.root})")
    stop = StopOnSignal()
    # matplotlib takes about a second to import; do it while TensorFlow trains, not after
    threading.Thread(target=importlib.import_module, args=("nntrain.results.curves",),
                     daemon=True).start()
    try:
        with stop.installed():
            rows, summary = _fit_all(config, device, folds, first_model, run, reporter, stop)
    except Interrupted as exc:
        raise _interrupted(run, exc.signum) from None
    except KeyboardInterrupt:
        raise _interrupted(run, signal.SIGINT) from None
    except NntrainError as exc:
        run.set_status(STATUS_FAILED, message=exc.render())
        _write_curves(run)
        raise
    except Exception as exc:
        run.set_status(STATUS_FAILED, message=f"{type(exc).__name__}: {exc}")
        raise
    run.set_status(STATUS_FINISHED, epochs_done=len(rows), eval=summary)
    _write_curves(run)
    for backup in run.root.rglob("backup"):
        shutil.rmtree(backup, ignore_errors=True)
    return FitResult(run, rows, summary, device.is_chief)
