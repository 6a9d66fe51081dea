"""Data bigger than memory: peak RSS and epoch time of `nntrain fit` on an image folder and on a
large CSV against the plain streaming Keras scripts (image_dataset_from_directory /
make_csv_dataset → model.fit), side by side.

    python benchmarks/streaming.py                 # 12,000 JPEGs, 160×160 RGB, 3 classes
    python benchmarks/streaming.py --images 3000   # a quicker look
    python benchmarks/streaming.py --csv-gb 1.5    # a 1.5 GB CSV (20 numbers + a text label)
    python benchmarks/streaming.py --npy-gb 1.2    # x.npy of 20 float32 columns + y.npy labels

Both sides train the same 5-layer CNN for the same epochs, each in its own process under
/usr/bin/time -v (peak RSS); the epoch time is the median of epochs 2..N (epoch 1 traces).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

SIZE = 160
LAYERS = [
    {"type": "Conv2D", "filters": 16, "kernel_size": 3, "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Conv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
    {"type": "GlobalAveragePooling2D"},
    {"type": "Dense", "units": 3, "activation": "softmax"},
]

# What each plain script shares: its imports, and each epoch's seconds printed as JSON.
HEAD = """
import json, sys, time
import os; os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow as tf
keras = tf.keras
"""
EPOCH_TIMES = """times = []
class T(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter())
start = time.perf_counter()
"""
PRINT_TIMES = "print(json.dumps([b - a for a, b in zip([start] + times, times)]))\n"

PLAIN = HEAD + """folder, epochs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ds = keras.utils.image_dataset_from_directory(folder, image_size=({size}, {size}),
                                              batch_size=batch, seed=1)
ds = ds.map(lambda x, y: (x / 255.0, y)).prefetch(tf.data.AUTOTUNE)
model = keras.Sequential([keras.Input(({size}, {size}, 3))] +
                         [keras.layers.deserialize({{"class_name": l.pop("type"), "config": l}})
                          for l in json.loads(sys.argv[4])])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
""" + EPOCH_TIMES + """model.fit(ds, epochs=epochs, verbose=0, callbacks=[T()])
""" + PRINT_TIMES


PLAIN_CSV = HEAD + """path, epochs, batch, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
names = tf.constant(["no", "yes"])
ds = tf.data.experimental.make_csv_dataset(path, batch, label_name="label", num_epochs=None,
                                           shuffle=True, shuffle_seed=1)
ds = ds.map(lambda f, y: (tf.stack(list(f.values()), axis=1),
                          tf.argmax(tf.cast(tf.equal(y[:, None], names), tf.int64), axis=1)))
model = keras.Sequential([keras.Input(({columns},)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
""" + EPOCH_TIMES + """model.fit(ds.prefetch(tf.data.AUTOTUNE), epochs=epochs, steps_per_epoch=steps, verbose=0,
          callbacks=[T()])
""" + PRINT_TIMES
CSV_COLUMNS = 20


PLAIN_NPY = HEAD + """import numpy as np
folder, epochs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x, y = np.load(folder + "/x.npy"), np.load(folder + "/y.npy")
ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(100_000, seed=1).batch(batch)
model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Normalization(),
                          keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
model.layers[0].adapt(x[:100_000])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
""" + EPOCH_TIMES + """model.fit(ds.prefetch(tf.data.AUTOTUNE), epochs=epochs, verbose=0, callbacks=[T()])
""" + PRINT_TIMES


def make_npy(folder: Path, gigabytes: float) -> int:
    """x.npy (rows of CSV_COLUMNS float32 normals) of that size and y.npy (0 / 1), written a
    million rows at a time."""
    rows = int(gigabytes * 1e9 / (4 * CSV_COLUMNS))
    x = np.lib.format.open_memmap(folder / "x.npy", "w+", "float32", (rows, CSV_COLUMNS))
    y = np.lib.format.open_memmap(folder / "y.npy", "w+", "int64", (rows,))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 1_000_000):
        block = rng.normal(size=(min(1_000_000, rows - start), CSV_COLUMNS)).astype("float32")
        x[start:start + len(block)] = block
        y[start:start + len(block)] = block[:, 0] + block[:, 1] > 0
    x.flush()
    y.flush()
    return rows


def anon_peak(cmd: list[str]) -> tuple[str, float]:
    """stdout, and the peak anonymous memory (RssAnon) in GB of one process: a memory-mapped
    file's pages count in RSS but are the page cache's to drop, so RSS would overstate it."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = max(peak, int(re.search(r"RssAnon:\s+(\d+)", status).group(1)))
        except (OSError, AttributeError):
            pass
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out}\n{err[-3000:]}")
    return out, peak / 1e6


def npy_rows(folder: Path, work: Path, epochs: int, batch: int) -> None:
    """nntrain streamed (cache auto), nntrain read whole (cache memory), the plain script."""
    found = {}
    for cache in ("auto", "memory"):
        config = {"name": "npy", "seed": 1,
                  "data": {"source": "npy", "path": str(folder / "x.npy"), "cache": cache,
                           "target_path": str(folder / "y.npy"), "validation_split": 0.05,
                           "preprocess": {"normalize": True}},
                  "model": {"input_shape": [CSV_COLUMNS], "layers": [
                      {"type": "Dense", "units": 64, "activation": "relu"},
                      {"type": "Dense", "units": 2, "activation": "softmax"}]},
                  "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                              "metrics": ["accuracy"]},
                  "train": {"batch_size": batch, "epochs": epochs},
                  "callbacks": {"tensorboard": False}}
        path, run = work / f"npy-{cache}.yaml", work / f"npy-{cache}.run"
        path.write_text(yaml.safe_dump(config))
        start = time.perf_counter()
        _, peak = anon_peak([sys.executable, "-m", "nntrain", "fit", str(path), "--run-dir",
                             str(run)])
        seconds = [float(line.split(",")[-1]) for line in
                   (run / "metrics.csv").read_text().splitlines()[1:]]
        found[f"nntrain fit, data.cache: {cache}"] = (peak, seconds, time.perf_counter() - start)
    script = work / "plain_npy.py"
    script.write_text(PLAIN_NPY)
    start = time.perf_counter()
    out, peak = anon_peak([sys.executable, str(script), str(folder), str(epochs), str(batch)])
    found["plain Keras script (np.load, from_tensor_slices)"] = (
        peak, json.loads(out.strip().splitlines()[-1]), time.perf_counter() - start)
    print("| | peak anonymous memory | epoch time | whole process |\n|---|---|---|---|")
    for name, (peak, seconds, wall) in found.items():
        print(f"| {name} | {peak:.2f} GB | {np.median(seconds[1:] or seconds):.1f} s | "
              f"{wall:.0f} s |")


def make_csv(path: Path, gigabytes: float) -> int:
    """Rows of CSV_COLUMNS rounded normals and a text label until the file has that size."""
    rng = np.random.default_rng(0)
    rows = 0
    with open(path, "w") as fh:
        fh.write(",".join(f"f{i}" for i in range(CSV_COLUMNS)) + ",label\n")
        while fh.tell() < gigabytes * 1e9:
            x = rng.normal(size=(100_000, CSV_COLUMNS))
            label = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
            lines = [",".join(f"{v:.5f}" for v in row) + f",{y}" for row, y in zip(x, label)]
            fh.write("\n".join(lines) + "\n")
            rows += len(lines)
    return rows


def nntrain_fit(config: dict, where: Path) -> tuple[list[float], float]:
    """`nntrain fit` of `config` into where.run: each epoch's seconds, and the peak RSS."""
    path = where.with_suffix(".yaml")
    path.write_text(yaml.safe_dump(config))
    run = where.with_suffix(".run")
    _, peak = timed([sys.executable, "-m", "nntrain", "fit", str(path), "--run-dir", str(run)])
    seconds = [float(line.split(",")[-1]) for line in
               (run / "metrics.csv").read_text().splitlines()[1:]]
    return seconds, peak


def nntrain_csv(path: Path, work: Path, epochs: int, batch: int) -> tuple[list[float], float]:
    config = {"name": "csv", "seed": 1,
              "data": {"source": "csv", "path": str(path), "target": "label"},
              "model": {"input_shape": [CSV_COLUMNS], "layers": [
                  {"type": "Dense", "units": 64, "activation": "relu"},
                  {"type": "Dense", "units": 2, "activation": "softmax"}]},
              "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                          "metrics": ["accuracy"]},
              "train": {"batch_size": batch, "epochs": epochs}}
    return nntrain_fit(config, work / "csv")


def plain_csv(path: Path, work: Path, epochs: int, batch: int, rows: int
              ) -> tuple[list[float], float]:
    script = work / "plain_csv.py"
    script.write_text(PLAIN_CSV.format(columns=CSV_COLUMNS))
    out, peak = timed([sys.executable, str(script), str(path), str(epochs), str(batch),
                       str(-(-rows // batch))])
    return json.loads(out.strip().splitlines()[-1]), peak


def report(name: str, ours: list[float], our_peak: float, theirs: list[float],
           their_peak: float) -> None:
    ours_s, theirs_s = float(np.median(ours[1:] or ours)), float(np.median(theirs[1:] or theirs))
    print(f"{name}\n| | peak RSS | epoch time (median of epochs 2..N) |\n|---|---|---|")
    print(f"| nntrain fit | {our_peak:.2f} GB | {ours_s:.1f} s |")
    print(f"| plain Keras streaming script | {their_peak:.2f} GB | {theirs_s:.1f} s |")
    print(f"| ratio | {our_peak / their_peak:.2f} | {ours_s / theirs_s:.2f} |")


def make_images(folder: Path, count: int) -> int:
    """`count` noisy JPEGs in 3 class folders; returns their bytes on disk."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(3):
        (folder / f"class_{c}").mkdir(parents=True, exist_ok=True)
    base = rng.integers(0, 255, (3, SIZE, SIZE, 3))
    for i in range(count):
        c = i % 3
        pixels = np.clip(base[c] + rng.normal(0, 40, (SIZE, SIZE, 3)), 0, 255).astype("uint8")
        Image.fromarray(pixels).save(folder / f"class_{c}" / f"{i}.jpg", quality=90)
    return sum(p.stat().st_size for p in folder.rglob("*.jpg"))


def timed(cmd: list[str]) -> tuple[str, float]:
    """stdout, and peak RSS in GB, of one process under /usr/bin/time -v."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout}\n{done.stderr[-3000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return done.stdout, kb / 1e6


def nntrain_epochs(folder: Path, work: Path, epochs: int, batch: int) -> tuple[list[float], float]:
    config = {"name": "stream", "seed": 1,
              "data": {"source": "image_dir", "path": str(folder), "image_size": [SIZE, SIZE],
                       "preprocess": {"rescale": 1 / 255}},
              "model": {"input_shape": [SIZE, SIZE, 3], "layers": LAYERS},
              "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                          "metrics": ["accuracy"]},
              "train": {"batch_size": batch, "epochs": epochs}}
    return nntrain_fit(config, work / "image_fit")


def plain_epochs(folder: Path, work: Path, epochs: int, batch: int) -> tuple[list[float], float]:
    script = work / "plain.py"
    script.write_text(PLAIN.format(size=SIZE))
    out, peak = timed([sys.executable, str(script), str(folder), str(epochs), str(batch),
                       json.dumps(LAYERS)])
    return json.loads(out.strip().splitlines()[-1]), peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=12_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--csv-gb", type=float, default=0.0,
                        help="benchmark a CSV of this size instead of the image folder")
    parser.add_argument("--npy-gb", type=float, default=0.0,
                        help="benchmark an .npy of this size instead of the image folder")
    args = parser.parse_args()
    if args.npy_gb:
        with tempfile.TemporaryDirectory() as tmp:
            rows = make_npy(Path(tmp), args.npy_gb)
            print(f"npy: {rows:,} rows × {CSV_COLUMNS} float32, "
                  f"{(Path(tmp) / 'x.npy').stat().st_size / 1e9:.2f} GB")
            npy_rows(Path(tmp), Path(tmp), args.epochs, max(args.batch, 1024))
        return
    if args.csv_gb:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            rows = make_csv(work / "big.csv", args.csv_gb)
            print(f"CSV: {rows:,} rows × {CSV_COLUMNS + 1} columns, "
                  f"{(work / 'big.csv').stat().st_size / 1e9:.2f} GB")
            batch = max(args.batch, 1024)
            report("csv", *nntrain_csv(work / "big.csv", work, args.epochs, batch),
                   *plain_csv(work / "big.csv", work, args.epochs, batch, rows))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        on_disk = make_images(work / "images", args.images)
        decoded = args.images * SIZE * SIZE * 3 * 4
        print(f"{args.images} JPEGs, {on_disk / 1e6:.0f} MB on disk, "
              f"{decoded / 1e9:.2f} GB decoded as float32")
        ours, our_peak = nntrain_epochs(work / "images", work, args.epochs, args.batch)
        theirs, their_peak = plain_epochs(work / "images", work, args.epochs, args.batch)
    report("image folder", ours, our_peak, theirs, their_peak)


if __name__ == "__main__":
    main()
