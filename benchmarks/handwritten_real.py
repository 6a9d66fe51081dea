"""The plain Keras scripts a user writes for bench.py's real-data workloads (`--real`).

    python benchmarks/handwritten_real.py fmnist_cnn --limit 20000 --epochs 3
    python benchmarks/handwritten_real.py fortunes_lstm --epochs 10

fmnist_cnn is keras.io's "Simple MNIST convnet" on Fashion-MNIST, fmnist_mlp a 784-128-10 MLP:
both read Debian's dataset-fashion-mnist files, keep the uint8 images and put a Rescaling layer
first, hold out the first 5,000 training images for validation (nntrain's `validation_size:
5000`) and train on the next ones up to `--limit`, with a validation pass each epoch.
fortunes_lstm: Embedding + LSTM(32) on fortune(6) entries, `computers` vs `people`, as
configs/text_lstm.yaml. Prints one JSON line: the seconds of every epoch, the test accuracy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import time
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
layers = keras.layers
# Debian's dataset-fashion-mnist, else where keras.datasets.fashion_mnist.load_data() put it.
FASHION = next((p for p in (Path("/usr/share/datasets/fashion-mnist"),
                            Path.home() / ".keras/datasets/fashion-mnist") if p.is_dir()),
               Path("/usr/share/datasets/fashion-mnist"))
FORTUNES = Path("/usr/share/games/fortunes")
VALIDATION = 5000


def idx(name: str) -> np.ndarray:
    raw = gzip.decompress((FASHION / f"{name}.gz").read_bytes())
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion(limit: int) -> tuple:
    x, y = idx("train-images-idx3-ubyte"), idx("train-labels-idx1-ubyte")
    x_test, y_test = idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte")
    x, y = x[:limit, ..., None], y[:limit].astype("int64")
    return ((x[VALIDATION:], y[VALIDATION:]), (x[:VALIDATION], y[:VALIDATION]),
            (x_test[..., None], y_test.astype("int64")))


def fortunes(seed: int) -> tuple:
    """computers (0) vs people (1); an entry in both files is dropped; 20% test, then 20% of
    the rest for validation."""
    groups = [{e.strip() for e in re.split(r"^%[ \t]*$", (FORTUNES / c).read_text(
        errors="replace"), flags=re.M) if e.strip()} for c in ("computers", "people")]
    both = groups[0] & groups[1]
    texts = [(t, i) for i, g in enumerate(groups) for t in sorted(g - both)]
    order = np.random.default_rng(seed).permutation(len(texts))
    x = np.array([texts[i][0] for i in order])
    y = np.array([texts[i][1] for i in order], "float32")
    n_test = round(0.2 * len(x))
    n_val = round(0.2 * (len(x) - n_test))
    train, val, test = slice(n_test + n_val, None), slice(n_test, n_test + n_val), slice(n_test)
    vectorize = layers.TextVectorization(max_tokens=10000, output_sequence_length=100)
    vectorize.adapt(x[train])
    ids = vectorize(x).numpy()
    return (ids[train], y[train]), (ids[val], y[val]), (ids[test], y[test])


def model_for(workload: str) -> keras.Model:
    if workload == "fmnist_cnn":  # keras.io/examples/vision/mnist_convnet
        return keras.Sequential([
            keras.Input((28, 28, 1), dtype="uint8"), layers.Rescaling(1 / 255),
            layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dropout(0.5),
            layers.Dense(10, activation="softmax", dtype="float32")])
    if workload == "fmnist_mlp":
        return keras.Sequential([
            keras.Input((28, 28, 1), dtype="uint8"), layers.Rescaling(1 / 255), layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax", dtype="float32")])
    return keras.Sequential([
        keras.Input((100,)), layers.Embedding(10000, 32, mask_zero=True), layers.LSTM(32),
        layers.Dense(1, activation="sigmoid", dtype="float32")])


class EpochTimes(keras.callbacks.Callback):
    """Wall time from one epoch's end to the next (validation included), as nntrain's
    metrics.csv `seconds`."""

    def on_train_begin(self, logs=None):
        self.times, self.since = [], time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.times.append(now - self.since)
        self.since = now


def pipeline(split: tuple, batch: int, shuffle: bool) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices(split).cache()
    if shuffle:
        ds = ds.shuffle(len(split[0]), seed=1)
    return ds.batch(batch).prefetch(tf.data.AUTOTUNE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["fmnist_cnn", "fmnist_mlp", "fortunes_lstm"])
    ap.add_argument("--limit", type=int, default=60000, help="Fashion-MNIST: first N images")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--precision", default="float32", help="a Keras dtype policy")
    ap.add_argument("--jit-compile", action="store_true", help="XLA")
    args = ap.parse_args()

    keras.utils.set_random_seed(1)
    keras.mixed_precision.set_global_policy(args.precision)
    lstm = args.workload == "fortunes_lstm"
    train, val, test = fortunes(1) if lstm else fashion(args.limit)
    model = model_for(args.workload)
    model.compile("rmsprop" if lstm else "adam",
                  "binary_crossentropy" if lstm else "sparse_categorical_crossentropy",
                  ["accuracy"], jit_compile=args.jit_compile)
    timer = EpochTimes()
    model.fit(pipeline(train, args.batch_size, True), epochs=args.epochs, verbose=0,
              validation_data=pipeline(val, args.batch_size, False), callbacks=[timer])
    _, accuracy = model.evaluate(pipeline(test, args.batch_size, False), verbose=0)
    out = {"epoch_seconds": timer.times, "n": len(train[0]), "test_accuracy": float(accuracy)}
    if tf.config.list_logical_devices("GPU"):
        out["peak_gpu_bytes"] = tf.config.experimental.get_memory_info("GPU:0")["peak"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
