"""ONNX files by tf2onnx, run with onnxruntime; quantized by onnxruntime's own tools."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.errors import first_line, runtime_error
from nntrain.model.preprocessing import PREFIX
from nntrain.model.signature import input_specs
from nntrain.runs.atomic import atomic_path

QUANTIZE = ("dynamic", "int8")

Calibration = Callable[[], Iterator[dict[str, np.ndarray]]]


def _convert(model: Any, target: Path) -> None:
    from nntrain.engine import quiet_stderr, tf
    import tf2onnx

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    try:
        with quiet_stderr():
            tf2onnx.convert.from_keras(model, input_signature=input_specs(model),
                                       output_path=str(target))
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises many types, all reported
        raise runtime_error(f"tf2onnx could not convert the model on TensorFlow "
                            f"{tf.__version__}: {first_line(exc)[:400]}",
                            "export it as saved_model or tflite") from None


class _Reader:
    """onnxruntime's CalibrationDataReader over our calibration examples."""

    def __init__(self, calibration: Calibration) -> None:
        self.examples = calibration()

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.examples, None)


def _quantize(source: Path, target: Path, quantize: str, calibration: Calibration | None) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic, quantize_static

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing before quantization", each time
    try:
        if quantize == "dynamic":
            quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
        else:  # the input steps stay float, as in tflite.py (one int8 scale fits no raw table)
            import onnx

            front = [n.name for n in onnx.load(str(source)).graph.node if PREFIX in n.name]
            quantize_static(str(source), str(target), _Reader(calibration),  # type: ignore[arg-type]
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=front)
    finally:
        root.setLevel(level)


def write_onnx(model: Any, target: Path, quantize: str | None,
               calibration: Calibration | None) -> Path:
    with atomic_path(target) as tmp:
        _convert(model, tmp)
        if quantize:
            float_model = tmp.with_name(tmp.name + ".float.onnx")
            os.replace(tmp, float_model)
            try:
                _quantize(float_model, tmp, quantize, calibration)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    float_model.unlink()
    return target


class OnnxRunner:
    def __init__(self, path: Path, output_names: list[str]) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(path), options,
                                                        providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime's own exception types
            raise runtime_error(f"onnxruntime cannot run the converted {path.name}: "
                                f"{first_line(exc)[:300]}",
                                "export it with --format saved_model or tflite") from None
        self.output_names = output_names

    def __call__(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(v) for v in self.session.run(self.output_names, inputs)]
