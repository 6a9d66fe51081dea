"""Every export format and quantization of two small models: size, largest difference from
model.keras, accuracy before/after, latency per example, from each export's export.json.

    python benchmarks/export.py        # the digits CNN and the breast-cancer MLP, ~3 minutes

Each model trains once; every export runs `nntrain export` (in this process, so TensorFlow
starts once) and checks itself on the model's test split.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from nntrain.cli.app import app

REPO = Path(__file__).resolve().parent.parent
CANCER = """
name: cancer
seed: 5
data: {source: sklearn, name: breast_cancer, preprocess: {normalize: true}, test_split: 0.2,
       validation_split: 0.1}
model:
  input_shape: [30]
  layers: [{type: Dense, units: 16, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
train: {batch_size: 32, epochs: 12}
"""
EXPORTS = [("saved_model", None), ("tflite", None), ("tflite", "float16"),
           ("tflite", "dynamic"), ("tflite", "int8"), ("onnx", None), ("onnx", "dynamic"),
           ("onnx", "int8")]


def _nntrain(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return result.output


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "cancer.yaml").write_text(CANCER)
        for label, config in (("digits CNN", REPO / "configs/tiny/small_cnn.yaml"),
                              ("breast cancer MLP", Path(scratch) / "cancer.yaml")):
            run = Path(scratch) / label.replace(" ", "_")
            _nntrain("fit", config, "--run-dir", run, "--set", "callbacks.tensorboard=false")
            for fmt, quantize in EXPORTS:
                _nntrain("export", run, "--format", fmt, *(["--quantize", quantize] if quantize
                                                           else []))
            entries = json.loads((run / "export" / "export.json").read_text())["exports"]
            rows += [(label, entry) for entry in entries.values()]
    print("| model | format | size (KiB) | largest difference | same class | accuracy | "
          "latency / example (model.keras) |")
    print("|---|---|---|---|---|---|---|")
    for label, e in rows:
        kind = e["format"] + (f" {e['quantize']}" if e["quantize"] else "")
        print(f"| {label} | {kind} | {e['bytes'] / 1024:.1f} (keras "
              f"{e['keras_bytes'] / 1024:.0f}) | {e['max_abs_diff']:.2g} | "
              f"{e['class_agreement']:.1%} | {e['accuracy_keras']:.3f} → "
              f"{e['accuracy_exported']:.3f} | {e['latency_ms_exported']:.3f} ms "
              f"({e['latency_ms_keras']:.2f} ms) |")


if __name__ == "__main__":
    main()
