"""Device section → a tf.distribute strategy, a precision policy and the XLA choice.

`setup_device` must run before any other TensorFlow op: logical CPU devices and multi-worker
collective ops can only be configured before TensorFlow initializes its runtime.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from nntrain.config.schema import DeviceConfig, ModelConfig
from nntrain.device.cluster import input_shard, multi_worker_strategy, reachable, task_role
from nntrain.device.precision import auto_precision, cpu_bf16_instructions
from nntrain.engine import keras, tf
from nntrain.errors import config_error, first_line, runtime_error

TPU_PROBE_SECONDS = 10.0  # a TPU worker that is up accepts at once; don't hang on one that isn't


@dataclass
class DeviceSetup:
    strategy: Any
    kind: str  # the strategy used: cpu | mirrored | multi_worker | tpu
    devices: list[str]
    precision: str
    jit_compile: bool
    is_chief: bool = True
    role: str = ""  # multi_worker: which task this process is
    shard: tuple[int, int] = (0, 1)  # (this task, tasks): its share of a multi-file source
    precision_reason: str = ""  # precision: auto: why this policy ("auto: the CPU has ...")

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    def describe(self, batch_size: int) -> str:
        """The one start-up line: what was chosen, and the batch each replica gets."""
        per_replica, rest = divmod(batch_size, max(self.replicas, 1))
        share = f"{per_replica}" if not rest else f"{per_replica}-{per_replica + 1}"
        role = f" ({self.role})" if self.role else ""
        why = f" ({self.precision_reason})" if self.precision_reason else ""
        xla = "on (TPU)" if self.kind == "tpu" else "on" if self.jit_compile else "off"
        return (f"device: {self.kind} strategy, {self.replicas} replica(s) on "
                f"{', '.join(self.devices)}{role}; precision {self.precision}{why}; "
                f"XLA {xla}; batch {batch_size} global, {share} per replica")


def _short(name: str) -> str:
    """'/job:localhost/replica:0/task:0/device:CPU:1' → 'CPU:1'."""
    return name.split("device:")[-1]


def _split_cpu(n: int) -> None:
    """N logical CPUs, so that mirrored can be tried (and tested) without GPUs."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError:  # already initialized: fine if it already has that many
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise runtime_error("device.cpu_devices must be applied before TensorFlow starts; "
                                "run it in a fresh process") from None


def _split_gpu(n: int, memory_mb: int) -> None:
    """N logical GPUs on the first GPU, so that mirrored's multi-replica path runs on one GPU."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        raise config_error("splits a GPU into logical GPUs, and this machine has no GPU",
                           "device.gpu_devices", "use device.cpu_devices to try mirrored on "
                           "the CPU")
    try:
        tf.config.set_logical_device_configuration(
            gpus[0], [tf.config.LogicalDeviceConfiguration(memory_limit=memory_mb)] * n)
    except RuntimeError:
        if len(tf.config.list_logical_devices("GPU")) != n:
            raise runtime_error("device.gpu_devices must be applied before TensorFlow starts; "
                                "run it in a fresh process") from None


def _mirrored(devices: list[str] | None) -> tuple[Any, list[str]]:
    available = [d.name for d in tf.config.list_logical_devices()]
    known = {_short(a).upper(): a for a in available}
    if not devices:
        gpus = [a for a in available if _short(a).upper().startswith("GPU:")]
        chosen = gpus or [a for a in available if _short(a).upper().startswith("CPU:")]
    else:
        chosen, missing = [], []
        for d in devices:
            try:
                spec = tf.DeviceSpec.from_string(d if d.startswith("/") else f"/device:{d}")
                key = f"{spec.device_type}:{spec.device_index or 0}".upper()
            except (ValueError, TypeError):
                key = ""
            if key in known:
                chosen.append(known[key])
            else:
                missing.append(d)
        if missing:
            raise config_error(f"no such device: {', '.join(missing)} (this machine has "
                               f"{', '.join(_short(a) for a in available)})", "device.devices")
    return tf.distribute.MirroredStrategy(devices=chosen), [_short(c) for c in chosen]


def _tpu(name: str | None) -> tuple[Any, list[str]]:
    name = name or os.environ.get("TPU_NAME") or "local"
    hint = "run on a TPU VM, set device.tpu, or use device.strategy: auto"
    if name.startswith("grpc://"):  # connecting to a dead address would wait forever
        if not reachable(name[len("grpc://"):], TPU_PROBE_SECONDS):
            raise runtime_error(f"no TPU reachable at {name}", hint)
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=name)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, OSError, tf.errors.OpError) as exc:
        where = "on this machine" if name == "local" else f"named {name!r}"
        reason = first_line(exc).split(". ")[0]
        raise runtime_error(f"no TPU reachable {where}: {reason}", hint) from None
    strategy = tf.distribute.TPUStrategy(resolver)
    return strategy, [_short(d.name) for d in tf.config.list_logical_devices("TPU")]


def _auto(cfg: DeviceConfig) -> str:
    """A TPU when one is named (device.tpu, $TPU_NAME) or attached, else GPUs, else the CPU."""
    if cfg.tpu or os.environ.get("TPU_NAME") or tf.config.list_physical_devices("TPU"):
        return "tpu"
    return "mirrored" if tf.config.list_physical_devices("GPU") else "cpu"


def setup_device(cfg: DeviceConfig, model: ModelConfig | None = None) -> DeviceSetup:
    """Config errors come first, before any strategy waits for hardware or other workers.
    `model` lets `precision: auto` keep float32 for what bfloat16 would not speed up."""
    if cfg.cpu_devices:
        _split_cpu(cfg.cpu_devices)
    if cfg.gpu_devices:
        _split_gpu(cfg.gpu_devices, cfg.gpu_memory_mb)
    kind = _auto(cfg) if cfg.strategy == "auto" else cfg.strategy
    is_chief, role, shard = True, "", (0, 1)
    if kind == "cpu":
        if tf.config.list_physical_devices("GPU"):  # the default strategy would use GPU:0
            tf.config.set_visible_devices([], "GPU")
        strategy, devices = tf.distribute.get_strategy(), ["CPU:0"]
    elif kind == "mirrored":
        strategy, devices = _mirrored(cfg.devices)
    elif kind == "multi_worker":
        strategy, devices = multi_worker_strategy(cfg)
        is_chief, role = task_role(strategy)
        shard = input_shard(strategy)
    else:
        strategy, devices = _tpu(cfg.tpu)
    hardware = "tpu" if kind == "tpu" else (
        "gpu" if any(d.upper().startswith("GPU") for d in devices) else "cpu")
    precision, why = cfg.precision, ""
    if precision == "auto":
        bf16 = cpu_bf16_instructions() if hardware == "cpu" else None
        precision, why = auto_precision(hardware, model, bf16)
    keras.mixed_precision.set_global_policy(precision)
    jit = cfg.jit_compile if isinstance(cfg.jit_compile, bool) else hardware == "gpu"
    return DeviceSetup(strategy, kind, devices, precision, jit, is_chief, role, shard, why)
