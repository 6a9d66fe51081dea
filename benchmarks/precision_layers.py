"""Which layer kinds mixed_bfloat16 makes faster on this CPU: the evidence behind the rule of
`device.precision: auto` (nntrain/device/precision.py).

    python benchmarks/precision_layers.py            # --reps 2; --only mlp_small cnn ...

Each workload is plain Keras on random arrays of the real shapes (no nntrain in the loop, so
only the arithmetic differs), trained 3 epochs in a process of its own under float32, then
under mixed_bfloat16 (the output layer float32, as nntrain builds it); samples/s is the
median of epochs 2..3, the speed-up is per repetition, then the median (min–max).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

N = 12_800
WORKLOADS = {  # name → (input shape, integer inputs below this, layers before the output)
    "mlp_small": ((784,), None, [("Dense", {"units": 128, "activation": "relu"})]),
    "mlp_256": ((784,), None, [("Dense", {"units": 256, "activation": "relu"}),
                               ("Dense", {"units": 256, "activation": "relu"})]),
    "mlp_512": ((784,), None, [("Dense", {"units": 512, "activation": "relu"}),
                               ("Dense", {"units": 512, "activation": "relu"})]),
    "mlp_wide": ((784,), None, [("Dense", {"units": 1024, "activation": "relu"}),
                                ("Dense", {"units": 1024, "activation": "relu"})]),
    "cnn": ((28, 28, 1), None, [("Conv2D", {"filters": 32, "kernel_size": 3, "activation": "relu"}),
                                ("MaxPooling2D", {"pool_size": 2}),
                                ("Conv2D", {"filters": 64, "kernel_size": 3, "activation": "relu"}),
                                ("MaxPooling2D", {"pool_size": 2}), ("Flatten", {})]),
    "conv1d": ((100,), 10_000, [("Embedding", {"input_dim": 10_000, "output_dim": 32}),
                                ("Conv1D", {"filters": 64, "kernel_size": 5, "activation": "relu"}),
                                ("GlobalMaxPooling1D", {})]),
    "embedding_dense": ((100,), 10_000, [("Embedding", {"input_dim": 10_000, "output_dim": 32}),
                                         ("GlobalAveragePooling1D", {}),
                                         ("Dense", {"units": 64, "activation": "relu"})]),
    "lstm": ((100,), 10_000, [("Embedding", {"input_dim": 10_000, "output_dim": 32}),
                              ("LSTM", {"units": 32})]),
}


def train(workload: str, policy: str) -> float:
    """In this process: samples/s of epochs 2..3."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import numpy as np
    import tensorflow as tf

    keras = tf.keras
    keras.mixed_precision.set_global_policy(policy)
    shape, vocabulary, layers = WORKLOADS[workload]
    rng = np.random.default_rng(0)
    x = (rng.integers(0, vocabulary, (N, *shape)) if vocabulary
         else rng.random((N, *shape), dtype="float32"))
    y = rng.integers(0, 10, N)
    model = keras.Sequential([keras.Input(shape)] + [getattr(keras.layers, kind)(**args)
                                                     for kind, args in layers]
                             + [keras.layers.Dense(10, activation="softmax", dtype="float32")])
    model.compile("adam", "sparse_categorical_crossentropy")
    times: list[float] = []

    class Times(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(128).cache().prefetch(2)
    model.fit(ds, epochs=3, verbose=0, callbacks=[Times()])
    return N / statistics.median(times[1:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=list(WORKLOADS))
    ap.add_argument("--one", nargs=2, metavar=("WORKLOAD", "POLICY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(train(*args.one)))
        return
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    print("| workload | float32 samples/s | mixed_bfloat16 samples/s | bf16 / float32 (min–max) |")
    print("|---|---|---|---|")
    for workload in args.only:
        speeds: dict[str, list[float]] = {"float32": [], "mixed_bfloat16": []}
        for _ in range(args.reps):
            for policy in speeds:
                out = subprocess.run([sys.executable, __file__, "--one", workload, policy],
                                     capture_output=True, text=True, env=env, check=True)
                speeds[policy].append(float(out.stdout.strip().splitlines()[-1]))
        ratios = [b / f for f, b in zip(speeds["float32"], speeds["mixed_bfloat16"])]
        print(f"| {workload} | {statistics.median(speeds['float32']):,.0f} | "
              f"{statistics.median(speeds['mixed_bfloat16']):,.0f} | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |",
              flush=True)


if __name__ == "__main__":
    main()
