"""The typed config: one tree of classes gives validation, defaults and the JSON Schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nntrain.config.addresses import parse_host_port
from nntrain.config.data_schema import DataConfig, Strict
from nntrain.config.tune_schema import TuneConfig

# A Keras object by name (`relu`, `adam`) or as {type: ClassName, ...constructor arguments}.
KerasSpec = str | dict[str, Any]
# An example's shape (batch excluded): positive sizes, null for a size that varies.
Shape = list[Annotated[int, Field(gt=0)] | None]
# A run is written to <output.dir>/<name>/: the name must stay one folder inside it.
MAX_NAME_LENGTH = 100


def is_per_output(value: Any) -> bool:
    """A mapping without `type` maps output names to values (loss: {age: mse}); with `type` it
    is one Keras object (loss: {type: Huber, delta: 2})."""
    return isinstance(value, dict) and "type" not in value


def model_output_names(model: Any) -> set[str]:
    """The names a per-output mapping may use, from the raw `model:` section: the functional
    form's `outputs`, or the named last layer of a sequential model."""
    if not isinstance(model, dict):
        return set()
    if isinstance(model.get("outputs"), list):
        return {str(o) for o in model["outputs"]}
    layers = model.get("layers") if isinstance(model.get("layers"), list) else []
    last = layers[-1] if layers and isinstance(layers[-1], dict) else {}
    return {str(last["name"])} if isinstance(last.get("name"), str) else set()


def run_name_problem(name: str) -> str | None:
    """Why `name` cannot be a run's folder name (one path component), or None."""
    if not name or name in {".", ".."}:
        return f"{name!r} is not a folder name; a run name is one folder name inside output.dir"
    bad = sorted({c for c in name if c in "/\\\0" or not c.isprintable()})
    if bad:
        return (f"it holds {', '.join(map(repr, bad))}; a run name is one folder name inside "
                "output.dir")
    if len(name) > MAX_NAME_LENGTH:
        return f"a run name is at most {MAX_NAME_LENGTH} characters, this one has {len(name)}"
    return None


def _check_spec(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value.get("type"), str):
        raise ValueError("a Keras object given as a mapping needs `type: ClassName`")
    return value


class LayerConfig(BaseModel):
    """One layer: `type` is the Keras class; every other key is its constructor argument."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(..., description="Keras layer class, e.g. Dense")
    name: str | None = None
    inputs: str | list[str] | None = Field(None, description="functional form: input layer names")

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class InputConfig(Strict):
    name: str
    shape: Shape
    dtype: str = "float32"


class PerceptronConfig(Strict):
    """The notes' rule w ← w + η·x·(t − y) with a step at 0: no gradient descent."""

    learning_rate: float = Field(0.05, gt=0)
    threshold: float = 0.0


class PartConfig(Strict):
    """One network of a generative model (encoder, decoder, generator, discriminator), in the
    sequential form (`layers`, and `input_shape` where the part takes the data) or the
    functional form (`inputs`, `layers`, `outputs`)."""

    input_shape: Shape | None = Field(
        None, description="decoder / generator: default [latent_dim]")
    inputs: list[InputConfig] | None = None
    layers: list[LayerConfig] = Field(..., min_length=1)
    outputs: list[str] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "PartConfig":
        if bool(self.inputs) != bool(self.outputs):
            raise ValueError("the functional form needs both `inputs` and `outputs`")
        if self.inputs and self.input_shape is not None:
            raise ValueError("`input_shape` belongs to the sequential form; the functional "
                             "form gives `inputs`")
        return self


# The parts each kind of generative model takes: those it needs, those it must not have.
GENERATIVE_PARTS = {"vae": ("encoder", "decoder"), "gan": ("generator", "discriminator")}


class ModelConfig(Strict):
    kind: Literal["vae", "gan"] | None = Field(
        None, description="a generative model: vae (encoder, latent_dim, decoder) or gan "
                          "(generator, discriminator, latent_dim)")
    latent_dim: int | None = Field(None, gt=0, le=100_000, description="vae / gan: the latent "
                                   "vector's size")
    encoder: PartConfig | None = Field(None, description="vae: the data → the layer the "
                                       "z_mean / z_log_var heads sit on")
    decoder: PartConfig | None = Field(None, description="vae: the latent vector → an example")
    generator: PartConfig | None = Field(None, description="gan: the latent vector → an example")
    discriminator: PartConfig | None = Field(None, description="gan: an example → one logit")
    beta: float = Field(1.0, ge=0, description="vae: weight of the KL term")
    discriminator_steps: int = Field(1, ge=1, le=100, description="gan: discriminator updates "
                                     "per generator update, each on fresh latent points")
    type: Literal["sequential", "functional", "perceptron"] | None = Field(
        None, description="default: functional when `inputs` is given, else sequential"
    )
    input_shape: Shape | None = None
    inputs: list[InputConfig] | None = None
    layers: list[LayerConfig] = Field(default_factory=list)
    outputs: list[str] | None = None
    perceptron: PerceptronConfig | None = None
    initial_weights: str | None = Field(
        None, description="an .npz of arrays (one per weight, in model.get_weights() order) to start from"
    )
    compare_with_ols: bool = Field(
        False, description="a single Dense(1) linear model: write ols.csv (learned weights next "
                           "to least squares on the same preprocessed data) and ols_weights.npz")

    @model_validator(mode="after")
    def _resolve_type(self) -> "ModelConfig":
        if self.kind is not None or self._generative_fields():
            return self._generative()
        if self.type is None:
            self.type = "functional" if self.inputs else "sequential"
        if self.type == "functional":
            if not self.inputs:
                raise ValueError("the functional form needs `inputs`")
            if not self.outputs:
                raise ValueError("the functional form needs `outputs`")
        elif self.inputs or self.outputs:
            raise ValueError("`inputs` / `outputs` belong to the functional form; "
                             "a sequential model takes `input_shape`")
        if self.type in ("sequential", "perceptron") and self.input_shape is None:
            raise ValueError(f"a {self.type} model needs `input_shape` (the shape of one "
                             "example, e.g. [4] for four features)")
        if self.type == "perceptron":
            if self.layers:
                raise ValueError("a perceptron is one fixed step unit; it takes no `layers`")
            self.perceptron = self.perceptron or PerceptronConfig()
        elif self.perceptron is not None:
            raise ValueError("`perceptron` settings belong to `type: perceptron`")
        elif not self.layers:
            raise ValueError("a model needs at least one layer")
        if self.compare_with_ols and not self._is_linear_unit():
            raise ValueError("compare_with_ols needs a sequential model of one Dense layer with "
                             "units: 1 and a linear activation")
        return self

    @property
    def layer_count(self) -> int:
        """The model's layers as configured; a generative model's, over its parts."""
        parts = [getattr(self, p) for p in GENERATIVE_PARTS.get(self.kind or "", ())]
        return sum(len(p.layers) for p in parts if p is not None) or len(self.layers)

    def _generative_fields(self) -> list[str]:
        parts = [p for p in ("encoder", "decoder", "generator", "discriminator", "latent_dim")
                 if getattr(self, p) is not None]
        return parts + (["beta"] if self.beta != 1.0 else []) + \
            (["discriminator_steps"] if self.discriminator_steps != 1 else [])

    def _generative(self) -> "ModelConfig":
        """kind: vae | gan takes its parts and latent_dim, and nothing of the other forms."""
        if self.kind is None:
            raise ValueError(f"`{self._generative_fields()[0]}` belongs to a generative model: "
                             "set `kind: vae` or `kind: gan`")
        needed = GENERATIVE_PARTS[self.kind] + ("latent_dim",)
        missing = [p for p in needed if getattr(self, p) is None]
        if missing:
            raise ValueError(f"a {self.kind} needs {', '.join(f'`{m}`' for m in missing)}")
        other = {"vae": ("generator", "discriminator", "discriminator_steps"),
                 "gan": ("encoder", "decoder", "beta")}[self.kind]
        given = [f for f in other if f in self._generative_fields()]
        given += [f for f in ("type", "input_shape", "inputs", "outputs", "layers",
                              "perceptron", "initial_weights") if getattr(self, f)]
        if given or self.compare_with_ols:
            wrong = given[0] if given else "compare_with_ols"
            raise ValueError(f"`{wrong}` does not belong to a {self.kind}: it takes "
                             f"{', '.join(needed)} (see README, \"Generative models\")")
        return self

    def _is_linear_unit(self) -> bool:
        if self.type != "sequential" or len(self.layers) != 1:
            return False
        layer = self.layers[0]
        return layer.type == "Dense" and layer.args.get("units") == 1 and \
            layer.args.get("activation") in (None, "linear")


class CompileConfig(Strict):
    optimizer: KerasSpec = Field("adam", description="Keras optimizer name or {type, args}")
    generator_optimizer: KerasSpec | None = Field(
        None, description="gan: default {type: Adam, learning_rate: 0.0002, beta_1: 0.5}")
    discriminator_optimizer: KerasSpec | None = Field(
        None, description="gan: default {type: Adam, learning_rate: 0.0002, beta_1: 0.5}")
    loss: KerasSpec | dict[str, KerasSpec] = Field(
        ..., description="Keras loss, or a mapping output name → loss (a vae's or gan's "
                         "defaults to binary_crossentropy)"
    )
    loss_weights: dict[str, float] | list[float] | None = None
    metrics: list[KerasSpec] | dict[str, KerasSpec | list[KerasSpec]] = Field(default_factory=list)
    steps_per_execution: int = Field(1, ge=1, le=100_000)

    _spec = field_validator("optimizer", "generator_optimizer",
                            "discriminator_optimizer")(_check_spec)


class TrainConfig(Strict):
    batch_size: int = Field(32, ge=1, le=1_000_000, description="global batch size")
    epochs: int = Field(10, ge=1, le=1_000_000)
    shuffle: bool = True
    class_weight: dict[int, float] | None = None
    steps_per_epoch: int | None = Field(None, ge=1)
    deterministic: bool = Field(
        False, description="TensorFlow's op determinism: bit-for-bit the same run from the same "
                           "seed and data, at some cost in speed")


def _true_means_defaults(value: Any) -> Any:
    return {} if value is True else (None if value is False else value)


class EarlyStoppingConfig(Strict):
    monitor: str = "val_loss"
    min_delta: float = Field(0.0, ge=0)
    patience: int = Field(0, ge=0)
    mode: Literal["auto", "min", "max"] = "auto"
    restore_best_weights: bool = False
    baseline: float | None = None
    start_from_epoch: int = Field(0, ge=0)


class TensorBoardConfig(Strict):
    histogram_freq: int = Field(0, ge=0)
    write_graph: bool = True
    update_freq: Literal["epoch", "batch"] | int = "epoch"


class CheckpointConfig(Strict):
    monitor: str = "val_loss"
    mode: Literal["auto", "min", "max"] = "auto"
    every_seconds: float = Field(
        30.0, ge=0, description="write best/last .keras files at most this often (and at the end)")


class ReduceLROnPlateauConfig(Strict):
    monitor: str = "val_loss"
    factor: float = Field(0.1, gt=0, lt=1)
    patience: int = Field(10, ge=0)
    min_delta: float = Field(1e-4, ge=0)
    cooldown: int = Field(0, ge=0)
    min_lr: float = Field(0.0, ge=0)
    mode: Literal["auto", "min", "max"] = "auto"


class CallbacksConfig(Strict):
    early_stopping: EarlyStoppingConfig | None = None
    tensorboard: TensorBoardConfig | None = Field(default_factory=TensorBoardConfig)
    checkpoint: CheckpointConfig | None = Field(default_factory=CheckpointConfig)
    reduce_lr_on_plateau: ReduceLROnPlateauConfig | None = None

    _bools = field_validator(
        "early_stopping", "tensorboard", "checkpoint", "reduce_lr_on_plateau", mode="before"
    )(_true_means_defaults)


class DeviceConfig(Strict):
    strategy: Literal["auto", "cpu", "mirrored", "multi_worker", "tpu"] = Field(
        "auto", description="auto: a TPU if one is named or attached, else every visible GPU "
                            "(mirrored), else the CPU")
    devices: list[str] | None = Field(None, description="mirrored: devices to use, e.g. [/gpu:0, /gpu:1]")
    cpu_devices: int | None = Field(
        None, ge=1, le=64, description="split the CPU into this many logical devices (to try "
                                       "mirrored on a machine without GPUs)")
    gpu_devices: int | None = Field(
        None, ge=1, le=16, description="split the first GPU into this many logical GPUs of "
                                       "gpu_memory_mb each (to run mirrored's multi-replica "
                                       "path on a machine with one GPU)")
    gpu_memory_mb: int = Field(4096, ge=256, description="gpu_devices: the memory each "
                                                         "logical GPU may use, in MiB")
    workers: list[str] | None = Field(
        None, description="multi_worker: host:port of every worker, the same list on every "
                          "machine (instead of TF_CONFIG)")
    task_index: int | None = Field(None, ge=0, description="multi_worker: this machine's index in workers")
    cluster: Literal["auto", "tf_config", "slurm"] = Field(
        "auto", description="multi_worker without device.workers: where the cluster comes from; "
                            "auto: $TF_CONFIG (Kubeflow's TFJob sets it), else Slurm's "
                            "variables inside an srun step")
    port: int = Field(12345, ge=1, le=65535 - 64, description="slurm: the first worker's port on "
                      "each node (a node's further tasks take the next ports)")
    tpu: str | None = Field(None, description="tpu: TPU name or grpc:// address (default: "
                                              "$TPU_NAME, else the TPU of this VM)")
    precision: Literal["auto", "float32", "mixed_float16", "mixed_bfloat16", "float16",
                       "bfloat16", "float64"] = Field(
        "auto", description="Keras dtype policy; auto: mixed_float16 on GPU, mixed_bfloat16 "
                            "on TPU and on CPUs with AMX-BF16 or AVX512_BF16 (float32 for "
                            "recurrent layers there), float32 on other CPUs")
    jit_compile: Literal["auto"] | bool = Field(
        "auto", description="XLA; auto: on for GPUs, off on the CPU (slower there)")
    worker_timeout: float = Field(
        120.0, gt=0, description="seconds to wait for every worker (or the TPU) to come up")

    @field_validator("workers")
    @classmethod
    def _host_port(cls, workers: list[str] | None) -> list[str] | None:
        for w in workers or []:
            parse_host_port(w)
        return workers

    @model_validator(mode="after")
    def _task_in_workers(self) -> "DeviceConfig":
        if self.workers and self.strategy == "multi_worker" and self.task_index is None:
            raise ValueError("`task_index` (this machine's position in `workers`, 0 for the "
                             "first) is needed with `workers`")
        if self.workers and self.task_index is not None and self.task_index >= len(self.workers):
            raise ValueError(f"`task_index` {self.task_index} is past the end of `workers` "
                             f"({len(self.workers)} entries)")
        return self


class OutputConfig(Strict):
    dir: str = Field("runs", description="runs go to <dir>/<name>/<timestamp>")


class Config(Strict):
    name: str | None = Field(None, description="run name; default: the config file's stem")
    seed: int | None = Field(None, ge=0, lt=2**31, description="default: drawn and recorded")
    data: DataConfig
    model: ModelConfig
    compile: CompileConfig | None = None
    train: TrainConfig = Field(default_factory=TrainConfig)
    callbacks: CallbacksConfig = Field(default_factory=CallbacksConfig)
    device: DeviceConfig = Field(default_factory=DeviceConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    tune: TuneConfig | None = Field(None, description="`nntrain tune`: the values to search; "
                                    "`nntrain fit` trains the config's own values")

    @field_validator("name")
    @classmethod
    def _one_folder(cls, name: str | None) -> str | None:
        problem = run_name_problem(name) if name is not None else None
        if problem:
            raise ValueError(problem)
        return name

    @model_validator(mode="before")
    @classmethod
    def _generative_loss(cls, data: Any) -> Any:
        """A VAE's or GAN's compile.loss defaults to binary_crossentropy (the VAE's
        reconstruction loss for [0, 1] pixels; the GAN's non-saturating loss on logits)."""
        model = data.get("model") if isinstance(data, dict) else None
        if isinstance(model, dict) and model.get("kind") in GENERATIVE_PARTS:
            if data.get("compile") is None:
                data = {**data, "compile": {}}
            if isinstance(data["compile"], dict) and "loss" not in data["compile"]:
                data = {**data, "compile": {**data["compile"], "loss": "binary_crossentropy"}}
        return data

    @model_validator(mode="after")
    def _generative_compile(self) -> "Config":
        kind, comp = self.model.kind, self.compile
        if comp is None:
            return self
        gan_only = [f for f in ("generator_optimizer", "discriminator_optimizer")
                    if getattr(comp, f) is not None]
        if kind != "gan" and gan_only:
            raise ValueError(f"compile.{gan_only[0]} belongs to `model.kind: gan`")
        if kind is not None and comp.metrics:
            raise ValueError(f"a {kind} reports its own metrics (see README, \"Generative "
                             "models\"): leave compile.metrics out")
        if kind == "gan" and comp.optimizer != "adam":  # the default: a config.yaml has it
            raise ValueError("a gan trains two networks: set compile.generator_optimizer and "
                             "compile.discriminator_optimizer instead of compile.optimizer")
        if kind == "gan" and comp.loss != "binary_crossentropy":
            raise ValueError("a gan trains on the non-saturating loss: compile.loss is "
                             "binary_crossentropy (on the discriminator's logit) or left out")
        if kind == "vae" and not isinstance(comp.loss, str):
            raise ValueError("a vae's compile.loss is the reconstruction loss, by name: "
                             "binary_crossentropy for [0, 1] pixels, mse otherwise")
        return self

    @model_validator(mode="after")
    def _compile_unless_perceptron(self) -> "Config":
        if self.compile is None and self.model.type != "perceptron":
            raise ValueError("`compile` (optimizer, loss, metrics) is required")
        if self.compile is not None and self.model.type == "perceptron":
            raise ValueError("a perceptron learns by its own rule (model.perceptron), not by "
                             "an optimizer and a loss: leave `compile` out")
        return self
