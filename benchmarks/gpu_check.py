"""The GPU proof of issue 16, run by gpu_check.sh on a machine with one NVIDIA GPU.

    python benchmarks/gpu_check.py              # on the GPU machine (after gpu_check.sh installs)
    python benchmarks/gpu_check.py --cpu-dry-run   # the same runs, small, on a CPU: checks the script

For the CNN (keras.io's convnet on Fashion-MNIST) and the LSTM (fortunes), side by side: the
plain Keras script (handwritten_real.py) in float32 and in mixed_float16, and `nntrain fit`
with `device.strategy: auto` and `precision: auto` (mixed_float16 on a GPU), XLA on and off.
Then `nntrain fit` of the CNN under MirroredStrategy over two logical GPUs carved from the one
(`device.gpu_devices: 2`), so the multi-replica path executes. Prints a markdown table for
benchmarks/README.md: samples/s (epochs 2..N), the ratio to the plain float32 script, the test
accuracy and the peak GPU memory (tf.config.experimental.get_memory_info, summed over the
logical GPUs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

import real_data
from real_data import BATCH, config_for

HERE = Path(__file__).resolve().parent
# `nntrain fit` in-process, then the GPU memory its training took.
INNER = """
import json, sys
from nntrain.cli.app import main
sys.argv = ["nntrain", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code or 0
from nntrain.engine import tf
gpus = [d.name.split("device:")[-1] for d in tf.config.list_logical_devices("GPU")]
peak = sum(tf.config.experimental.get_memory_info(g)["peak"] for g in gpus) if gpus else None
print(json.dumps({"exit": code, "peak_gpu_bytes": peak}))
"""


def call(args: list[str]) -> tuple[str, dict]:
    """Run a process; its stdout and the JSON of its last line."""
    done = subprocess.run(args, capture_output=True, text=True, cwd=HERE.parent)
    last = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    if done.returncode != 0 or last.get("exit", 0) != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout, last


def plain(workload: str, precision: str) -> dict:
    args = [sys.executable, str(HERE / "handwritten_real.py"), workload, "--precision", precision,
            "--epochs", str(real_data.EPOCHS[workload]), "--batch-size", str(BATCH)]
    if workload in real_data.LIMIT:
        args += ["--limit", str(real_data.LIMIT[workload])]
    _, out = call(args)
    return {"samples/s": out["n"] / statistics.median(out["epoch_seconds"][1:]),
            "accuracy": out["test_accuracy"], "peak": out.get("peak_gpu_bytes"), "n": out["n"]}


def ours(workload: str, tmp: Path, name: str, device: dict, n: int) -> dict:
    config = config_for(workload, tmp, "auto")
    data = yaml.safe_load(config.read_text())
    data["device"] = device
    config.write_text(yaml.safe_dump(data))
    run_dir = tmp / name
    stdout, out = call([sys.executable, "-c", INNER, "fit", str(config), "--run-dir",
                        str(run_dir)])
    seconds = pd.read_csv(run_dir / "metrics.csv")["seconds"].tolist()
    start = next(line for line in stdout.splitlines() if line.startswith("device:"))
    return {"samples/s": n / statistics.median(seconds[1:]), "start": start,
            "accuracy": json.loads((run_dir / "eval.json").read_text())["accuracy"],
            "peak": out["peak_gpu_bytes"]}


def cell(row: dict, base: dict) -> str:
    peak = f"{row['peak'] / 2**20:,.0f} MiB" if row.get("peak") else "–"
    return (f"{row['samples/s']:,.0f} | {row['samples/s'] / base['samples/s']:.2f} | "
            f"{row['accuracy']:.3f} | {peak}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu-dry-run", action="store_true", help="small runs on the CPU: "
                    "checks that every step of the script works, measures nothing")
    args = ap.parse_args()
    dry = args.cpu_dry_run
    if dry:
        real_data.LIMIT.update(fmnist_cnn=7000, fmnist_mlp=7000)
        real_data.EPOCHS.update(fmnist_cnn=2, fortunes_lstm=2)
    else:
        real_data.LIMIT.update(fmnist_cnn=60_000)
        real_data.EPOCHS.update(fmnist_cnn=4, fortunes_lstm=6)
    tmp = Path(tempfile.mkdtemp(prefix="nntrain-gpu-check-"))
    started = time.monotonic()
    lines = ["| workload | run | samples/s | / plain float32 | test accuracy | peak GPU memory |",
             "|---|---|---|---|---|---|"]
    starts = []
    for workload in ("fmnist_cnn", "fortunes_lstm"):
        base = plain(workload, "float32")
        rows = {"plain Keras float32": base,
                "plain Keras mixed_float16": plain(workload, "mixed_float16")}
        for xla in (True, False):
            rows[f"nntrain auto, XLA {'on' if xla else 'off'}"] = ours(
                workload, tmp, f"{workload}-xla-{xla}",
                {"strategy": "auto", "precision": "auto", "jit_compile": xla}, base["n"])
            starts.append(rows[f"nntrain auto, XLA {'on' if xla else 'off'}"]["start"])
        if workload == "fmnist_cnn":
            split = {"cpu_devices": 2} if dry else {"gpu_devices": 2}
            mirrored = ours(workload, tmp, "mirrored", {"strategy": "mirrored", **split},
                            base["n"])
            rows["nntrain mirrored over 2 logical GPUs"] = mirrored
            starts.append(mirrored["start"])
            if "2 replica(s)" not in mirrored["start"]:
                raise SystemExit(f"the mirrored run did not get two replicas: {mirrored['start']}")
        for label, row in rows.items():
            lines.append(f"| {workload} | {label} | {cell(row, base)} |")
        print(*lines[-len(rows):], sep="\n", flush=True)
    print("\nstart lines:", *sorted(set(starts)), sep="\n")
    print(f"\n{'CPU dry run' if dry else 'GPU run'}, {time.monotonic() - started:.0f} s:")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
