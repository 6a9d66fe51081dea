"""Which dtype policy `device.precision: auto` means on this machine, and why.

oneDNN (TensorFlow's CPU kernels) runs bfloat16 matmuls and convolutions natively only where
the CPU has AMX-BF16 or AVX512_BF16; elsewhere it emulates them, slower than float32. So on a
CPU, `auto` reads the CPU's flags (Linux /proc/cpuinfo, without TensorFlow) and chooses
`mixed_bfloat16` only where they are there and the model gains from it: measured on a 2-core
Xeon with AMX (benchmarks/precision_layers.py), a convnet trains 1.84× faster, a Conv1D text
model 1.13×, Dense layers of 256 units 1.17×; one Dense of 128 gains 1.01×, an embedding
with a Dense of 64 loses (0.91×), an LSTM loses (0.87×).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nntrain.config.schema import LayerConfig, ModelConfig

CPUINFO = Path("/proc/cpuinfo")
# The flag Linux shows → its name in Intel's manuals, most capable first.
BF16_FLAGS = {"amx_bf16": "AMX-BF16", "avx512_bf16": "AVX512_BF16"}
# Keras' recurrent layers (and the wrapper that runs one both ways): bfloat16 does not make
# their step-by-step loops faster, and their state loses precision over long sequences.
RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D",
             "ConvLSTM3D", "LSTMCell", "GRUCell", "SimpleRNNCell", "StackedRNNCells"}


def bf16_instructions(cpuinfo: str) -> str | None:
    """The bfloat16 instruction set a /proc/cpuinfo text's `flags` line names ('AMX-BF16',
    'AVX512_BF16'), or None."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags.update(value.split())
    return next((name for flag, name in BF16_FLAGS.items() if flag in flags), None)


def cpu_bf16_instructions() -> str | None:
    """This machine's bfloat16 instruction set; None where the CPU has none or its flags
    cannot be read (not Linux)."""
    try:
        return bf16_instructions(CPUINFO.read_text(errors="replace"))
    except OSError:
        return None


# The smallest Dense layer whose matmuls bfloat16 speeds up (measured: 256 units 1.17×, 128
# units 1.01×).
WIDE_DENSE = 256
LayerTest = Callable[[str, dict[str, Any]], bool]  # (type, arguments) → whether it counts


def _any_layer(spec: object, counts: LayerTest) -> bool:
    """A layer spec, or any Keras object nested in its arguments (Bidirectional's `layer`,
    TimeDistributed's), that `counts`."""
    if isinstance(spec, LayerConfig):
        return counts(spec.type, spec.args) or _any_layer(spec.args, counts)
    if isinstance(spec, dict):
        found = isinstance(spec.get("type"), str) and counts(spec["type"], spec)
        return found or any(_any_layer(v, counts) for v in spec.values())
    if isinstance(spec, list):
        return any(_any_layer(v, counts) for v in spec)
    return False


def _has(model: ModelConfig, counts: LayerTest) -> bool:
    parts = [model] + [p for p in (model.encoder, model.decoder, model.generator,
                                   model.discriminator) if p is not None]
    return any(_any_layer(layer, counts) for part in parts for layer in part.layers)


def has_recurrent_layers(model: ModelConfig) -> bool:
    return _has(model, lambda kind, _: kind in RECURRENT)


def gains_from_bf16(model: ModelConfig) -> bool:
    """A convolution, or a Dense layer of WIDE_DENSE units or more: layers whose matmuls are
    large enough for bfloat16 to speed up."""
    def heavy(kind: str, args: dict[str, Any]) -> bool:
        if "Conv" in kind and kind not in RECURRENT:
            return True
        units = args.get("units")
        return kind == "Dense" and isinstance(units, int) and units >= WIDE_DENSE

    return _has(model, heavy)


def auto_precision(hardware: str, model: ModelConfig | None,
                   bf16: str | None) -> tuple[str, str]:
    """(policy, why) for `precision: auto` on `hardware` (cpu | gpu | tpu); `bf16` is the
    CPU's bfloat16 instruction set, if any."""
    if hardware == "tpu":
        return "mixed_bfloat16", "auto: a TPU"
    if hardware == "gpu":
        return "mixed_float16", "auto: a GPU"
    if bf16 is None:
        return "float32", "auto: the CPU has no bf16 instructions"
    if model is not None and model.type == "perceptron":
        return "float32", "auto: a perceptron stays float32"
    if model is not None and model.compare_with_ols:
        return "float32", "auto: compare_with_ols stays float32"
    if model is not None and has_recurrent_layers(model):
        return "float32", f"auto: the CPU has {bf16}, but recurrent layers stay float32"
    if model is not None and not gains_from_bf16(model):
        return "float32", (f"auto: the CPU has {bf16}, but a model without convolutions or "
                           f"Dense layers of {WIDE_DENSE}+ units gains nothing from it")
    return "mixed_bfloat16", f"auto: the CPU has {bf16}"
