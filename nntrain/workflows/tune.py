"""`nntrain tune`: an Optuna study whose trials are ordinary fits (trial_NNN/ run directories
in the study directory), each reporting its metric to the pruner at every epoch.

Trial 0 is the config's own values (when the space holds them), so the best trial is at least
as good as the config. Any number of processes (`--jobs`, or other machines given the same
`--storage`) work on one study: the storage numbers the trials, so no number repeats. A trial
that fails is recorded with its message and the study goes on; one whose process was killed
is marked failed and its values tried again by the next `--resume`.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import time
import warnings
from datetime import datetime
from typing import Any

import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from nntrain.config.load import LoadedConfig, load_config, parse_dotted
from nntrain.config.suggest import did_you_mean
from nntrain.config.tune_schema import SpaceEntry, TuneConfig
from nntrain.config.tune_space import overrides, yaml_text
from nntrain.engine import keras, tf
from nntrain.errors import NntrainError, config_error, first_line, runtime_error
from nntrain.runs.run_dir import STATUS_FINISHED, STATUS_INTERRUPTED, RunDir, writer_alive
from nntrain.runs.study_dir import StudyDir
from nntrain.training.callbacks import Interrupted
from nntrain.training.monitor import higher_is_better
from nntrain.training.report import Reporter
from nntrain.workflows.fit import FitResult, run_fit

HEARTBEAT_SECONDS = 20  # a trial whose process stops beating for GRACE_SECONDS is rerun
GRACE_SECONDS = 120
STATES = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned",
          TrialState.FAIL: "failed", TrialState.RUNNING: "running", TrialState.WAITING: "waiting"}
SCALARS = (str, int, float, bool, type(None))


class TrialFailed(Exception):
    """A trial's own failure (divergence, a shape error from a sampled value): recorded with
    its message, and the study goes on."""


class StudyError(NntrainError):
    """Wrong for every trial alike (the metric is not in the runs): the study stops."""


def quiet() -> None:
    """Optuna logs every trial (a failed one with its traceback), TensorFlow that many models
    are traced in one process: the table says what matters."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    tf.get_logger().setLevel("ERROR")
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def encoded(entry: SpaceEntry) -> list[Any] | None:
    """A choice as Optuna takes it: its scalars as they are, or every value as one line of
    YAML when one is a list or a mapping (an optimizer {type: SGD, momentum: 0.9})."""
    if entry.choice is None:
        return None
    if all(isinstance(v, SCALARS) for v in entry.choice):
        return list(entry.choice)
    return [yaml_text(v) for v in entry.choice]


def decoded(entry: SpaceEntry, value: Any) -> Any:
    """Optuna's form of a value back to the config's (YAML text to its list or mapping)."""
    choices = encoded(entry)
    return yaml.safe_load(value) if choices is not None and choices != entry.choice else value


def suggest(trial: optuna.Trial, key: str, entry: SpaceEntry) -> Any:
    """The trial's value for one space entry, drawn by the study's sampler."""
    if entry.loguniform is not None:
        return trial.suggest_float(key, *entry.loguniform, log=True)
    if entry.uniform is not None:
        return trial.suggest_float(key, *entry.uniform, step=entry.step)
    if entry.int_ is not None:
        return trial.suggest_int(key, *entry.int_, step=int(entry.step or 1), log=entry.log)
    return decoded(entry, trial.suggest_categorical(key, encoded(entry) or []))


def in_space(entry: SpaceEntry, value: Any) -> Any:
    """`value` as the search would give it (Optuna's form), or None when it is outside."""
    if entry.choice is not None:
        return next((c for v, c in zip(entry.choice, encoded(entry) or []) if v == value), None)
    low, high = entry.bounds or (0, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        return None
    if entry.int_ is not None and (not float(value).is_integer()
                                   or (value - low) % int(entry.step or 1)):
        return None
    return value


def make_sampler(tune: TuneConfig, seed: int | None,
                 grid_seed: int) -> optuna.samplers.BaseSampler:
    """`seed` None: drawn. The grid's points are numbered in an order drawn from its seed, so
    every process of a study must have the same one (`grid_seed`, the config's)."""
    if tune.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if tune.sampler == "grid":
        grid = {key: encoded(e) if e.choice is not None else e.grid()
                for key, e in tune.space.items()}
        return optuna.samplers.GridSampler(grid, seed=grid_seed)
    if tune.sampler == "cmaes":
        try:
            import cmaes  # noqa: F401 - Optuna's CMA-ES sampler needs it
        except ImportError:
            raise NntrainError('sampler cmaes needs the cmaes package: pip install -e ".[tune]" '
                               "(or pip install cmaes)", 1, path="tune.sampler") from None
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(tune: TuneConfig, epochs: int) -> optuna.pruners.BasePruner:
    """median: against the median of earlier trials at the same epoch, once 5 trials are done,
    from a fifth of the epochs on (at least 2); hyperband: successive halving brackets from 1
    to train.epochs epochs."""
    if tune.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5,
                                           n_warmup_steps=max(2, epochs // 5))
    if tune.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(epochs, 1))
    return optuna.pruners.NopPruner()


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's database storage, with heartbeats: a trial whose process died on another
    machine is failed and rerun by the others after GRACE_SECONDS."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        return connect(url)
    except (ArgumentError, ValueError) as exc:
        raise config_error(f"{url} is not a database URL Optuna can open ({exc})", "--storage",
                           "e.g. sqlite:///study.db or postgresql://host/db") from None
    except (ImportError, SQLAlchemyError) as exc:
        raise runtime_error(f"cannot open the storage {url}: {type(exc).__name__}: "
                            f"{first_line(exc)}") from None


def connect(url: str, attempts: int = 5) -> optuna.storages.RDBStorage:
    """Optuna creates its tables on first use: processes that start on a new database at
    once collide there, and the later ones try again (the tables are there by then)."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    def storage() -> optuna.storages.RDBStorage:
        return optuna.storages.RDBStorage(
            url, engine_kwargs={"connect_args": {"timeout": 60}} if url.startswith("sqlite")
            else {}, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback())

    for attempt in range(1, attempts):
        try:
            return storage()
        except (IntegrityError, OperationalError):
            time.sleep(0.5 * attempt)
    return storage()


class EpochReport(keras.callbacks.Callback):
    """Each epoch's metric to the trial, for the pruner; a trial it prunes ends its fit the
    way early stopping would (its run finished, with fewer epochs in metrics.csv). A `--jobs`
    process also stops when the process that started it is gone."""

    def __init__(self, trial: optuna.Trial, metric: str, parent: int | None) -> None:
        super().__init__()
        self.trial, self.metric, self.parent = trial, metric, parent
        self.pruned_after: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.metric not in logs:
            raise metric_missing(self.metric, [k for k in logs if k != "lr"])
        self.trial.report(float(logs[self.metric]), epoch + 1)
        if self.parent is not None and os.getppid() != self.parent:
            raise Interrupted(signal.SIGHUP)
        if epoch + 1 < self.params["epochs"] and self.trial.should_prune():  # not the last
            self.pruned_after = epoch + 1
            self.model.stop_training = True


def metric_missing(metric: str, there: list[str]) -> StudyError:
    """The metric is not in the logs: every trial would fail alike, so the study stops."""
    hint = did_you_mean(metric, there)
    if metric.startswith("val_") and not any(k.startswith("val_") for k in there):
        hint = "the config has no validation data: add data.validation_split, or tune on " \
               f"'{metric[4:]}'"
    return StudyError(f"the runs have no metric '{metric}' (they have {', '.join(there)})",
                      path="tune.metric", hint=hint)


def rerun_of(t: FrozenTrial) -> list[int]:
    """The trials whose values `t` tries again: queued by a resume, or by the heartbeat of
    the storage when their process died elsewhere."""
    found = [t.user_attrs.get("rerun_of"), *t.system_attrs.get("retry_history", ())]
    return [n for n in found if isinstance(n, int)]


class Tuner:
    """One process's part in a study: the trials it runs, and what it says of the whole."""

    def __init__(self, folder: StudyDir, base: LoadedConfig, job: int = 0,
                 parent: int | None = None) -> None:
        assert base.config.tune is not None
        quiet()
        self.folder, self.base, self.parent = folder, base, parent
        self.tune: TuneConfig = base.config.tune
        self.direction = self.tune.direction or (
            "maximize" if higher_is_better(self.tune.metric) else "minimize")
        meta = folder.read_meta()
        self.name = str(meta["study_name"])
        shared = meta.get("storage") is not None  # other machines may join it there
        self.study = self.open(folder.storage_url(), self.sampler_seed(job, shared))
        self.best_written: int | None = None

    def open(self, url: str, seed: int | None) -> optuna.Study:
        """The study in its storage, created or joined; joining one that searches something
        else is refused."""
        storage = open_storage(url)
        try:
            known = len(storage.get_all_trials(storage.get_study_id_from_name(self.name),
                                               deepcopy=False))
        except KeyError:
            known = 0
        seed = None if known else seed  # resumed: drawn, or it would repeat its first trials
        study = optuna.create_study(
            storage=storage, study_name=self.name, direction=self.direction, load_if_exists=True,
            sampler=make_sampler(self.tune, seed, int(self.base.config.seed or 0)),
            pruner=make_pruner(self.tune, self.base.config.train.epochs))
        searches = json.dumps({"metric": self.tune.metric, "direction": self.direction,
                               "space": self.tune.model_dump(mode="json")["space"]})
        recorded = study.user_attrs.get("searches")
        if recorded is None:
            study.set_user_attr("searches", searches)
        elif recorded != searches:
            raise config_error(f"the study '{self.name}' in {url} searches another space or "
                               "metric than this config", "--study-name",
                               "give this search a name of its own with --study-name")
        return study

    def sampler_seed(self, job: int, shared: bool) -> int | None:
        """From the config's seed, so that a new study of one process samples the same trials
        each time, each --jobs process its own; drawn for processes that other machines may
        join (a shared --storage), or they would sample each other's trials."""
        return None if shared else int(self.base.config.seed or 0) + 1000 * job

    # -- what runs ----------------------------------------------------------------------------
    def trials(self, *states: TrialState) -> list[FrozenTrial]:
        return self.study.get_trials(deepcopy=False, states=states or None)

    def counted(self) -> int:
        """Trials that reached an outcome of their own (an interrupted one is tried again)."""
        return sum(1 for t in self.trials(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
                   if t.state != TrialState.FAIL or "error" in t.user_attrs)

    def left(self) -> int:
        """Trials still to start for `tune.trials` in all (those running elsewhere count)."""
        return self.tune.trials - self.counted() - len(self.trials(TrialState.RUNNING))

    def try_base_first(self) -> str | None:
        """Queue the config's own values as the first trial; or say why not."""
        if self.study.get_trials(deepcopy=False) or self.tune.sampler == "grid":
            return None
        resolved = self.base.config.model_dump(mode="json")
        params = {}
        for key, entry in self.tune.space.items():
            value: Any = resolved
            for part in parse_dotted(key):
                value = value[part]
            params[key] = in_space(entry, value)
            if params[key] is None:
                return (f"trial 0 is not the config's own values: {key} is {yaml_text(value)}, "
                        f"outside the space")
        self.study.enqueue_trial(params, user_attrs={"base": True}, skip_if_exists=True)
        return None

    def rerun_interrupted(self) -> list[int]:
        """Trials whose process was killed or stopped are failed, and their values queued
        again once (a rerun gets a new number: none repeats)."""
        trials = self.study.get_trials(deepcopy=False)
        rerun = {original for t in trials for original in rerun_of(t)}
        queued = []
        for t in trials:
            dead = t.state == TrialState.RUNNING and writer_alive(t.user_attrs) is False
            if dead:
                self.fail(t)
                if t.user_attrs.get("run"):
                    RunDir(t.user_attrs["run"]).set_status(
                        STATUS_INTERRUPTED, message="its nntrain tune process was killed; "
                                                    "the study tries its values again")
            elif not (t.state == TrialState.FAIL and t.user_attrs.get("interrupted")):
                continue
            if t.number not in rerun:
                self.queue_again(t)
                queued.append(t.number)
        return queued

    def fail(self, t: FrozenTrial) -> None:
        """Mark a trial whose process is gone failed. When it was the grid's last point,
        the grid sampler asks the study to stop, which only a running search can: the state
        is stored all the same, and the rerun queued next completes the grid."""
        try:
            self.study.tell(t.number, state=TrialState.FAIL)
        except RuntimeError:
            if self.tune.sampler != "grid":
                raise

    def queue_again(self, t: FrozenTrial) -> None:
        """A waiting trial with `t`'s values (the grid sampler's own record of which point
        it is kept with them: the grid sampler fails on a queued trial without it)."""
        grid = {k: v for k, v in t.system_attrs.items() if k in ("grid_id", "search_space")}
        self.study.add_trial(optuna.trial.create_trial(
            state=TrialState.WAITING, params=t.params, distributions=t.distributions,
            user_attrs={"rerun_of": t.number}, system_attrs=grid))

    def run(self) -> None:
        """Trials until the study has `tune.trials` (or the timeout passes, or the grid is
        done)."""
        if self.left() <= 0:
            return
        self.study.optimize(self.objective, timeout=self.tune.timeout_seconds,
                            catch=(TrialFailed,), callbacks=[self.stop_when_done],
                            gc_after_trial=True)

    def stop_when_done(self, study: optuna.Study, trial: FrozenTrial) -> None:
        gone = self.parent is not None and os.getppid() != self.parent
        if gone or self.left() <= 0:
            study.stop()

    # -- one trial ----------------------------------------------------------------------------
    def objective(self, trial: optuna.Trial) -> float:
        values = {key: suggest(trial, key, entry) for key, entry in self.tune.space.items()}
        run = self.folder.trial(trial.number)
        for key, value in (("run", str(run.root.resolve())), ("host", socket.gethostname()),
                           ("pid", os.getpid())):
            trial.set_user_attr(key, value)
        report = EpochReport(trial, self.tune.metric, self.parent)
        try:
            result = self.fit(values, run, report)
        except StudyError as exc:
            trial.set_user_attr("error", exc.render())
            raise
        except NntrainError as exc:
            if exc.exit_code < 128:
                raise self.failed(trial, exc.render()) from None
            trial.set_user_attr("interrupted", True)
            raise
        except KeyboardInterrupt:
            trial.set_user_attr("interrupted", True)
            raise
        except Exception as exc:  # noqa: BLE001 - TensorFlow's own errors from a sampled value
            first = (str(exc).strip().splitlines() or [""])[0]
            raise self.failed(trial, f"{type(exc).__name__}: {first}") from None
        trial.set_user_attr("epochs", len(result.rows))
        if result.split == "test" and result.eval:  # in trials.csv; the search never uses it
            trial.set_user_attr("test", result.eval)
        if report.pruned_after is not None:
            run.set_status(STATUS_FINISHED, pruned_after_epoch=report.pruned_after)
            raise optuna.TrialPruned(f"pruned after epoch {report.pruned_after}")
        return self.value(result.rows)

    def fit(self, values: dict[str, Any], run: RunDir, report: EpochReport) -> FitResult:
        """The study's config with the trial's values set, trained as `nntrain fit` would,
        in a fresh Keras session (layer names as in a run of its own)."""
        loaded = load_config(self.folder.study_yaml, overrides(values))
        keras.backend.clear_session()
        return run_fit(loaded, Reporter(), run_dir=run.root, callbacks=[report])

    def failed(self, trial: optuna.Trial, message: str) -> TrialFailed:
        trial.set_user_attr("error", message[:2000])
        return TrialFailed(message)

    def value(self, rows: list[dict[str, Any]]) -> float:
        """A trial's value: the best its metric reached over the epochs."""
        values = [float(r[self.tune.metric]) for r in rows if self.tune.metric in r]
        finite = [v for v in values if math.isfinite(v)] or [math.nan]
        return max(finite) if self.direction == "maximize" else min(finite)

    # -- what the study shows -----------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        """One per trial (trials.csv, the table): number, state, values, metric, epochs,
        seconds, run directory, and what went wrong."""
        trials = self.study.get_trials(deepcopy=False)
        reruns = {original: t.number for t in trials for original in rerun_of(t)}
        return [self.row(t, reruns.get(t.number)) for t in trials]

    def row(self, t: FrozenTrial, rerun: int | None) -> dict[str, Any]:
        steps = list(t.intermediate_values.values())
        # its best epoch's value (of a pruned trial, Optuna keeps the last epoch's)
        value = t.value if t.state == TrialState.COMPLETE else (
            self.best_of(steps) if steps else None)
        end = t.datetime_complete or datetime.now()
        error = t.user_attrs.get("error", "")
        if t.state == TrialState.FAIL and not error:
            error = "interrupted: " + (f"its values were tried again as trial {rerun}"
                                       if rerun is not None else "nntrain tune --resume tries "
                                       "its values again")
        return {"number": t.number, "state": STATES[t.state],
                **{key: t.params.get(key) for key in self.tune.space},
                self.tune.metric: value,
                **{f"test_{k}": v for k, v in t.user_attrs.get("test", {}).items()},
                "epochs": t.user_attrs.get("epochs", len(steps)),
                "seconds": round((end - t.datetime_start).total_seconds(), 1)
                if t.datetime_start else None,
                "run": self.run_label(t), "error": error}

    def best_of(self, values: list[float]) -> float:
        return max(values) if self.direction == "maximize" else min(values)

    def run_label(self, t: FrozenTrial) -> str:
        """trial_007 for a run in this study directory, else where it is (host:path)."""
        path, host = t.user_attrs.get("run"), t.user_attrs.get("host")
        if not path:
            return ""
        if host != socket.gethostname():
            return f"{host}:{path}"
        if not RunDir(path).is_run():  # it failed before its run began
            return ""
        root = str(self.folder.root.resolve())
        return os.path.relpath(path, root) if path.startswith(root + os.sep) else path

    def best(self) -> FrozenTrial | None:
        try:
            return self.study.best_trial
        except ValueError:  # no trial is complete yet
            return None

    def write_files(self, plots: bool = False) -> list[str]:
        """trials.csv, best.yaml when the best changed, and (at the end) the plots; the
        notes say what could not be drawn."""
        self.folder.write_trials(self.rows())
        best = self.best()
        if best is not None and best.number != self.best_written:
            self.write_best(best)
            self.best_written = best.number
        return self.write_plots() if plots else []

    def write_best(self, best: FrozenTrial) -> None:
        values = {key: decoded(self.tune.space[key], v) for key, v in best.params.items()}
        loaded = load_config(self.folder.study_yaml, overrides(values))
        header = (f"# The best trial of the study '{self.name}': trial {best.number}, "
                  f"{self.tune.metric} {best.value:.6g}, run {self.run_label(best)}.\n"
                  "# `nntrain fit best.yaml` trains it again (same seed, same data split); "
                  "`nntrain tune best.yaml` searches on from it.\n")
        self.folder.write_config(self.folder.best_yaml, loaded.config, loaded.relative, header)

    def write_plots(self) -> list[str]:
        """history.png and importance.png: Optuna's own matplotlib figures."""
        import matplotlib

        matplotlib.use("Agg")  # this process draws to files only
        from matplotlib import pyplot
        from optuna.importance import FanovaImportanceEvaluator
        from optuna.visualization import matplotlib as plots

        complete = len(self.trials(TrialState.COMPLETE))
        drawings = (
            (self.folder.history_png, 1, lambda: plots.plot_optimization_history(self.study)),
            (self.folder.importance_png, 2, lambda: plots.plot_param_importances(
                self.study, evaluator=FanovaImportanceEvaluator(seed=0))))
        notes = []
        for path, needs, draw in drawings:
            if complete < needs:
                notes.append(f"{path.name} needs {needs} complete trial(s); not drawn")
                continue
            try:
                figure = draw().get_figure()
            except (ValueError, RuntimeError, ZeroDivisionError) as exc:
                notes.append(f"{path.name} not drawn: {exc}")
                continue
            figure.set_size_inches(8, 4.5)
            figure.tight_layout()
            self.folder.save_figure(figure, path)
            pyplot.close(figure)
        return notes
