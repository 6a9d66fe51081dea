"""`nntrain fit`, top-down in one object: check where the run goes, set up the devices, prepare
the data, build the model, open the run directory, fit each fold with its callbacks, finish.

Everything that can fail on bad input fails before the run directory exists; after that, a
signal or an error leaves a run that `nntrain fit --resume` continues.
"""

from __future__ import annotations

import atexit
import importlib
import math
import os
import shutil
import signal
import socket
import statistics
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nntrain.config.load import LoadedConfig
from nntrain.data import Fold, prepare
from nntrain.data.pipeline import (cache_choice, file_shard, share_note, to_dataset,
                                   training_share, training_stream)
from nntrain.data.records import label_sample
from nntrain.device.setup import DeviceSetup, setup_device
from nntrain.engine import keras, tf
from nntrain.errors import NntrainError
from nntrain.model.build import build_model
from nntrain.model.compile import compile_model
from nntrain.model.generative import check_data, compile_generative
from nntrain.model.perceptron import compile_perceptron
from nntrain.model.preprocessing import takes_strings
from nntrain.model.summary import summary_text
from nntrain.results.generative import SampleGrids, finish_generative
from nntrain.results.runs_table import format_number
from nntrain.runs.atomic import remove_leftovers
from nntrain.runs.run_dir import (STATUS_FAILED, STATUS_FINISHED, STATUS_INTERRUPTED,
                                  STATUS_RUNNING, RunDir)
from nntrain.training.callbacks import (Checkpoints, Interrupted, MetricsLog, ProgressBridge,
                                        ResumableBackup, StopOnSignal, backed_up_epochs,
                                        resume_state)
from nntrain.training.divergence import (MARKER, NanGuard, all_finite, checks_in_graph,
                                         diverged_at, guard_train_step, is_divergence)
from nntrain.training.evaluation import evaluate
from nntrain.training.monitor import higher_is_better
from nntrain.training.ols import compare_with_ols
from nntrain.training.preflight import (check_disk_space, check_inputs, check_labels,
                                        check_one_batch, check_output)
from nntrain.training.report import Reporter

Rows = list[dict[str, Any]]


@dataclass
class FitResult:
    run: RunDir
    rows: Rows
    eval: dict[str, Any] | None
    chief: bool = True  # False: a multi-worker non-chief, whose `run` is a removed scratch copy
    split: str | None = None  # the data `eval` is on: test | validation | "validation, k folds"
    story: list[str] = field(default_factory=list)  # what happened, a line each: early stop, best


@dataclass
class Monitor:
    """What a callback watches, resolved once per run: the metric and which way is better."""

    monitor: str
    mode: str  # "min" | "max"


class FitRun:
    """One `nntrain fit` (a new run, or `resume` of an interrupted one)."""

    def __init__(self, loaded: LoadedConfig, reporter: Reporter, run_dir: Path | None = None,
                 resume: RunDir | None = None, changed: bool = False,
                 callbacks: Sequence[Any] = ()) -> None:
        self.config = loaded.config
        self.extra_callbacks = list(callbacks)  # after the metrics row is written (tune's pruner)
        self.relative = loaded.relative  # path fields config.yaml keeps relative
        self.changed = changed  # a resume with --set: more epochs or other callback settings
        self.reporter = reporter
        self.requested_dir = run_dir
        self.resume = resume
        self.seed = int(self.config.seed or 0)
        self.stop = StopOnSignal()
        self.device: DeviceSetup
        self.run_dir: RunDir
        self.monitors: dict[str, Monitor] = {}
        self.watching: dict[str, Any] = {}  # the running fold's EarlyStopping and Checkpoints
        self.split: str | None = None  # the data final_metrics used
        self.story: list[str] = []
        self.lock: int | None = None  # the run directory's lock, held until the process ends

    # -- the steps, in order ------------------------------------------------------------------
    def execute(self) -> FitResult:
        where = self.resume.root if self.resume else self.requested_dir or Path(
            self.config.output.dir)
        folder = check_output(where, "--run-dir" if self.resume or self.requested_dir
                              else "output.dir")
        keras.utils.set_random_seed(self.seed)
        if self.config.train.deterministic:  # before any op runs: bit-for-bit from the seed
            tf.config.experimental.enable_op_determinism()
        self.device = setup_device(self.config.device, self.config.model)
        self.reporter.note(self.device.describe(self.config.train.batch_size))
        folds = prepare(self.config.data, self.seed,  # generative: the decoder's output space
                        in_model=self.config.model.type != "perceptron"
                        and self.config.model.kind is None)
        self.monitors = self.resolve_monitors(folds[0].validation is not None)
        first_model = self.build(folds[0])
        check_disk_space(folder, first_model)
        self.run_dir = self.open_run_dir()
        # matplotlib takes about a second to import; do it while TensorFlow trains, not after
        threading.Thread(target=importlib.import_module, args=("nntrain.results.curves",),
                         daemon=True).start()
        try:
            with self.stop.installed():
                rows, summary = self.fit_folds(folds, first_model)
        except Interrupted as exc:
            raise self.interrupted(exc.signum) from None
        except KeyboardInterrupt:
            raise self.interrupted(signal.SIGINT) from None
        except NntrainError as exc:
            self.raise_if_deleted(exc)
            self.run_dir.set_status(STATUS_FAILED, message=exc.render())
            self.write_curves()
            raise
        except Exception as exc:
            self.raise_if_deleted(exc)  # TensorFlow's errors about missing files say less
            self.run_dir.set_status(STATUS_FAILED, message=f"{type(exc).__name__}: {exc}")
            raise
        return self.finish(rows, summary)

    def build(self, fold: Fold) -> Any:
        """Model, optimizer and metrics are created inside the strategy's scope, then checked
        against the data on one batch."""
        config, device = self.config, self.device
        with device.strategy.scope():
            model = build_model(config.model, float32_outputs=device.precision != "float32",
                                preprocessing=fold.preprocessor.state)
            if config.compile is None:  # the perceptron: its own rule, no gradient descent
                compile_perceptron(model, jit_compile=device.jit_compile)
            elif config.model.kind is not None:  # its own train_step, checked in the graph
                compile_generative(model, config.compile, jit_compile=device.jit_compile)
                model.nan_marker = MARKER if checks_in_graph(model) else None
            else:
                compile_model(model, config.compile,  # XLA compiles no string op
                              jit_compile=device.jit_compile and not takes_strings(model))
                if checks_in_graph(model):
                    guard_train_step(model)
        if config.model.kind is not None:
            check_data(model, tuple(fold.train.x.shape[1:]))
        else:
            check_inputs(model, fold.train.x, config.model.type == "functional")
        if config.compile is not None and config.model.kind is None:
            check_labels(model, label_sample(fold.train.y), config.compile)
        check_one_batch(model, fold.train, config.train.batch_size)
        return model

    def open_run_dir(self) -> RunDir:
        """Only the chief writes the run directory. The other workers of a multi-worker run
        must still save whenever the chief does (every worker takes part in saving under
        MultiWorkerMirroredStrategy), so each writes the same files to a scratch directory of
        its own (a copy of the run when resuming, for the backup), removed when it exits."""
        from nntrain.runs.provenance import provenance

        started = provenance(self.config, self.device, self.seed)  # before anything is written
        if self.device.is_chief:
            run = self.resume or RunDir.create(self.config, self.requested_dir)
        else:
            scratch = Path(tempfile.mkdtemp(prefix="nntrain-worker-"))
            atexit.register(shutil.rmtree, scratch, ignore_errors=True)
            if self.resume is not None:
                shutil.copytree(self.resume.root, scratch, dirs_exist_ok=True)
            run = RunDir(scratch)
        self.lock = run.lock()
        if self.resume is None:
            if run.is_run():  # another process took this --run-dir since the CLI looked
                raise NntrainError(f"{run.root} was started by another process meanwhile", 1,
                                   hint=f"resume it with: nntrain fit --resume {run.root}")
            run.write_config(self.config, self.relative)
        elif self.changed:  # a resume's --set: config.yaml says what the run now trains
            run.write_config(self.config, self.relative)
        remove_leftovers(run.root)
        run.set_status(STATUS_RUNNING, name=self.config.name, epochs=self.config.train.epochs,
                       pid=os.getpid(), host=socket.gethostname(),
                       provenance=run.provenance() + [started])
        self.reporter.note(
            f"run directory: {run.root}" if self.device.is_chief else
            f"{self.device.role}: the chief writes the run directory (scratch here: {run.root})")
        return run

    def fit_folds(self, folds: list[Fold], first_model: Any) -> tuple[Rows, dict[str, Any] | None]:
        """One model, or k-fold: a model per fold in fold_N/, then the mean and spread."""
        if len(folds) == 1:
            return self.fit_fold(folds[0], first_model, self.run_dir)
        per_fold = []
        for fold in folds:
            index = fold.index or 0
            keras.utils.set_random_seed(self.seed + index)
            model = first_model if index == 0 else self.build(fold)
            rows, results = self.fit_fold(fold, model, self.run_dir.fold(index))
            per_fold.append({"fold": index + 1, "epochs": len(rows), **(results or {})})
        summary = kfold_summary(per_fold)
        self.split = f"{self.split} data, mean over {len(folds)} folds"
        self.run_dir.write_eval(summary)
        self.run_dir.write_table(self.run_dir.folds_csv, per_fold)
        return rows, summary

    def fit_fold(self, fold: Fold, model: Any, run: RunDir) -> tuple[Rows, dict[str, Any] | None]:
        status = run.read_status()
        if status.get("status") == STATUS_FINISHED:  # a k-fold fold done before a resume
            return run.read_metrics(), status.get("eval")
        run.write_preprocess(fold.preprocessor.state)
        run.write_summary(summary_text(model))
        rows = run.read_metrics()
        try:
            self.train(model, fold, run, rows)
        except (Interrupted, KeyboardInterrupt):
            if all_finite(model.get_weights()):
                run.save_model(model, run.last_path)  # the weights as they were when stopped
            raise
        shutil.rmtree(run.cache_dir, ignore_errors=True)
        run.save_model(model)
        if self.config.model.kind is not None:  # decoder.keras / generator.keras, pictures
            finish_generative(model, fold, run, self.config.train.batch_size)
        if self.config.model.compare_with_ols:
            ols = compare_with_ols(model, fold)
            run.write_table(run.ols_csv, ols.rows)
            run.save_arrays(run.ols_weights, ols.weights)
        prefix = f"fold {fold.index + 1}: " if fold.index is not None else ""
        self.story += [prefix + line for line in self.outcome(len(rows))]
        results = self.final_metrics(model, fold, run)
        if fold.index is not None:
            run.set_status(STATUS_FINISHED, epochs_done=len(rows), eval=results)
        return rows, results

    def train(self, model: Any, fold: Fold, run: RunDir, rows: Rows) -> None:
        """model.fit from where the backup left off (epoch 0 without one), stopping cleanly on
        signals; raises our error when the loss diverges (see training.divergence)."""
        t = self.config.train
        steps = t.steps_per_epoch or -(-len(fold.train) // t.batch_size)
        done, saved = self.backup_to_resume(run, rows)
        epochs = done if saved and saved["stop"] else t.epochs  # early stopping had ended it
        rows[:] = [r for r in rows if int(r["epoch"]) <= done]
        if done:
            self.reporter.note(f"resuming after epoch {done}")
        train_ds = self.stream(fold, run, done * steps)
        val_ds = (to_dataset(fold.validation, t.batch_size,
                             shard=file_shard(fold.validation, self.device.shard))
                  if fold.validation is not None else None)
        callbacks = self.callbacks(model, run, rows)
        self.reporter.fit_start(t.epochs, steps, done, fold.index)
        try:
            with self.stop.deferred():
                model.fit(train_ds, validation_data=val_ds, epochs=epochs, steps_per_epoch=steps,
                          class_weight=t.class_weight, callbacks=callbacks, verbose=0)
        except tf.errors.InvalidArgumentError as exc:
            if is_divergence(exc):
                raise diverged_at(model, steps, exc) from None
            raise
        finally:
            self.reporter.fit_end(rows)

    def stream(self, fold: Fold, run: RunDir, first_step: int) -> Any:
        """The training batches: streamed sources cached as `data.cache` says (said once), and
        read by file share when several workers read a source of several files."""
        t = self.config.train
        shutil.rmtree(run.cache_dir, ignore_errors=True)  # a killed run's half-written cache
        cache = cache_choice(self.config.data.cache, fold.train, run.cache_dir)
        if cache is not None:
            self.reporter.note(f"data cache: {'in memory' if cache == '' else cache} "
                               f"(data.cache: {self.config.data.cache})")
        shard = training_share(fold.train, self.device.shard)
        if shard[1] > 1:
            self.reporter.note(f"{self.device.role}: {share_note(fold.train, shard)}")
        replicas = self.device.strategy.num_replicas_in_sync // self.device.shard[1]
        return training_stream(fold.train, t.batch_size, t.shuffle, self.seed, first_step,
                               cache, shard, replicas)

    def backup_to_resume(self, run: RunDir, rows: Rows) -> tuple[int, dict[str, Any] | None]:
        """The epochs the backup holds and the callbacks' state saved with it, verified: a
        resume that silently lost its metrics rows or the callbacks' state (early stopping's
        patience, the plateau-reduced learning rate) would give a different run."""
        start_over = (f"start over in a new folder: nntrain fit {run.config_yaml} "
                      "--run-dir NEW_FOLDER")
        try:
            done = backed_up_epochs(str(run.backup_dir))
        except (tf.errors.OpError, ValueError, KeyError) as exc:
            raise NntrainError(f"the backup in {run.backup_dir} is damaged and cannot be "
                               f"resumed ({type(exc).__name__})", 1, hint=start_over) from None
        if not done:
            return 0, None
        missing = sorted(set(range(1, done + 1)) - {int(r["epoch"]) for r in rows})
        if missing:
            raise NntrainError(f"{run.metrics_csv} lacks epoch(s) {missing[0]}..{missing[-1]} "
                               f"of the {done} the backup holds, so the resumed run's history "
                               "would be wrong", 1, hint=start_over)
        saved = resume_state(run.backup, done)
        if saved is not None and self.changed:
            saved = self.restart_early_stopping(run, done, saved)
        cb = self.config.callbacks
        tracked = (cb.checkpoint, cb.early_stopping, cb.reduce_lr_on_plateau)
        if saved is None and any(c is not None for c in tracked):
            raise NntrainError(f"the backup in {run.backup_dir} has no readable callback state "
                               f"for epoch {done} (state.json missing or damaged)", 1,
                               hint=start_over)
        return done, saved

    def restart_early_stopping(self, run: RunDir, done: int,
                               saved: dict[str, Any]) -> dict[str, Any]:
        """A resume that asks for more (epochs, patience) continues a run early stopping had
        ended: its stop is forgotten, its counters and best value kept."""
        if saved.get("stop"):
            self.reporter.note(f"early stopping had ended the run after epoch {done}; its "
                               "count of epochs without improvement goes on (more: --set "
                               "callbacks.early_stopping.patience=N)")
        states = run.backup.read_states()
        entry = {**saved, "stop": False}
        stopper = entry.get("callbacks", {}).get("EarlyStopping")
        if stopper is not None:
            stopper["stopped_epoch"] = 0
        states[str(done)] = entry
        run.backup.write_states(states)
        return entry

    def callbacks(self, model: Any, run: RunDir, rows: Rows) -> list[Any]:
        """Order matters: StopOnSignal comes first, Checkpoints' last.keras is written before
        EarlyStopping restores the best weights at train end, and ResumableBackup comes last
        (see their docstrings).

        In a multi-worker run every worker must save at the same epochs (saving runs
        collective ops; a worker saving alone fails the next step), so no clock may decide
        when: checkpoints and backups are written every epoch there.
        """
        cb, watch = self.config.callbacks, self.monitors
        multi_worker = isinstance(model.distribute_strategy,
                                  tf.distribute.MultiWorkerMirroredStrategy)
        per_batch_nan_check = self.config.compile is not None and not checks_in_graph(model)
        callbacks: list[Any] = [self.stop] + ([NanGuard()] if per_batch_nan_check else [])
        self.watching = {}
        if cb.checkpoint is not None:
            every = 0.0 if multi_worker else cb.checkpoint.every_seconds
            self.watching["checkpoint"] = Checkpoints(
                lambda m, which: run.save_model(m, run.checkpoint(which)),
                watch["checkpoint"].monitor, watch["checkpoint"].mode, every)
            callbacks.append(self.watching["checkpoint"])
        if cb.early_stopping is not None:
            self.watching["early_stopping"] = keras.callbacks.EarlyStopping(**{
                **cb.early_stopping.model_dump(), **vars(watch["early_stopping"])})
            callbacks.append(self.watching["early_stopping"])
        if cb.reduce_lr_on_plateau is not None:
            callbacks.append(keras.callbacks.ReduceLROnPlateau(**{
                **cb.reduce_lr_on_plateau.model_dump(), **vars(watch["reduce_lr_on_plateau"])}))
        if cb.tensorboard is not None:
            callbacks.append(keras.callbacks.TensorBoard(
                log_dir=str(run.tensorboard), histogram_freq=cb.tensorboard.histogram_freq,
                write_graph=cb.tensorboard.write_graph, update_freq=cb.tensorboard.update_freq,
                profile_batch=0))
        callbacks.append(MetricsLog(rows, run.write_metrics, self.reporter))
        if self.config.model.kind is not None:
            callbacks.append(SampleGrids(run, self.seed))
        callbacks += self.extra_callbacks
        callbacks.append(ProgressBridge(self.reporter))
        callbacks.append(ResumableBackup(run.backup, callbacks,
                                         every_epoch=multi_worker))
        return callbacks

    def resolve_monitors(self, has_validation: bool) -> dict[str, Monitor]:
        """Each watching callback's metric (its training twin when there is no validation data)
        and direction (`mode: auto` decided here, by the metric's name)."""
        watchers = {"checkpoint": self.config.callbacks.checkpoint,
                    "early_stopping": self.config.callbacks.early_stopping,
                    "reduce_lr_on_plateau": self.config.callbacks.reduce_lr_on_plateau}
        monitors = {}
        for what, settings in watchers.items():
            if settings is None:
                continue
            metric = settings.monitor
            if metric.startswith("val_") and not has_validation:
                self.reporter.note(f"{what}: no validation data, so it watches '{metric[4:]}' "
                                   f"instead of '{metric}'")
                metric = metric[4:]
            mode = settings.mode
            if mode == "auto":
                mode = "max" if higher_is_better(metric) else "min"
            monitors[what] = Monitor(metric, mode)
        return monitors

    def outcome(self, epochs_done: int) -> list[str]:
        """What the end of fit says, a line each: that early stopping ended training and
        when, and which epoch was best by the monitored metric and where its weights are."""
        stopper, best = self.watching.get("early_stopping"), self.watching.get("checkpoint")
        lines = []
        if stopper is not None and stopper.stopped_epoch > 0:
            lines.append(f"early stopping: {stopper.monitor} did not improve for "
                         f"{stopper.patience} epoch(s), so training stopped after epoch "
                         f"{stopper.stopped_epoch + 1} of {self.config.train.epochs}")
        if stopper is not None and math.isfinite(float(stopper.best)):
            held = ("its weights were restored into model.keras (restore_best_weights)"
                    if stopper.restore_best_weights else
                    f"model.keras holds epoch {epochs_done}'s (restore_best_weights is off)")
            lines.append(f"best epoch: {stopper.best_epoch + 1} by {stopper.monitor} "
                         f"({format_number(float(stopper.best))}); {held}")
        elif best is not None and best.best is not None:
            lines.append(f"best epoch: {best.best_epoch + 1} by {best.monitor} "
                         f"({format_number(best.best)}), saved as checkpoints/best.keras; "
                         f"model.keras holds the last epoch's weights")
        return lines

    def final_metrics(self, model: Any, fold: Fold, run: RunDir) -> dict[str, Any] | None:
        """On the test split (written to eval.json), else on the validation split."""
        batch_size = self.config.train.batch_size
        if fold.test is not None:
            self.split = "test"
            results = evaluate(model, fold.test, batch_size)
            run.write_eval(results)
            return results
        if fold.validation is not None:
            self.split = "validation"
            return evaluate(model, fold.validation, batch_size)
        return None

    def finish(self, rows: Rows, summary: dict[str, Any] | None) -> FitResult:
        self.raise_if_deleted()
        run = self.run_dir
        run.set_status(STATUS_FINISHED, epochs_done=len(rows), eval=summary)
        self.write_curves()  # the backup stays: `--resume RUN --set train.epochs=N` extends it
        return FitResult(run, rows, summary, self.device.is_chief, self.split, self.story)

    def raise_if_deleted(self, error: BaseException | None = None) -> None:
        """A deletion still under way may have taken the file a save wrote to but not yet
        config.yaml, so a 'no such file' naming a path inside the run counts as one too."""
        missing = error is not None and "No such file or directory" in str(error) \
            and str(self.run_dir.root) in str(error)
        if missing or not self.run_dir.config_yaml.exists():
            raise NntrainError(f"the run directory {self.run_dir.root} was deleted while "
                               "training; the run is lost", 1, hint="train again") from None

    def interrupted(self, signum: int) -> NntrainError:
        """What the user sees: the signal, the epochs finished, and exactly what a resume
        redoes (epochs finished since the last backup are trained again)."""
        run, name = self.run_dir, signal.Signals(signum).name
        where = resume_point(run)
        done = where[1] if where and not where[0] else None  # k-fold: a backup per fold
        run.set_status(STATUS_INTERRUPTED, signal=name, epochs_done=done)
        self.write_curves()
        said = "Ctrl-C (SIGINT)" if signum == signal.SIGINT else name
        plan = resume_plan(*where) if where else "a resume begins the next fold"
        return NntrainError(f"{said}; {plan}; "
                            f"the run is kept in {run.root}", 128 + signum,
                            hint=f"continue it with: nntrain fit --resume {run.root}")

    def write_curves(self) -> None:
        """The epochs a run has, drawn: when it finishes, and when a signal or a divergence
        ends it."""
        from nntrain.results.curves import run_curves  # imported by a thread while training ran

        for folder, figure in run_curves(self.run_dir.root):
            run = RunDir(folder)
            run.save_figure(figure, run.curves_png)


def resume_point(run: RunDir) -> tuple[str, int, int] | None:
    """(which model, epochs backed up, epochs finished) of the model a resume continues: the
    run's, or the first unfinished fold's of a k-fold run (None: every fold begun is done)."""
    folds = sorted(run.root.glob("fold_*"), key=lambda p: int(p.name[5:]))
    parts = [RunDir(f) for f in folds if RunDir(f).read_status().get("status") != STATUS_FINISHED]
    if folds and not parts:
        return None
    part = parts[0] if folds else run
    done = backed_up_epochs(str(part.backup_dir)) if part.backup_dir.is_dir() else 0
    return (f"{part.root.name}: " if folds else ""), done, len(part.read_metrics())


def resume_plan(label: str, done: int, finished: int) -> str:
    """'2 epoch(s) finished, the last backup is of epoch 1: a resume redoes epoch 2' (an
    epoch is backed up only when its training outlasts 50 times what the backup costs)."""
    start = f"{label}{finished} epoch(s) finished"
    if done >= finished:
        return f"{start}, all backed up: a resume continues with epoch {finished + 1}"
    redo = f"epoch {finished}" if done + 1 == finished else f"epochs {done + 1}-{finished}"
    last = f"the last backup is of epoch {done}" if done else "none is backed up yet"
    return f"{start}, {last}: a resume redoes {redo}"


def kfold_summary(per_fold: Rows) -> dict[str, float]:
    """Mean and spread over folds of each validation metric (the table itself is folds.csv)."""
    keys = [k for k in per_fold[0] if isinstance(per_fold[0][k], float)]
    summary: dict[str, float] = {}
    for k in keys:
        values = [f[k] for f in per_fold]
        summary[f"mean_{k}"] = statistics.fmean(values)
        summary[f"std_{k}"] = statistics.pstdev(values)
    return summary


def run_fit(loaded: LoadedConfig, reporter: Reporter, run_dir: Path | None = None,
            resume: RunDir | None = None, changed: bool = False,
            callbacks: Sequence[Any] = ()) -> FitResult:
    fit = FitRun(loaded, reporter, run_dir, resume, changed, callbacks)
    try:
        return fit.execute()
    finally:
        if fit.lock is not None:
            os.close(fit.lock)
