#!/usr/bin/env bash
# The GPU proof of issue 16, on a machine with one NVIDIA GPU; under 8 minutes in all.
#
#   bash benchmarks/gpu_check.sh                 # new venv, the CUDA build of TensorFlow, then the runs
#   PYTHON=/opt/tf/bin/python bash benchmarks/gpu_check.sh   # a Python that already has TF + CUDA
#   bash benchmarks/gpu_check.sh --cpu-dry-run   # no install, small runs on the CPU (checks the script)
#
# Runs benchmarks/gpu_check.py: the CNN (Fashion-MNIST) and the LSTM (fortunes) with
# `device: auto` (mixed_float16, XLA on and off) beside the plain Keras script, and
# MirroredStrategy over two logical GPUs carved from the one (`device.gpu_devices: 2`); prints
# the rows for benchmarks/README.md. Needs Fashion-MNIST (Debian's dataset-fashion-mnist, or
# ~/.keras/datasets/fashion-mnist) and the fortunes files (/usr/share/games/fortunes).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

dry=""
if [[ "${1:-}" == "--cpu-dry-run" ]]; then
    dry="--cpu-dry-run"
fi

missing=()
[[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] \
    || [[ -e ~/.keras/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] \
    || missing+=("Fashion-MNIST (apt-get install dataset-fashion-mnist)")
[[ -e /usr/share/games/fortunes/computers ]] || missing+=("fortunes (apt-get install fortunes)")
if (( ${#missing[@]} )); then
    printf 'missing: %s\n' "${missing[@]}" >&2
    exit 1
fi

if [[ -n "$dry" ]]; then
    python="${PYTHON:-python}"
elif [[ -n "${PYTHON:-}" ]]; then
    python="$PYTHON"
    "$python" -m pip install -q -e . --no-deps
else
    venv="${VENV:-/tmp/nntrain-gpu-venv}"
    python3 -m venv "$venv"
    python="$venv/bin/python"
    "$python" -m pip install -q --upgrade pip
    "$python" -m pip install -q "tensorflow[and-cuda]==2.21.*" "tf-keras==2.21.*" -e .
fi
echo "install: $((SECONDS - started)) s"

if [[ -z "$dry" ]]; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    "$python" - <<'EOF'
import os
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow as tf
info = tf.sysconfig.get_build_info()
gpus = tf.config.list_physical_devices("GPU")
print(f"TensorFlow {tf.__version__}, CUDA {info.get('cuda_version')}, "
      f"cuDNN {info.get('cudnn_version')}, GPUs: {[g.name for g in gpus]}")
if not gpus:
    raise SystemExit("TensorFlow sees no GPU: nothing to prove here")
EOF
fi

"$python" benchmarks/gpu_check.py $dry
echo "gpu_check: $((SECONDS - started)) s in all ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uptime))"
