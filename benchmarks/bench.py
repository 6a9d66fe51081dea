"""nntrain vs the equivalent hand-written Keras script, side by side in one run.

    python benchmarks/bench.py            # every workload, 3 repetitions (< 10 min on 2 cores)
    python benchmarks/bench.py --reps 1 --only xor
    python benchmarks/bench.py --real     # real Fashion-MNIST and fortunes, float32 and auto

Each repetition runs nntrain and the hand-written script alternately, as separate processes,
on the same data, so machine noise hits both alike; the report gives each side's median
samples/second over epochs 2..N (epoch 1 holds tracing), the ratio, and the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
N = {"cnn": 12_000, "mlp": 60_000, "lstm": 4_000, "xor": 4}
EPOCHS = {"cnn": 3, "mlp": 4, "lstm": 3, "xor": 200}
BATCH = {"cnn": 128, "mlp": 128, "lstm": 64, "xor": 4}

LAYERS = {
    "cnn": [{"type": "Conv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
            {"type": "MaxPooling2D", "pool_size": 2},
            {"type": "Conv2D", "filters": 64, "kernel_size": 3, "activation": "relu"},
            {"type": "MaxPooling2D", "pool_size": 2}, {"type": "Flatten"},
            {"type": "Dropout", "rate": 0.5},
            {"type": "Dense", "units": 10, "activation": "softmax"}],
    "mlp": [{"type": "Dense", "units": 64, "activation": "relu"},
            {"type": "Dense", "units": 10, "activation": "softmax"}],
    "lstm": [{"type": "Embedding", "input_dim": 10000, "output_dim": 32},
             {"type": "LSTM", "units": 32}, {"type": "Dense", "units": 1, "activation": "sigmoid"}],
    "xor": [{"type": "Dense", "units": 8, "activation": "tanh"},
            {"type": "Dense", "units": 1, "activation": "sigmoid"}],
}
SHAPE = {"cnn": [28, 28, 1], "mlp": [784], "lstm": [100], "xor": [2]}
LOSS = {"cnn": "sparse_categorical_crossentropy", "mlp": "sparse_categorical_crossentropy",
        "lstm": "binary_crossentropy", "xor": "binary_crossentropy"}


def make_data(workload: str, folder: Path) -> Path:
    """Random data of the workload's real shapes (throughput does not depend on the values)."""
    rng = np.random.default_rng(0)
    n = N[workload]
    if workload == "cnn":
        x, y = rng.random((n, 28, 28, 1), dtype="float32"), rng.integers(0, 10, n)
    elif workload == "mlp":
        x, y = rng.random((n, 784), dtype="float32"), rng.integers(0, 10, n)
    elif workload == "lstm":
        x, y = rng.integers(1, 10000, (n, 100)).astype("int32"), rng.integers(0, 2, n)
    else:
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")
        y = np.array([0, 1, 1, 0])
    path = folder / f"{workload}.npz"
    np.savez(path, x=x, y=y.astype("float32" if LOSS[workload].startswith("binary") else "int64"))
    return path


def nntrain_config(workload: str, data: Path, folder: Path, extra: dict | None = None) -> Path:
    config = {
        "name": f"bench_{workload}", "seed": 1,
        "data": {"source": "npz", "path": str(data)},
        "model": {"input_shape": SHAPE[workload], "layers": LAYERS[workload]},
        "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.05 if workload == "xor"
                                  else 0.001},
                    "loss": LOSS[workload], "metrics": ["accuracy"]},
        "train": {"batch_size": BATCH[workload], "epochs": EPOCHS[workload]},
        "device": {"strategy": "cpu"},
    }
    for dotted, value in (extra or {}).items():
        section, key = dotted.split(".")
        config[section][key] = value
    path = folder / f"{workload}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return wall, done.stdout


def nntrain_epochs(config: Path, run_dir: Path, sets: list[str] = ()) -> tuple[list[float], float]:
    args = [sys.executable, "-m", "nntrain", "fit", str(config), "--run-dir", str(run_dir)]
    for s in sets:
        args += ["--set", s]
    wall, _ = run(args)
    import pandas as pd

    return pd.read_csv(run_dir / "metrics.csv")["seconds"].tolist(), wall


def handwritten_epochs(workload: str, data: Path, numpy: bool = False,
                       save: Path | None = None,
                       outputs: Path | None = None) -> tuple[list[float], float]:
    args = [sys.executable, str(HERE / "handwritten.py"), workload, "--data", str(data),
            "--epochs", str(EPOCHS[workload]), "--batch-size", str(BATCH[workload])]
    if numpy:
        args.append("--numpy")
    if save:
        args += ["--save", str(save)]
    if outputs:
        args += ["--outputs", str(outputs)]
    wall, out = run(args)
    return json.loads(out.strip().splitlines()[-1])["epoch_seconds"], wall


def throughput(workload: str, epoch_seconds: list[float]) -> float:
    steady = epoch_seconds[1:] or epoch_seconds
    return N[workload] / statistics.median(steady)


def summarize(values: list[float]) -> str:
    med = statistics.median(values)
    spread = (max(values) - min(values)) / med * 100 if med else 0
    return f"{med:,.0f} (±{spread:.0f}%)"


def peak_matmul_gflops(dtype: str = "float32") -> float:
    code = ("import os,time;os.environ['TF_CPP_MIN_LOG_LEVEL']='2';import tensorflow as tf\n"
            f"a=tf.cast(tf.random.normal((2048,2048)),'{dtype}');b=tf.cast(a,'{dtype}');"
            "(a@b).numpy()\n"
            "best=1e9\nfor _ in range(5):\n t=time.perf_counter();(a@b).numpy();"
            "best=min(best,time.perf_counter()-t)\nprint(2*2048**3/best/1e9)")
    return float(run([sys.executable, "-c", code])[1].strip())


def cnn_train_flops_per_sample() -> float:
    """Analytic FLOPs (multiply-add = 2) of the CNN's forward pass, ×3 for training."""
    conv1 = 26 * 26 * 32 * (3 * 3 * 1) * 2
    conv2 = 11 * 11 * 64 * (3 * 3 * 32) * 2
    dense = 1600 * 10 * 2
    return 3 * (conv1 + conv2 + dense)


def startup_seconds(args: list[str], reps: int = 5) -> float:
    return statistics.median(run([sys.executable, "-m", "nntrain", *args])[0] for _ in range(reps))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=["cnn", "mlp", "lstm", "xor"])
    ap.add_argument("--real", action="store_true", help="only the real-data rows (real_data.py)")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.real:
        from real_data import main as real_main

        real_main(args.reps)
        return
    tmp = Path(tempfile.mkdtemp(prefix="nntrain-bench-"))
    rows: list[tuple[str, str, str, str]] = []
    print(f"# {date.today()} · {platform.node()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()}")
    for workload in args.only:
        data = make_data(workload, tmp)
        config = nntrain_config(workload, data, tmp)
        ours, theirs, ours_wall, theirs_wall, same_wall = [], [], [], [], []
        for rep in range(args.reps):
            e, w = nntrain_epochs(config, tmp / f"{workload}-run{rep}")
            ours.append(throughput(workload, e))
            ours_wall.append(w)
            e, w = handwritten_epochs(workload, data, save=tmp / f"{workload}-{rep}.keras")
            theirs.append(throughput(workload, e))
            theirs_wall.append(w)
            if workload == "xor":
                same_wall.append(handwritten_epochs(
                    workload, data, save=tmp / f"{workload}-{rep}-same.keras",
                    outputs=tmp / f"{workload}-{rep}-outputs")[1])
        ratio = [a / b for a, b in zip(ours, theirs)]
        if workload == "xor":
            for label, script in (("", theirs_wall), (
                    "; script also writing TensorBoard, metrics.csv, curves.png", same_wall)):
                extra = [a - b for a, b in zip(ours_wall, script)]
                rows.append((f"xor, whole process ({EPOCHS['xor']} epochs){label}",
                             f"{statistics.median(ours_wall):.2f} s",
                             f"{statistics.median(script):.2f} s",
                             f"{statistics.median(extra):+.2f} s"))
        else:
            rows.append((f"{workload} samples/s", summarize(ours), summarize(theirs),
                         f"{statistics.median(ratio):.3f} ({min(ratio):.3f}–{max(ratio):.3f})"))
        print(rows[-1], flush=True)

    if "cnn" in args.only:
        data = tmp / "cnn.npz"
        config = nntrain_config("cnn", data, tmp)
        base, _ = nntrain_epochs(config, tmp / "cnn-base")  # one baseline for the three rows
        for label, sets in (("cnn, steps_per_execution=32", ["compile.steps_per_execution=32"]),
                            ("cnn, jit_compile=true (XLA)", ["device.jit_compile=true"])):
            e, _ = nntrain_epochs(config, tmp / f"cnn-{label[5:9]}", sets)
            rows.append((label, summarize([throughput("cnn", e)]),
                         summarize([throughput("cnn", base)]) + " (nntrain default)",
                         f"{throughput('cnn', e) / throughput('cnn', base):.3f}"))
            print(rows[-1], flush=True)
        e, _ = handwritten_epochs("cnn", data, numpy=True)
        rows.append(("cnn vs hand-written fed NumPy arrays", summarize([throughput("cnn", base)]),
                     summarize([throughput("cnn", e)]),
                     f"{throughput('cnn', base) / throughput('cnn', e):.3f}"))
        peak = peak_matmul_gflops()
        flops = cnn_train_flops_per_sample()
        cnn_row = next(r for r in rows if r[0] == "cnn samples/s")
        ours_sps = float(cnn_row[1].split()[0].replace(",", ""))
        theirs_sps = float(cnn_row[2].split()[0].replace(",", ""))
        rows.append(("cnn GFLOP/s (fraction of a 2048² matmul's peak)",
                     f"{ours_sps * flops / 1e9:.1f} ({ours_sps * flops / 1e9 / peak:.0%})",
                     f"{theirs_sps * flops / 1e9:.1f} ({theirs_sps * flops / 1e9 / peak:.0%})",
                     f"peak {peak:.0f} GFLOP/s"))
    rows.append(("`nntrain --help` / `nntrain validate` (s)",
                 f"{startup_seconds(['--help']):.2f} / "
                 f"{startup_seconds(['validate', str(HERE.parent / 'configs/tiny/xor.yaml')]):.2f}",
                 "", "target < 0.3 s"))
    print("\n| workload | nntrain | hand-written | nntrain / hand-written |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
