"""nntrain vs the plain script when another process takes a core (issue 16: nntrain lost more
than the plain script when the cores were shared).

    python benchmarks/shared_cores.py --reps 3        # fmnist_cnn on the first 10,000 images, 3 epochs

Each repetition runs the plain script and `nntrain fit` alone, then both again beside a
`while True: pass` process (one core's worth of load); prints samples/s (epochs 2..N) and
the nntrain / plain ratio for each condition.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import real_data
from real_data import config_for, ours, theirs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workload", default="fmnist_cnn")
    ap.add_argument("--limit", type=int, default=10_000)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    real_data.LIMIT[args.workload] = args.limit
    real_data.EPOCHS[args.workload] = args.epochs
    tmp = Path(tempfile.mkdtemp(prefix="nntrain-shared-"))
    config = config_for(args.workload, tmp, "float32")
    found: dict[str, list[tuple[float, float]]] = {}
    for rep in range(args.reps):
        for loaded in (False, True):
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if loaded else None
            try:
                speed, _, n = theirs(args.workload)
                mine, _ = ours(config, tmp / f"run-{rep}-{loaded}", n)
            finally:
                if hog is not None:
                    hog.kill()
                    hog.wait()
            found.setdefault(f"{'loaded' if loaded else 'alone'}", []).append((mine, speed))
            print(rep, "loaded" if loaded else "alone", f"nntrain {mine:,.0f}",
                  f"plain {speed:,.0f}", f"ratio {mine / speed:.2f}",
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    print("\n| condition | nntrain samples/s | plain samples/s | nntrain / plain (min–max) |")
    print("|---|---|---|---|")
    for condition, pairs in found.items():
        ratios = [a / b for a, b in pairs]
        print(f"| {condition} | {statistics.median(a for a, _ in pairs):,.0f} | "
              f"{statistics.median(b for _, b in pairs):,.0f} | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}–{max(ratios):.2f}) |")


if __name__ == "__main__":
    main()
