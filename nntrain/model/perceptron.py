"""Rosenblatt's perceptron as the course notes teach it: a step unit trained by the perceptron
rule w ← w + η·x·(t − y), not by gradient descent (a step has no useful gradient).

It is a functional keras.Model (Dense `net` → Step `step`) with its own train_step, so fit,
eval, predict (and `--layer net` for the weighted sum), checkpoints and model.keras reloads
work as for any other model. η lives on the Step layer, so the model has no config of its own
and reloads as a plain functional graph. Both classes are registered so load_model finds them
once this module is imported (nntrain.model.build imports it).
"""

from __future__ import annotations

from typing import Any

from nntrain.engine import keras, tf


@keras.saving.register_keras_serializable(package="nntrain")
class Step(keras.layers.Layer):
    """1 where the input is ≥ threshold, else 0: the perceptron's activation, carrying the
    rule's learning rate η for Perceptron.train_step."""

    def __init__(self, threshold: float = 0.0, eta: float = 0.05, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threshold, self.eta = threshold, eta

    def call(self, inputs: Any) -> Any:
        return tf.cast(inputs >= self.threshold, inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "threshold": self.threshold, "eta": self.eta}


@keras.saving.register_keras_serializable(package="nntrain")
class Perceptron(keras.Model):
    """Step(w·x + b) whose weights move only by the perceptron rule.

    With batch_size 1 and shuffle off this is the notes' online loop, example by example; a
    larger batch adds up the batch's corrections before applying them. The bias is the notes'
    w0 for the constant input x0 = -1, with the sign flipped (b = -w0).
    """

    @property
    def eta(self) -> float:
        return self.get_layer("step").eta

    def train_step(self, data: Any) -> dict[str, Any]:
        x, t, weight = keras.utils.unpack_x_y_sample_weight(data)
        y = self(x, training=True)
        error = tf.cast(t, y.dtype) - y
        if weight is not None:  # class_weight arrives as per-example weights
            error *= tf.reshape(tf.cast(weight, y.dtype), (-1, 1))
        net = self.get_layer("net")
        net.kernel.assign_add(self.eta * tf.matmul(tf.cast(x, y.dtype), error, transpose_a=True))
        net.bias.assign_add(self.eta * tf.reduce_sum(error, axis=0))
        self.compute_loss(x, t, y, weight)
        return self.compute_metrics(x, t, y, weight)



def compile_perceptron(model: Any, jit_compile: bool = False) -> None:
    """Loss (mse of 0/1 outputs: the error rate) and accuracy are only reported. The SGD
    optimizer is never applied; it carries η so the metrics' `lr` column shows it."""
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=model.eta), loss="mse",
                  metrics=["accuracy"], jit_compile=jit_compile)
    model.optimizer.build(model.trainable_variables)  # saved like a used one: clean reloads


def build_perceptron(input_shape: list[int | None], eta: float, threshold: float) -> Any:
    """Zero initial weights, as in the notes' algorithm (model.initial_weights overrides)."""
    inputs = keras.Input(shape=tuple(input_shape), name="input")
    net = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros",
                             name="net")(inputs)
    return Perceptron(inputs, Step(threshold, eta, name="step")(net), name="perceptron")
