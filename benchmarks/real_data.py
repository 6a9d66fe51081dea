"""bench.py --real: nntrain vs the plain Keras script on real data, float32 and `precision: auto`.

Workloads: keras.io's convnet and a 784-128-10 MLP on Debian's Fashion-MNIST (uint8 images, a
Rescaling layer, a validation pass each epoch) and Embedding + LSTM(32) on the fortunes text
set (configs/text_lstm.yaml). Each repetition runs, one after the other, `nntrain fit` in
float32, the plain script (handwritten_real.py) in float32 and, where `auto` means something
else on this CPU, `nntrain fit` with `precision: auto`; the table gives the medians over the
repetitions of samples/s (epochs 2..N, validation included), the test accuracy, the ratio to
the plain float32 script and the fraction of the 2048² matmul peak the training reaches.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import yaml

from bench import HERE, nntrain_epochs, peak_matmul_gflops, run
from nntrain.config.load import load_config
from nntrain.device.precision import auto_precision, cpu_bf16_instructions

CONFIGS = HERE.parent / "configs"
# The subset that keeps `bench.py --real --reps 3` near 10 minutes on 2 cores.
LIMIT = {"fmnist_cnn": 20_000, "fmnist_mlp": 60_000}  # first N training images, 5,000 of them validation
EPOCHS = {"fmnist_cnn": 3, "fmnist_mlp": 3, "fortunes_lstm": 6}
BATCH = 128
CNN = [{"type": "Conv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
       {"type": "MaxPooling2D", "pool_size": 2},
       {"type": "Conv2D", "filters": 64, "kernel_size": 3, "activation": "relu"},
       {"type": "MaxPooling2D", "pool_size": 2}, {"type": "Flatten"},
       {"type": "Dropout", "rate": 0.5}, {"type": "Dense", "units": 10, "activation": "softmax"}]
MLP = [{"type": "Dense", "units": 128, "activation": "relu"},
       {"type": "Dense", "units": 10, "activation": "softmax"}]


def train_flops_per_sample(workload: str) -> float:
    """Multiply-adds ×2 of the forward pass's matmuls and convolutions, ×3 for training
    (forward, and the two matmuls of the backward pass)."""
    if workload == "fmnist_cnn":
        forward = 26 * 26 * 32 * 9 * 2 + 11 * 11 * 64 * (9 * 32) * 2 + 1600 * 10 * 2
    elif workload == "fmnist_mlp":
        forward = 784 * 128 * 2 + 128 * 10 * 2
    else:  # 100 steps of an LSTM(32) on 32-wide embeddings: 4 gates × (input + state) × units
        forward = 100 * 4 * (32 + 32) * 32 * 2 + 32 * 2
    return 3.0 * forward


def config_for(workload: str, folder: Path, precision: str) -> Path:
    if workload == "fortunes_lstm":
        config = yaml.safe_load((CONFIGS / "text_lstm.yaml").read_text())
    else:
        config = {"name": workload, "seed": 1,
                  "data": {"source": "fashion_mnist", "limit": LIMIT[workload],
                           "validation_size": 5000,
                           "preprocess": {"rescale": 1 / 255, "reshape": [28, 28, 1]}},
                  "model": {"input_shape": [28, 28, 1],
                            "layers": CNN if workload == "fmnist_cnn" else [{"type": "Flatten"}] + MLP},
                  "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                              "metrics": ["accuracy"]}}
    config["train"] = {"batch_size": BATCH, "epochs": EPOCHS[workload]}
    config["device"] = {"strategy": "cpu", "precision": precision}
    path = folder / f"{workload}-{precision}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def ours(config: Path, run_dir: Path, n: int) -> tuple[float, float]:
    """(samples/s over epochs 2..N, test accuracy) of one `nntrain fit` training on n examples
    (the plain script's count: the same split of Fashion-MNIST; fortunes: 60% of the same
    entries, split by each side's own seeded shuffle)."""
    seconds, _ = nntrain_epochs(config, run_dir)
    accuracy = json.loads((run_dir / "eval.json").read_text())["accuracy"]
    return n / statistics.median(seconds[1:]), accuracy


def theirs(workload: str, precision: str = "float32") -> tuple[float, float, int]:
    args = [sys.executable, str(HERE / "handwritten_real.py"), workload,
            "--epochs", str(EPOCHS[workload]), "--batch-size", str(BATCH),
            "--precision", precision]
    if workload in LIMIT:
        args += ["--limit", str(LIMIT[workload])]
    out = json.loads(run(args)[1].strip().splitlines()[-1])
    return (out["n"] / statistics.median(out["epoch_seconds"][1:]), out["test_accuracy"],
            out["n"])


def measure(workload: str, reps: int, tmp: Path, auto: str) -> dict[str, list[tuple[float, float]]]:
    """Interleaved repetitions: the plain script, nntrain float32, nntrain auto (if not float32)."""
    found: dict[str, list[tuple[float, float]]] = {"float32": [], "plain": [], "auto": []}
    for rep in range(reps):
        *plain, n = theirs(workload)
        found["plain"].append(tuple(plain))
        found["float32"].append(ours(config_for(workload, tmp, "float32"),
                                     tmp / f"{workload}-f32-{rep}", n))
        if auto != "float32":
            found["auto"].append(ours(config_for(workload, tmp, "auto"),
                                      tmp / f"{workload}-auto-{rep}", n))
        print(workload, rep, {k: v[-1] for k, v in found.items() if v}, flush=True)
    return found


def row(label: str, runs: list[tuple[float, float]], plain: list[tuple[float, float]],
        flops: float, peak: float) -> str:
    speed = statistics.median(r[0] for r in runs)
    ratios = [a[0] / b[0] for a, b in zip(runs, plain)]
    accuracy = statistics.median(r[1] for r in runs)
    ratio = (f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
             if runs is not plain else "1")
    return (f"| {label} | {speed:,.0f} | {ratio} | {accuracy:.3f} | "
            f"{speed * flops / 1e9:.1f} ({speed * flops / 1e9 / peak:.0%}) |")


def main(reps: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nntrain-bench-real-"))
    bf16 = cpu_bf16_instructions()
    started = datetime.now(timezone.utc)
    peaks = {d: peak_matmul_gflops(d) for d in ("float32", "bfloat16")}
    lines = [f"# {started:%Y-%m-%d %H:%M} UTC · {platform.node()} · {os.cpu_count()} cores · "
             f"bf16 instructions: {bf16 or 'none'} · load {os.getloadavg()[0]:.2f} · "
             f"2048² matmul peak: float32 {peaks['float32']:.0f} GFLOP/s, bfloat16 "
             f"{peaks['bfloat16']:.0f} GFLOP/s",
             "", "| workload | samples/s | / plain float32 | test accuracy | "
                 "GFLOP/s (of the matmul peak) |", "|---|---|---|---|---|"]
    for workload in ("fmnist_cnn", "fmnist_mlp", "fortunes_lstm"):
        model = load_config(config_for(workload, tmp, "auto")).config.model
        auto, why = auto_precision("cpu", model, bf16)
        found = measure(workload, reps, tmp, auto)
        flops = train_flops_per_sample(workload)
        lines.append(row(f"{workload}, plain Keras float32", found["plain"], found["plain"],
                         flops, peaks["float32"]))
        lines.append(row(f"{workload}, nntrain float32", found["float32"], found["plain"],
                         flops, peaks["float32"]))
        if found["auto"]:
            lines.append(row(f"{workload}, nntrain auto = {auto} ({why})", found["auto"],
                             found["plain"], flops, peaks["bfloat16"]))
        else:
            lines.append(f"| {workload}, nntrain auto = float32 ({why}) | as float32 | | | |")
        print(*lines[-3:], sep="\n", flush=True)
    finished = datetime.now(timezone.utc)
    lines.append(f"\n{reps} repetition(s), {(finished - started).total_seconds() / 60:.1f} min, "
                 f"load at the end {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))
