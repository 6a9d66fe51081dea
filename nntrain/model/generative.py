"""Generative models from YAML (`model.kind: vae | gan`): Keras models with their own
train_step / test_step, so the ordinary fit path (callbacks, checkpoints, the backup that
resumes a killed run, TensorBoard, metrics.csv, curves) trains them unchanged.

Every class here is a registered Keras serializable, so `model.keras` (and the decoder or
generator alone, plain functional models) reload with tf.keras in safe mode once this module
is imported (nntrain.model.build and nntrain.runs.saved_model import it). Random draws come
from `tf.random.Generator`s, whose state is a variable the run's backup holds: a run resumed
after a kill draws the same noise the uninterrupted run drew.
"""

from __future__ import annotations

import random
from typing import Any

from nntrain.config.schema import CompileConfig, ModelConfig, PartConfig
from nntrain.engine import keras, tf
from nntrain.errors import config_error
from nntrain.model import keras_objects
from nntrain.model.build import build_part

# The optimizers of a GAN when the config names none (Radford et al.'s DCGAN settings).
GAN_OPTIMIZER_SPEC = {"type": "Adam", "learning_rate": 0.0002, "beta_1": 0.5}


def _shape(tensor_shape: Any) -> list[Any]:
    return list(tuple(tensor_shape)[1:])


@keras.saving.register_keras_serializable(package="nntrain")
class Sampling(keras.layers.Layer):
    """z = z_mean + exp(z_log_var / 2) · ε with ε ~ N(0, 1) in training (the
    reparameterization trick); z_mean itself otherwise, so reconstructions are repeatable."""

    def __init__(self, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.noise = tf.random.Generator.from_seed(seed)

    def call(self, inputs: Any, training: Any = None) -> Any:
        z_mean, z_log_var = inputs
        if not training:
            return z_mean
        eps = self.noise.normal(tf.shape(z_mean), dtype=z_mean.dtype)
        return z_mean + tf.exp(0.5 * z_log_var) * eps

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class _Generative(keras.Model):
    """What both kinds share: metric trackers, the in-graph finite-loss check fit turns on
    (`nan_marker`, see nntrain.training.divergence) and the part that draws examples."""

    nan_marker: str | None = None
    part_name = ""  # the network saved alone, as <part_name>.keras

    def _trackers(self, *names: str) -> dict[str, Any]:
        return {n: keras.metrics.Mean(name=n) for n in names}

    @property
    def metrics(self) -> list[Any]:
        return list(self.trackers.values())

    def _for_gradients(self, loss: Any) -> Any:
        """The replica's loss as the optimizer takes it: checked to be finite when fit asks,
        and divided by the replicas, whose gradients the optimizer sums (as Keras' own
        compiled loss does)."""
        if self.nan_marker is not None:
            loss = tf.debugging.check_numerics(loss, self.nan_marker)
        return loss / tf.distribute.get_strategy().num_replicas_in_sync

    def _report(self, values: dict[str, Any]) -> dict[str, Any]:
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def sampler(self) -> Any:
        """The network that turns latent points into examples (decoder / generator); a
        method, not a property, so that Keras' saving, which walks attributes, stores it
        once, under its own name."""
        return getattr(self, self.part_name)

    def latent_dim(self) -> int:
        return int(self.sampler().input_shape[-1])


@keras.saving.register_keras_serializable(package="nntrain")
class VAE(_Generative):
    """Kingma & Welling's variational autoencoder: the encoder gives z_mean and z_log_var,
    Sampling draws z, the decoder reconstructs. Loss per example: the reconstruction loss
    summed over the example's values + beta · KL(q(z|x) ‖ N(0, 1)), averaged over the batch."""

    part_name = "decoder"

    def __init__(self, encoder: Any, decoder: Any, beta: float = 1.0,
                 reconstruction_loss: str = "binary_crossentropy", seed: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.beta, self.reconstruction_loss = beta, reconstruction_loss
        self.sampling = Sampling(seed, name="sampling")
        self.loss_fn = keras.losses.get(reconstruction_loss)
        self.trackers = self._trackers("loss", "reconstruction_loss", "kl_loss")
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        z_mean, z_log_var = self.encoder(inputs, training=training)
        return self.decoder(self.sampling([z_mean, z_log_var], training=training),
                            training=training)

    def _terms(self, data: Any, training: bool) -> dict[str, Any]:
        x = data[0] if isinstance(data, tuple) else data
        z_mean, z_log_var = self.encoder(x, training=training)
        z = self.sampling([z_mean, z_log_var], training=training)
        out = tf.cast(self.decoder(z, training=training), "float32")
        n = tf.shape(out)[0]
        per_value = self.loss_fn(tf.reshape(tf.cast(x, "float32"), (n, -1, 1)),
                                 tf.reshape(out, (n, -1, 1)))
        reconstruction = tf.reduce_mean(tf.reduce_sum(per_value, axis=1))
        z_mean, z_log_var = tf.cast(z_mean, "float32"), tf.cast(z_log_var, "float32")
        kl = tf.reduce_mean(tf.reduce_sum(
            -0.5 * (1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var)), axis=1))
        total = reconstruction + self.beta * kl + tf.add_n([0.0] + self.losses)
        return {"loss": total, "reconstruction_loss": reconstruction, "kl_loss": kl}

    def train_step(self, data: Any) -> dict[str, Any]:
        with tf.GradientTape() as tape:
            losses = self._terms(data, training=True)
            loss = self._for_gradients(losses["loss"])
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return self._report(losses)

    def test_step(self, data: Any) -> dict[str, Any]:
        return self._report(self._terms(data, training=False))

    def get_config(self) -> dict[str, Any]:
        return {"encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "beta": self.beta, "reconstruction_loss": self.reconstruction_loss,
                "seed": self.sampling.seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "VAE":
        parts = {k: keras.saving.deserialize_keras_object(config[k])
                 for k in ("encoder", "decoder")}
        return cls(**{**config, **parts})


@keras.saving.register_keras_serializable(package="nntrain")
class GAN(_Generative):
    """Goodfellow et al.'s GAN with the non-saturating loss: per batch, `discriminator_steps`
    discriminator updates (real → 1, generated → 0, each on fresh latent points), then one
    generator update that pushes the discriminator's logit on generated examples towards 1."""

    part_name = "generator"

    def __init__(self, generator: Any, discriminator: Any, discriminator_steps: int = 1,
                 seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.discriminator_steps, self.seed = discriminator_steps, seed
        self.noise = tf.random.Generator.from_seed(seed)
        self.trackers = self._trackers("generator_loss", "discriminator_loss",
                                       "real_accuracy", "fake_accuracy")
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        return self.generator(inputs, training=training)

    def compile(self, generator_optimizer: Any = "adam", discriminator_optimizer: Any = "adam",
                **kwargs: Any) -> None:
        """Two optimizers: model.optimizer is the generator's (its lr is metrics.csv's).
        Both are built here, each on its own network's variables, as training uses them:
        Keras' backup would otherwise build model.optimizer on every variable of the model,
        and model.keras would hold optimizer state no reload matches."""
        super().compile(optimizer=generator_optimizer, **kwargs)
        optimizer = keras.optimizers.get(discriminator_optimizer)
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            optimizer = keras.mixed_precision.LossScaleOptimizer(optimizer)  # as compile does
        self.discriminator_optimizer = optimizer
        self.optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)
        self._gan_compile = {"jit_compile": kwargs.get("jit_compile"),
                             "steps_per_execution": kwargs.get("steps_per_execution", 1)}

    def get_compile_config(self) -> dict[str, Any] | None:
        if not getattr(self, "_is_compiled", False):
            return None
        serialize = keras.optimizers.serialize
        return {"generator_optimizer": serialize(self.optimizer),
                "discriminator_optimizer": serialize(self.discriminator_optimizer),
                **self._gan_compile}

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """load_model compiles (and so builds both optimizers) before restoring their state."""
        get = keras.optimizers.deserialize
        self.compile(get(config.pop("generator_optimizer")),
                     get(config.pop("discriminator_optimizer")), **config)

    def _latent(self, real: Any) -> Any:
        return self.noise.normal((tf.shape(real)[0], self.latent_dim()))

    def _discriminate(self, real: Any, training: bool) -> tuple[Any, dict[str, Any]]:
        fake = self.generator(self._latent(real), training=training)
        real_logit = tf.cast(self.discriminator(real, training=training), "float32")
        fake_logit = tf.cast(self.discriminator(fake, training=training), "float32")
        loss = _cross_entropy(real_logit, 1.0) + _cross_entropy(fake_logit, 0.0)
        return loss, {"discriminator_loss": loss,
                      "real_accuracy": tf.reduce_mean(tf.cast(real_logit > 0, "float32")),
                      "fake_accuracy": tf.reduce_mean(tf.cast(fake_logit < 0, "float32"))}

    def _generator_loss(self, real: Any, training: bool) -> Any:
        fake = self.generator(self._latent(real), training=training)
        logit = tf.cast(self.discriminator(fake, training=training), "float32")
        return _cross_entropy(logit, 1.0)

    def train_step(self, data: Any) -> dict[str, Any]:
        real = data[0] if isinstance(data, tuple) else data
        for _ in range(self.discriminator_steps):
            with tf.GradientTape() as tape:
                d_loss, values = self._discriminate(real, training=True)
                d_loss = self._for_gradients(
                    d_loss + tf.add_n([0.0] + self.discriminator.losses))
            self.discriminator_optimizer.minimize(
                d_loss, self.discriminator.trainable_variables, tape=tape)
        with tf.GradientTape() as tape:
            g_loss = self._generator_loss(real, training=True)
            loss = self._for_gradients(g_loss + tf.add_n([0.0] + self.generator.losses))
        self.optimizer.minimize(loss, self.generator.trainable_variables, tape=tape)
        return self._report({**values, "generator_loss": g_loss})

    def test_step(self, data: Any) -> dict[str, Any]:
        real = data[0] if isinstance(data, tuple) else data
        _, values = self._discriminate(real, training=False)
        return self._report({**values, "generator_loss": self._generator_loss(real, False)})

    def get_config(self) -> dict[str, Any]:
        return {"generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "discriminator_steps": self.discriminator_steps, "seed": self.seed,
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "GAN":
        parts = {k: keras.saving.deserialize_keras_object(config[k])
                 for k in ("generator", "discriminator")}
        return cls(**{**config, **parts})


def _cross_entropy(logits: Any, label: float) -> Any:
    """The batch's mean binary cross-entropy of logits against one label."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        tf.fill(tf.shape(logits), label), logits))


def _from_latent(part: PartConfig, name: str, latent_dim: int, float32: bool) -> Any:
    """A decoder / generator: its input is the latent vector, [latent_dim] unless given."""
    if part.inputs is None and part.input_shape is None:
        part = part.model_copy(update={"input_shape": [latent_dim]})
    model = build_part(part, name, float32)
    if _shape(model.input_shape) != [latent_dim]:
        raise config_error(f"the {name} takes inputs of shape {_shape(model.input_shape)}, but "
                           f"the latent vector has shape [{latent_dim}] (model.latent_dim)",
                           f"model.{name}.input_shape" if part.inputs is None
                           else f"model.{name}.inputs", f"leave it out or set it to [{latent_dim}]")
    return model


def _one_output(model: Any, name: str) -> list[Any]:
    if len(model.outputs) != 1:
        raise config_error(f"the {name} has {len(model.outputs)} outputs; it needs one",
                           f"model.{name}.outputs")
    return _shape(model.output_shape)


def _encoder(cfg: ModelConfig, float32: bool) -> Any:
    """The configured layers, flattened when they end in a feature map, then the z_mean and
    z_log_var heads (Dense(latent_dim) each)."""
    body = build_part(cfg.encoder, "encoder")  # type: ignore[arg-type]
    features = body.outputs[0] if len(_one_output(body, "encoder")) == 1 else \
        keras.layers.Flatten(name="flatten_features")(body.outputs[0])
    dtype = "float32" if float32 else None
    heads = [keras.layers.Dense(cfg.latent_dim, name=n, dtype=dtype)(features)
             for n in ("z_mean", "z_log_var")]
    return keras.Model(body.inputs, heads, name="encoder")


def _check_output(got: list[Any], want: list[Any], what: str, path: str, hint: str) -> None:
    if got != want:
        raise config_error(f"{what} has shape {got}, but {hint}", path)


def build_vae(cfg: ModelConfig, float32: bool) -> VAE:
    encoder = _encoder(cfg, float32)
    decoder = _from_latent(cfg.decoder, "decoder", cfg.latent_dim, float32)  # type: ignore[arg-type]
    data_shape = _shape(encoder.input_shape)
    _check_output(_one_output(decoder, "decoder"), data_shape, "the decoder's output",
                  "model.decoder", f"it must reconstruct the encoder's input, of shape "
                  f"{data_shape} (model.encoder.input_shape)")
    return VAE(encoder, decoder, cfg.beta, seed=random.randrange(2**31), name="vae")


def build_gan(cfg: ModelConfig, float32: bool) -> GAN:
    discriminator = build_part(cfg.discriminator, "discriminator", float32)  # type: ignore[arg-type]
    out = _one_output(discriminator, "discriminator")
    last = f"model.discriminator.layers[{len(cfg.discriminator.layers) - 1}]"  # type: ignore[union-attr]
    _check_output(out, [1], "the discriminator's output", last,
                  "a discriminator ends in one unit (one logit per example: Dense with units: 1 "
                  "and no activation)")
    generator = _from_latent(cfg.generator, "generator", cfg.latent_dim, float32)  # type: ignore[arg-type]
    data_shape = _shape(discriminator.input_shape)
    _check_output(_one_output(generator, "generator"), data_shape, "the generator's output",
                  "model.generator", f"it must be an example of the data's shape, {data_shape} "
                  "(model.discriminator.input_shape)")
    return GAN(generator, discriminator, cfg.discriminator_steps, random.randrange(2**31),
               name="gan")


def build_generative(cfg: ModelConfig, float32_outputs: bool = False) -> Any:
    """The model of `model.kind` (seeds set before, as for any model)."""
    return (build_vae if cfg.kind == "vae" else build_gan)(cfg, float32_outputs)


def compile_generative(model: Any, cfg: CompileConfig, jit_compile: bool = False) -> None:
    """VAE: compile.optimizer, and compile.loss as the reconstruction loss; GAN: its two
    optimizers (the DCGAN settings where the config names none)."""
    kwargs = {"jit_compile": jit_compile, "steps_per_execution": cfg.steps_per_execution}
    if isinstance(model, GAN):
        model.compile(*(keras_objects.optimizer(spec or GAN_OPTIMIZER_SPEC, f"compile.{name}")
                        for name, spec in (("generator_optimizer", cfg.generator_optimizer),
                                           ("discriminator_optimizer",
                                            cfg.discriminator_optimizer))), **kwargs)
        return
    model.reconstruction_loss = str(cfg.loss)
    model.loss_fn = keras_objects.loss(cfg.loss, "compile.loss")
    model.compile(optimizer=keras_objects.optimizer(cfg.optimizer), **kwargs)


def check_data(model: Any, example_shape: tuple[int, ...]) -> None:
    """The data's examples have the shape the encoder / discriminator takes (before the run
    directory exists, like nntrain.training.preflight's checks)."""
    name = "encoder" if isinstance(model, VAE) else "discriminator"
    want = _shape(getattr(model, name).input_shape)
    got = list(example_shape)
    if len(got) != len(want) or any(w is not None and g != w for g, w in zip(got, want)):
        raise config_error(f"the {name} takes examples of shape {want}, but the data's have "
                           f"shape {got}", f"model.{name}.input_shape",
                           f"set it to {got}, or reshape the data with data.preprocess.reshape")
