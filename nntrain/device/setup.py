"""Device section → a tf.distribute strategy, a precision policy and the XLA choice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nntrain.config.schema import DeviceConfig
from nntrain.device.engine import keras, tf
from nntrain.errors import config_error, runtime_error


@dataclass
class DeviceSetup:
    strategy: Any
    kind: str
    devices: list[str]
    precision: str
    jit_compile: bool
    is_chief: bool = True

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    def describe(self, batch_size: int) -> str:
        per_replica = batch_size // max(self.replicas, 1)
        return (f"device: {self.kind} strategy, {self.replicas} replica(s) on "
                f"{', '.join(self.devices) or 'cpu'}; precision {self.precision}; "
                f"XLA {'on' if self.jit_compile else 'off'}; batch {batch_size} "
                f"({per_replica} per replica)")


def _logical(kind: str) -> list[str]:
    return [d.name for d in tf.config.list_logical_devices(kind)]


def _mirrored(devices: list[str] | None) -> tuple[Any, list[str]]:
    available = _logical("GPU") + _logical("CPU")
    if devices:
        wanted = [d if d.startswith("/") else f"/{d}" for d in devices]
        known = {a.lower().split("device:")[-1] for a in available}
        missing = [d for d in wanted if d.lower().lstrip("/").replace("device:", "") not in known]
        if missing:
            raise config_error(f"no such device: {', '.join(missing)} (available: "
                               f"{', '.join(available)})", "device.devices")
        return tf.distribute.MirroredStrategy(devices=wanted), wanted
    gpus = _logical("GPU")
    strategy = tf.distribute.MirroredStrategy(devices=gpus or None)
    return strategy, gpus or ["cpu"]


def _tpu(name: str | None) -> tuple[Any, list[str]]:
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=name or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as exc:
        raise runtime_error(f"no TPU reachable{f' named {name!r}' if name else ''}: "
                            f"{str(exc).splitlines()[0]}",
                            "run on a TPU VM, set device.tpu, or use device.strategy: auto") from None
    return tf.distribute.TPUStrategy(resolver), _logical("TPU")


def _choose_precision(requested: str, kind: str) -> str:
    if requested != "auto":
        return requested
    return {"tpu": "mixed_bfloat16", "gpu": "mixed_float16"}.get(kind, "float32")


def setup_device(cfg: DeviceConfig) -> DeviceSetup:
    strategy_name = cfg.strategy
    hardware = "cpu"
    if strategy_name == "auto":
        strategy_name = "mirrored" if _logical("GPU") else "cpu"
    if strategy_name == "cpu":
        strategy, devices = tf.distribute.get_strategy(), ["cpu"]
    elif strategy_name == "mirrored":
        strategy, devices = _mirrored(cfg.devices)
    elif strategy_name == "multi_worker":
        from nntrain.device.cluster import multi_worker_strategy

        strategy, devices = multi_worker_strategy(cfg)
    else:
        strategy, devices = _tpu(cfg.tpu)
        hardware = "tpu"
    if hardware == "cpu" and any("GPU" in d.upper() for d in devices):
        hardware = "gpu"
    precision = _choose_precision(cfg.precision, hardware)
    try:
        keras.mixed_precision.set_global_policy(precision)
    except ValueError as exc:
        raise config_error(str(exc), "device.precision") from None
    jit = cfg.jit_compile if isinstance(cfg.jit_compile, bool) else hardware != "cpu"
    chief = getattr(strategy, "cluster_resolver", None)
    is_chief = True
    if chief is not None and strategy_name == "multi_worker":
        is_chief = chief.task_type in (None, "chief") or (
            chief.task_type == "worker" and chief.task_id == 0)
    return DeviceSetup(strategy, strategy_name, devices, precision, jit, is_chief)
