"""`model.keras` holds the preprocessing as its first layers: loaded by plain tf.keras (a script
that never imports nntrain), it predicts on raw CSV rows, decoded image pixels and raw strings
what `nntrain predict` writes (1e-5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.data.test_streaming import _stripes

ROOT = Path(__file__).resolve().parents[1]

PLAIN = """
import json, sys
import os; os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np, pandas as pd, tensorflow as tf
out = {}
for name, model_path, kind, data in json.loads(sys.argv[1]):
    model = tf.keras.models.load_model(model_path)
    if kind == "csv":
        x = pd.read_csv(data).to_numpy("float32")
    elif kind == "text":
        x = tf.constant(pd.read_csv(data)["text"].astype(str).tolist())
    else:
        x = np.stack([tf.image.resize(tf.io.decode_image(tf.io.read_file(p), channels=3,
                                                         expand_animations=False),
                                      (16, 16)).numpy() for p in data])
    out[name] = np.asarray(model.predict(x, verbose=0)).tolist()
print(json.dumps(out))
"""


def _fit(config: Path, run: Path) -> None:
    result = CliRunner().invoke(app, ["fit", str(config), "--run-dir", str(run)])
    assert result.exit_code == 0, result.output


def _predict(run: Path, data: Path, out: Path) -> np.ndarray:
    result = CliRunner().invoke(app, ["predict", str(run), "--input", str(data),
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    return frame[[c for c in frame.columns if c.startswith("prob_")]].to_numpy()


def _text_config(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    good, bad = ["good", "great", "fine", "nice"], ["bad", "awful", "poor", "sad"]
    rows = [(" ".join(rng.choice(good if y else bad, 4)), "pos" if y else "neg")
            for y in rng.integers(0, 2, 120)]
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(tmp_path / "texts.csv", index=False)
    config = {"seed": 1, "data": {"source": "csv", "path": str(tmp_path / "texts.csv"),
                                  "features": ["text"], "target": "label", "max_tokens": 20,
                                  "sequence_length": 6},
              "model": {"input_shape": [6], "layers": [
                  {"type": "Embedding", "input_dim": 20, "output_dim": 4},
                  {"type": "GlobalAveragePooling1D"},
                  {"type": "Dense", "units": 2, "activation": "softmax"}]},
              "compile": {"optimizer": {"type": "Adam", "learning_rate": 0.05},
                          "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
              "train": {"epochs": 3, "batch_size": 16}}
    (tmp_path / "text.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "text.yaml"


def _image_config(tmp_path: Path) -> Path:
    images = _stripes(tmp_path / "images", per_class=8)
    config = {"seed": 1, "data": {"source": "image_dir", "path": str(images),
                                  "image_size": [16, 16],
                                  "preprocess": {"rescale": 1 / 255, "normalize": True}},
              "model": {"input_shape": [16, 16, 3], "layers": [
                  {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
                  {"type": "GlobalAveragePooling2D"},
                  {"type": "Dense", "units": 2, "activation": "softmax"}]},
              "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
              "train": {"epochs": 2, "batch_size": 8}}
    (tmp_path / "images.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "images.yaml"


def test_model_keras_alone_predicts_raw_rows_pixels_and_strings_like_nntrain_predict(
        tmp_path: Path) -> None:
    _fit(ROOT / "configs" / "tiny" / "csv_classifier.yaml", tmp_path / "csv_run")
    rows = tmp_path / "rows.csv"
    pd.read_csv(ROOT / "datasets" / "tiny_classification.csv").drop(columns="species") \
        .head(20).to_csv(rows, index=False)
    _fit(_text_config(tmp_path), tmp_path / "text_run")
    texts = tmp_path / "new_texts.csv"
    pd.DataFrame({"text": ["good nice fine", "awful sad", "great"]}).to_csv(texts, index=False)
    _fit(_image_config(tmp_path), tmp_path / "image_run")
    pictures = sorted(str(p) for p in (tmp_path / "images").rglob("*.jpg"))[:6]
    jobs = [("csv", str(tmp_path / "csv_run" / "model.keras"), "csv", str(rows)),
            ("text", str(tmp_path / "text_run" / "model.keras"), "text", str(texts)),
            ("image", str(tmp_path / "image_run" / "model.keras"), "image", pictures)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", PLAIN, json.dumps(jobs)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    plain = json.loads(done.stdout.strip().splitlines()[-1])
    csv_probs = _predict(tmp_path / "csv_run", rows, tmp_path / "p1.csv")
    assert np.abs(np.asarray(plain["csv"]).reshape(-1) - csv_probs.reshape(-1)).max() <= 1e-5
    text_probs = _predict(tmp_path / "text_run", texts, tmp_path / "p2.csv")
    assert np.abs(np.asarray(plain["text"]) - text_probs).max() <= 1e-5
    folder = tmp_path / "some_images"
    folder.mkdir()
    for p in pictures:
        (folder / f"{Path(p).parent.name}_{Path(p).name}").write_bytes(Path(p).read_bytes())
    frame_out = tmp_path / "p3.csv"
    image_probs = _predict(tmp_path / "image_run", folder, frame_out)
    order = [f"{Path(p).parent.name}_{Path(p).name}" for p in pictures]
    by_file = dict(zip(pd.read_csv(frame_out)["file"].map(lambda f: Path(f).name), image_probs))
    assert np.abs(np.asarray(plain["image"]) - np.stack([by_file[n] for n in order])).max() \
        <= 1e-5


def test_predict_on_a_bare_keras_file_needs_no_run_directory(tmp_path: Path) -> None:
    _fit(ROOT / "configs" / "tiny" / "csv_classifier.yaml", tmp_path / "run")
    rows = tmp_path / "rows.csv"
    pd.read_csv(ROOT / "datasets" / "tiny_classification.csv").drop(columns="species") \
        .head(10).to_csv(rows, index=False)
    alone = tmp_path / "elsewhere" / "classifier.keras"
    alone.parent.mkdir()
    alone.write_bytes((tmp_path / "run" / "model.keras").read_bytes())
    from_run = _predict(tmp_path / "run", rows, tmp_path / "a.csv")
    bare = _predict(alone, rows, tmp_path / "b.csv")
    assert np.abs(from_run - bare).max() <= 1e-6
