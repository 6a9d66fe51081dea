"""`device.precision`: what `auto` picks from the CPU's flags and the model's layers, and that a
mixed policy trains with float32 outputs on this CPU (bfloat16 emulated here: slow, but it
works)."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nntrain.config.load import load_config
from nntrain.device.precision import auto_precision, bf16_instructions, cpu_bf16_instructions
from tests.conftest import REPO, run_cli

CONFIGS = REPO / "configs"
WIDE = {"COLUMNS": "200"}

# Two processors of a Sapphire Rapids machine, shortened; an EPYC (Zen 3) without bf16.
SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu vme avx avx2 avx512f avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8

processor\t: 1
flags\t\t: fpu vme avx avx2 avx512f avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8
"""
COOPER_LAKE = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n"
EPYC = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx avx2 fma sha_ni\n"


@pytest.mark.parametrize("cpuinfo, found", [
    (SAPPHIRE_RAPIDS, "AMX-BF16"), (COOPER_LAKE, "AVX512_BF16"), (EPYC, None), ("", None),
    ("model name\t: a CPU whose name says amx_bf16\nflags\t: fpu\n", None),
])
def test_bf16_instructions_are_read_from_the_flags_line(cpuinfo: str, found: str | None) -> None:
    assert bf16_instructions(cpuinfo) == found


def model_of(config: str):  # noqa: ANN201
    """`name.yaml --set key=value ...`'s model section."""
    name, *sets = config.split()
    return load_config(CONFIGS / name, sets[1::2]).config.model


@pytest.mark.parametrize("config, policy, why", [
    ("tiny/small_cnn.yaml", "mixed_bfloat16", "auto: the CPU has AMX-BF16"),
    ("fashion_mnist.yaml", "float32", "auto: the CPU has AMX-BF16, but a model without "
     "convolutions or Dense layers of 256+ units gains nothing from it"),
    ("fashion_mnist.yaml --set model.layers.0.units=256", "mixed_bfloat16",
     "auto: the CPU has AMX-BF16"),
    ("vae_fashion.yaml", "mixed_bfloat16", "auto: the CPU has AMX-BF16"),
    ("text_lstm.yaml", "float32", "auto: the CPU has AMX-BF16, but recurrent layers stay float32"),
    ("text_gru.yaml", "float32", "auto: the CPU has AMX-BF16, but recurrent layers stay float32"),
    ("text_lstm_bidirectional.yaml", "float32",
     "auto: the CPU has AMX-BF16, but recurrent layers stay float32"),
    ("perceptron_and.yaml", "float32", "auto: a perceptron stays float32"),
])
def test_auto_on_a_bf16_cpu_chooses_by_the_model_layers(config: str, policy: str,
                                                        why: str) -> None:
    assert auto_precision("cpu", model_of(config), "AMX-BF16") == (policy, why)


def test_auto_without_bf16_instructions_or_off_the_cpu() -> None:
    cnn = model_of("tiny/small_cnn.yaml")
    assert auto_precision("cpu", cnn, None) == ("float32",
                                                "auto: the CPU has no bf16 instructions")
    assert auto_precision("gpu", model_of("text_lstm.yaml"), None)[0] == "mixed_float16"
    assert auto_precision("tpu", cnn, None)[0] == "mixed_bfloat16"


def test_start_line_says_what_auto_chose_on_this_cpu_and_why(tmp_path: Path) -> None:
    result = run_cli("fit", CONFIGS / "tiny" / "xor.yaml", "--set", "train.epochs=1",
                     "--run-dir", tmp_path / "run", env=WIDE, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    found = cpu_bf16_instructions()
    expected = (f"precision float32 (auto: the CPU has {found}, but a model without "
                "convolutions or Dense layers of 256+ units gains nothing from it);" if found
                else "precision float32 (auto: the CPU has no bf16 instructions);")
    assert expected in result.stdout


PREDICT_DTYPE = """
import sys
import numpy as np
from nntrain.engine import keras
model = keras.models.load_model(sys.argv[1])
print(model(np.zeros((2, 64), "float32")).dtype.name)
"""


def test_mixed_bfloat16_trains_the_cnn_with_float32_outputs(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = run_cli("fit", CONFIGS / "tiny" / "small_cnn.yaml", "--set", "train.epochs=4",
                     "--set", "device.precision=mixed_bfloat16", "--run-dir", run, env=WIDE,
                     timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "precision mixed_bfloat16;" in result.stdout  # asked for: no reason to give
    with open(run / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    losses = [float(r["loss"]) for r in rows]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0] < 2.5, losses
    assert float(rows[-1]["val_accuracy"]) > 0.8, rows[-1]  # 10 classes: chance is 0.1
    with zipfile.ZipFile(run / "model.keras") as z:
        layers = json.loads(z.read("config.json"))["config"]["layers"]
    dtypes = {layer["class_name"]: layer["config"].get("dtype") for layer in layers}
    assert dtypes["Conv2D"]["config"]["name"] == "mixed_bfloat16"
    assert dtypes["Dense"] == "float32"  # the softmax output, as the mixed-precision guide says
    loaded = subprocess.run([sys.executable, "-c", PREDICT_DTYPE, str(run / "model.keras")],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert loaded.stdout.strip().splitlines()[-1:] == ["float32"], loaded.stdout + loaded.stderr
