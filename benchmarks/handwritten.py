"""The plainest good hand-written Keras script for each benchmark workload.

What a user would write without nntrain: build the model, `model.fit` on a tf.data pipeline
(cache, shuffle, batch, prefetch), verbose=0. It prints one JSON line with the seconds of every
epoch, so bench.py compares it with nntrain's metrics.csv on the same footing.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras


def model_for(workload: str) -> keras.Model:
    layers = keras.layers
    if workload == "cnn":
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    if workload == "mlp":
        return keras.Sequential([keras.Input((784,)), layers.Dense(64, activation="relu"),
                                 layers.Dense(10, activation="softmax")])
    if workload == "lstm":
        return keras.Sequential([keras.Input((100,)), layers.Embedding(10000, 32),
                                 layers.LSTM(32), layers.Dense(1, activation="sigmoid")])
    return keras.Sequential([keras.Input((2,)), layers.Dense(8, activation="tanh"),
                             layers.Dense(1, activation="sigmoid")])


LOSS = {"cnn": "sparse_categorical_crossentropy", "mlp": "sparse_categorical_crossentropy",
        "lstm": "binary_crossentropy", "xor": "binary_crossentropy"}


class EpochTimes(keras.callbacks.Callback):
    """Wall time from one epoch's end to the next, as nntrain's metrics.csv `seconds`."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def on_train_begin(self, logs=None):
        self.since = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.times.append(now - self.since)
        self.since = now


def plot_curves(history: dict, path: str) -> None:
    """What the notes do after every experiment: one panel per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(history), figsize=(5 * len(history), 4))
    for ax, (name, values) in zip(axes, history.items()):
        ax.plot(range(1, len(values) + 1), values, label=name)
        ax.set_xlabel("epoch")
        ax.legend()
    fig.savefig(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["cnn", "mlp", "lstm", "xor"])
    ap.add_argument("--data", required=True, help="npz with x, y")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--numpy", action="store_true", help="feed NumPy arrays instead of tf.data")
    ap.add_argument("--save", help="save the model here at the end (whole-process runs)")
    ap.add_argument("--outputs", help="also write what a run of nntrain shows here: TensorBoard "
                    "events, metrics.csv (CSVLogger) and curves.png (matplotlib)")
    args = ap.parse_args()

    keras.utils.set_random_seed(1)
    with np.load(args.data) as npz:
        x, y = npz["x"], npz["y"]
    model = model_for(args.workload)
    lr = 0.05 if args.workload == "xor" else 0.001
    model.compile(keras.optimizers.Adam(lr), LOSS[args.workload], ["accuracy"])
    timer = EpochTimes()
    callbacks = [timer]
    if args.outputs:
        callbacks += [keras.callbacks.TensorBoard(os.path.join(args.outputs, "tensorboard")),
                      keras.callbacks.CSVLogger(os.path.join(args.outputs, "metrics.csv"))]
    if args.numpy:
        history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0,
                            callbacks=callbacks)
    else:
        ds = (tf.data.Dataset.from_tensor_slices((x, y)).cache().shuffle(len(x), seed=1)
              .batch(args.batch_size).prefetch(tf.data.AUTOTUNE))
        history = model.fit(ds, epochs=args.epochs, verbose=0, callbacks=callbacks)
    if args.save:
        model.save(args.save)
    if args.outputs:
        plot_curves(history.history, os.path.join(args.outputs, "curves.png"))
    print(json.dumps({"epoch_seconds": timer.times, "n": len(x)}))


if __name__ == "__main__":
    main()
