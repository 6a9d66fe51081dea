"""TensorFlow Lite (LiteRT) files, converted from the exported SavedModel's signature so the
interpreter's signature runner takes the same input names."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.errors import runtime_error
from nntrain.export.saved_model import SIGNATURE
from nntrain.model.preprocessing import PREFIX
from nntrain.runs.atomic import write_with

QUANTIZE = ("float16", "dynamic", "int8")

Calibration = Callable[[], Iterator[dict[str, np.ndarray]]]


def _converter(saved_model: Path, quantize: str | None, calibration: Calibration | None) -> Any:
    from nntrain.engine import tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), [SIGNATURE])
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantize == "int8":  # int8 weights and activations; float inputs and outputs stay
        converter.representative_dataset = calibration
    return converter


def _int8_with_float_preprocessing(saved_model: Path, calibration: Calibration) -> bytes:
    """int8 everywhere but the model's input steps (Normalization above all): one int8 scale
    for raw features of unlike ranges (areas in the thousands, ratios under 1) zeroes the
    small ones: breast cancer's test accuracy fell from 0.91 to 0.61 that way."""
    from nntrain.engine import tf

    content = _converter(saved_model, "int8", calibration).convert()
    front = [d["name"] for d in _interpreter(content).get_tensor_details()
             if f"/{PREFIX}" in d["name"]]
    if not front:
        return content
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=front)
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=_converter(saved_model, "int8", calibration), debug_dataset=calibration,
        debug_options=options)
    return debugger.get_nondebug_quantized_model()


def converter_message(text: str) -> str:
    """The converter's first error without the MLIR source locations around it."""
    lines = [line for line in text.splitlines() if "error:" in line] or text.splitlines() or [""]
    message = re.sub(r"^.*?error: (loc\(.*\)\)?: )?", "", lines[0]).strip()
    return message[:300] or "no reason given"


def write_tflite(saved_model: Path, target: Path, quantize: str | None,
                 calibration: Calibration | None) -> Path:
    from nntrain.engine import quiet_stderr

    try:
        with quiet_stderr():
            content = _int8_with_float_preprocessing(saved_model, calibration) \
                if quantize == "int8" and calibration else \
                _converter(saved_model, quantize, calibration).convert()
    except Exception as exc:  # noqa: BLE001 - the converter raises many types, all reported
        raise runtime_error(f"TFLite conversion failed: {converter_message(str(exc))}",
                            "export it with --format saved_model") from None
    write_with(target, lambda tmp: tmp.write_bytes(content))
    return target


def _interpreter(model: Path | bytes) -> Any:
    """LiteRT's interpreter (ai-edge-litert); TensorFlow's own while it still ships one."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        from nntrain.engine import tf

        Interpreter = tf.lite.Interpreter
    if isinstance(model, bytes):
        return Interpreter(model_content=model)
    return Interpreter(model_path=str(model))


class TFLiteRunner:
    def __init__(self, path: Path, output_names: list[str]) -> None:
        from nntrain.engine import quiet_stderr

        with quiet_stderr():  # "Created TensorFlow Lite XNNPACK delegate", on every load
            self.runner = _interpreter(path).get_signature_runner(SIGNATURE)
        self.output_names = output_names
        self.quiet = True

    def __call__(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        from nntrain.engine import quiet_stderr

        if self.quiet:  # the delegate announces itself on the first call
            with quiet_stderr():
                outputs = self.runner(**inputs)
            self.quiet = False
        else:
            outputs = self.runner(**inputs)
        return [np.asarray(outputs[name]) for name in self.output_names]
