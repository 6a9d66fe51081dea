"""`nntrain eval`: a trained model on the config's test data (else validation, else training)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nntrain.config.load import load_config
from nntrain.config.schema import Config
from nntrain.data import Preprocessor, Split, load_raw
from nntrain.data.splits import split_data
from nntrain.errors import NntrainError
from nntrain.model.preprocessing import PREFIX
from nntrain.results.classes import ClassReport, class_report, confusion_figure
from nntrain.runs.run_dir import RunDir
from nntrain.runs.saved_model import SavedModel, open_target
from nntrain.training.evaluation import evaluate


@dataclass
class EvalResult:
    split: str
    metrics: dict[str, float]
    written_to: Path | None
    skipped: str | None = None  # why a classifier got no per-class table


def _config_for(saved: SavedModel, config_path: Path | None, overrides: list[str],
                allow_unsafe: bool) -> Config:
    if config_path is not None:
        return load_config(config_path, overrides, allow_unsafe=allow_unsafe).config
    if saved.run is None:
        raise NntrainError("a bare .keras file needs --config to say which data to use",
                           path="--config")
    if overrides:
        return load_config(saved.run.config_yaml, overrides, allow_unsafe=allow_unsafe).config
    return saved.run.read_config(allow_unsafe)


def splits_of(config: Config, preprocessor: Preprocessor) -> dict[str, Split]:
    """The same raw data and splits as training (same seed), preprocessed with the stored
    state: test, validation, training, those that exist, held-out ones first."""
    raw = load_raw(config.data)
    train, validation = split_data(raw, config.data, int(config.seed or 0))[0]
    return {name: preprocessor.transform(split)  # type: ignore[misc]
            for name, split in (("test", raw.test), ("validation", validation),
                                ("training", train)) if split is not None}


def pick_split(config: Config, preprocessor: Preprocessor) -> tuple[str, Split]:
    """The test data, else validation, else training."""
    return next(iter(splits_of(config, preprocessor).items()))


def run_eval(target: Path, config_path: Path | None, overrides: list[str],
             allow_unsafe: bool) -> EvalResult:
    saved = open_target(target, allow_unsafe)
    lock = saved.run.lock() if saved.run is not None else None  # eval writes into the run
    try:
        return _evaluate(saved, _config_for(saved, config_path, overrides, allow_unsafe))
    finally:
        if lock is not None:
            os.close(lock)


def has_front(model: Any) -> bool:
    """Whether the model does its input steps itself (nntrain.model.preprocessing)."""
    return any(layer.name.startswith(PREFIX) for layer in model.layers)


def preprocessor_of(saved: SavedModel, config: Config) -> Preprocessor:
    """The run's stored preprocessing; for a bare .keras file, fitted again on its data."""
    if saved.preprocessor is not None:
        return saved.preprocessor
    from nntrain.data import prepare

    return prepare(config.data, int(config.seed or 0),
                   in_model=has_front(saved.model))[0].preprocessor


def _evaluate(saved: SavedModel, config: Config) -> EvalResult:
    pre = preprocessor_of(saved, config)
    name, split = pick_split(config, pre)
    metrics = evaluate(saved.model, split, config.train.batch_size)
    written = skipped = None
    if saved.run is not None:
        saved.run.write_eval(metrics)
        written = saved.run.eval_json
        skipped = _write_class_report(saved.run, saved.model, split, pre,
                                      config.train.batch_size, name)
    return EvalResult(name, metrics, written, skipped)


def _write_class_report(run: RunDir, model: Any, split: Split, preprocessor: Preprocessor,
                        batch_size: int, split_name: str) -> str | None:
    """confusion_matrix.png and per_class.csv; stale ones go when the model is no classifier
    (returned: why, for a model trained as one)."""
    report = class_report(model, split, preprocessor.class_names, batch_size)
    if not isinstance(report, ClassReport):
        run.remove(run.confusion_png, run.per_class_csv)
        return report
    run.save_figure(confusion_figure(report, f"confusion matrix ({split_name} data)"),
                    run.confusion_png)
    run.write_table(run.per_class_csv, report.rows())
    return None
