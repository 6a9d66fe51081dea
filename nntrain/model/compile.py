"""CompileConfig → model.compile(optimizer, loss, loss_weights, metrics)."""

from __future__ import annotations

from typing import Any

from nntrain.config.schema import CompileConfig, is_per_output
from nntrain.model import keras_objects


def compile_model(model: Any, cfg: CompileConfig, *, jit_compile: bool = False) -> None:
    if is_per_output(cfg.loss):
        loss: Any = {k: keras_objects.loss(v, f"compile.loss.{k}") for k, v in cfg.loss.items()}
    else:
        loss = keras_objects.loss(cfg.loss, "compile.loss")
    if isinstance(cfg.metrics, dict):
        metrics: Any = {
            out: [keras_objects.metric(m, f"compile.metrics.{out}[{i}]")
                  for i, m in enumerate(specs if isinstance(specs, list) else [specs])]
            for out, specs in cfg.metrics.items()
        }
    else:
        metrics = [keras_objects.metric(m, f"compile.metrics[{i}]")
                   for i, m in enumerate(cfg.metrics)]
    model.compile(
        optimizer=keras_objects.optimizer(cfg.optimizer),
        loss=loss,
        loss_weights=cfg.loss_weights,
        metrics=metrics,
        steps_per_execution=cfg.steps_per_execution,
        jit_compile=jit_compile,
    )
